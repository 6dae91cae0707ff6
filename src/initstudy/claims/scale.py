"""Which scale: 0.01 for a shallow net (L12), fan-in-scaled inits for deep ones (L13), and the best scale is
small (L14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import band_drops, in_band
from .frames import (
    Data,
    as_list,
    at_init,
    final,
    fmt_scale,
    n_runs,
    one_lr,
    present_scales,
    require,
    scale_mask,
    select,
)
from .kernel import (
    Check,
    Insufficient,
    Outcome,
    exact_check,
    measure_rows,
    missing_check,
    seed_check,
    table_rows,
    worst_of,
)
from .measures import (
    at_best_lr,
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


L13_CURVE = "final {} at the best lr"
L13_DIVERGED = "diverged at the best lr"
L13_LR = "best lr"
"""L13's measure rows besides its checks (cell: "<activation>, <init>, <scale>", x: depth): each run's final train
and test accuracy and whether it diverged, each (activation, depth, init) at its best lr, and the lrs chosen (seed -1),
what the depth_accuracy figure draws."""


def _gain_cells(fin: pd.DataFrame, rule: dict, depths: list[int]) -> dict:
    """L13 (1): per (activation, deep depth), the paired final-metric gain of the fan-in init over the reference."""
    ref_init, ref_scale, metric = rule["reference_init"], rule["reference_scale"], rule["metric"]
    is_ref = (fin["init"] == ref_init) & scale_mask(fin["scale"], [ref_scale])
    cells = {}
    for act, fan in rule["fan_in_inits"].items():
        for depth in depths:
            cell = (fin["activation"] == act) & (fin["depth"] == depth)
            r = fin[is_ref & cell].set_index("seed")[metric]
            f = fin[(fin["init"] == fan) & cell].set_index("seed")[metric]
            if len(r) and len(f):
                cells[f"{act}, depth {depth}"] = seed_check(
                    "a fan-in-scaled init trains deep nets that 0.01 does not",
                    f"final {metric} of {fan} minus {ref_init} {ref_scale:g}, each at its best lr, paired by seed",
                    f - r,
                    rule,
                    rule["accuracy_gain"],
                    "above",
                )
    return cells


def _signal_ratios(lay0: pd.DataFrame, rule: dict, depths: list[int]) -> pd.DataFrame:
    """Per seed and (activation, deep depth): log10 of the reference over the fan-in init, of the last hidden layer's
    activation std and of the first layer's gradient norm at init, the larger of the two (one column per cell)."""
    ref_init, ref_scale = rule["reference_init"], rule["reference_scale"]
    cols = []
    for act, fan in rule["fan_in_inits"].items():
        for depth in depths:
            cell = lay0[(lay0["activation"] == act) & (lay0["depth"] == depth)]
            ref_l = cell[(cell["init"] == ref_init) & scale_mask(cell["scale"], [ref_scale])]
            fan_l = cell[cell["init"] == fan]
            if len(ref_l) and len(fan_l):
                ratio_a = log10_ratio(ref_l, fan_l, depth, "act_std")  # signal reaching the last hidden layer
                ratio_g = log10_ratio(ref_l, fan_l, 1, "grad_norm_w")  # gradient reaching the first
                cols.append(np.maximum(ratio_a, ratio_g).rename(f"{act}, depth {depth}"))
    return pd.concat(cols, axis=1) if cols else pd.DataFrame()


def _signal_check(sig: pd.DataFrame, rule: dict) -> Check:
    """L13 (2): the signal vanishes with the reference init (its log10 ratio, largest over cells, below a bound)."""
    name, bound = "the signal vanishes with 0.01", rule["signal_log10_ratio"]
    if sig.empty:
        return missing_check(name, "log10 ratio", bound, "below", "no layer rows at init")
    stat = (f"log10 of last-layer activation std and first-layer gradient norm at init, {rule['reference_scale']:g} over "
            "fan-in-scaled (largest)")  # fmt: skip
    return seed_check(name, stat, sig.max(axis=1, skipna=False), rule, bound, "below")


def _l13_rows(fin: pd.DataFrame, lrs: pd.DataFrame) -> pd.DataFrame:
    def cell(d: pd.DataFrame) -> pd.DataFrame:
        return d.assign(c=[f"{a}, {i}, {float(s)!r}" for a, i, s in zip(d["activation"], d["init"], d["scale"])])

    runs = cell(fin).assign(div=lambda d: d["diverged"].astype(np.float64))
    return pd.concat(
        [*(table_rows(L13_CURVE.format(c), runs, c, "c", "depth", "seed") for c in ("train_acc", "test_acc")),
         table_rows(L13_DIVERGED, runs, "div", "c", "depth", "seed"), table_rows(L13_LR, cell(lrs), "lr", "c", "depth")],
        ignore_index=True,
    )  # fmt: skip


def _l13_story(fin: pd.DataFrame, lrs: pd.DataFrame, rule: dict, depths: list[int], sig: pd.DataFrame):
    """L13's details and note: medians at the best lr, where the reference init stalls, the fan-in inits' worst cell."""
    ref_init, ref_scale, metric = rule["reference_init"], rule["reference_scale"], rule["metric"]
    med = fin.groupby(["activation", "init", "depth"])[metric].median()
    details = {
        f"median final {metric} at the best lr": {
            f"{a}, {i}": {str(d): float(v) for d, v in g.droplevel([0, 1]).items()} for (a, i), g in med.groupby(level=[0, 1])
        },
        "best lr": {f"{r.activation}, {r.init}, depth {r.depth}": r.lr for r in lrs.itertuples()},
        "diverged runs at the best lr": int(fin["diverged"].sum()),
    }
    if not sig.empty:
        details["median log10 signal ratio"] = {k: float(v) for k, v in sig.median().items()}
    stalls = []
    for act in rule["fan_in_inits"]:
        r = med.get((act, ref_init))
        if r is not None:
            bad = [int(d) for d, v in r.items() if v < rule["chance_plus"]]
            stalls.append(f"{act}: {'from depth ' + str(min(bad)) if bad else 'at no depth in the grid'}")
    fan_med = [(a, d, float(med.get((a, fan), pd.Series(dtype=float)).get(d, np.nan)))
               for a, fan in rule["fan_in_inits"].items() for d in depths]  # fmt: skip
    worst = min(fan_med, key=lambda t: t[2] if np.isfinite(t[2]) else np.inf)
    pairing = ", ".join(f"{fan} for {act}" for act, fan in rule["fan_in_inits"].items())
    note = (
        f"Each (activation, depth, init) at its best lr of {sorted(set(fin['lr']))}. With {ref_init} {ref_scale:g} the "
        f"median final {metric} is below {rule['chance_plus']:g} (" + "; ".join(stalls) + f"); the fan-in-scaled inits "
        f"({pairing}) reach at least {worst[2]:.3f} (their worst cell: {worst[0]}, depth {worst[1]})."
    )
    return details, note


def evaluate_l13(data: Data, rule: dict) -> Outcome:
    """Deep nets: with 0.01 the signal vanishes and training fails; a fan-in-scaled init keeps the signal and trains.
    Each (activation, depth, init) at its best lr; decided per (activation, depth) cell, the worst cell reported."""
    exp = rule["experiment"]
    lay0 = one_lr(at_init(select(data.layers, exp)))
    m = require(select(data.metrics, exp), exp)
    depths = sorted(d for d in m["depth"].unique() if d >= rule["min_depth"])
    if not depths:
        raise Insufficient(f"no depth >= {rule['min_depth']} in the grid")
    fin, lrs = at_best_lr(final(m), ["activation", "depth", "init", "scale"])
    acc_cells = _gain_cells(fin, rule, depths)
    if not acc_cells:
        raise Insufficient(
            f"no pair of {rule['reference_init']} {rule['reference_scale']:g} and fan-in-scaled runs at depth >= "
            f"{rule['min_depth']}"
        )
    sig = _signal_ratios(lay0, rule, depths)
    details, note = _l13_story(fin, lrs, rule, depths, sig)
    return Outcome([worst_of(acc_cells), _signal_check(sig, rule)], n_runs(fin), note, details, _l13_rows(fin, lrs))


def _band_of(acc: pd.DataFrame, name: str, limit: float, rule: dict) -> tuple[list[str], dict, list[pd.DataFrame]]:
    """L14 for one setting (``acc``: seeds x stds at the best lr): its band, a check per std at or above ``limit``
    that it lies outside the band, and the measure rows (median curve, best std, the band)."""
    metric, margin = rule["metric"], rule["margin"]
    best, drops = band_drops(acc, rule, margin, "std")
    band = in_band(best, drops, margin)
    cells = {f"{name}, std {fmt_scale(c)}": t for c, t in drops.items() if c >= limit * (1 - 1e-9)}
    if best >= limit * (1 - 1e-9):  # the best std itself is large: it is in the band, the claim fails there
        cells[f"{name}, std {fmt_scale(best)}"] = exact_check(
            f"std {fmt_scale(best)} is outside the band", "it is the best std (drop 0)", 0.0, margin, "above", len(acc)
        )
    rows = [measure_rows(f"median final {metric} at the best lr", acc.median(), cell=name, x=float),
            measure_rows("best std", pd.Series({name: best}), cell=str),
            measure_rows("in the band", pd.Series(1.0, index=band), cell=name, x=float)]  # fmt: skip
    return [fmt_scale(c) for c in band], cells, rows


def evaluate_l14(data: Data, rule: dict) -> Outcome:
    """'Relatively small' as a band: per setting (experiment, dataset, activation, width, depth), each std at its best
    lr, the stds within a margin of the best; the large stds must lie outside it (>= large_everywhere in every
    setting, >= large_deep from depth deep_from on)."""
    fin = final(select(data.metrics, as_list(rule["experiment"]), init=rule["init"]))
    if fin.empty:
        raise Insufficient(f"none of the experiments {rule['experiment']} is in the tables")
    setting = ["experiment", "dataset", "activation", "width", "depth"]
    metric, margin = rule["metric"], rule["margin"]
    fb, _ = at_best_lr(fin, [*setting, "scale"])
    cells, bands, curves, skipped = {}, {}, [], []
    for key, g in fb.groupby(setting):
        acc = g.pivot_table(index="seed", columns="scale", values=metric).dropna()
        if acc.shape[1] < rule["min_scales"]:
            skipped.append(", ".join(map(str, key)))
            continue
        name = f"{key[0]}: {key[2]}, width {key[3]}, depth {key[4]}"
        limit = rule["large_deep"] if key[4] >= rule["deep_from"] else rule["large_everywhere"]
        bands[name], large, rows = _band_of(acc, name, limit, rule)
        cells.update(large)
        curves += rows
    if not cells:
        raise Insufficient(
            f"no setting has a std at or above its limit ({rule['large_everywhere']:g} everywhere, {rule['large_deep']:g} "
            f"from depth {rule['deep_from']})" + (f"; skipped: {skipped}" if skipped else "")
        )
    details = {"band by setting (stds within the margin of the best)": bands, "settings without a sweep": skipped}
    note = (
        f"Band of stds within {margin:g} of the best, each at its best lr: "
        + "; ".join(f"{k}: {v[0]} to {v[-1]} ({len(v)} stds)" for k, v in bands.items())
        + f". 'Relatively small' was declared as: stds >= {rule['large_everywhere']:g} outside the band everywhere, "
        f"stds >= {rule['large_deep']:g} outside it from depth {rule['deep_from']} on."
    )
    return Outcome([worst_of(cells)], n_runs(fb), note, details, pd.concat(curves, ignore_index=True) if curves else None)
