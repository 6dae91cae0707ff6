"""Rule plot_init_families: do init families differ beyond their variance? (B04)

One row per activation. Left: shallow nets, Gaussian against uniform at the same standard deviation:
each seed's difference in final accuracy (dots) per scale, with the statistic and interval of the
B04 rule per scale and the equivalence margin as a band. Middle: deep nets at init, orthogonal against
Gaussian (LeCun normal) at the same per-entry variance: the activation std of every hidden layer (median
over seeds, range as a band). Right: the same two inits trained, each at its best lr: every seed's final
accuracy, the two inits of a seed joined (the pairs B04's rule compares), per depth. Everything is read from results/measures/B04.parquet, the table the B04 verdict was computed from;
nothing is recomputed here.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Same variance, different family"
# B04's measure rows (initstudy.claims.families): cell "<activation>" (x: scale) or "<activation>, <init>"
DIFF = "paired difference per scale"
STD = "activation std at init by layer"
TRAINED = "final accuracy by depth at the best lr"
PARTS = ("statistic", "interval low", "interval high")


def split_cells(m: pd.DataFrame, check: str) -> pd.DataFrame:
    """The rows of ``check`` with the cell "<activation>, <init>" split into two columns."""
    r = m[m["check"] == check]
    parts = r["cell"].str.split(", ", n=1, expand=True) if len(r) else pd.DataFrame({0: [], 1: []})
    return r.assign(activation=parts[0], init=parts[1])


def main(
    measures: str,
    output: str,
    *,
    shallow_inits: tuple = ("normal", "uniform"),
    metric: str = "test_acc",
    margin: float | None = 0.03,
    statistic: str = "mean",
    interval: dict | None = None,
    deep_inits: tuple = ("orthogonal", "lecun_normal"),
    deep_scales: dict | None = None,
    deep_metric: str = "train_acc",
) -> None:
    interval = interval or {"method": "bootstrap", "level": 0.95}
    deep_scales = deep_scales or {"tanh": 1.0, "relu": float(np.sqrt(2.0))}
    m = read_table(measures, name="measures")
    diff = m[m["check"] == DIFF]
    summary = m[m["check"].isin([f"{DIFF}: {p}" for p in PARTS])]
    summary = summary.assign(part=summary["check"].str.rsplit(": ", n=1).str[-1])
    summary = summary.pivot_table(index=["cell", "x"], columns="part", values="value").reindex(columns=list(PARTS))
    lay, deep_fin = split_cells(m, STD), split_cells(m, TRAINED)
    with F.style():
        acts = [a for a in F.ACT_ORDER if a in set(diff["cell"]) | set(lay["activation"]) | set(deep_fin["activation"])]
        if not acts:
            F.save(F.empty_figure(TITLE, "B04 was not decided: no runs of the compared init families."), output)
            return
        a_fam, b_fam = shallow_inits
        # the Gaussian (LeCun normal) in the colour of the Gaussian family, so the pair stays easy to tell apart
        deep_colours = {i: F.INIT_COLORS["normal" if i == "lecun_normal" else i] if (i in F.INIT_COLORS) else "#555555"
                        for i in deep_inits}  # fmt: skip
        fig, axes = F.panels(3 * len(acts), ncols=3, height=2.6)
        for i, act in enumerate(acts):
            ax_s, ax_l, ax_d = axes[3 * i : 3 * i + 3]
            d = diff[diff["cell"] == act]
            if len(d):
                scales = sorted(d["x"].unique())
                for k, sc in enumerate(scales):
                    v = d.loc[d["x"] == sc, "value"].to_numpy()
                    jitter = (np.arange(len(v)) - (len(v) - 1) / 2) * (0.35 / max(len(v), 1))
                    ax_s.scatter(k + jitter, v, s=10, color=F.INIT_COLORS.get(a_fam, "#4477AA"), alpha=0.7, lw=0, zorder=3)
                    if (act, sc) in summary.index and np.isfinite(summary.loc[(act, sc), "statistic"]):
                        point, lo, hi = (float(summary.loc[(act, sc), p]) for p in PARTS)
                        ax_s.errorbar(k + 0.3, point, yerr=[[point - lo], [hi - point]], fmt="o", color="black", ms=4.5,
                                      capsize=3, lw=1.3, zorder=4)  # fmt: skip
                ax_s.axhline(0, color="#444444", lw=1.0, zorder=1)
                if margin:
                    ax_s.axhspan(-margin, margin, color="#88CCEE", alpha=0.3, lw=0, zorder=0)
                ax_s.set_xticks(range(len(scales)), [f"{v:g}" for v in scales])
                ax_s.set_xlabel("init scale (std)" if i == len(acts) - 1 else "")
                ax_s.set_ylabel(f"{act}\n{a_fam} − {b_fam}")
            else:
                ax_s.text(0.5, 0.5, f"no {a_fam}/{b_fam} pairs", ha="center", va="center", transform=ax_s.transAxes)
            sig = lay[lay["activation"] == act]
            if len(sig):
                sp = F.spread(sig, ["init", "x"], "value")
                for init, colour in deep_colours.items():
                    c = sp[sp["init"] == init]
                    if c.empty:
                        continue
                    ax_l.plot(c["x"], c["median"], color=colour, lw=1.7)
                    F.band(ax_l, c["x"], c["lo"], c["hi"], colour, alpha=0.18)
                ax_l.set_yscale("log")
                F.readable_log_y(ax_l)
                ax_l.set_xlabel("hidden layer" if i == len(acts) - 1 else "")
                ax_l.set_ylabel(f"activation std at init\n($\\sigma_w$ = {deep_scales.get(act, np.nan):.3g})")
            else:
                ax_l.text(0.5, 0.5, f"B04 has no deep {act} nets at init", ha="center", va="center", transform=ax_l.transAxes)
            tr = deep_fin[deep_fin["activation"] == act]
            if len(tr):
                depths = sorted(tr["x"].unique())
                first, second = list(deep_colours)[1], list(deep_colours)[0]  # LeCun normal left, orthogonal right
                for k, depth in enumerate(depths):
                    at = tr[tr["x"] == depth].pivot_table(index="seed", columns="init", values="value")
                    left, right = (at[i] if i in at else pd.Series(np.nan, index=at.index) for i in (first, second))
                    for a, b in zip(left, right):  # one seed: its two inits, joined
                        ax_d.plot([k - 0.18, k + 0.18], [a, b], color="#999999", lw=0.8, zorder=2)
                    for off, init, v in ((-0.18, first, left), (0.18, second, right)):
                        ax_d.scatter(np.full(len(v), k + off), v, s=16, color=deep_colours[init], lw=0, zorder=3)
                        if v.notna().any():
                            ax_d.hlines(v.median(), k + off - 0.1, k + off + 0.1, color="black", lw=1.6, zorder=4)
                ax_d.set_xticks(range(len(depths)), [str(int(v)) for v in depths])
                ax_d.set_xlim(-0.6, len(depths) - 0.4)
                ax_d.set_xlabel("depth (hidden layers)" if i == len(acts) - 1 else "")
                ax_d.set_ylabel(f"final {deep_metric.replace('_', ' ')}")
            else:
                ax_d.text(0.5, 0.5, f"B04 has no trained deep {act} nets", ha="center", va="center", transform=ax_d.transAxes)
            if i == 0:
                ax_s.set_title(f"shallow: final {metric.replace('_', ' ')}")
                ax_l.set_title("deep, at init")
                ax_d.set_title("deep, trained")
        handles = [F.line_handle(c) for c in deep_colours.values()]
        labels = [F.INIT_NAMES.get(k, k) for k in deep_colours]
        F.legend_above(fig, handles, labels, title="deep nets:")
        n_shallow = diff.groupby(["cell", "x"])["seed"].nunique()
        how = f"{interval['level']:.0%} bootstrap interval" if interval["method"] == "bootstrap" else "exact"
        n = n_shallow.min() if len(n_shallow) else 0
        lines = [
            f"left: {a_fam} minus {b_fam} at the same std, one dot per seed ({n} seeds);",
            f"black: {statistic}, {how}" + (f"; blue band: margin ±{margin:g}" if margin else ""),
            "middle: median and range over seeds; the first layer (2 inputs) is not square, so there the two inits differ in scale;",
            "right: one dot per seed at its best lr, a seed's two inits joined by a line; black: median",
        ]
        F.note(fig, "\n".join(lines))
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
