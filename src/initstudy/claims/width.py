"""What width buys: symmetric nets are one unit (never beyond the best linear classifier, L05); random init
breaks the symmetry and learns a non-linear boundary (L06).
"""

from __future__ import annotations

import math

import pandas as pd

from .frames import (
    LN2,
    Data,
    at_init,
    final,
    n_runs,
    never_leaves,
    require,
    select,
    with_linear,
)
from .checks import bound_over_runs
from .kernel import Check, Outcome, exact_check, measure_rows, missing_check, seed_check


def _twin_checks(sym, rule: dict) -> list[Check]:
    """A symmetric net of width w is its width-1 twin (engine: initstudy.twin): identical predictions at every
    logged iteration, and one update from identical states equal to round-off."""
    twin = sym[(sym["width"] >= rule["twin_min_width"]) & sym["twin_pred_diff"].notna()]
    names = ("the same predictions as its width-1 twin", "one update from identical states agrees with the twin's")
    if twin.empty:
        why = f"no symmetric run of width >= {rule['twin_min_width']} with a width-1 twin in the tables"
        return [missing_check(names[0], "points", rule["twin_max_points"], "at_most", why),
                missing_check(names[1], "gap", rule["twin_step_tolerance"], "at_most", why)]  # fmt: skip
    n = n_runs(twin)
    return [
        bound_over_runs(
            names[0],
            "most training points a symmetric net and its width-1 twin (W2 w times larger; lrs lr/w, lr/w, w lr, lr) "
            "classify differently, any logged iteration",
            twin["twin_pred_diff"], rule["twin_max_points"], "at_most", n, rule["min_runs"],
        ),  # fmt: skip
        bound_over_runs(
            names[1],
            "largest relative parameter difference one update after identical states, symmetric net vs its width-1 twin",
            twin["twin_step_gap"], rule["twin_step_tolerance"], "at_most", n, rule["min_runs"],
        ),  # fmt: skip
    ]


def _below_linear(sym, lay, rule: dict) -> list[Check]:
    """Symmetric nets are one unit: never beyond the best linear classifier, and a hidden layer of rank at most 1."""
    excess = (sym["train_acc"] - sym["best_linear"]) * sym["n_train"]
    ceiling = exact_check(
        "symmetric nets never beat the best linear classifier",
        "most training points a symmetric-init net gets right beyond the best linear classifier (any logged iteration)",
        float(excess.max()), rule["linear_tolerance_points"], "at_most", n_runs(sym), rule["min_runs"],
    )  # fmt: skip
    name = "hidden layer of rank at most 1"
    if lay.empty:
        return [ceiling, missing_check(name, "largest rank", rule["max_rank"], "at_most", "no layer rows")]
    ranks = float(lay[rule["rank_metrics"]].to_numpy().max())
    stat = f"largest {' / '.join(rule['rank_metrics'])}"
    return [ceiling, exact_check(name, stat, ranks, rule["max_rank"], "at_most", n_runs(lay), rule["min_runs"])]


def _width_spread(fin, rule: dict) -> tuple[Check, pd.Series]:
    """The retired rule (issue 11), kept as a number on this study's data: final accuracy spread across widths."""
    spread = fin.groupby(["dataset", "activation", "init", "scale"]).agg(
        lo=("train_acc", "min"), hi=("train_acc", "max"), widths=("width", "nunique")
    )
    spread = spread[spread["widths"] >= 2]
    spread = spread["hi"] - spread["lo"]
    name, margin = "final accuracy independent of width", rule["width_margin"]
    if spread.empty:
        return missing_check(name, "spread across widths", margin, "at_most", "fewer than two widths in the grid"), spread
    stat = "largest spread of final train accuracy across widths (symmetric init)"
    return exact_check(name, stat, float(spread.max()), margin, "at_most", n_runs(fin), rule["min_runs"]), spread


def _random_beats_linear(m, rule: dict) -> tuple[Check, pd.DataFrame]:
    """Random init of width >= min_width_random beats the best linear classifier on every non-linear dataset."""
    name = f"random init of width >= {rule['min_width_random']} beats the best linear classifier on every non-linear dataset"
    pick = (m["init"] == rule["random_init"]) & (m["width"] >= rule["min_width_random"])
    rnd = final(m[pick & (m["best_linear"] < rule["nonlinear_below"])])
    if rnd.empty:
        why = (f"no {rule['random_init']}-init runs of width >= {rule['min_width_random']} on a dataset whose best linear "
               f"accuracy is below {rule['nonlinear_below']}")  # fmt: skip
        stat = "points beyond the best linear classifier"
        short = "random init beats the best linear classifier"
        return missing_check(short, stat, rule["linear_tolerance_points"], "above", why), rnd
    rnd = rnd.assign(pts=(rnd["train_acc"] - rnd["best_linear"]) * rnd["n_train"])
    per_seed = rnd.groupby(["seed", "dataset"])["pts"].max().groupby("seed").min()
    stat = "training points beyond the best linear classifier (best activation and width, worst non-linear dataset)"
    return seed_check(name, stat, per_seed, rule, rule["linear_tolerance_points"], "above"), rnd


def _l05_story(data: Data, sym, fin, rnd, spread, rule: dict) -> tuple[str, dict]:
    """The numbers behind L05 in words and as details (the mechanism is the claim's ``explanation``)."""
    most = float(((sym["train_acc"] - sym["best_linear"]) * sym["n_train"]).max())
    where = f"{-most:.0f} training points fewer than" if most <= 0 else f"{most:.0f} training points more than"
    stuck = never_leaves(sym[sym["init"] == rule["zero_init"]], LN2, rule["stuck_tolerance"])
    note = (f"The best symmetric-init net, at its best logged iteration, gets {where} the best linear classifier "
            f"({n_runs(sym)} runs); {int(stuck.sum())} of {len(stuck)} zero-init runs never leave loss ln 2.")  # fmt: skip
    details = {
        "best linear accuracy": {r.dataset: r.best_linear for r in data.linear.itertuples()},
        "final accuracy by width (symmetric)": {
            f"{d}, {a}, {i}": {str(w): float(v) for w, v in g.groupby("width")["train_acc"].max().items()}
            for (d, a, i), g in fin.groupby(["dataset", "activation", "init"])
        },
    }
    if len(rnd):
        details["best random-init accuracy by dataset (median over seeds)"] = {
            d: float(g.groupby(["activation", "width"])["train_acc"].median().max()) for d, g in rnd.groupby("dataset")
        }
    if len(spread) and float(spread.max()) > rule["width_margin"]:
        d, a, i, sc = spread.idxmax()
        by_w = fin[(fin["dataset"] == d) & (fin["activation"] == a) & (fin["init"] == i) & (fin["scale"] == sc)]
        by_w = by_w.groupby("width")["train_acc"].median()
        note += (f" Final accuracy does change with width after a fixed budget ({d}, {a}, {i} {sc:g}: {by_w.iloc[0]:.3g} "
                 f"at width {by_w.index[0]}, {by_w.min():.3g} at width {by_w.idxmin()}): the step size, not the "
                 "capacity.")  # fmt: skip
    tw = sym[sym["twin_logit_gap"].notna() & (sym["width"] >= rule["twin_min_width"])]
    if len(tw):
        cells = tw.groupby(["dataset", "activation", "init", "scale", "width"])["twin_logit_gap"].max()
        key = "largest |logit difference| from the width-1 twin, by cell"
        details[key] = {", ".join(map(str, k)): float(v) for k, v in cells.items()}
        note += (f" Width-1 twin: {len(cells)} symmetric cells of width >= {rule['twin_min_width']}; logits agree to "
                 f"<= 1e-12 in {int((cells <= 1e-12).sum())} of them (largest difference {cells.max():.2g}).")  # fmt: skip
    return note, details


def evaluate_l05(data: Data, rule: dict) -> Outcome:
    """Symmetric init: rank <= 1, exactly its width-1 twin at every width, never above the best linear classifier;
    random init of width >= min_width_random beats the best linear classifier on every non-linear dataset."""
    exp = rule["experiment"]
    m = with_linear(require(select(data.metrics, exp), exp), data)
    sym = require(m[m["init"].isin(rule["symmetric_inits"])], f"symmetric inits {rule['symmetric_inits']}")
    lay = select(data.layers, exp, init=rule["symmetric_inits"])
    ceiling, rank = _below_linear(sym, lay, rule)
    fin = final(sym)
    width_test, spread = _width_spread(fin, rule)
    beats, rnd = _random_beats_linear(m, rule)
    note, details = _l05_story(data, sym, fin, rnd, spread, rule)
    details["retired rule on this study's data: final accuracy spread across widths"] = width_test.summary()
    linear = measure_rows("best linear accuracy (training split)", data.linear.set_index("dataset")["best_linear"], cell=str)
    return Outcome([ceiling, rank, *_twin_checks(sym, rule), beats], n_runs(m), note, details, linear)


def _beats_linear(data: Data, rule: dict) -> tuple[Check, pd.DataFrame]:
    """L06 (2): per seed, the final train accuracy of the random-init nets minus the best linear one (worst width)."""
    m = select(data.metrics, rule["experiment"], init=rule["init"], scale=rule["scale"], dataset=rule["dataset"],
               activation=rule["activations"])  # fmt: skip
    fin = final(m[m["width"] >= rule["min_width"]])
    name = "accuracy well above the best linear classifier"
    if fin.empty:
        why = f"no runs on dataset '{rule['dataset']}' with {rule['activations']} of width >= {rule['min_width']}"
        return missing_check(name, "accuracy - best linear", rule["margin"], "above", why), fin
    fin = with_linear(fin, data)
    per_seed = (fin["train_acc"] - fin["best_linear"]).groupby(fin["seed"]).min()
    stat = f"final train accuracy on {rule['dataset']} minus its best linear accuracy (worst width)"
    return seed_check(name, stat, per_seed, rule, rule["margin"], "above"), fin


def evaluate_l06(data: Data, rule: dict) -> Outcome:
    """Random init (randn x 0.01): units differ from iteration 0 on, and the net beats the best linear classifier."""
    exp = rule["experiment"]
    lay = require(select(data.layers, exp, init=rule["init"], scale=rule["scale"]), f"{rule['init']} {rule['scale']} init")
    lay = lay[lay["width"] >= rule["gap_min_width"]]
    gap = exact_check(
        "units differ from iteration 0 on",
        f"smallest {rule['gap_metric']} over every run (width >= {rule['gap_min_width']}) and logged iteration",
        float(lay[rule["gap_metric"]].min()) if len(lay) else math.nan,
        rule["tolerance"],
        "above",
        n_runs(lay),
        rule["min_runs"],
    )
    acc, fin = _beats_linear(data, rule)
    details = {"smallest gap at iteration 0": float(at_init(lay)[rule["gap_metric"]].min()) if len(lay) else None}
    note = f"The smallest unit gap is {gap.value:.3g}."
    if len(fin):
        bl = float(fin["best_linear"].iloc[0])
        details["best linear accuracy"] = bl
        details["median final accuracy by width"] = {
            str(w): float(v) for w, v in fin.groupby("width")["train_acc"].median().items()
        }
        note = (
            f"On {rule['dataset']} the random-init nets reach a median {fin['train_acc'].median():.3f} against "
            f"{bl:.3f} for the best linear classifier; the smallest unit gap is {gap.value:.3g}."
        )
    return Outcome([acc, gap], n_runs(fin) + n_runs(lay), note, details)
