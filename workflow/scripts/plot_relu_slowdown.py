"""Rule plot_relu_slowdown: is relu slowed by large init scales the way tanh and sigmoid are? (L10)

Plots results/measures/L10.parquet, the table the L10 verdict was computed from; nothing is recomputed here.
(a) Iterations until the training accuracy first reaches L10's target, against the init scale, in the wide
sweep where relu learns the task, relu, tanh and sigmoid each at its best lr per scale: median over seeds,
the range over seeds as a band, single runs as dots, "never" (within the budget) in a grey band; the reference
and large scales of the rule are marked. (b) L09's slow-down score per seed (1: later at every large scale,
0.5: no difference), relu against tanh and sigmoid, and the check's statistic of the difference with its
interval. (c) At init, with random biases: the share of relu units active, and of tanh and sigmoid units not
saturated, against the scale (median, range); the second check's drop with its interval.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "ReLU vs tanh and sigmoid: time to target and active units against init scale"
# L10's measure rows (initstudy.claims.saturation)
TIME_BEST = "iterations to the target accuracy, each scale at its best lr"
SCORE = "slow-down score at large scales (each scale at its best lr)"
ACTIVE = "active (relu) or unsaturated share of hidden units at init"
CHECKS = ("slow-down score difference", "active share drop")
PARTS = ("statistic", "interval low", "interval high")


def summary(m: pd.DataFrame, name: str) -> tuple[float, float, float]:
    """A check's statistic and interval, as the verdict wrote them (NaN when it was not computed)."""
    got = m[m["check"].isin([f"{name}: {p}" for p in PARTS])].set_index("check")["value"]
    return tuple(float(got.get(f"{name}: {p}", np.nan)) for p in PARTS)


def time_panel(ax, runs: pd.DataFrame, acts: list[str], activation: str, budget: int, target: float) -> None:
    never = budget * 4.0
    for act in acts:
        r = runs[runs["cell"] == act]
        colour, lw = F.ACT_COLORS.get(act, "#555555"), 2.6 if act == activation else 1.6
        y = np.where(np.isfinite(r["value"]), r["value"], never)
        ax.scatter(r["x"], np.maximum(y, 0.7), s=9, color=colour, alpha=0.3, lw=0, zorder=2)
        sp = F.spread(r.assign(y=np.maximum(y, 0.7)), ["x"], "y")
        ax.plot(sp["x"], sp["median"], color=colour, lw=lw, marker="o", ms=4, zorder=3)
        F.band(ax, sp["x"], sp["lo"], sp["hi"], colour, alpha=0.12)
    ax.set_yscale("log")
    ax.set_ylim(0.5, never * 2.2)
    ax.axhspan(budget * 1.6, never * 2.2, color="#eeeeee", zorder=0, lw=0)
    ax.axhline(budget, color="#888888", ls=":", lw=1.0)
    ticks = [t for t in (1, 10, 100, 1_000, 10_000, 100_000) if t < budget * 0.6] + [budget, never]
    ax.set_yticks(ticks, [f"{t:,}" for t in ticks[:-2]] + [f"{budget:,}\n(budget)", "never"])
    ax.yaxis.set_minor_locator(F.ticker.NullLocator())
    ax.set_ylabel(f"iterations to {target:.0%} train acc.\n(each scale at its best lr)")
    F.scale_axis(ax)
    ax.set_title("(a) time to target")


def score_panel(ax, m: pd.DataFrame, activation: str, compare: str) -> None:
    """Left: each group's per-seed score (bar: mean); right: the per-seed difference the check judged, its statistic
    and interval (black) and the threshold 0 (dashed)."""
    scores = m[m["check"] == SCORE]
    diff = m[m["check"].str.startswith(f"{activation} slows down less than") & (m["seed"] >= 0)]["value"].to_numpy()
    for k, (g, v) in enumerate([(g, scores.loc[scores["cell"] == g, "value"].to_numpy()) for g in (activation, compare)]
                               + [("difference", diff)]):  # fmt: skip
        jitter = (np.arange(len(v)) - (len(v) - 1) / 2) * (0.3 / max(len(v), 1))
        colour = F.ACT_COLORS.get(g, "#CC6677" if k == 1 else "#777777")
        ax.scatter(k + jitter, v, s=14, color=colour, alpha=0.8, lw=0, zorder=3)
        if len(v) and k < 2:
            ax.plot([k - 0.22, k + 0.22], [np.mean(v)] * 2, color=colour, lw=2.5, zorder=4)
    if scores.empty:
        ax.text(0.5, 0.6, "no seed reached the target\nat a large or the reference scale", ha="center", va="center",
                fontsize=8, color="#555555", transform=ax.transAxes)  # fmt: skip
    point, lo, hi = summary(m, CHECKS[0])
    if np.isfinite(point):
        ax.errorbar(2.3, point, yerr=[[point - lo], [hi - point]], fmt="o", color="black", ms=5, capsize=3, lw=1.4, zorder=5)
    ax.axvline(1.6, color="#bbbbbb", lw=0.8)
    ax.plot([1.6, 2.6], [0, 0], color="#333333", ls="--", lw=1.0, zorder=2)
    ax.set_ylim(-1.08, 1.08)
    ax.set_xlim(-0.5, 2.6)
    ax.set_xticks([0, 1, 2.1], [activation, compare.replace(", ", ",\n"), "difference"], fontsize=8)
    ax.set_ylabel("slow-down score per seed")
    ax.set_title("(b) slowed down?")


def active_panel(ax, m: pd.DataFrame, acts: list[str], activation: str, margin: float) -> None:
    share = m[m["check"] == ACTIVE]
    for act in acts:
        sp = F.spread(share[share["cell"] == act], ["x"], "value")
        if sp.empty:
            continue
        colour, lw = F.ACT_COLORS.get(act, "#555555"), 2.6 if act == activation else 1.6
        ax.plot(sp["x"], sp["median"], color=colour, lw=lw, marker="o", ms=3.5)
        F.band(ax, sp["x"], sp["lo"], sp["hi"], colour, alpha=0.15)
    point, lo, hi = summary(m, CHECKS[1])
    if np.isfinite(point):
        ax.text(0.97, 0.95, f"{activation} drop\n{point:+.3f}\n[{lo:+.3f}, {hi:+.3f}]\nmargin {margin:g}",  # narrow: the empty top right
                transform=ax.transAxes, fontsize=7.5, color="#333333", ha="right", va="top")  # fmt: skip
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("active / unsaturated share at init")
    F.scale_axis(ax)
    if len(share):
        ax.set_xticks([t for t in (1e-2, 1.0, 1e2) if share["x"].min() / 3 <= t <= share["x"].max() * 3])
    ax.set_title("(c) at init, random biases")


def main(
    measures: str,
    metrics: str,
    output: str,
    *,
    experiment: str = "scale_wide",
    target: float = 0.8,
    reference: float = 0.01,
    large: tuple = (100.0, 1000.0),
    flat_margin: float = 0.05,
    activation: str = "relu",
    compare: tuple = ("tanh", "sigmoid"),
) -> None:
    m = read_table(measures, name="measures")
    runs = m[m["check"] == TIME_BEST]
    budget = read_table(metrics, columns=["experiment", "iterations"])
    budget = budget[budget["experiment"] == experiment]["iterations"]
    with F.style():
        if runs.empty and m[m["check"] == ACTIVE].empty:
            F.save(F.empty_figure(TITLE, "L10 was not decided: its measures table has no times to the target."), output)
            return
        acts = F.ordered(set(runs["cell"]) | set(m.loc[m["check"] == ACTIVE, "cell"]), F.ACT_ORDER)
        fig, axes = F.plt.subplots(1, 3, figsize=(F.WIDTH, 3.4), gridspec_kw={"width_ratios": [1.35, 0.85, 1.1]})
        if len(runs):
            time_panel(axes[0], runs, acts, activation, int(budget.max()) if len(budget) else int(np.nanmax(
                np.where(np.isfinite(runs["value"]), runs["value"], 1))), target)  # fmt: skip
        for ax in (axes[0], axes[2]):
            ax.axvline(reference, color="#333333", ls="--", lw=1.0, zorder=1)
            for s in large:
                ax.axvline(s, color="#333333", ls=":", lw=1.0, zorder=1)
        score_panel(axes[1], m, activation, ", ".join(compare))
        active_panel(axes[2], m, acts, activation, flat_margin)
        handles = [F.line_handle(F.ACT_COLORS.get(a, "#555555"), lw=2.6 if a == activation else 1.6, marker="o") for a in acts]
        F.legend_above(fig, handles, acts)
        n = runs.groupby(["cell", "x"])["seed"].nunique()
        F.note(
            fig,
            f"(a) median over {n.min() if len(n) else 0} seeds, band: range, dots: runs; dashed: the reference scale "
            f"{reference:g}, dotted: the large scales {', '.join(f'{s:g}' for s in large)}\n"
            f"(b) score 1: later at every large scale than at {reference:g}, 0.5: no difference (bar: mean); right: "
            f"{', '.join(compare)} minus {activation} per seed,\nblack: the check's statistic and interval (the claim "
            "holds above 0)\n(c) median and range over seeds; top right: the second check's drop and interval",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
