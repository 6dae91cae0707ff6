"""Rule plot_course: the course notebooks' printed numbers beside our notebook-seeded runs and our seeds.

Top: every printed cost against its iteration; below: every printed accuracy (in %), one row each.
Grey dots are our own seeds, the ring is our run drawn the notebook's way, the cross the published value.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "The course's own numbers: published, reproduced, and over our seeds"
PUBLISHED = {"marker": "x", "s": 46, "color": "#CC3311", "linewidths": 1.8, "zorder": 5}
OURS = {"marker": "o", "s": 70, "facecolors": "none", "edgecolors": "#0077BB", "linewidths": 1.6, "zorder": 4}
SEEDS = {"marker": "o", "s": 14, "color": "#777777", "alpha": 0.6, "lw": 0, "zorder": 2}
PERCENT = {"percent": 1.0, "percent_int": 1.0, "share": 100.0}


def _jitter(n: int, width: float = 0.22) -> np.ndarray:
    """Deterministic offsets in [-width, width] (no randomness in a figure)."""
    return np.linspace(-width, width, n) if n > 1 else np.zeros(n)


def main(course: str, seeds: str, output: str) -> None:
    table = read_table(course, name="course")
    values = read_table(seeds, name="course_seeds")
    with F.style():
        if table.empty:
            F.save(F.empty_figure(TITLE, "The config lists no course numbers (key course.numbers)."), output)
            return
        costs = table[table["format"] == "fixed6"]
        accs = table[table["format"].isin(list(PERCENT))].iloc[::-1].reset_index(drop=True)
        heights = ([2.3] if len(costs) else []) + [0.27 * len(accs) + 0.9]
        fig, axes = plt.subplots(len(heights), 1, figsize=(F.WIDTH, sum(heights) + 0.9), height_ratios=heights, squeeze=False)
        axes = list(axes.ravel())
        if len(costs):
            ax = axes[0]
            for _, r in costs.iterrows():
                v = values[values["number"] == r["number"]]["value"].to_numpy()
                ax.scatter(r["iteration"] + _jitter(len(v), 150), v, **SEEDS)
            ax.scatter(costs["iteration"], costs["ours"], **OURS)
            ax.scatter(costs["iteration"], costs["published"], **PUBLISHED)
            ax.set_xlabel("iteration (gradient-descent steps)")
            ax.set_ylabel("training cost (BCE)")
            ax.set_yscale("log")
            ax.set_title(f"{costs['title'].iloc[0]}: the printed costs", fontsize=9.5)
            F.readable_log_y(ax)
        ax = axes[-1]
        for y, r in accs.iterrows():
            k = PERCENT[r["format"]]
            v = values[values["number"] == r["number"]]["value"].to_numpy() * k
            ax.scatter(v, y + _jitter(len(v)), **SEEDS)
            ax.scatter([r["ours"] * k], [y], **OURS)
            ax.scatter([r["published"] * k], [y], **PUBLISHED)
            if not np.isnan(r["ceiling"]):
                ax.scatter([r["ceiling"] * k], [y], marker="|", s=160, color="#222222", zorder=3)
        for y in np.flatnonzero(accs["notebook"].to_numpy()[1:] != accs["notebook"].to_numpy()[:-1]):
            ax.axhline(y + 0.5, color="#555555", lw=0.8)
        ax.set_yticks(range(len(accs)), [f"{r['printed']}  ({r['notebook']})" for _, r in accs.iterrows()], fontsize=7.5)
        ax.set_ylim(-0.6, len(accs) - 0.4)
        ax.set_xlabel("accuracy (%)")
        ax.set_title("The printed accuracies (both notebooks)", fontsize=9.5)
        handles = [
            Line2D([], [], ls="", marker="x", color=PUBLISHED["color"], markeredgewidth=1.8),
            Line2D([], [], ls="", marker="o", markerfacecolor="none", markeredgecolor=OURS["edgecolors"], markersize=8),
            Line2D([], [], ls="", marker="o", color=SEEDS["color"], markersize=4),
        ]
        labels = ["published (the notebook's print)", "ours, drawn the notebook's way", "ours, each of our seeds"]
        if accs["ceiling"].notna().any():
            handles.append(Line2D([], [], ls="", marker="|", color="#222222", markersize=10))
            labels.append("best any line can do (exact)")
        F.legend_above(fig, handles, labels, ncol=2)
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
