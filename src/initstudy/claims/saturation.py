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
    one_lr,
    present_scales,
    require,
    scale_mask,
    select,
)
from .kernel import Check, Insufficient, Outcome, exact_check, missing_check, num, seed_check, summary_rows, table_rows
from .measures import (
    best_lrs,
    choose_lr_by_time,
    cross_50,
    fixed_lrs,
    median_times,
    slowdown,
    slower_from,
    time_rows,
    time_to_target,
)

TIME_BEST = "iterations to the target accuracy, each scale at its best lr"
TIME_FIXED = "iterations to the target accuracy at the fixed lr"
"""Measure rows of L09 and L10 (cell: activation, x: scale, one per run; ``<name>: lr`` the lrs): the figures'."""


def _l08_story(lay: pd.DataFrame, med: pd.Series, sat: str) -> tuple[dict, str]:
    """L08's details and note: median saturation, mean g'(z) and gradient norm at init by scale; where it crosses 50%."""
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
    return details, "Median saturation crosses 50% at scale " + ", ".join(f"{v} ({a})" for a, v in cross.items()) + "."


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
    acts = ", ".join(rule["activations"])
    t_large = seed_check(f"units saturated at scales {', '.join(map(fmt_scale, large))}",
                         f"smallest {sat} at iteration 0 over {acts} and those scales", big, rule, rule["large_min"],
                         "at_least")  # fmt: skip
    t_small = seed_check(f"units not saturated at scales {', '.join(map(fmt_scale, small))}",
                         f"largest {sat} at iteration 0 over {acts} and those scales", tiny, rule, rule["small_max"],
                         "at_most")  # fmt: skip
    med = lay.groupby(["activation", "scale"])[sat].median()
    drops = [float(g.droplevel(0).sort_index().diff().min()) for _, g in med.groupby(level=0) if len(g) > 1]
    mono = exact_check("saturation rises with scale", f"largest fall of the median {sat} from one scale to the next",
                       max(0.0, -min([*drops, 0.0])), rule["monotone_tolerance"], "at_most", n_runs(lay))  # fmt: skip
    details, note = _l08_story(lay, med, sat)
    return Outcome([t_large, t_small, mono], n_runs(lay), note, details)


def _slowdown_parts(data: Data, rule: dict, activations: list[str]):
    exp = rule["experiment"]
    m = require(select(data.metrics, exp, init=rule["init"], depth=1), exp)
    ref = rule["reference_scale"]
    present_scales(m, [ref], "used as reference")
    large = present_scales(m, rule["large_scales"], "called large")
    tt = time_to_target(m, rule["target_accuracy"])
    return m, tt, ref, large


ORDER_SCORE = "order score (1 later, 0.5 same logged iteration, 0 earlier; neither reaching it is left out)"


def _later_check(name: str, tt: pd.DataFrame, ref: float, large: list, lrs: pd.DataFrame, rule: dict) -> Check:
    """L09's check kind: the per-seed order score of the large scales against the reference, at the given lrs."""
    return seed_check(name, ORDER_SCORE, slowdown(tt, rule["activations"], ref, large, lrs), rule, rule["threshold"], "above")


def _later_at_fixed_lr(name: str, tt: pd.DataFrame, ref: float, large: list, rule: dict):
    """:func:`_later_check` at the rule's fixed lr, and those lrs (None, and a missing check, if the grid lacks it)."""
    try:
        fixed = fixed_lrs(tt, rule["fixed_lr"])
    except Insufficient as exc:
        return missing_check(name, ORDER_SCORE, rule["threshold"], "above", str(exc)), None
    return _later_check(name, tt, ref, large, fixed, rule), fixed


def _l09_story(m: pd.DataFrame, tt: pd.DataFrame, best, fixed, ref: float, rule: dict) -> tuple[dict, str]:
    """L09's details and note: median iterations to the target by scale, and from which scale on they are longer."""
    target, lr = rule["target_accuracy"], rule["fixed_lr"]
    times_fixed, times_best = median_times(tt, fixed) if fixed is not None else {}, median_times(tt, best)
    details = {
        f"median iterations to {target:g}, lr {lr:g}": times_fixed,
        f"median iterations to {target:g}, best lr": times_best,
        "best lr": {f"{r.activation}, {fmt_scale(r.scale)}": r.lr for r in best.itertuples()},
        "diverged runs": int(final(m[m["activation"].isin(rule["activations"])])["diverged"].sum()),
    }
    parts = []
    for act in (a for a in rule["activations"] if a in times_best):
        f = slower_from(times_fixed.get(act, {}), ref) if times_fixed else "n/a"
        parts.append(f"{act}: from scale {f} at lr {lr:g}, from {slower_from(times_best[act], ref)} at the best lr")
        tref = times_best[act].get(fmt_scale(ref))
        slow = [s for s in times_best[act] if float(s) < ref and (times_best[act][s] or math.inf) > (tref or math.inf)]
        if slow:
            parts.append(f"{act} is also slower at the smaller scale(s) {', '.join(slow)}")
    return details, f"Median time to {target:g} train accuracy is longer than at {fmt_scale(ref)}: " + "; ".join(parts) + "."


def evaluate_l09(data: Data, rule: dict) -> Outcome:
    """tanh/sigmoid: nets at large scales reach the target accuracy later than at the reference scale (fixed and best lr)."""
    m, tt, ref, large = _slowdown_parts(data, rule, rule["activations"])
    tt = require(tt[tt["activation"].isin(rule["activations"])], f"activations {rule['activations']}")
    best = choose_lr_by_time(tt)
    scales = ", ".join(map(fmt_scale, large))
    name = f"later to {rule['target_accuracy']:g} train accuracy at scales {scales} than at {fmt_scale(ref)}"
    t_best = _later_check(name + " (each scale at its best lr)", tt, ref, large, best, rule)
    t_fixed, fixed = _later_at_fixed_lr(name + f" (lr {rule['fixed_lr']:g})", tt, ref, large, rule)
    details, note = _l09_story(m, tt, best, fixed, ref, rule)
    note += _width_nuance_l09(data, rule, details)
    rows = [time_rows(tt, best, TIME_BEST), *([time_rows(tt, fixed, TIME_FIXED)] if fixed is not None else [])]
    fin = final(m[m["activation"].isin(rule["activations"])])
    return Outcome([t_best, t_fixed], n_runs(fin), note, details, pd.concat(rows, ignore_index=True))


def _width_nuance_l09(data: Data, rule: dict, details: dict) -> str:
    """The slow-down at a larger width (rule ``width_experiment``), each scale at its best lr: a nuance, not a check."""
    exp = rule.get("width_experiment")
    if not exp or not (data.metrics["experiment"] == exp).any():
        return ""
    try:
        m, tt, ref, large = _slowdown_parts(data, {**rule, "experiment": exp}, rule["activations"])
    except Insufficient:
        return ""
    tt = tt[tt["activation"].isin(rule["activations"])]
    times = median_times(tt, choose_lr_by_time(tt))
    width = ", ".join(map(str, sorted(m["width"].unique())))
    details[f"median iterations to {rule['target_accuracy']:g}, best lr, width {width} ('{exp}')"] = times

    def t(v) -> str:
        return "never" if v is None else f"{v:.0f}"

    parts = [
        f"{a}: {t(ts.get(fmt_scale(ref)))} at {fmt_scale(ref)}, "
        + ", ".join(f"{t(ts.get(fmt_scale(s)))} at {fmt_scale(s)}" for s in large)
        for a, ts in times.items()
    ]
    return (
        f" The slow-down fades with width: at width {width} ('{exp}', {m['iterations'].max()} iterations), each scale at "
        f"its best lr, the median iterations to {rule['target_accuracy']:g} are " + "; ".join(parts) + "."
    )


def _score_text(scores: pd.Series) -> str:
    return (
        f"{scores.mean():.2f} ({len(scores)} seeds)" if len(scores) else "undefined (no seed reached the target at either scale)"
    )


L10_SCORE = "slow-down score at large scales (each scale at its best lr)"
L10_ACTIVE = "active (relu) or unsaturated share of hidden units at init"
L10_CHECKS = ("slow-down score difference", "active share drop")  # the two checks' statistic and interval, as rows


def _score_rows(scores: pd.Series, label: str) -> pd.DataFrame:
    return table_rows(L10_SCORE, pd.DataFrame({"seed": scores.index, "s": scores.to_numpy(), "a": label}), "s", "a", seed="seed")


def _active_share(layers: pd.DataFrame, rule: dict, activations: list[str]) -> pd.DataFrame:
    """Layer-1 rows at init (one lr) of ``activations`` with the rule's biases, and their ``active`` share (1 - saturation)."""
    lay = one_lr(at_init(select(layers, rule["active_experiment"], init=rule["init"], activation=activations, layer=1)))
    lay = lay[lay["bias_init"] == rule["bias_init"]]
    return lay.assign(active=1.0 - lay["saturation"])


def _flat_check(lay: pd.DataFrame, rule: dict) -> tuple[Check, pd.Series, pd.Series]:
    """L10 (2): relu's active share at init at the reference scale minus its smallest at the large scales, per seed;
    also the per-seed drops and the median share by scale."""
    act, ref = rule["activation"], rule["reference_scale"]
    large = present_scales(lay, rule["large_scales"], "called large")
    present_scales(lay, [ref], "used as reference")
    active = lay.pivot_table(index="seed", columns="scale", values="active")
    ref_col = active.columns[np.isclose(active.columns.to_numpy(dtype=np.float64), ref, rtol=1e-9)][0]
    drop = active[ref_col] - active[[c for c in active.columns if np.isclose(float(c), large, rtol=1e-9).any()]].min(axis=1)
    return seed_check(
        f"{act}'s active share at init does not fall at large scales ({rule['bias_init']} biases)",
        f"active share at scale {fmt_scale(ref)} minus the smallest at {', '.join(map(fmt_scale, large))} (iteration 0)",
        drop, rule, rule["flat_margin"], "below",
    ), drop, active.median()  # fmt: skip


def _l10_story(share, others, times, own, cmp_scores, drop, width, rule: dict) -> tuple[dict, str]:
    """L10's details and note: the active shares at init by scale, the times to target and the two scores."""
    act, cmp = rule["activation"], ", ".join(rule["compare_activations"])
    unsat = others.groupby(["activation", "scale"])["active"].median()
    details = {
        f"median active share at init by scale ({act}, {rule['bias_init']} biases)": {
            fmt_scale(s): float(v) for s, v in share.items()
        },
        "median unsaturated share at init by scale (others)": {
            a: {fmt_scale(s): float(v) for s, v in g.droplevel(0).items()} for a, g in unsat.groupby(level=0)
        },
        f"median iterations to {rule['target_accuracy']:g}, best lr": times,
        f"mean order score, {act}": num(own.mean()) if len(own) else None,
        f"mean order score, {cmp}": num(cmp_scores.mean()) if len(cmp_scores) else None,
    }
    fall = {a: float(g.iloc[0] - g.iloc[-1]) for a, g in unsat.groupby(level=0)}
    note = (
        f"At width {', '.join(map(str, width))}, {act}'s mean slow-down score is {_score_text(own)} against "
        f"{_score_text(cmp_scores)} for {cmp} (1: always later at large scales, 0.5: no difference). With "
        f"{rule['bias_init']} biases its active share at init moves by a mean {drop.mean():+.3f} from scale "
        f"{fmt_scale(rule['reference_scale'])} to the large scales, while the unsaturated share of "
        + ", ".join(f"{a} falls by {v:.2f}" for a, v in fall.items()) + " over the sweep."
    )  # fmt: skip
    return details, note


def evaluate_l10(data: Data, rule: dict) -> Outcome:
    """relu slows down less than tanh/sigmoid at large scales (at a width where relu learns the task, each scale at its
    best lr); and, with nonzero biases so that it can change, relu's active share at init does not fall at large scales."""
    act, cmp = rule["activation"], rule["compare_activations"]
    what = f"{act} with {rule['bias_init']} biases in {rule['active_experiment']}"
    lay = require(_active_share(data.layers, rule, [act]), what)
    t_flat, drop, share = _flat_check(lay, rule)
    m, tt, ref, large = _slowdown_parts(data, {**rule, "experiment": rule["slowdown_experiment"]}, [act, *cmp])
    best = choose_lr_by_time(tt)
    cmp_scores, own = slowdown(tt, cmp, ref, large, best), slowdown(tt, [act], ref, large, best)
    width = sorted(m["width"].unique())
    t_cmp = seed_check(
        f"{act} slows down less than {', '.join(cmp)} at large scales (width {', '.join(map(str, width))})",
        f"order score of {', '.join(cmp)} minus that of {act} (L09's score, each scale at its best lr)",
        (cmp_scores - own).dropna(), rule, 0.0, "above",
    )  # fmt: skip
    others = _active_share(data.layers, rule, cmp)
    details, note = _l10_story(share, others, median_times(tt, best), own, cmp_scores, drop, width, rule)
    rows = pd.concat([
        time_rows(tt, best, TIME_BEST),
        _score_rows(own, act), _score_rows(cmp_scores, ", ".join(cmp)),
        table_rows(L10_ACTIVE, pd.concat([lay, others]), "active", cell="activation", x="scale", seed="seed"),
        summary_rows(L10_CHECKS[0], {"": t_cmp}), summary_rows(L10_CHECKS[1], {"": t_flat}),
    ], ignore_index=True)  # fmt: skip
    return Outcome([t_cmp, t_flat], n_runs(final(m)) + n_runs(lay), note, details, rows)


def _scale_gap(df: pd.DataFrame, col: str, large: list, moderate: list) -> pd.Series:
    """Per seed: the mean of ``col`` over the large scales minus over the moderate ones."""
    hi = df[scale_mask(df["scale"], large)].groupby("seed")[col].mean()
    lo = df[scale_mask(df["scale"], moderate)].groupby("seed")[col].mean()
    return hi - lo


def _worse_check(name: str, fin: pd.DataFrame, sc: str, large: list, moderate: list, rule: dict) -> Check:
    """L11's accuracy check kind: the mean final metric at moderate scales minus at large ones, per seed."""
    metric = rule["metric"]
    drop = -_scale_gap(fin, metric, large, moderate)
    return seed_check(name, f"mean final {metric}, {sc} (moderate minus large)", drop, rule, rule["quality_drop"], "above")


def _l11_story(init: pd.DataFrame, fin: pd.DataFrame, fin_best: pd.DataFrame, best: pd.DataFrame, rule: dict):
    """L11's details and note: output saturation and loss at init by scale, final accuracy at the best lr."""
    metric = rule["metric"]
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
        f"With {rule['activation']} hidden units the output starts saturated on a median {by_scale['sat'].iloc[-1]:.0%} of "
        f"points at scale {fmt_scale(by_scale.index[-1])} (initial loss {by_scale['loss'].iloc[-1]:.3g}); "
        f"best-lr median final {metric} by scale: " + ", ".join(f"{fmt_scale(s)}: {v:.3f}" for s, v in acc.items()) + "."
    )
    return details, note


def evaluate_l11(data: Data, rule: dict) -> Outcome:
    """relu hidden + sigmoid output: output saturation and initial loss grow with scale; final accuracy worse at large scales."""
    exp, act = rule["experiment"], rule["activation"]
    m = require(select(data.metrics, exp, init=rule["init"], activation=act, depth=1), f"{act} in {exp}")
    moderate = present_scales(m, rule["moderate_scales"], "called moderate")
    large = present_scales(m, rule["large_scales"], "called large")
    init = one_lr(at_init(m))
    sc = "scales " + ", ".join(map(fmt_scale, large)) + " vs " + ", ".join(map(fmt_scale, moderate))
    t_sat = seed_check("output saturated at init at large scales", f"mean out_saturation at iteration 0, {sc}",
                       _scale_gap(init, "out_saturation", large, moderate), rule, rule["saturation_rise"], "above")  # fmt: skip
    t_loss = seed_check("larger initial loss at large scales", f"mean loss at iteration 0, {sc}",
                        _scale_gap(init, "loss", large, moderate), rule, rule["loss_rise"], "above")  # fmt: skip
    fin = final(m)
    best = best_lrs(fin, ["scale"])
    fin_best = fin.merge(best, on=["scale", "lr"])
    t_best = _worse_check("worse final accuracy at large scales (each scale at its best lr)", fin_best, sc, large, moderate, rule)
    name = f"worse final accuracy at large scales (lr {rule['fixed_lr']:g})"
    try:
        fixed = fixed_lrs(fin, rule["fixed_lr"])[["scale", "lr"]].drop_duplicates()
        t_fixed = _worse_check(name, fin.merge(fixed, on=["scale", "lr"]), sc, large, moderate, rule)
    except Insufficient as exc:
        t_fixed = missing_check(name, rule["metric"], rule["quality_drop"], "above", str(exc))
    details, note = _l11_story(init, fin, fin_best, best, rule)
    note += _width_nuance_l11(data, rule, details)
    return Outcome([t_best, t_fixed, t_sat, t_loss], n_runs(fin), note, details)


def _width_nuance_l11(data: Data, rule: dict, details: dict) -> str:
    """At a larger width (rule ``width_experiment``): the quality lost at large scales, at the best lr and at the fixed
    lr. Where most of it goes away at the best lr, the harm is the step size's more than the init's."""
    exp = rule.get("width_experiment")
    m = select(data.metrics, exp or "", init=rule["init"], activation=rule["activation"], depth=1)
    if m.empty:
        return ""
    fin, metric = final(m), rule["metric"]
    moderate = [s for s in rule["moderate_scales"] if scale_mask(fin["scale"], [s]).any()]
    large = [s for s in rule["large_scales"] if scale_mask(fin["scale"], [s]).any()]
    if not moderate or not large or not scale_mask(fin["lr"], [rule["fixed_lr"]]).any():
        return ""

    def loss_of_quality(df: pd.DataFrame) -> float:
        per = df.groupby("seed").apply(
            lambda g: g.loc[scale_mask(g["scale"], moderate), metric].mean() - g.loc[scale_mask(g["scale"], large), metric].mean()
        )
        return float(per.mean())

    at_best = loss_of_quality(fin.merge(best_lrs(fin, ["scale"]), on=["scale", "lr"]))
    at_fixed = loss_of_quality(fin[scale_mask(fin["lr"], [rule["fixed_lr"]])])
    width = ", ".join(map(str, sorted(m["width"].unique())))
    lost = {"best lr": at_best, f"lr {rule['fixed_lr']:g}": at_fixed}
    details[f"mean {metric} lost at large scales, width {width} ('{exp}')"] = lost
    share = 1.0 - at_best / at_fixed if at_fixed > 0 else float("nan")
    return (
        f" At width {width} ('{exp}'), large scales lose a mean {at_fixed:.3f} of final {metric} against moderate ones at "
        f"lr {rule['fixed_lr']:g} but {at_best:.3f} at each scale's best lr"
        + (f": {share:.0%} of the harm is the learning rate's" if np.isfinite(share) else "")
        + "."
    )
