"""Rule plot_best_scale: the band of near-best init stds per setting against the rule's limits (L14).

Plots results/measures/L14.parquet, the table the L14 verdict was computed from: per setting
(experiment, dataset, activation, width, depth) with a sweep of stds, the median final metric of each
std at its best learning rate, the best std, and the band (the stds whose paired drop from the best is
not shown to exceed the rule's margin). Nothing is recomputed here. Marker: the best std, labelled with
its score; bar: the band; grey ticks: all stds of the sweep; dashed lines: the rule's limits (deep
settings, every setting).
"""

import numpy as np

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Best init scale per setting"
METRIC_NAMES = {"test_acc": "test accuracy", "train_acc": "train accuracy"}


def main(measures: str, output: str, *, metric: str = "test_acc", limits: tuple = (1.0, 10.0), margin: float = 0.02) -> None:
    m = read_table(measures, name="measures")
    curves = m[m["check"] == f"median final {metric} at the best lr"]
    best = m[m["check"] == "best std"].set_index("cell")["value"]
    band = m[m["check"] == "in the band"]
    with F.style():
        if curves.empty:
            F.save(F.empty_figure(TITLE, "L14 was not decided: no setting with a sweep of scales"), output)
            return
        settings = list(dict.fromkeys(curves["cell"]))
        fig, ax = F.plt.subplots(figsize=(F.WIDTH, 1.3 + 0.34 * len(settings)))
        acts = []
        for y, cell in enumerate(settings):
            c = curves[curves["cell"] == cell].sort_values("x")
            act = cell.split(": ")[-1].split(", ")[0]
            acts.append(act)
            colour = F.ACT_COLORS.get(act, "#555555")
            near = band[band["cell"] == cell]
            ax.scatter(c["x"], np.full(len(c), y), marker="|", s=80, color="#999999", zorder=2)
            ax.plot([near["x"].min(), near["x"].max()], [y, y], color=colour, lw=5, alpha=0.35, solid_capstyle="round", zorder=3)
            b = best[cell]
            score = float(c.loc[np.isclose(c["x"], b, rtol=1e-9), "value"].iloc[0])
            ax.scatter([b], [y], marker="o", s=55, color=colour, edgecolors="white", zorder=4)
            ax.annotate(
                f"{b:g}: {score:.2f}",
                (b, y),
                xytext=(7, 4),
                textcoords="offset points",
                fontsize=7.5,
                color="#333333",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
                zorder=5,
            )
        for limit in limits:
            ax.axvline(limit, color="#333333", ls="--", lw=1.2, zorder=1)
        ax.set_yticks(range(len(settings)), settings)
        ax.set_ylim(len(settings) - 0.4, -0.6)
        F.scale_axis(ax, "init weight std (scale of randn * scale)")
        ax.set_xlim(min(curves["x"].min(), *limits) / 2.5, max(curves["x"].max(), *limits) * 2.5)
        ax.grid(axis="y", visible=False)
        shown = F.ordered(acts, F.ACT_ORDER)
        handles = [F.line_handle(F.ACT_COLORS.get(a, "#555555"), ls="", marker="o") for a in shown]
        handles.append(F.line_handle("#999999", ls="", marker="|"))
        F.legend_above(fig, handles, [*shown, "scales run"], ncol=4)
        F.note(
            fig,
            f"score: median final {METRIC_NAMES.get(metric, metric)} over seeds at the best lr (text: best std and its score);\n"
            f"bar: the band (drop from the best not shown above {margin:g}); dashed: the limits {', '.join(f'{v:g}' for v in limits)};\n"
            "rows: experiment, activation, width, depth",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
