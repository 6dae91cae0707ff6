"""B02: do random biases alone (W = 0) break the symmetry, and does the net end as well as from the lecture's init?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import paired_cells
from .frames import (
    RUN,
    Data,
    at_init,
    final,
    fmt_scale,
    iter_text,
    n_runs,
    require,
    scale_mask,
    select,
)
from .kernel import Check, Insufficient, Outcome, combine, missing_check, seed_check, worst_of
from .measures import (
    first_at,
)


CELL = ["activation", "bias_scale"]


def _cell(k) -> str:
    return f"{k[0]}, b std {fmt_scale(k[1])}"


def _rank_cells(zw: pd.DataFrame, rule: dict) -> dict[str, Check]:
    """Per activation: the share of runs (per seed, over bias scales) whose W1 has full rank at the last iteration."""
    n_inputs = rule["n_inputs"]
    end = final(zw).set_index(RUN)
    reached = (end["rank_w"] >= np.minimum(end.index.get_level_values("width"), n_inputs)).astype(np.float64)
    by_act = reached.groupby(level="activation")
    return {
        act: seed_check(
            f"{act}: W1 reaches full rank",
            f"share of runs whose W1 has rank {n_inputs} at the last iteration (per seed, over bias scales)",
            r.groupby(level="seed").mean(), rule, rule["min_share"], "at_least",
        )  # fmt: skip
        for act, r in sorted(by_act, key=lambda kv: rule["activations"].index(kv[0]))
    }


def _accuracy_cells(data: Data, rule: dict) -> tuple[dict[str, Check], pd.DataFrame, pd.DataFrame, str]:
    """Per activation and bias scale: final metric of W = 0 minus the lecture's init, paired by seed; the pairs, the
    random-W runs and the reference's name."""
    metric, acts = rule["metric"], rule["activations"]
    fin = final(select(data.metrics, rule["experiment"], activation=acts))
    zero_m = fin[(fin["init"] == rule["init"]) & (fin["bias_init"] == rule["bias_init"])]
    rnd = fin[(fin["init"] == rule["reference_init"]) & scale_mask(fin["scale"], [rule["reference_scale"]])]
    keys = ["dataset", "activation", "width", "depth", "seed", "lr"]
    pairs = zero_m.merge(rnd[rnd["bias_init"] == rule["reference_bias"]][[*keys, metric]], on=keys, suffixes=("", "_ref"))
    ref_name = f"W {rule['reference_init']} {fmt_scale(rule['reference_scale'])}, b {rule['reference_bias']}"
    cells = paired_cells(
        pairs.assign(d=pairs[metric] - pairs[f"{metric}_ref"]), CELL, "d", _cell, "ends as well as the lecture's init",
        f"final {metric} (W = 0, random b) minus final {metric} ({ref_name}), paired by seed",
        rule, -rule["margin"], "above",
    )  # fmt: skip
    return cells, pairs, rnd, ref_name


def _per_activation(rank_cells: dict, acc_cells: dict, rule: dict, ref_name: str) -> dict[str, list[Check]]:
    """Each activation's own two checks (the answer differs by activation): full rank, and ends as well."""
    by_act, what = {}, "ends as well as the lecture's init"
    for act, t in rank_cells.items():
        cells = {k: c for k, c in acc_cells.items() if k.startswith(f"{act},")}
        why = f"no {ref_name} runs to compare with"
        t_acc = worst_of(cells) if cells else missing_check(f"{act}: ends as well", rule["metric"], -rule["margin"], "above", why)
        t_acc.name = f"{act}: {what}" + t_acc.name[len(what):]
        by_act[act] = [t, t_acc]
    return by_act


def _timings(zw: pd.DataFrame, pairs: pd.DataFrame, rnd: pd.DataFrame, rule: dict, ref_name: str) -> tuple[dict, dict]:
    """The details (when the symmetry breaks, saturation, accuracies by cell) and the numbers the note quotes."""
    n_inputs, metric = rule["n_inputs"], rule["metric"]
    full = np.minimum(zw["width"], n_inputs)
    times = pd.DataFrame({"t_gap": first_at(zw, zw["gap_w"] > rule["tolerance"]), "t_rank": first_at(zw, zw["rank_w"] >= full)})
    times = times.reset_index()
    tt = times.groupby(CELL).agg(t_gap=("t_gap", "median"), t_rank=("t_rank", "median"),
                                 never=("t_rank", lambda s: float(np.isinf(s).mean())))  # fmt: skip
    sat0 = at_init(zw).groupby("activation")["saturation"].median()
    sat1 = final(zw).groupby("activation")["saturation"].median()
    med = pairs.groupby(CELL).agg(zero=(metric, "median"), ref=(f"{metric}_ref", "median")) if len(pairs) else pd.DataFrame()
    same_b = rnd[rnd["bias_init"] == rule["bias_init"]].groupby(CELL)[metric].median()
    details: dict = {
        "median first iteration with gap_w > 0": {_cell(k): r["t_gap"] for k, r in tt.iterrows()},
        f"median first iteration with rank_w = {n_inputs}": {_cell(k): r["t_rank"] for k, r in tt.iterrows()},
        f"share of runs never reaching rank {n_inputs}": {_cell(k): r["never"] for k, r in tt.iterrows()},
        "median saturated or inactive share of hidden units at init": {a: float(v) for a, v in sat0.items()},
        "median saturated or inactive share at the last iteration": {a: float(v) for a, v in sat1.items()},
    }
    if len(med):
        details[f"median final {metric}: W = 0 vs {ref_name}"] = {
            _cell(k): {"W = 0": r.zero, ref_name: r.ref} for k, r in med.iterrows()
        }
    if len(same_b):
        details[f"median final {metric}: random W with the same random biases"] = {_cell(k): float(v) for k, v in same_b.items()}
    return details, {"times": times, "sat0": sat0, "sat1": sat1, "med": med}


def _note_part(act: str, q: dict, rule: dict) -> str:
    """What happened to one activation's W = 0 nets, in words."""
    g = q["times"][q["times"]["activation"] == act]
    share = float(np.isfinite(g["t_rank"]).mean())
    median = f"at iteration {iter_text(g['t_rank'].median())} (median) in {share:.0%} of runs"
    text = (f"{act}: gap_w leaves 0 at iteration {iter_text(g['t_gap'].median())} (median), W1 reaches rank "
            f"{rule['n_inputs']} " + (median if share >= 0.5 else f"in only {share:.0%} of runs"))  # fmt: skip
    sat0, sat1, med = q["sat0"], q["sat1"], q["med"]
    if act in sat0.index and sat0[act] > 0:
        text += f"; a median {sat0[act]:.0%} of its units start saturated or inactive ({sat1[act]:.0%} at the end)"
    if len(med) and act in med.index.get_level_values(0):
        mm = med.loc[act]
        text += (f"; median final {rule['metric']} {float(mm['zero'].min()):.3f}-{float(mm['zero'].max()):.3f} against "
                 f"{float(mm['ref'].iloc[0]):.3f} from the lecture's init")  # fmt: skip
    return text


def evaluate_b02(data: Data, rule: dict) -> Outcome:
    """W = 0 with random biases: does W1 reach full rank, and does the net end as well as from the lecture's init?
    Decided per activation; the mechanism is the claim's ``explanation`` in config/claims.yaml."""
    lay = select(data.layers, rule["experiment"], layer=1, activation=rule["activations"])
    lay = lay[lay["width"] >= rule["min_width"]]
    zw = require(lay[(lay["init"] == rule["init"]) & (lay["bias_init"] == rule["bias_init"])], "W = 0 with random biases")
    rank_cells = _rank_cells(zw, rule)
    if not rank_cells:
        raise Insufficient(f"no W = 0 runs with activations {rule['activations']}")
    acc_cells, pairs, rnd, ref_name = _accuracy_cells(data, rule)
    by_act = _per_activation(rank_cells, acc_cells, rule, ref_name)
    details, quoted = _timings(zw, pairs, rnd, rule, ref_name)
    verdicts = details["verdict by activation"] = {a: combine(ts) for a, ts in by_act.items()}
    parts = [_note_part(a, quoted, rule) for a in rule["activations"] if (quoted["times"]["activation"] == a).any()]
    note = "By activation: " + ", ".join(f"{a} {v}" for a, v in verdicts.items()) + ". " + "; ".join(parts) + "."
    checks = [t for a in sorted(by_act, key=lambda a: verdicts[a] != "fails") for t in by_act[a]]
    ref_runs = rnd[rnd["bias_init"] == rule["reference_bias"]]
    return Outcome(checks, n_runs(zw) + n_runs(ref_runs), note, details)
