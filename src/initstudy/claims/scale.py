"""Which scale: 0.01 for a shallow net (L12), fan-in-scaled inits for deep ones (L13), and the best scale is
small (L14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import share_over_settings
from .frames import (
    Data,
    at_init,
    final,
    fmt_scale,
    n_runs,
    present_scales,
    require,
    scale_mask,
    select,
)
from .kernel import Insufficient, Outcome, measure_rows, missing_check, seed_check
from .measures import (
    best_lrs,
    log10_ratio,
)


def evaluate_l12(data: Data, rule: dict) -> Outcome:
    """tanh, one hidden layer: final accuracy at the reference scale within a margin of the best scale's."""
    exp = rule["experiment"]
    act = rule["activation"]
    m = require(select(data.metrics, exp, init=rule["init"], activation=act, depth=1), f"{act} in {exp}")
    ref = rule["reference_scale"]
    present_scales(m, [ref], "used as reference")
    fin = final(m)
    metric = rule["metric"]
    best = best_lrs(fin, ["scale"])
    fb = fin.merge(best, on=["scale", "lr"])
    med = fb.groupby("scale").agg(acc=(metric, "median"), loss=("test_loss", "median")).reset_index()
    med = med.sort_values(["acc", "loss", "scale"], ascending=[False, True, False], kind="stable")
    top = float(med["scale"].iloc[0])
    a = fb[scale_mask(fb["scale"], [top])].set_index("seed")[metric]
    b = fb[scale_mask(fb["scale"], [ref])].set_index("seed")[metric]
    test = seed_check(
        f"{fmt_scale(ref)} within {rule['margin']:g} of the best scale",
        f"final {metric} at the best scale ({fmt_scale(top)}) minus at {fmt_scale(ref)}, paired by seed (best lr each)",
        (a - b),
        rule,
        rule["margin"],
        "below",
    )
    curve = fb.groupby("scale")[metric].median()
    details = {
        f"median final {metric} by scale (best lr)": {fmt_scale(s): float(v) for s, v in curve.items()},
        "best scale": top,
        "best lr by scale": {fmt_scale(r.scale): r.lr for r in best.itertuples()},
        "diverged runs": int(fin["diverged"].sum()),
    }
    good = [s for s, v in curve.items() if v >= curve.max() - rule["margin"]]
    at_ref = float(curve[np.isclose(curve.index.to_numpy(dtype=np.float64), ref, rtol=1e-9, atol=0)].iloc[0])
    note = (
        f"Best scale {fmt_scale(top)} (median {curve.max():.3f}); {fmt_scale(ref)} reaches a median {at_ref:.3f}. "
        f"Scales within {rule['margin']:g} of the best median: {fmt_scale(min(good))} to {fmt_scale(max(good))}."
    )
    return Outcome([test], n_runs(fin), note, details)


def evaluate_l13(data: Data, rule: dict) -> Outcome:
    """Deep nets: with 0.01 the signal vanishes and training fails; a fan-in-scaled init keeps the signal and trains."""
    exp = rule["experiment"]
    ref_init, ref_scale = rule["reference_init"], rule["reference_scale"]
    lay0 = at_init(select(data.layers, exp))
    m = require(select(data.metrics, exp), exp)
    deep_depths = sorted(d for d in m["depth"].unique() if d >= rule["min_depth"])
    if not deep_depths:
        raise Insufficient(f"no depth >= {rule['min_depth']} in the grid")
    fin = final(m)
    is_ref = (fin["init"] == ref_init) & scale_mask(fin["scale"], [ref_scale])
    rows_sig, rows_acc = [], []
    for act, fan in rule["fan_in_inits"].items():
        for depth in deep_depths:
            r = fin[is_ref & (fin["activation"] == act) & (fin["depth"] == depth)].set_index("seed")[rule["metric"]]
            f = fin[(fin["init"] == fan) & (fin["activation"] == act) & (fin["depth"] == depth)].set_index("seed")[rule["metric"]]
            if len(r) and len(f):
                rows_acc.append((f - r).rename(f"{act}, depth {depth}"))
            lr_ = lay0[(lay0["activation"] == act) & (lay0["depth"] == depth)]
            ref_l = lr_[(lr_["init"] == ref_init) & scale_mask(lr_["scale"], [ref_scale])]
            fan_l = lr_[lr_["init"] == fan]
            if len(ref_l) and len(fan_l):
                ratio_a = log10_ratio(ref_l, fan_l, depth, "act_std")  # signal reaching the last hidden layer
                ratio_g = log10_ratio(ref_l, fan_l, 1, "grad_norm_w")  # gradient reaching the first
                rows_sig.append(np.maximum(ratio_a, ratio_g).rename(f"{act}, depth {depth}"))
    if not rows_acc:
        raise Insufficient(f"no pair of {ref_init} {ref_scale:g} and fan-in-scaled runs at depth >= {rule['min_depth']}")
    acc_cells = pd.concat(rows_acc, axis=1)
    t_acc = seed_check(
        "a fan-in-scaled init trains deep nets that 0.01 does not",
        f"final {rule['metric']} of the fan-in-scaled init minus {ref_init} {ref_scale:g} "
        f"(worst activation and depth >= {rule['min_depth']})",
        acc_cells.min(axis=1, skipna=False),
        rule,
        rule["accuracy_gain"],
        "above",
    )
    if rows_sig:
        sig_cells = pd.concat(rows_sig, axis=1)
        t_sig = seed_check(
            "the signal vanishes with 0.01",
            f"log10 of last-layer activation std and first-layer gradient norm at init, "
            f"{ref_scale:g} over fan-in-scaled (largest)",
            sig_cells.max(axis=1, skipna=False),
            rule,
            rule["signal_log10_ratio"],
            "below",
        )
    else:
        t_sig = missing_check(
            "the signal vanishes with 0.01", "log10 ratio", rule["signal_log10_ratio"], "below", "no layer rows at init"
        )
    med = fin.groupby(["activation", "init", "depth"])[rule["metric"]].median()
    details = {
        f"median final {rule['metric']}": {
            f"{a}, {i}": {str(d): float(v) for d, v in g.droplevel([0, 1]).items()} for (a, i), g in med.groupby(level=[0, 1])
        }
    }
    if rows_sig:
        details["median log10 signal ratio"] = {k: float(v) for k, v in sig_cells.median().items()}
    stalls = []
    for act in rule["fan_in_inits"]:
        r = med.get((act, ref_init))
        if r is not None:
            bad = [int(d) for d, v in r.items() if v < rule["chance_plus"]]
            stalls.append(f"{act}: {'from depth ' + str(min(bad)) if bad else 'at no depth in the grid'}")
    pairing = ", ".join(f"{fan} for {act}" for act, fan in rule["fan_in_inits"].items())
    note = (
        f"With {ref_init} {ref_scale:g} the median final {rule['metric']} is below {rule['chance_plus']:g} ("
        + "; ".join(stalls)
        + f"). Compared with {pairing}."
    )
    return Outcome([t_acc, t_sig], n_runs(fin), note, details)


def evaluate_l14(data: Data, rule: dict) -> Outcome:
    """Per (experiment, dataset, activation, width, depth) with a scale sweep: the best scale is below the limit, usually."""
    exps = rule["experiment"] if isinstance(rule["experiment"], list) else [rule["experiment"]]
    fin = final(select(data.metrics, exps, init=rule["init"]))
    have = [e for e in exps if (fin["experiment"] == e).any()]
    if not have:
        raise Insufficient(f"none of the experiments {exps} is in the tables")
    setting = ["experiment", "dataset", "activation", "width", "depth"]
    metric = rule["metric"]
    lrs = best_lrs(fin, [*setting, "scale"])
    fb = fin.merge(lrs, on=[*setting, "scale", "lr"])
    sweeps, skipped = [], []
    for key, g in fb.groupby(setting):
        scales = np.sort(g["scale"].unique())
        if len(scales) < rule["min_scales"]:
            skipped.append(", ".join(map(str, key)))
            continue
        acc = g.pivot_table(index="seed", columns="scale", values=metric).reindex(columns=scales)
        loss = g.pivot_table(index="seed", columns="scale", values="test_loss").reindex(columns=scales)
        ok = acc.notna().all(axis=1) & loss.notna().all(axis=1)
        sweeps.append((key, scales, acc[ok].to_numpy(), loss[ok].to_numpy()))
    if not sweeps:
        raise Insufficient(
            f"no setting has {rule['min_scales']} or more {rule['init']} scales" + (f" (skipped: {skipped})" if skipped else "")
        )
    limit = rule["scale_limit"]
    test, point = share_over_settings(
        sweeps,
        limit,
        rule,
        f"the best scale is below {limit:g} in most settings",
        f"share of settings whose best scale (highest median final {metric}, each scale at its best lr) is below {limit:g}",
    )
    best = {", ".join(map(str, k)): float(p) for (k, *_), p in zip(sweeps, point, strict=True)}
    details = {
        "best scale by setting": best,
        "settings without a scale sweep": skipped,
        "diverged runs": int(fb["diverged"].sum()),
    }
    note = (
        "Best scale by setting: "
        + "; ".join(f"{k}: {fmt_scale(v)}" for k, v in best.items())
        + "."
        + (f" {len(skipped)} setting(s) without a sweep of {rule['min_scales']}+ scales are left out." if skipped else "")
    )
    curves = [
        measure_rows(
            f"median final {metric} at the best lr",
            pd.Series(np.median(acc, axis=0), index=sc),
            cell=", ".join(map(str, k)),
            x=float,
        )
        for k, sc, acc, _ in sweeps
    ]
    chosen = measure_rows("best scale", pd.Series(best), cell=str)
    return Outcome([test], n_runs(fb), note, details, pd.concat([*curves, chosen], ignore_index=True))
