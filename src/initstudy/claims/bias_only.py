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
from .kernel import Insufficient, Outcome, combine, missing_check, seed_check, worst_of
from .measures import (
    first_at,
)


def evaluate_b02(data: Data, rule: dict) -> Outcome:
    """W = 0 with random biases: does W1 reach full rank, and does the net end as well as from the lecture's init?"""
    exp = rule["experiment"]
    acts, n_inputs = rule["activations"], rule["n_inputs"]
    lay = select(data.layers, exp, layer=1, activation=acts)
    lay = lay[lay["width"] >= rule["min_width"]]
    zw = require(lay[(lay["init"] == rule["init"]) & (lay["bias_init"] == rule["bias_init"])], "W = 0 with random biases")
    tol = rule["tolerance"]
    full = np.minimum(zw["width"], n_inputs)
    t_gap = first_at(zw, zw["gap_w"] > tol)
    t_rank = first_at(zw, zw["rank_w"] >= full)
    end = final(zw).set_index(RUN)
    reached = (end["rank_w"] >= np.minimum(end.index.get_level_values("width"), n_inputs)).astype(np.float64)
    rank_cells = {}
    for act in acts:
        r = reached[reached.index.get_level_values("activation") == act]
        if len(r) == 0:
            continue
        rank_cells[act] = seed_check(
            f"{act}: W1 reaches full rank",
            f"share of runs whose W1 has rank {n_inputs} at the last iteration (per seed, over bias scales)",
            r.groupby(level="seed").mean(),
            rule,
            rule["min_share"],
            "at_least",
        )
    if not rank_cells:
        raise Insufficient(f"no W = 0 runs with activations {acts}")

    metric = rule["metric"]
    fin = final(select(data.metrics, exp, activation=acts))
    zero_m = fin[(fin["init"] == rule["init"]) & (fin["bias_init"] == rule["bias_init"])]
    rnd = fin[(fin["init"] == rule["reference_init"]) & scale_mask(fin["scale"], [rule["reference_scale"]])]
    ref_m = rnd[rnd["bias_init"] == rule["reference_bias"]]
    keys = ["dataset", "activation", "width", "depth", "seed", "lr"]
    pairs = zero_m.merge(ref_m[[*keys, metric]], on=keys, suffixes=("", "_ref"))
    ref_name = f"W {rule['reference_init']} {fmt_scale(rule['reference_scale'])}, b {rule['reference_bias']}"
    acc_cells = paired_cells(
        pairs.assign(d=pairs[metric] - pairs[f"{metric}_ref"]),
        ["activation", "bias_scale"],
        "d",
        lambda k: f"{k[0]}, b std {fmt_scale(k[1])}",
        "ends as well as the lecture's init",
        f"final {metric} (W = 0, random b) minus final {metric} ({ref_name}), paired by seed",
        rule,
        -rule["margin"],
        "above",
    )
    by_act: dict[str, list] = {}  # the answer differs by activation: each gets its own checks
    for act, t in rank_cells.items():
        cells = {k: c for k, c in acc_cells.items() if k.startswith(f"{act},")}
        t_acc = (
            worst_of(cells)
            if cells
            else missing_check(f"{act}: ends as well", metric, -rule["margin"], "above", f"no {ref_name} runs to compare with")
        )
        t_acc.name = f"{act}: ends as well as the lecture's init" + t_acc.name[len("ends as well as the lecture's init"):]
        by_act[act] = [t, t_acc]
    cell = ["activation", "bias_scale"]
    times = pd.DataFrame({"t_gap": t_gap, "t_rank": t_rank}).reset_index()
    tt = times.groupby(cell).agg(
        t_gap=("t_gap", "median"), t_rank=("t_rank", "median"), never=("t_rank", lambda s: float(np.isinf(s).mean()))
    )
    sat0 = at_init(zw).groupby("activation")["saturation"].median()
    sat1 = final(zw).groupby("activation")["saturation"].median()
    med = pairs.groupby(cell).agg(zero=(metric, "median"), ref=(f"{metric}_ref", "median")) if len(pairs) else pd.DataFrame()
    same_b = rnd[rnd["bias_init"] == rule["bias_init"]].groupby(cell)[metric].median()
    details: dict = {
        "median first iteration with gap_w > 0": {f"{a}, b std {fmt_scale(s)}": r["t_gap"] for (a, s), r in tt.iterrows()},
        f"median first iteration with rank_w = {n_inputs}": {
            f"{a}, b std {fmt_scale(s)}": r["t_rank"] for (a, s), r in tt.iterrows()
        },
        f"share of runs never reaching rank {n_inputs}": {
            f"{a}, b std {fmt_scale(s)}": r["never"] for (a, s), r in tt.iterrows()
        },
        "median saturated or inactive share of hidden units at init": {a: float(v) for a, v in sat0.items()},
        "median saturated or inactive share at the last iteration": {a: float(v) for a, v in sat1.items()},
    }
    if len(med):
        details[f"median final {metric}: W = 0 vs {ref_name}"] = {
            f"{a}, b std {fmt_scale(s)}": {"W = 0": r.zero, ref_name: r.ref} for (a, s), r in med.iterrows()
        }
    if len(same_b):
        details[f"median final {metric}: random W with the same random biases"] = {
            f"{a}, b std {fmt_scale(s)}": float(v) for (a, s), v in same_b.items()
        }
    parts = []
    for act in acts:
        g = times[times["activation"] == act]
        if g.empty:
            continue
        share = float(np.isfinite(g["t_rank"]).mean())
        reach = (
            f"at iteration {iter_text(g['t_rank'].median())} (median) in {share:.0%} of runs"
            if share >= 0.5
            else f"in only {share:.0%} of runs"
        )
        text = f"{act}: gap_w leaves 0 at iteration {iter_text(g['t_gap'].median())} (median), W1 reaches rank {n_inputs} {reach}"
        if act in sat0.index and sat0[act] > 0:
            text += f"; a median {sat0[act]:.0%} of its units start saturated or inactive ({sat1[act]:.0%} at the end)"
        if len(med) and act in med.index.get_level_values(0):
            mm = med.loc[act]
            text += (
                f"; median final {metric} {float(mm['zero'].min()):.3f}-{float(mm['zero'].max()):.3f} against "
                f"{float(mm['ref'].iloc[0]):.3f} from the lecture's init"
            )
        parts.append(text)
    note = (
        "; ".join(parts) + ". Mechanism: with W1 = 0 and W2 = 0 the first update moves only the output layer (dW1 is "
        "proportional to W2 = 0; dW2 is g(b1) times the mean output error, so W2's entries differ through b1); the "
        "next update gives dW1 rows W2_i g'(b1_i) times one common vector (rank 1); rank 2 needs the per-unit factors "
        "g'(z) to vary with x differently for each unit. A positively homogeneous unit (relu) never gets there: a unit "
        "with b < 0 has z = b < 0 for every input and never receives a gradient, and the live units stay positive "
        "multiples of one another, all parameters scaled by their bias, so W1 keeps rank 1 in exact arithmetic (a "
        "rank of 2, if logged, is round-off at the rank tolerance). On balanced classes the random output bias b2 is "
        "what starts it: with b2 = 0 the mean output error is 0 and W = 0 is a stationary point."
    )
    verdicts = {a: combine(ts) for a, ts in by_act.items()}
    details["verdict by activation"] = verdicts
    note = "By activation: " + ", ".join(f"{a} {v}" for a, v in verdicts.items()) + ". " + note
    checks = [t for a in sorted(by_act, key=lambda a: verdicts[a] != "fails") for t in by_act[a]]
    return Outcome(checks, n_runs(zw) + n_runs(ref_m), note, details)
