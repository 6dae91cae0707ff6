"""Deep nets beyond the lecture: the edge of chaos (B03) and init families at the same variance (B04)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import best_choice_near, paired_cells, pick_best
from .frames import (
    Data,
    at_init,
    final,
    fmt_scale,
    n_runs,
    near,
    require,
    select,
)
from .kernel import Insufficient, Outcome, exact_check, missing_check, resamples, seed_check, worst_of
from .measures import (
    signal_reach,
    signal_table,
)


def evaluate_b03(data: Data, rule: dict) -> Outcome:
    """Edge of chaos: the weight std whose signal reaches the most depth, and the one that trains the deepest net best,
    lie within a factor of the mean-field critical value (tanh 1, relu sqrt 2)."""
    init, factor = rule["init"], rule["factor"]
    margin = float(np.log10(factor))
    sig_lay = at_init(select(data.layers, rule["signal_experiment"], init=init))
    fin = final(select(data.metrics, rule["train_experiment"], init=init))
    sig_cells, train_cells, details = {}, {}, {}
    reaches: dict[str, dict] = {}
    best_train: dict[str, tuple[int, float]] = {}
    nr = 0
    for act, critical in rule["critical"].items():
        name_s = f"signal reaches the most depth near sigma_w = {critical:.4g}"
        stat_s = (
            f"log10(best sigma_w / {critical:.4g}); best = most layers before the activation std (from layer 1) or the "
            f"weight-gradient norm (from the last layer) changes by more than {rule['reach_log10']:g} decade(s)"
        )
        try:
            require(sig_lay[sig_lay["activation"] == act], f"{init} {act} runs in {rule['signal_experiment']}")
            scales, seeds, fwd, bwd = signal_table(sig_lay, init, act)
            reach, at = signal_reach(np.median(fwd, axis=0), np.median(bwd, axis=0), rule["reach_log10"])
            best = float(pick_best(reach, at, scales, critical))
            idx = resamples(len(seeds), rule["interval"])
            boot = np.array([])
            if len(idx):
                r_b, a_b = signal_reach(np.median(fwd[idx], axis=1), np.median(bwd[idx], axis=1), rule["reach_log10"])
                boot = np.log10(pick_best(r_b, a_b, scales, critical) / critical)
            sig_cells[act] = best_choice_near(name_s, stat_s, float(np.log10(best / critical)), boot, rule, margin, len(seeds))
            reaches[act] = {fmt_scale(s): int(v) for s, v in zip(scales, reach)}
            details[f"{act}: layers the signal reaches (of {fwd.shape[-1]}), by sigma_w"] = reaches[act]
            details[f"{act}: median log10 change over {fwd.shape[-1]} layers (forward, backward), by sigma_w"] = {
                fmt_scale(s): [float(f), float(b)]
                for s, f, b in zip(scales, np.median(fwd, axis=0)[:, -1], np.median(bwd, axis=0)[:, -1])
            }
            details[f"{act}: best sigma_w for signal"] = best
        except Insufficient as exc:
            sig_cells[act] = missing_check(name_s, stat_s, margin, "within", str(exc))
        name_t = f"the deepest net trains best near sigma_w = {critical:.4g}"
        stat_t = f"log10(best sigma_w / {critical:.4g}); best = highest median final {rule['metric']} at the deepest depth"
        f = fin[fin["activation"] == act]
        if f.empty:
            train_cells[act] = missing_check(name_t, stat_t, margin, "within", f"no trained {init} {act} runs")
            continue
        nr += n_runs(f)
        depth = int(f["depth"].max())
        acc = f[f["depth"] == depth].pivot_table(index="seed", columns="scale", values=rule["metric"]).dropna()
        scales_t = acc.columns.to_numpy(dtype=np.float64)
        med = acc.median().to_numpy()
        table = f.groupby(["depth", "scale"])[rule["metric"]].median()
        details[f"{act}: median final {rule['metric']} by depth and sigma_w"] = {
            str(d): {fmt_scale(s): float(v) for s, v in g.droplevel(0).items()} for d, g in table.groupby(level=0)
        }
        if len(acc) == 0 or med.max() < rule["chance_plus"]:
            train_cells[act] = missing_check(
                name_t,
                stat_t,
                margin,
                "within",
                f"no sigma_w trains {act} at depth {depth} (median below {rule['chance_plus']:g})",
            )
            continue
        best_t = float(pick_best(med, np.zeros_like(med), scales_t, critical))
        v = acc.to_numpy()
        idx = resamples(len(v), rule["interval"])
        boot = np.array([])
        if len(idx):
            mb = np.median(v[idx], axis=1)
            boot = np.log10(pick_best(mb, np.zeros_like(mb), scales_t, critical) / critical)
        train_cells[act] = best_choice_near(
            name_t + f" (depth {depth})", stat_t, float(np.log10(best_t / critical)), boot, rule, margin, len(v)
        )
        details[f"{act}: best sigma_w at depth {depth}"] = best_t
        best_train[act] = (depth, best_t)
    t_sig, t_train = worst_of(sig_cells), worst_of(train_cells)
    nr += n_runs(sig_lay)
    parts = []
    for act, critical in rule["critical"].items():
        bits = []
        if act in reaches:
            r = reaches[act]
            bits.append(
                f"signal reaches the most layers at sigma_w = {fmt_scale(details[f'{act}: best sigma_w for signal'])} "
                "(layers reached by sigma_w: " + ", ".join(f"{k}: {v}" for k, v in r.items()) + ")"
            )
        if act in best_train:
            depth, best_t = best_train[act]
            bits.append(f"the depth-{depth} net trains best at sigma_w = {fmt_scale(best_t)}")
        if bits:
            parts.append(f"{act} (critical {critical:.4g}): " + "; ".join(bits))
    note = (
        "; ".join(parts)
        + ". Mean-field theory puts the edge of chaos of a zero-bias net at sigma_w = 1 (tanh) and sqrt 2 (relu, He); "
        "for tanh the critical point has no finite signal length (the activation std decays like a power of depth "
        "there), so the best finite-depth sigma_w can sit a little above 1."
    )
    return Outcome([t_sig, t_train], nr, note, details)


def _shallow_families(data: Data, rule: dict):
    """B04, shallow: each activation's mean paired difference over the scale sweep, and every (activation, scale) cell."""
    metric, margin = rule["metric"], rule["margin"]
    a_fam, b_fam = rule["shallow_inits"]
    fin = final(select(data.metrics, rule["shallow_experiment"], init=[a_fam, b_fam]))
    keys = ["dataset", "activation", "width", "depth", "scale", "bias_init", "bias_scale", "seed", "lr"]
    pairs = fin[fin["init"] == a_fam].merge(fin[fin["init"] == b_fam][[*keys, metric]], on=keys, suffixes=("", "_b"))
    pairs = pairs.assign(d=pairs[metric] - pairs[f"{metric}_b"])
    stat = f"final {metric} ({a_fam} minus {b_fam}, same std, paired by seed)"
    pooled = {}
    for act, g in pairs.groupby("activation"):
        wide = g.pivot_table(index="seed", columns="scale", values="d").dropna()
        pooled[act] = seed_check(
            f"{a_fam} and {b_fam} equivalent over the scale sweep",
            f"{stat}, each seed's mean over the {wide.shape[1]} scales",
            wide.mean(axis=1),
            rule,
            margin,
            "within",
        )
    cells = paired_cells(
        pairs, ["activation", "scale"], "d", lambda k: (k[0], float(k[1])), "per scale", stat, rule, margin, "within"
    )
    if pooled:
        t_pool = worst_of(pooled)
        n_diff = sum(c.verdict == "fails" for c in cells.values())
        t_scale = exact_check(
            f"no single scale shows {a_fam} and {b_fam} apart",
            f"(activation, scale) cells whose interval lies wholly outside +-{margin:g}",
            n_diff,
            0,
            "at_most",
            len(cells),
        )
    else:
        t_pool = missing_check(
            f"{a_fam} and {b_fam} equivalent over the scale sweep", stat, margin, "within", "no paired shallow runs"
        )
        t_scale = missing_check(f"no single scale shows {a_fam} and {b_fam} apart", stat, 0, "at_most", "no paired shallow runs")
    return t_pool, t_scale, pooled, cells, pairs


def _deep_families(data: Data, rule: dict):
    """B04, deep: signal through depth at init and final accuracy of the deepest net, per activation at its scale."""
    a_deep, b_deep = rule["deep_inits"]
    lay = at_init(select(data.layers, rule["signal_experiment"], init=[a_deep, b_deep]))
    fin_d = final(select(data.metrics, rule["train_experiment"], init=[a_deep, b_deep]))
    sig_cells, acc_cells, details = {}, {}, {}
    for act, s in rule["deep_scales"].items():
        sub = lay[(lay["activation"] == act) & near(lay["scale"], s)]
        if len(sub):
            depth = int(sub["depth"].max())
            sub = sub[sub["depth"] == depth]
            std = sub.pivot_table(index="seed", columns=["init", "layer"], values="act_std")
            ratio = {
                i: np.log10(np.maximum(std[(i, depth)], 1e-300) / np.maximum(std[(i, 1)], 1e-300))
                for i in (a_deep, b_deep)
                if (i, depth) in std
            }
            if len(ratio) == 2:
                sig_cells[act] = seed_check(
                    f"{a_deep} and {b_deep} keep the same signal through {depth} layers",
                    f"log10 of the activation std at layer {depth} over layer 1 at init, {a_deep} minus {b_deep} (scale {s:.4g})",
                    (ratio[a_deep] - ratio[b_deep]),
                    rule,
                    float(np.log10(rule["signal_factor"])),
                    "within",
                )
                details[f"{act}: median log10 std change over {depth} layers at init"] = {
                    i: float(r.median()) for i, r in ratio.items()
                }
                per_layer = sub.groupby(["init", "layer"])["act_std"].median()
                details[f"{act}: median activation std by layer at init"] = {
                    i: {str(k): float(v) for k, v in g.droplevel(0).items()} for i, g in per_layer.groupby(level=0)
                }
        f = fin_d[(fin_d["activation"] == act) & near(fin_d["scale"], s)]
        if len(f):
            depth = int(f["depth"].max())
            acc = f[f["depth"] == depth].pivot_table(index="seed", columns="init", values=rule["deep_metric"])
            if {a_deep, b_deep} <= set(acc.columns):
                acc_cells[act] = seed_check(
                    f"{a_deep} and {b_deep} train the depth-{depth} net equally well",
                    f"final {rule['deep_metric']} at depth {depth}, {a_deep} minus {b_deep} (scale {s:.4g}), paired by seed",
                    acc[a_deep] - acc[b_deep],
                    rule,
                    rule["deep_margin"],
                    "within",
                )
                details[f"{act}: median final {rule['deep_metric']} at depth {depth}"] = {
                    i: float(acc[i].median()) for i in (a_deep, b_deep)
                }
    return sig_cells, acc_cells, details, lay, fin_d


def evaluate_b04(data: Data, rule: dict) -> Outcome:
    """Same variance, different family: Gaussian vs uniform (shallow) and orthogonal vs Gaussian (deep) are equivalent."""
    margin = rule["margin"]
    a_fam, b_fam = rule["shallow_inits"]
    a_deep, b_deep = rule["deep_inits"]
    t_pool, t_scale, pooled, cells, pairs = _shallow_families(data, rule)
    sig_cells, acc_cells, details, lay, fin_d = _deep_families(data, rule)
    t_sig = (
        worst_of(sig_cells)
        if sig_cells
        else missing_check("deep signal", "log10 ratio", float(np.log10(rule["signal_factor"])), "within", "no deep runs at init")
    )
    t_acc = (
        worst_of(acc_cells)
        if acc_cells
        else missing_check("deep accuracy", rule["deep_metric"], rule["deep_margin"], "within", "no trained deep runs")
    )
    if cells:
        details[f"mean paired difference by activation and scale ({a_fam} minus {b_fam})"] = {
            f"{a}, {fmt_scale(s)}": c.summary() for (a, s), c in cells.items()
        }
    counts = pd.Series([c.verdict for c in cells.values()]).value_counts().to_dict() if cells else {}
    shallow = (
        f"Shallow ({a_fam} vs {b_fam}, same std): mean paired difference over the sweep "
        + ", ".join(f"{a} {t.value:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]" for a, t in pooled.items())
        + f" (margin +-{margin:g}); per scale {counts.get('holds', 0)} cell(s) equivalent, "
        f"{counts.get('inconclusive', 0)} undecided, {counts.get('fails', 0)} apart"
        if pooled
        else "No shallow pairs"
    )
    deep = [
        f"{a}: log10 std change {a_deep} minus {b_deep} {t.value:+.2f} [{t.ci_low:+.2f}, {t.ci_high:+.2f}]"
        for a, t in sig_cells.items()
    ]
    deep += [f"{a}: final accuracy difference {t.value:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]" for a, t in acc_cells.items()]
    note = (
        shallow
        + ". Deep ("
        + f"{a_deep} vs {b_deep} at the same per-entry variance in the square layers): "
        + ("; ".join(deep) if deep else "no runs")
        + ". The first layer (2 inputs) is not square: there the orthogonal rows have unit norm, so its entries have "
        "variance 1/width instead of sigma_w^2/2; the signal is therefore compared from layer 1 on."
    )
    nr = n_runs(pairs) + n_runs(lay) + n_runs(fin_d)
    return Outcome([t_pool, t_scale, t_sig, t_acc], nr, note, details)
