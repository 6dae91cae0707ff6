"""Deep nets beyond the lecture: the edge of chaos (B03) and init families at the same variance (B04)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import flattest_near, paired_cells
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
from .kernel import Insufficient, Outcome, exact_check, missing_check, seed_check, worst_of
from .measures import (
    at_best_lr,
    growth_table,
)


def evaluate_b03(data: Data, rule: dict) -> Outcome:
    """Edge of chaos: the weight std at which the backward signal neither grows nor shrinks per layer lies within a
    factor of the mean-field critical value (tanh 1, relu sqrt 2), and the critical value trains the deepest net as
    well as the best one."""
    init, margin = rule["init"], float(np.log10(rule["factor"]))
    sig_lay = at_init(select(data.layers, rule["signal_experiment"], init=init))
    fin = final(select(data.metrics, rule["train_experiment"], init=init))
    sig_cells, train_cells, details, parts = {}, {}, {}, []
    for act, critical in rule["critical"].items():
        name_s = f"the backward signal is flattest near sigma_w = {critical:.4g}"
        stat_s = (
            f"log10(flattest sigma_w / {critical:.4g}); flattest = median per-layer log10 growth of the rms dz (last "
            "hidden layer down to layer 1) closest to 0"
        )
        bits = []
        try:
            require(sig_lay[sig_lay["activation"] == act], f"{init} {act} runs in {rule['signal_experiment']}")
            scales, seeds, growth = growth_table(sig_lay, init, act)
            sig_cells[act], best = flattest_near(growth, scales, critical, rule, margin, name_s, stat_s)
            med = np.median(growth, axis=0)
            details[f"{act}: median per-layer log10 growth of the backward signal, by sigma_w"] = {
                fmt_scale(c): float(v) for c, v in zip(scales, med)
            }
            growth_at = float(med[scales == best][0])
            bits.append(f"the backward signal is flattest at sigma_w = {fmt_scale(best)} ({growth_at:+.4f} decades per layer)")
        except Insufficient as exc:
            sig_cells[act] = missing_check(name_s, stat_s, margin, "within", str(exc))
        name_t = f"sigma_w = {critical:.4g} trains the deepest net as well as the best"
        f = fin[fin["activation"] == act]
        if f.empty:
            train_cells[act] = missing_check(name_t, "drop", rule["train_margin"], "below", f"no trained {init} {act} runs")
            continue
        depth = int(f["depth"].max())
        acc = f[f["depth"] == depth].pivot_table(index="seed", columns="scale", values=rule["metric"]).dropna()
        table = f.groupby(["depth", "scale"])[rule["metric"]].median()
        details[f"{act}: median final {rule['metric']} by depth and sigma_w"] = {
            str(d): {fmt_scale(c): float(v) for c, v in g.droplevel(0).items()} for d, g in table.groupby(level=0)
        }
        crit_col = [c for c in acc.columns if np.isclose(float(c), critical, rtol=1e-3)]
        if acc.empty or acc.median().max() < rule["chance_plus"] or not crit_col:
            why = f"no sigma_w trains {act} at depth {depth} (median below {rule['chance_plus']:g})" if crit_col else (
                f"sigma_w = {critical:.4g} is not in the grid")  # fmt: skip
            train_cells[act] = missing_check(name_t, "drop", rule["train_margin"], "below", why)
            continue
        top = acc.median().idxmax()
        train_cells[act] = seed_check(
            name_t + f" (depth {depth})",
            f"final {rule['metric']} drop from the best sigma_w ({fmt_scale(top)}) to {critical:.4g}, paired by seed",
            acc[top] - acc[crit_col[0]],
            rule,
            rule["train_margin"],
            "below",
        )
        bits.append(f"the depth-{depth} net trains best at sigma_w = {fmt_scale(top)}")
        parts.append(f"{act} (critical {critical:.4g}): " + "; ".join(bits))
    note = (
        "; ".join(parts)
        + ". Mean-field theory puts the edge of chaos of a zero-bias net at sigma_w = 1 (tanh) and sqrt 2 (relu, He): "
        "there chi_1, the per-layer growth of the backward signal, is 1. Measured per sample (rms dz), not as the "
        "weight-gradient norm (dz a^T, where a vanishing forward signal and a growing backward one cancel)."
    )
    return Outcome([worst_of(sig_cells), worst_of(train_cells)], n_runs(sig_lay) + n_runs(fin), note, details)


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
            f, _ = at_best_lr(f, ["init", "depth"])  # each init at its best lr
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
        + f"{a_deep} vs {b_deep} at the same per-entry variance gain^2/fan_in in every layer, each init at its best lr): "
        + ("; ".join(deep) if deep else "no runs")
        + "."
    )
    nr = n_runs(pairs) + n_runs(lay) + n_runs(fin_d)
    return Outcome([t_pool, t_scale, t_sig, t_acc], nr, note, details)
