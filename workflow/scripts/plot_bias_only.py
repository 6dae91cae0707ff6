"""Rule plot_bias_only: all-zero weights with random biases against random weights with the same biases (B02).

One row per activation. Left: the symmetry gap of W1's rows over training (exact zeros at the
floor labelled 0). Middle: the share of runs whose W1 has numerical rank 2 (the input dimension),
with the median ratio of W1's two singular values at the end (from the final parameters) written in
the panel: about 1e-16 means the rows are proportional up to round-off. Right: each seed's final
accuracy with W = 0 and with random W (same bias draws: the bias key does not depend on the weight
init), joined by a line, with the median as a bar, and the lecture's init (random W, b = 0) for
comparison. The one run with W = 0 and b = 0 (a stationary start) is left out.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Random biases with all-zero weights"
METRIC_NAMES = {"test_acc": "final test accuracy", "train_acc": "final train accuracy"}
RANK = 2  # the datasets are 2-D: W1 (width x 2) has rank at most 2


def singular_ratio(params: pd.DataFrame) -> pd.DataFrame:
    """Per run: sigma_2 / sigma_1 of its final W1 (0 when W1 is 0)."""
    w1 = params[params["layer"] == 1]
    ratios = []
    for w, r, c in zip(w1["weights"], w1["rows"], w1["cols"]):
        s = np.linalg.svd(np.asarray(w, dtype=float).reshape(r, c), compute_uv=False)
        ratios.append(float(s[1] / s[0]) if len(s) > 1 and s[0] > 0 else 0.0)
    return w1[list(COORDINATES)].assign(ratio=ratios)


def bias_label(scale: float) -> str:
    return f"b std {scale:g}"


def main(
    layers: str,
    metrics: str,
    params: str,
    output: str,
    *,
    experiment: str = "bias_only",
    metric: str = "test_acc",
    reference: tuple = ("normal", 0.01),
    reference_bias: str = "zeros",
) -> None:
    lay = read_table(layers, columns=[*COORDINATES, "iterations", "iteration", "layer", "gap_w", "rank_w"])
    lay = lay[(lay["experiment"] == experiment) & (lay["layer"] == 1) & (lay["width"] > 1)]
    with F.style():
        zero = lay[(lay["init"] == "zeros") & (lay["bias_init"] != "zeros")]
        if zero.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], set(lay["experiment"])) or "No runs with W = 0."), output)
            return
        ref = lay[(lay["init"] == reference[0]) & np.isclose(lay["scale"], reference[1]) & (lay["bias_init"] != "zeros")]
        fin = F.final_rows(read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", metric, "diverged"]))
        fin = fin[fin["experiment"] == experiment]
        par = read_table(params)
        ratio = singular_ratio(par[(par["experiment"] == experiment) & (par["init"] == "zeros") & (par["bias_init"] != "zeros")])
        acts = F.ordered(zero["activation"], F.ACT_ORDER)
        scales = sorted(zero["bias_scale"].unique())
        colours = dict(zip(scales, F.sns.color_palette("crest", len(scales))))
        ref_colour = F.INIT_COLORS.get(reference[0], "#4477AA")
        fig, axes = F.panels(3 * len(acts), ncols=3, height=2.5)
        gaps = F.spread(zero, ["activation", "bias_scale", "iteration"], "gap_w")
        floor = F.floor_below(lay["gap_w"])
        top = max(float(lay["gap_w"].max()), floor * 1e6) * 2
        full = lay.assign(full=(lay["rank_w"] >= np.minimum(lay["width"], RANK)).astype(float))
        for i, act in enumerate(acts):
            ax_gap, ax_rank, ax_acc = axes[3 * i : 3 * i + 3]
            for s in scales:
                c = gaps[(gaps["activation"] == act) & (gaps["bias_scale"] == s)]
                ax_gap.plot(c["iteration"], F.zero_floor(c["median"], floor), color=colours[s], lw=1.7)
                F.band(ax_gap, c["iteration"], F.zero_floor(c["lo"], floor), F.zero_floor(c["hi"], floor), colours[s], 0.15)
                sh = full[(full["init"] == "zeros") & (full["activation"] == act) & (full["bias_scale"] == s)]
                sh = sh.groupby("iteration")["full"].mean()
                ax_rank.plot(sh.index, sh.to_numpy(), color=colours[s], lw=1.7, marker="o", ms=2.5)
            r = ref[ref["activation"] == act]
            if len(r):
                rg = r.groupby("iteration")["gap_w"].median()
                ax_gap.plot(rg.index, F.zero_floor(rg.to_numpy(), floor), color=ref_colour, lw=1.5, ls=(0, (4, 2)))
                rs = full.loc[r.index].groupby("iteration")["full"].mean()
                ax_rank.plot(rs.index, rs.to_numpy(), color=ref_colour, lw=1.5, ls=(0, (4, 2)))
            F.iteration_axis(ax_gap, "iteration" if i == len(acts) - 1 else "")
            F.zero_axis(ax_gap, floor, top)
            ax_gap.set_ylabel(f"{act}\ngap between rows of $W^{{[1]}}$")
            F.iteration_axis(ax_rank, "iteration" if i == len(acts) - 1 else "")
            ax_rank.set_ylim(-0.05, 1.05)
            ax_rank.set_ylabel(f"share with rank($W^{{[1]}}$) = {RANK}")
            rr = ratio[ratio["activation"] == act].groupby("bias_scale")["ratio"].median()
            if len(rr):
                text = "final $\\sigma_2/\\sigma_1$ of $W^{[1]}$ (median):\n" + "\n".join(
                    f"{bias_label(s)}: {v:.1e}" for s, v in rr.items()
                )
                ax_rank.text(
                    0.97,
                    0.5,
                    text,
                    transform=ax_rank.transAxes,
                    ha="right",
                    va="center",
                    fontsize=7.5,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#cccccc", "alpha": 0.9},
                )
            f = fin[fin["activation"] == act]
            zf = f[(f["init"] == "zeros") & (f["bias_init"] != "zeros")]
            rnd = f[(f["init"] == reference[0]) & np.isclose(f["scale"], reference[1])]
            rf, lect = rnd[rnd["bias_init"] != reference_bias], rnd[rnd["bias_init"] == reference_bias]
            ticks, labels = [], []
            for k, s in enumerate(scales):
                a = zf[zf["bias_scale"] == s].set_index("seed")[metric]
                b = rf[rf["bias_scale"] == s].set_index("seed")[metric]
                x0, x1 = 2 * k, 2 * k + 0.8
                both = pd.concat([a.rename("z"), b.rename("r")], axis=1).dropna()
                for _, row in both.iterrows():
                    ax_acc.plot([x0, x1], [row["z"], row["r"]], color="#aaaaaa", lw=0.7, zorder=2)
                ax_acc.scatter(np.full(len(a), x0), a, s=12, color=colours[s], zorder=3, lw=0)
                ax_acc.scatter(np.full(len(b), x1), b, s=12, color=ref_colour, zorder=3, lw=0, marker="D")
                for x, v, col in ((x0, a, colours[s]), (x1, b, ref_colour)):
                    if len(v):
                        ax_acc.plot([x - 0.22, x + 0.22], [v.median()] * 2, color=col, lw=2.5, zorder=4)
                ticks.append(x0 + 0.4)
                labels.append(f"b std\n{s:g}")
            if len(lect):
                x = 2 * len(scales)
                v = lect[metric]
                ax_acc.scatter(np.full(len(v), x), v, s=12, color="#222222", zorder=3, lw=0, marker="s")
                ax_acc.plot([x - 0.22, x + 0.22], [v.median()] * 2, color="#222222", lw=2.5, zorder=4)
                ticks.append(x)
                labels.append("b = 0\n(lecture)")
            bad = f[f["diverged"]]
            if len(bad):
                F.mark_diverged(ax_acc, [0] * len(bad), bad[metric])
            ax_acc.set_xticks(ticks, labels, fontsize=8)
            ax_acc.set_xlim(-0.5, 2 * len(scales) + 0.5)
            ax_acc.set_ylabel(METRIC_NAMES.get(metric, metric))
            if i == 0:
                ax_gap.set_title("symmetry gap of $W^{[1]}$")
                ax_rank.set_title(f"$W^{{[1]}}$ reaches rank {RANK}")
                ax_acc.set_title("where training ends")
        handles = [F.line_handle(colours[s], marker="o") for s in scales] + [
            F.line_handle(ref_colour, ls=(0, (4, 2)), marker="D"),
            F.line_handle("#222222", ls="", marker="s"),
        ]
        labels = [f"W = 0, {bias_label(s)}" for s in scales] + [
            f"W {reference[0]} {reference[1]:g}, same biases",
            f"W {reference[0]} {reference[1]:g}, b = 0",
        ]
        F.legend_above(fig, handles, labels, ncol=len(labels))
        seeds = zero.groupby(["activation", "bias_scale"])["seed"].nunique()
        it = int(zero["iterations"].max())
        F.note(
            fig,
            f"{', '.join(sorted(set(zero['dataset'])))}, width {', '.join(map(str, sorted(zero['width'].unique())))}, "
            f"{it:,} iterations; lines: median (band: range) over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; right: one line per seed",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
