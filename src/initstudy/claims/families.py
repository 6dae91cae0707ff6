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
from .kernel import (
    Check,
    Insufficient,
    Outcome,
    exact_check,
    measure_rows,
    missing_check,
    seed_check,
    summary_rows,
    table_rows,
    worst_of,
)
from .measures import (
    at_best_lr,
    growth_table,
)


B03_GROWTH = "per-layer log10 growth of the rms dz at init"
B03_FLAT = "flattest sigma_w"
B03_TRAIN = "median final accuracy"
B03_RATIO = "log10(flattest sigma_w / critical)"
"""B03's measure rows besides its checks: the growth per seed (cell: activation, x: sigma_w), the chosen sigma_w, and
the median final metric by sigma_w (cell: "<activation>, depth <D>"), what the edge_of_chaos figure draws."""


def _flattest(sig_lay: pd.DataFrame, rule: dict, act: str, critical: float, details: dict) -> tuple[Check, list, list]:
    """B03 (1): the sigma_w whose backward signal neither grows nor shrinks per layer, near ``critical``."""
    init, margin = rule["init"], float(np.log10(rule["factor"]))
    name = f"the backward signal is flattest near sigma_w = {critical:.4g}"
    stat = (f"log10(flattest sigma_w / {critical:.4g}); flattest = median per-layer log10 growth of the rms dz (last "
            "hidden layer down to layer 1) closest to 0")  # fmt: skip
    try:
        require(sig_lay[sig_lay["activation"] == act], f"{init} {act} runs in {rule['signal_experiment']}")
        scales, seeds, growth = growth_table(sig_lay, init, act)
    except Insufficient as exc:
        return missing_check(name, stat, margin, "within", str(exc)), [], []
    check, best = flattest_near(growth, scales, critical, rule, margin, name, stat)
    med = np.median(growth, axis=0)
    details[f"{act}: median per-layer log10 growth of the backward signal, by sigma_w"] = {
        fmt_scale(c): float(v) for c, v in zip(scales, med)
    }
    per_seed = pd.DataFrame({"seed": np.repeat(seeds, len(scales)), "x": np.tile(scales, len(seeds)), "v": growth.ravel()})
    rows = [table_rows(B03_GROWTH, per_seed.assign(a=act), "v", "a", "x", "seed"),
            measure_rows(B03_FLAT, pd.Series([best]), cell=act)]  # fmt: skip
    at = float(med[scales == best][0])
    bit = f"the backward signal is flattest at sigma_w = {fmt_scale(best)} ({at:+.4f} decades per layer)"
    return check, rows, [bit]


def _trains_at_critical(fin: pd.DataFrame, rule: dict, act: str, critical: float, details: dict) -> tuple[Check, list, list]:
    """B03 (2): the critical sigma_w trains the deepest net as well as the best sigma_w (paired drop below a margin)."""
    metric, name = rule["metric"], f"sigma_w = {critical:.4g} trains the deepest net as well as the best"
    f = fin[fin["activation"] == act]
    if f.empty:
        return missing_check(name, "drop", rule["train_margin"], "below", f"no trained {rule['init']} {act} runs"), [], []
    depth = int(f["depth"].max())
    acc = f[f["depth"] == depth].pivot_table(index="seed", columns="scale", values=metric).dropna()
    table = f.groupby(["depth", "scale"])[metric].median()
    details[f"{act}: median final {metric} by depth and sigma_w"] = {
        str(d): {fmt_scale(c): float(v) for c, v in g.droplevel(0).items()} for d, g in table.groupby(level=0)
    }
    rows = [table_rows(B03_TRAIN, table.reset_index().assign(c=lambda d: [f"{act}, depth {v}" for v in d["depth"]]),
                       metric, "c", "scale")]  # fmt: skip
    crit_col = [c for c in acc.columns if np.isclose(float(c), critical, rtol=1e-3)]
    if acc.empty or acc.median().max() < rule["chance_plus"] or not crit_col:
        why = f"no sigma_w trains {act} at depth {depth} (median below {rule['chance_plus']:g})" if crit_col else (
            f"sigma_w = {critical:.4g} is not in the grid")  # fmt: skip
        return missing_check(name, "drop", rule["train_margin"], "below", why), rows, []
    top = acc.median().idxmax()
    check = seed_check(
        name + f" (depth {depth})",
        f"final {metric} drop from the best sigma_w ({fmt_scale(top)}) to {critical:.4g}, paired by seed",
        acc[top] - acc[crit_col[0]],
        rule,
        rule["train_margin"],
        "below",
    )
    return check, rows, [f"the depth-{depth} net trains best at sigma_w = {fmt_scale(top)}"]


def evaluate_b03(data: Data, rule: dict) -> Outcome:
    """Edge of chaos: the weight std at which the backward signal neither grows nor shrinks per layer lies within a
    factor of the mean-field critical value (tanh 1, relu sqrt 2), and the critical value trains the deepest net as
    well as the best one. Why: the claim's ``explanation`` in config/claims.yaml."""
    sig_lay = at_init(select(data.layers, rule["signal_experiment"], init=rule["init"]))
    fin = final(select(data.metrics, rule["train_experiment"], init=rule["init"]))
    sig_cells, train_cells, details, parts, rows = {}, {}, {}, [], []
    for act, critical in rule["critical"].items():
        sig_cells[act], r_sig, bits = _flattest(sig_lay, rule, act, critical, details)
        train_cells[act], r_train, more = _trains_at_critical(fin, rule, act, critical, details)
        rows += r_sig + r_train
        if more:
            parts.append(f"{act} (critical {critical:.4g}): " + "; ".join(bits + more))
    note = "; ".join(parts) + "." if parts else ""
    extra = pd.concat([*rows, summary_rows(B03_RATIO, sig_cells)], ignore_index=True)
    return Outcome([worst_of(sig_cells), worst_of(train_cells)], n_runs(sig_lay) + n_runs(fin), note, details, extra)


B04_DIFF = "paired difference per scale"
B04_STD = "activation std at init by layer"
B04_TRAINED = "final accuracy by depth at the best lr"
"""B04's measure rows besides its checks: the shallow paired differences (cell: activation, x: scale, with each cell's
statistic and interval), the deep nets' activation std by layer (cell: "<activation>, <init>", x: layer) and final
accuracy by depth at each init's best lr (x: depth), what the init_families figure draws."""


def _worst_or(cells: dict, name: str, statistic: str, threshold: float, direction: str, why: str) -> Check:
    """The cells as one check (:func:`~initstudy.claims.kernel.worst_of`), or a missing check when there are none."""
    return worst_of(cells) if cells else missing_check(name, statistic, threshold, direction, why)


def _shallow_families(data: Data, rule: dict):
    """B04, shallow: each activation's mean paired difference over the scale sweep, and every (activation, scale) cell."""
    metric, margin = rule["metric"], rule["margin"]
    a_fam, b_fam = rule["shallow_inits"]
    fin = final(select(data.metrics, rule["shallow_experiment"], init=[a_fam, b_fam]))
    keys = ["dataset", "activation", "width", "depth", "scale", "bias_init", "bias_scale", "seed", "lr"]
    pairs = fin[fin["init"] == a_fam].merge(fin[fin["init"] == b_fam][[*keys, metric]], on=keys, suffixes=("", "_b"))
    pairs = pairs.assign(d=pairs[metric] - pairs[f"{metric}_b"])
    stat = f"final {metric} ({a_fam} minus {b_fam}, same std, paired by seed)"
    name = f"{a_fam} and {b_fam} equivalent over the scale sweep"
    pooled = {}
    for act, g in pairs.groupby("activation"):
        wide = g.pivot_table(index="seed", columns="scale", values="d").dropna()
        pooled[act] = seed_check(name, f"{stat}, each seed's mean over the {wide.shape[1]} scales", wide.mean(axis=1), rule,
                                 margin, "within")  # fmt: skip
    cells = paired_cells(pairs, ["activation", "scale"], "d", lambda k: (k[0], float(k[1])), "per scale", stat, rule, margin,
                         "within")  # fmt: skip
    t_pool = _worst_or(pooled, name, stat, margin, "within", "no paired shallow runs")
    apart = f"no single scale shows {a_fam} and {b_fam} apart"
    if pooled:
        n_apart = sum(c.verdict == "fails" for c in cells.values())
        what = f"(activation, scale) cells whose interval lies wholly outside +-{margin:g}"
        t_scale = exact_check(apart, what, n_apart, 0, "at_most", len(cells))
    else:
        t_scale = missing_check(apart, stat, 0, "at_most", "no paired shallow runs")
    rows = [table_rows(B04_DIFF, pairs, "d", "activation", "scale", "seed"),
            summary_rows(B04_DIFF, cells, cell=lambda k: k[0], x=lambda k: k[1])]  # fmt: skip
    return t_pool, t_scale, pooled, cells, pairs, rows


def _deep_signal(lay: pd.DataFrame, rule: dict, act: str, s: float, details: dict, rows: list) -> Check | None:
    """B04, deep (1): log10 change of the activation std from layer 1 to the last at init, one family minus the other."""
    a_deep, b_deep = rule["deep_inits"]
    sub = lay[(lay["activation"] == act) & near(lay["scale"], s)]
    if sub.empty:
        return None
    depth = int(sub["depth"].max())
    sub = sub[sub["depth"] == depth]
    rows.append(table_rows(B04_STD, sub.assign(c=act + ", " + sub["init"]), "act_std", "c", "layer", "seed"))
    std = sub.pivot_table(index="seed", columns=["init", "layer"], values="act_std")
    ratio = {i: np.log10(np.maximum(std[(i, depth)], 1e-300) / np.maximum(std[(i, 1)], 1e-300))
             for i in (a_deep, b_deep) if (i, depth) in std}  # fmt: skip
    if len(ratio) < 2:
        return None
    details[f"{act}: median log10 std change over {depth} layers at init"] = {i: float(r.median()) for i, r in ratio.items()}
    per_layer = sub.groupby(["init", "layer"])["act_std"].median()
    details[f"{act}: median activation std by layer at init"] = {
        i: {str(k): float(v) for k, v in g.droplevel(0).items()} for i, g in per_layer.groupby(level=0)
    }
    return seed_check(
        f"{a_deep} and {b_deep} keep the same signal through {depth} layers",
        f"log10 of the activation std at layer {depth} over layer 1 at init, {a_deep} minus {b_deep} (scale {s:.4g})",
        ratio[a_deep] - ratio[b_deep], rule, float(np.log10(rule["signal_factor"])), "within",
    )  # fmt: skip


def _deep_trained(fin_d: pd.DataFrame, rule: dict, act: str, s: float, details: dict, rows: list) -> Check | None:
    """B04, deep (2): final metric of the deepest net, each init at its best lr, one family minus the other."""
    a_deep, b_deep, metric = *rule["deep_inits"], rule["deep_metric"]
    f = fin_d[(fin_d["activation"] == act) & near(fin_d["scale"], s)]
    if f.empty:
        return None
    f, _ = at_best_lr(f, ["init", "depth"])  # each init at its best lr
    rows.append(table_rows(B04_TRAINED, f.assign(c=act + ", " + f["init"]), metric, "c", "depth", "seed"))
    depth = int(f["depth"].max())
    acc = f[f["depth"] == depth].pivot_table(index="seed", columns="init", values=metric)
    if not {a_deep, b_deep} <= set(acc.columns):
        return None
    details[f"{act}: median final {metric} at depth {depth}"] = {i: float(acc[i].median()) for i in (a_deep, b_deep)}
    return seed_check(
        f"{a_deep} and {b_deep} train the depth-{depth} net equally well",
        f"final {metric} at depth {depth}, {a_deep} minus {b_deep} (scale {s:.4g}), paired by seed",
        acc[a_deep] - acc[b_deep], rule, rule["deep_margin"], "within",
    )  # fmt: skip


def _b04_note(pooled: dict, cells: dict, sig_cells: dict, acc_cells: dict, rule: dict) -> str:
    (a_fam, b_fam), (a_deep, b_deep) = rule["shallow_inits"], rule["deep_inits"]
    counts = pd.Series([c.verdict for c in cells.values()]).value_counts().to_dict() if cells else {}
    shallow = (
        f"Shallow ({a_fam} vs {b_fam}, same std): mean paired difference over the sweep "
        + ", ".join(f"{a} {t.value:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]" for a, t in pooled.items())
        + f" (margin +-{rule['margin']:g}); per scale {counts.get('holds', 0)} cell(s) equivalent, "
        f"{counts.get('inconclusive', 0)} undecided, {counts.get('fails', 0)} apart"
        if pooled
        else "No shallow pairs"
    )
    deep = [f"{a}: log10 std change {a_deep} minus {b_deep} {t.value:+.2f} [{t.ci_low:+.2f}, {t.ci_high:+.2f}]"
            for a, t in sig_cells.items()]  # fmt: skip
    deep += [f"{a}: final accuracy difference {t.value:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]" for a, t in acc_cells.items()]
    return (shallow + f". Deep ({a_deep} vs {b_deep} at the same per-entry variance gain^2/fan_in in every layer, each init "
            "at its best lr): " + ("; ".join(deep) if deep else "no runs") + ".")  # fmt: skip


def evaluate_b04(data: Data, rule: dict) -> Outcome:
    """Same variance, different family: Gaussian vs uniform (shallow) and orthogonal vs Gaussian (deep) are equivalent."""
    (a_fam, b_fam), deep_inits = rule["shallow_inits"], rule["deep_inits"]
    t_pool, t_scale, pooled, cells, pairs, rows = _shallow_families(data, rule)
    lay = at_init(select(data.layers, rule["signal_experiment"], init=deep_inits))
    fin_d = final(select(data.metrics, rule["train_experiment"], init=deep_inits))
    sig_cells, acc_cells, details = {}, {}, {}
    for act, s in rule["deep_scales"].items():
        if (t := _deep_signal(lay, rule, act, s, details, rows)) is not None:
            sig_cells[act] = t
        if (t := _deep_trained(fin_d, rule, act, s, details, rows)) is not None:
            acc_cells[act] = t
    t_sig = _worst_or(sig_cells, "deep signal", "log10 ratio", float(np.log10(rule["signal_factor"])), "within",
                      "no deep runs at init")  # fmt: skip
    t_acc = _worst_or(acc_cells, "deep accuracy", rule["deep_metric"], rule["deep_margin"], "within", "no trained deep runs")
    if cells:
        details[f"mean paired difference by activation and scale ({a_fam} minus {b_fam})"] = {
            f"{a}, {fmt_scale(s)}": c.summary() for (a, s), c in cells.items()
        }
    nr = n_runs(pairs) + n_runs(lay) + n_runs(fin_d)
    note = _b04_note(pooled, cells, sig_cells, acc_cells, rule)
    return Outcome([t_pool, t_scale, t_sig, t_acc], nr, note, details, pd.concat(rows, ignore_index=True))
