"""Symmetric starts: every unit of a layer stays a copy of the others (L02, L03, L04; B01 for any constant).

The gaps (largest difference between two units) and ranks of symmetric inits involve no randomness, so the
checks are exact bounds over every run, logged iteration and layer (:func:`~initstudy.claims.checks.bound_over_runs`).
"""

from __future__ import annotations

import pandas as pd

from .frames import (
    LN2,
    RUN,
    Data,
    as_list,
    at_init,
    final,
    fmt_scale,
    n_runs,
    never_leaves,
    require,
    select,
)
from .checks import bound_over_runs, enough
from .kernel import Check, Outcome, exact_check, missing_check


def _symmetric_gaps(data: Data, rule: dict, experiment: str | list) -> tuple[pd.DataFrame, int]:
    lay = require(select(data.layers, experiment, init=rule["inits"]), f"{rule['inits']} init in {experiment}")
    wide = lay[lay["width"] >= rule["min_width"]]
    return wide, n_runs(wide)


def _gap_outcome(
    wide: pd.DataFrame, nr: int, rule: dict, name: str, extra: list[Check] | None = None, note_extra: str = ""
) -> Outcome:
    metrics = rule["metrics"]
    if wide.empty:
        test = missing_check(
            name,
            f"largest of {', '.join(metrics)}",
            rule["tolerance"],
            "at_most",
            f"no symmetric-init runs of width >= {rule['min_width']}",
        )
        return Outcome([test], 0, test.reason)
    largest = float(wide[metrics].to_numpy().max())
    test = exact_check(
        name,
        f"largest of {', '.join(metrics)} over every run, logged iteration and layer",
        largest,
        rule["tolerance"],
        "at_most",
        nr,
        rule["min_runs"],
    )
    per = wide.groupby(["init", "activation"])[metrics].max().max(axis=1)
    details = {
        "largest gap by init and activation": {f"{i}, {a}": float(v) for (i, a), v in per.items()},
        "largest gap by metric": {k: float(wide[k].max()) for k in metrics},
        "widths": sorted(int(w) for w in wide["width"].unique()),
        "activations": sorted(wide["activation"].unique()),
        "logged iterations per run": int(wide.groupby(RUN)["iteration"].nunique().min()),
        "last iteration": int(wide["iteration"].max()),
    }
    note = (
        f"Largest gap {largest:.3g} over {nr} runs (widths {details['widths']}, {', '.join(details['activations'])}), "
        f"{details['logged iterations per run']} logged iterations each, up to iteration {details['last iteration']}."
    )
    return Outcome([test, *(extra or [])], nr, note + note_extra, details)


def evaluate_l02(data: Data, rule: dict) -> Outcome:
    """Zero (and constant) init: the hidden activations of all units are identical at every logged iteration."""
    wide, nr = _symmetric_gaps(data, rule, rule["experiment"])
    return _gap_outcome(wide, nr, rule, "hidden units compute the same activation")


def evaluate_l03(data: Data, rule: dict) -> Outcome:
    """Zero (and constant) init: dz, dW rows, W rows, b and outgoing weights stay identical across units."""
    wide, nr = _symmetric_gaps(data, rule, rule["experiment"])
    return _gap_outcome(wide, nr, rule, "backprop and updates keep the units identical")


def evaluate_l04(data: Data, rule: dict) -> Outcome:
    """Long runs (>= min_budget_ratio x the reference experiment's budget): every gap still 0 at the end."""
    wide, nr = _symmetric_gaps(data, rule, rule["experiment"])
    budget = int(wide["iterations"].min()) if len(wide) else 0
    ref = select(data.metrics, rule["budget_reference"])
    extra, note = [], ""
    if ref.empty:
        extra.append(
            missing_check(
                "the runs are long",
                "budget / reference budget",
                rule["min_budget_ratio"],
                "at_least",
                f"experiment '{rule['budget_reference']}' (the reference budget) is not in the tables",
            )
        )
    elif budget:
        ratio = budget / int(ref["iterations"].max())
        short = f"the runs are only {ratio:.3g} x the reference budget, too short to test 'however long'"
        extra.append(enough("the runs are long", f"budget of the long runs / budget of '{rule['budget_reference']}'",
                            ratio, rule["min_budget_ratio"], nr, short))  # fmt: skip
        note = f" The long runs had {budget} iterations, {ratio:.3g} x the '{rule['budget_reference']}' budget."
    out = _gap_outcome(wide, nr, rule, "the units stay identical however long they train", extra, note)
    if len(wide):
        last = wide[wide["iteration"] == wide["iterations"]]
        out.details["largest gap at the last iteration"] = float(last[rule["metrics"]].to_numpy().max())
    return out


def _b01_zero_and_learning(data: Data, exps: list, rule: dict, rank: float, details: dict) -> str:
    """B01's note on the zero-init runs (never leave ln 2) and on what the constant-init runs do learn."""
    m = select(data.metrics, exps)
    zero, const = m[m["init"] == rule["compare_init"]], m[m["init"].isin(rule["inits"])]
    bits = []
    if len(zero):
        stuck = never_leaves(zero, LN2, rule["tolerance"])
        zlay = select(data.layers, exps, init=rule["compare_init"])
        zlay = zlay[zlay["width"] >= rule["min_width"]]
        details[f"{rule['compare_init']} init: runs that never leave loss ln 2"] = f"{int(stuck.sum())} of {len(stuck)}"
        if len(zlay):
            details[f"{rule['compare_init']} init: largest gap"] = float(zlay[rule["metrics"]].to_numpy().max())
        bits.append(f"Zero is only the special case: {int(stuck.sum())} of {len(stuck)} zero-init runs never leave loss ln 2")
    if len(const):
        fall = (at_init(const).set_index(RUN)["loss"] - final(const).set_index(RUN)["loss"]).dropna()
        by = fall.groupby(level=["activation"]).median()
        details["median loss fall from iteration 0, constant inits, by activation"] = {a: float(v) for a, v in by.items()}
        bits.append(
            f"constant-init runs do learn (median loss fall {float(fall.median()):.3g} nats; "
            + ", ".join(f"{a} {v:.3g}" for a, v in by.items())
            + f"), but only a function of rank {rank:.0f}: every unit stays a copy of the others"
        )
    return " " + "; ".join(bits) + "." if bits else ""


def evaluate_b01(data: Data, rule: dict) -> Outcome:
    """Non-zero constant inits: every symmetry gap stays 0 and the hidden layer keeps rank <= 1, like zero init."""
    exps, metrics, min_width = as_list(rule["experiment"]), rule["metrics"], rule["min_width"]
    lay = select(data.layers, exps, init=rule["inits"])
    wide = require(lay[lay["width"] >= min_width], f"{rule['inits']} runs of width >= {min_width}")
    nr = n_runs(wide)
    stat = f"largest of {', '.join(metrics)} over every constant-init run (width >= {min_width}), logged iteration and layer"
    t_gap = bound_over_runs("every symmetry gap stays 0 with a constant init", stat, wide[metrics].to_numpy(),
                            rule["tolerance"], "at_most", nr, rule["min_runs"])  # fmt: skip
    t_rank = bound_over_runs("the hidden layer keeps rank at most 1", f"largest {' / '.join(rule['rank_metrics'])} of the "
                             "constant-init runs", wide[rule["rank_metrics"]].to_numpy(), rule["max_rank"], "at_most", nr,
                             rule["min_runs"])  # fmt: skip
    constants = sorted({float(s) for s in wide["scale"]})
    few = f"only {len(constants)} constant(s) in the grid: too few to speak for any constant"
    t_many = enough("several different constants", "number of distinct constant values", len(constants),
                    rule["min_constants"], len(constants), few)  # fmt: skip
    per = wide.groupby(["experiment", "scale", "activation"])[metrics].max().max(axis=1)
    details: dict = {
        "largest gap by experiment, constant and activation": {
            f"{e}, {fmt_scale(s)}, {a}": float(v) for (e, s, a), v in per.items()
        },
        "constants": constants,
        "widths": sorted(int(w) for w in wide["width"].unique()),
        "last iteration": int(wide["iteration"].max()),
    }
    note = (
        f"Constants {', '.join(map(fmt_scale, constants))} in {', '.join(sorted(set(wide['experiment'])))}: "
        f"largest gap {t_gap.value:.3g} over {nr} runs (widths {details['widths']}), up to iteration "
        f"{details['last iteration']:,}; largest rank {t_rank.value:.0f}."
    )
    return Outcome([t_gap, t_rank, t_many], nr, note + _b01_zero_and_learning(data, exps, rule, t_rank.value, details), details)
