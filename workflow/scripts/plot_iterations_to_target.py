"""Rule plot_iterations_to_target: iterations until a target training accuracy, against init scale (L09).

Per run: the first logged iteration at which the training accuracy reaches the target (an upper
bound on the true first iteration: metrics are logged at log-spaced iterations), or "never" within
the budget, drawn in a band at the top. Two learning-rate choices: the fixed one (the lecture's 1.2
by default) and, per (activation, scale), the best one of the grid, chosen as the claims step does
(:func:`initstudy.claims.choose_lr_by_time`: fewest median iterations, then highest median final
accuracy). The bottom row shows which lr that is.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.claims import choose_lr_by_time, time_to_target
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_rule
from initstudy.tables import read_table

TITLE = "Iterations to a target training accuracy"
RUN = list(COORDINATES)


def runs_to_target(df: pd.DataFrame, target: float) -> pd.DataFrame:
    """One row per run: ``hit`` = first logged iteration at or above the target (inf = never), budget, diverged."""
    tt = time_to_target(df, target).rename(columns={"T": "hit"})
    extra = F.final_rows(df)[[*RUN, "iterations", "diverged"]]
    return tt.merge(extra, on=RUN, how="left")


def main(metrics: str, output: str, *, experiment: str = "scale", target: float = 0.85, lr: float = 1.2) -> None:
    df = read_table(metrics, columns=[*RUN, "iterations", "iteration", "train_acc", "loss", "diverged"])
    df = df[(df["experiment"] == experiment) & (df["depth"] == 1)]
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        runs = runs_to_target(df, target)
        lrs = sorted(runs["lr"].unique())
        fixed = min(lrs, key=lambda v: abs(np.log(v / lr)))
        best = choose_lr_by_time(runs.rename(columns={"hit": "T"}))
        choices = {
            f"lr {fixed:g} (fixed)": runs[runs["lr"] == fixed],
            "best lr per scale": runs.merge(best, on=["activation", "scale", "lr"]),
        }
        colours = dict(zip(choices, ["#444444", "#CC6677"]))
        shift = dict(zip(choices, [0.84, 1.19]))  # side by side on the log axis
        budget = int(runs["iterations"].max())
        never = budget * 4.0
        acts = F.ordered(runs["activation"], F.ACT_ORDER)
        fig, axes = F.plt.subplots(
            2, len(acts), figsize=(F.WIDTH, 4.6), sharex=True, squeeze=False, gridspec_kw={"height_ratios": [3, 1.1]}
        )
        for j, act in enumerate(acts):
            ax, ax_lr = axes[0, j], axes[1, j]
            for name, r in choices.items():
                r = r[r["activation"] == act]
                x = r["scale"] * shift[name]
                y = np.where(np.isfinite(r["hit"]), r["hit"], never)
                ax.scatter(x, np.maximum(y, 0.7), s=9, color=colours[name], alpha=0.35, lw=0, zorder=2)
                med = r.groupby("scale")["hit"].median()
                ym = np.where(np.isfinite(med.to_numpy()), med.to_numpy(), never)
                face = "white" if name.startswith("lr") else colours[name]
                ax.plot(
                    med.index * shift[name],
                    np.maximum(ym, 0.7),
                    color=colours[name],
                    marker="o",
                    ms=5,
                    mfc=face,
                    lw=1.6,
                    zorder=3,
                )
                bad = r[r["diverged"]]
                F.mark_diverged(ax, bad["scale"] * shift[name], np.where(np.isfinite(bad["hit"]), bad["hit"], never))
            ax.set_yscale("log")
            ax.set_ylim(0.5, never * 2.2)
            ax.axhspan(budget * 1.6, never * 2.2, color="#eeeeee", zorder=0, lw=0)
            ax.axhline(budget, color="#888888", ls=":", lw=1.0)
            ax.set_title(act)
            ticks = [t for t in (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000) if t < budget * 0.6] + [budget, never]
            ax.set_yticks(ticks, [f"{t:,}" for t in ticks[:-2]] + [f"{budget:,}\n(budget)", "never"])
            ax.yaxis.set_minor_locator(F.ticker.NullLocator())
            ax.set_ylabel(f"iterations to {target:.0%} train acc." if j == 0 else "")
            b = best[best["activation"] == act]
            ax_lr.plot(b["scale"], b["lr"], color=colours["best lr per scale"], marker="o", ms=4, lw=1.0, drawstyle="steps-mid")
            ax_lr.set_yscale("log")
            ax_lr.set_yticks(lrs, [f"{v:g}" for v in lrs])
            ax_lr.yaxis.set_minor_locator(F.ticker.NullLocator())
            ax_lr.set_ylim(min(lrs) / 1.6, max(lrs) * 1.6)
            ax_lr.set_ylabel("best lr" if j == 0 else "")
            F.scale_axis(ax_lr)
        handles = [F.line_handle(c, marker="o") for c in colours.values()]
        handles[0].set_markerfacecolor("white")
        labels = list(choices)
        if runs["diverged"].any():
            handles.append(F.diverged_handle())
            labels.append("diverged run")
        F.legend_above(fig, handles, labels)
        seeds = runs.groupby(["activation", "scale", "lr"])["seed"].nunique()
        F.note(
            fig,
            f"line: median over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds, dots: single runs; first logged iteration at or above the target (logging is log-spaced)",
        )
        F.save(fig, output)


if "snakemake" in globals():
    p = snakemake.params  # noqa: F821
    run_rule(snakemake, main, snakemake.input.metrics, snakemake.output[0], target=p.target, lr=p.lr)  # noqa: F821
