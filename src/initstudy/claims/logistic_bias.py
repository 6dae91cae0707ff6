"""Equivalence of two starts, paired by seed and judged per cell: logistic regression from zeros vs random (L01),
and zero vs random biases under random weights (L07).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import paired_cells
from .frames import (
    LN2,
    Data,
    at_init,
    final,
    fmt_scale,
    n_runs,
    require,
    select,
)
from .kernel import Insufficient, Outcome, exact_check, num, summary_rows, worst_of


L07_CHECK = "b = 0 and b random give equivalent accuracy"


def _l01_story(fin: pd.DataFrame, end: pd.Series, drop: pd.Series, cells: dict) -> tuple[dict, str]:
    """L01's details and note: zero init's final loss and its fall from ln 2, the farthest cell from random init."""
    details = {
        "ln 2": LN2,
        "final loss, zero init": {k: round(float(v), 6) for k, v in end.items()},
        "loss fall from ln 2, zero init": {k: round(float(v), 6) for k, v in drop.items()},
        "largest |mean difference| by dataset": {k: num(max(abs(t.ci_low), abs(t.ci_high))) for k, t in cells.items()},
        "diverged runs": int(fin["diverged"].sum()),
    }
    worst = max(cells.items(), key=lambda kv: abs(kv[1].value) if np.isfinite(kv[1].value) else -1)
    note = (
        f"Zero init's final loss is within {abs(worst[1].value):.2g} of random init's on average "
        f"in the farthest cell ({worst[0]}); "
        f"its loss falls from ln 2 by {drop.min():.3g} to {drop.max():.3g} nats over the datasets."
    )
    return details, note


def evaluate_l01(data: Data, rule: dict) -> Outcome:
    """Logistic regression: zero init ends at the loss of random init (equivalence per dataset), and learns."""
    m = require(select(data.metrics, rule["experiment"], depth=0), "logistic regression")
    fin = final(m)
    ref = require(fin[fin["init"] == rule["reference_init"]], f"init {rule['reference_init']}")
    other = require(fin[fin["init"].isin(rule["compare_inits"])], f"inits {rule['compare_inits']}")
    metric = rule["metric"]
    keys = ["dataset", "lr"]
    pairs = other.merge(ref[[*keys, metric]], on=keys, suffixes=("", "_ref"))
    pairs["d"] = pairs[f"{metric}_ref"] - pairs[metric]
    cells = paired_cells(pairs, ["dataset", "init", "scale", "lr"], "d", lambda k: f"{k[0]}, {k[1]} {fmt_scale(k[2])}",
                         "final loss of zero init minus random init",
                         f"final {metric} (zero init) - final {metric} (random init), per seed", rule, rule["margin"],
                         "within")  # fmt: skip
    equiv = worst_of(cells)
    start = at_init(m[m["init"] == rule["reference_init"]]).set_index("dataset")[metric]
    end = ref.set_index("dataset")[metric]
    drop = (start - end).reindex(end.index)
    learns = exact_check(
        "zero init learns: its loss falls on every dataset",
        f"smallest fall of the {metric} from iteration 0 (zero init)",
        float(drop.min()),
        0.0,
        "above",
        len(drop),
    )
    details, note = _l01_story(fin, end, drop, cells)
    return Outcome([equiv, learns], n_runs(fin), note, details)


def evaluate_l07(data: Data, rule: dict) -> Outcome:
    """b = 0 vs b random (W random): final accuracy equivalent within a margin, paired by seed, per cell."""
    exp = rule["experiment"]
    fin = final(require(select(data.metrics, exp, init=rule["init"]), exp))
    zero = require(fin[fin["bias_init"] == rule["zero_bias"]], "zero biases")
    rnd = require(fin[fin["bias_init"] == rule["random_bias"]], f"{rule['random_bias']} biases")
    keys = ["dataset", "activation", "width", "depth", "init", "scale", "lr", "seed"]
    metric = rule["metric"]
    pairs = rnd.merge(zero[[*keys, metric]], on=keys, suffixes=("", "_zero"))
    if pairs.empty:
        raise Insufficient("no seed has both a zero-bias and a random-bias run")
    pairs["d"] = pairs[f"{metric}_zero"] - pairs[metric]
    cells = paired_cells(
        pairs,
        ["dataset", "activation", "bias_scale"],
        "d",
        lambda k: f"{k[0]}, {k[1]}, b std {fmt_scale(k[2])}",
        L07_CHECK,
        f"final {metric} (b = 0) - final {metric} (b random), paired by seed",
        rule,
        rule["margin"],
        "within",
    )
    test = worst_of(cells)
    details = {
        "mean difference by cell": {k: t.summary() for k, t in cells.items()},
        f"median final {metric}, b = 0": float(zero[metric].median()),
        f"median final {metric}, b random": float(rnd[metric].median()),
    }
    means = {k: t.value for k, t in cells.items()}
    note = (
        f"Mean paired difference (b = 0 minus b random) in final {metric}: "
        + ", ".join(f"{k}: {v:+.3f}" for k, v in means.items())
        + f"; margin +-{rule['margin']:g}."
    )
    # the figure (bias_init) draws each cell's statistic and interval beside the per-seed differences
    return Outcome([test], n_runs(pairs) + n_runs(zero), note, details, summary_rows(L07_CHECK, cells))
