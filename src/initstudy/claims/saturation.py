"""Scale and saturation in a shallow net: saturated units at init (L08), slow learning (L09), ReLU hidden units
(L10), and a sigmoid output with ReLU hidden units (L11).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

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
from .kernel import Insufficient, Outcome, exact_check, missing_check, num, seed_check
from .measures import (
    best_lrs,
    choose_lr_by_time,
    cross_50,
    fixed_lrs,
    median_times,
    slowdown,
    slower_from,
    time_to_target,
)


def evaluate_l08(data: Data, rule: dict) -> Outcome:
    """At init: tanh/sigmoid saturation near 0 at small scales, near 1 at large ones, rising with scale."""
    exp = rule["experiment"]
    lay = require(at_init(select(data.layers, exp, init=rule["init"], activation=rule["activations"], layer=1)), exp)
    lay = lay[scale_mask(lay["lr"], [lay["lr"].min()])]  # the init does not depend on lr: one lr is enough
    large = present_scales(lay, rule["large_scales"], "called large")
    small = present_scales(lay, rule["small_scales"], "called small")
    sat = rule["metric"]
    big = lay[scale_mask(lay["scale"], large)].groupby("seed")[sat].min()
    tiny = lay[scale_mask(lay["scale"], small)].groupby("seed")[sat].max()
    t_large = seed_check(
        f"units saturated at scales {', '.join(map(fmt_scale, large))}",
        f"smallest {sat} at iteration 0 over {', '.join(rule['activations'])} and those scales",
        big,
        rule,
        rule["large_min"],
        "at_least",
    )
    t_small = seed_check(
        f"units not saturated at scales {', '.join(map(fmt_scale, small))}",
        f"largest {sat} at iteration 0 over {', '.join(rule['activations'])} and those scales",
        tiny,
        rule,
        rule["small_max"],
        "at_most",
    )
    med = lay.groupby(["activation", "scale"])[sat].median()
    drops = [float(g.droplevel(0).sort_index().diff().min()) for _, g in med.groupby(level=0) if len(g) > 1]
    mono = exact_check(
        "saturation rises with scale",
        f"largest fall of the median {sat} from one scale to the next",
        max(0.0, -min([*drops, 0.0])),
        rule["monotone_tolerance"],
        "at_most",
        n_runs(lay),
    )
    table = lay.groupby(["activation", "scale"]).agg(
        sat=(sat, "median"), dg=("mean_dg", "median"), grad=("grad_norm_w", "median")
    )
    details = {
        f"median at iteration 0, {a}": {
            fmt_scale(s): {"saturation": r.sat, "mean g'(z)": r.dg, "grad norm W1": r.grad} for (_, s), r in g.iterrows()
        }
        for a, g in table.groupby(level=0)
    }
    cross = {a: cross_50(g.droplevel(0)) for a, g in med.groupby(level=0)}
    details["scale where saturation crosses 50%"] = cross
    note = "Median saturation crosses 50% at scale " + ", ".join(f"{v} ({a})" for a, v in cross.items()) + "."
    return Outcome([t_large, t_small, mono], n_runs(lay), note, details)


def _slowdown_parts(data: Data, rule: dict, activations: list[str]):
    exp = rule["experiment"]
    m = require(select(data.metrics, exp, init=rule["init"], depth=1), exp)
    ref = rule["reference_scale"]
    present_scales(m, [ref], "used as reference")
    large = present_scales(m, rule["large_scales"], "called large")
    tt = time_to_target(m, rule["target_accuracy"])
    return m, tt, ref, large


def evaluate_l09(data: Data, rule: dict) -> Outcome:
    """tanh/sigmoid: nets at large scales reach the target accuracy later than at the reference scale (fixed and best lr)."""
    m, tt, ref, large = _slowdown_parts(data, rule, rule["activations"])
    tt = tt[tt["activation"].isin(rule["activations"])]
    require(tt, f"activations {rule['activations']}")
    best = choose_lr_by_time(tt)
    scales = ", ".join(map(fmt_scale, large))
    name = f"later to {rule['target_accuracy']:g} train accuracy at scales {scales} than at {fmt_scale(ref)}"
    stat = "order score (1 later, 0.5 same logged iteration, 0 earlier; neither reaching it is left out)"
    t_best = seed_check(
        name + " (each scale at its best lr)",
        stat,
        slowdown(tt, rule["activations"], ref, large, best),
        rule,
        rule["threshold"],
        "above",
    )
    try:
        fixed = fixed_lrs(tt, rule["fixed_lr"])
        t_fixed = seed_check(
            name + f" (lr {rule['fixed_lr']:g})",
            stat,
            slowdown(tt, rule["activations"], ref, large, fixed),
            rule,
            rule["threshold"],
            "above",
        )
        times_fixed = median_times(tt, fixed)
    except Insufficient as exc:
        t_fixed = missing_check(name + f" (lr {rule['fixed_lr']:g})", stat, rule["threshold"], "above", str(exc))
        times_fixed = {}
    times_best = median_times(tt, best)
    details = {
        f"median iterations to {rule['target_accuracy']:g}, lr {rule['fixed_lr']:g}": times_fixed,
        f"median iterations to {rule['target_accuracy']:g}, best lr": times_best,
        "best lr": {f"{r.activation}, {fmt_scale(r.scale)}": r.lr for r in best.itertuples()},
        "diverged runs": int(final(m[m["activation"].isin(rule["activations"])])["diverged"].sum()),
    }
    parts = []
    for act in rule["activations"]:
        if act in times_best:
            f = slower_from(times_fixed.get(act, {}), ref) if times_fixed else "n/a"
            parts.append(
                f"{act}: from scale {f} at lr {rule['fixed_lr']:g}, from {slower_from(times_best[act], ref)} at the best lr"
            )
            small = [s for s in times_best[act] if float(s) < ref]
            if small:
                tref = times_best[act].get(fmt_scale(ref))
                slow = [s for s in small if (times_best[act][s] or math.inf) > (tref or math.inf)]
                if slow:
                    parts.append(f"{act} is also slower at the smaller scale(s) {', '.join(slow)}")
    note = (
        f"Median time to {rule['target_accuracy']:g} train accuracy is longer than at {fmt_scale(ref)}: " + "; ".join(parts) + "."
    )
    return Outcome([t_best, t_fixed], n_runs(final(m[m["activation"].isin(rule["activations"])])), note, details)


def _score_text(scores: pd.Series) -> str:
    return (
        f"{scores.mean():.2f} ({len(scores)} seeds)" if len(scores) else "undefined (no seed reached the target at either scale)"
    )


def evaluate_l10(data: Data, rule: dict) -> Outcome:
    """relu: the active share and mean g'(z) at init do not move with scale, and relu slows down less than tanh/sigmoid."""
    exp = rule["experiment"]
    act = rule["activation"]
    lay = require(at_init(select(data.layers, exp, init=rule["init"], activation=act, layer=1)), f"{act} in {exp}")
    lay = lay[scale_mask(lay["lr"], [lay["lr"].min()])]
    ref = rule["reference_scale"]
    present_scales(lay, [ref], "used as reference")
    active = lay.assign(active=1.0 - lay["saturation"])
    base = active[scale_mask(active["scale"], [ref])].set_index("seed")[["active", "mean_dg"]]
    dev = active.merge(base, left_on="seed", right_index=True, suffixes=("", "_ref"))
    dev["dev"] = np.maximum((dev["active"] - dev["active_ref"]).abs(), (dev["mean_dg"] - dev["mean_dg_ref"]).abs())
    t_flat = seed_check(
        f"{act} active share and mean g'(z) at init do not change with scale",
        f"largest change of the active share or mean g'(z) at iteration 0 from scale {fmt_scale(ref)}",
        dev.groupby("seed")["dev"].max(),
        rule,
        rule["flat_margin"],
        "below",
    )
    m, tt, ref, large = _slowdown_parts(data, rule, [act, *rule["compare_activations"]])
    best = choose_lr_by_time(tt)
    cmp_scores = slowdown(tt, rule["compare_activations"], ref, large, best)
    own = slowdown(tt, [act], ref, large, best)
    diff = (cmp_scores - own).dropna()
    t_cmp = seed_check(
        f"{act} slows down less than {', '.join(rule['compare_activations'])} at large scales",
        f"order score of {', '.join(rule['compare_activations'])} minus that of {act} (L09's score, each scale at its best lr)",
        diff,
        rule,
        0.0,
        "above",
    )
    times = median_times(tt, best)
    details = {
        "median active share at init by scale": {
            fmt_scale(s): float(v) for s, v in active.groupby("scale")["active"].median().items()
        },
        f"median iterations to {rule['target_accuracy']:g}, best lr": times,
        f"mean order score, {act}": num(own.mean()) if len(own) else None,
        f"mean order score, {', '.join(rule['compare_activations'])}": num(cmp_scores.mean()) if len(cmp_scores) else None,
    }
    never = {a: sum(v is None for v in t.values()) for a, t in times.items()}
    others = ", ".join(rule["compare_activations"])
    note = (
        f"{act}'s active share at init moves by at most {dev['dev'].max():.3g} across scales; its mean slow-down score is "
        f"{_score_text(own)} against {_score_text(cmp_scores)} for {others}"
        " (1: always later at large scales, 0.5: no difference). "
        f"Scales whose median run never reached {rule['target_accuracy']:g}: "
        + ", ".join(f"{a} {n}" for a, n in never.items())
        + "."
    )
    return Outcome([t_cmp, t_flat], n_runs(final(m)), note, details)


def evaluate_l11(data: Data, rule: dict) -> Outcome:
    """relu hidden + sigmoid output: output saturation and initial loss grow with scale; final accuracy worse at large scales."""
    exp = rule["experiment"]
    act = rule["activation"]
    m = require(select(data.metrics, exp, init=rule["init"], activation=act, depth=1), f"{act} in {exp}")
    moderate = present_scales(m, rule["moderate_scales"], "called moderate")
    large = present_scales(m, rule["large_scales"], "called large")
    init = at_init(m)
    init = init[scale_mask(init["lr"], [init["lr"].min()])]

    def gap(df: pd.DataFrame, col: str) -> pd.Series:
        hi = df[scale_mask(df["scale"], large)].groupby("seed")[col].mean()
        lo = df[scale_mask(df["scale"], moderate)].groupby("seed")[col].mean()
        return hi - lo

    def gap_down(df: pd.DataFrame, col: str) -> pd.Series:
        return -gap(df, col)

    sc = "scales " + ", ".join(map(fmt_scale, large)) + " vs " + ", ".join(map(fmt_scale, moderate))
    t_sat = seed_check(
        "output saturated at init at large scales",
        f"mean out_saturation at iteration 0, {sc}",
        gap(init, "out_saturation"),
        rule,
        rule["saturation_rise"],
        "above",
    )
    t_loss = seed_check(
        "larger initial loss at large scales",
        f"mean loss at iteration 0, {sc}",
        gap(init, "loss"),
        rule,
        rule["loss_rise"],
        "above",
    )
    fin = final(m)
    metric = rule["metric"]
    best = best_lrs(fin, ["scale"])
    fin_best = fin.merge(best, on=["scale", "lr"])
    t_best = seed_check(
        "worse final accuracy at large scales (each scale at its best lr)",
        f"mean final {metric}, {sc} (moderate minus large)",
        gap_down(fin_best, metric),
        rule,
        rule["quality_drop"],
        "above",
    )
    try:
        fixed = fixed_lrs(fin, rule["fixed_lr"])
        fin_fixed = fin.merge(fixed[["scale", "lr"]].drop_duplicates(), on=["scale", "lr"])
        t_fixed = seed_check(
            f"worse final accuracy at large scales (lr {rule['fixed_lr']:g})",
            f"mean final {metric}, {sc} (moderate minus large)",
            gap_down(fin_fixed, metric),
            rule,
            rule["quality_drop"],
            "above",
        )
    except Insufficient as exc:
        t_fixed = missing_check(
            f"worse final accuracy at large scales (lr {rule['fixed_lr']:g})", metric, rule["quality_drop"], "above", str(exc)
        )
    by_scale = init.groupby("scale").agg(sat=("out_saturation", "median"), loss=("loss", "median"))
    acc = fin_best.groupby("scale")[metric].median()
    details = {
        "median at iteration 0 by scale": {
            fmt_scale(s): {"out_saturation": r.sat, "loss": r.loss} for s, r in by_scale.iterrows()
        },
        f"median final {metric} by scale (best lr)": {fmt_scale(s): float(v) for s, v in acc.items()},
        "best lr by scale": {fmt_scale(r.scale): r.lr for r in best.itertuples()},
        "diverged runs": int(fin["diverged"].sum()),
    }
    note = (
        f"With {act} hidden units the output starts saturated on a median {by_scale['sat'].iloc[-1]:.0%} of points at scale "
        f"{fmt_scale(by_scale.index[-1])} (initial loss {by_scale['loss'].iloc[-1]:.3g}); "
        f"best-lr median final {metric} by scale: " + ", ".join(f"{fmt_scale(s)}: {v:.3f}" for s, v in acc.items()) + "."
    )
    return Outcome([t_best, t_fixed, t_sat, t_loss], n_runs(fin), note, details)
