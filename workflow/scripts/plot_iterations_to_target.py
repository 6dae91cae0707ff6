"""Rule plot_iterations_to_target: iterations until a target training accuracy, against init scale (L09).

Per run: the first logged iteration at which the training accuracy reaches the target (an upper
bound on the true first iteration: metrics are logged at log-spaced iterations), or "never" within
the budget, drawn in a band at the top. Two learning-rate choices: the fixed one (the lecture's 1.2
by default) and, per (activation, scale), the best one of the grid (fewest median iterations, then
highest median final accuracy). The bottom row shows which lr that is. Times and lrs are read from
results/measures/L09.parquet, the table the L09 verdict was computed from (one column per activation
it judges); the metrics table gives only each run's budget and whether it diverged.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Iterations to a target training accuracy"
RUN = list(COORDINATES)
TIME_BEST = "iterations to the target accuracy, each scale at its best lr"  # L09's measure rows (claims.saturation)
TIME_FIXED = "iterations to the target accuracy at the fixed lr"


def times(m: pd.DataFrame, check: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per run of a measure ``check`` (activation, scale, seed, hit; inf = never) with its lr, and the lrs."""
    lrs = m[m["check"] == f"{check}: lr"].rename(columns={"cell": "activation", "x": "scale", "value": "lr"})
    runs = m[m["check"] == check].rename(columns={"cell": "activation", "x": "scale", "value": "hit"})
    runs = runs.merge(lrs[["activation", "scale", "lr"]], on=["activation", "scale"], how="left")
    return runs[["activation", "scale", "seed", "lr", "hit"]], lrs[["activation", "scale", "lr"]]


def with_runs(runs: pd.DataFrame, fin: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with each run's budget and diverged flag (matched on activation, scale, lr and seed)."""
    key = ["activation", "scale", "seed"]
    fin = fin.assign(lr_key=fin["lr"].round(12), scale_key=fin["scale"].round(12))
    runs = runs.assign(lr_key=runs["lr"].round(12), scale_key=runs["scale"].round(12))
    out = runs.merge(fin[["activation", "scale_key", "seed", "lr_key", "iterations", "diverged"]],
                     on=["activation", "scale_key", "seed", "lr_key"], how="left")  # fmt: skip
    out["diverged"] = out["diverged"].fillna(False).astype(bool)
    return out.drop(columns=["lr_key", "scale_key"]).sort_values(key)


def main(metrics: str, measures: str, output: str, *, experiment: str = "scale", target: float = 0.85, lr: float = 1.2) -> None:
    df = read_table(metrics, columns=[*RUN, "iterations", "iteration", "diverged"])
    fin = F.final_rows(df[(df["experiment"] == experiment) & (df["depth"] == 1)])
    m = read_table(measures, name="measures")
    fixed_runs, _ = times(m, TIME_FIXED)
    best_runs, best = times(m, TIME_BEST)
    with F.style():
        if best_runs.empty:
            msg = F.missing([experiment], set(df["experiment"])) or "L09 was not decided: no times to the target."
            F.save(F.empty_figure(TITLE, msg), output)
            return
        runs = with_runs(pd.concat([fixed_runs, best_runs]), fin)
        lrs = sorted(fin["lr"].unique()) if len(fin) else sorted(runs["lr"].unique())
        fixed = float(fixed_runs["lr"].iloc[0]) if len(fixed_runs) else lr
        choices = {
            f"lr {fixed:g} (fixed)": with_runs(fixed_runs, fin),
            "best lr per scale": with_runs(best_runs, fin),
        }
        colours = dict(zip(choices, ["#444444", "#CC6677"]))
        shift = dict(zip(choices, [0.84, 1.19]))  # side by side on the log axis
        budget = int(runs["iterations"].max()) if runs["iterations"].notna().any() else 1
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
        seeds = best_runs.groupby(["activation", "scale"])["seed"].nunique()
        F.note(
            fig,
            f"line: median over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds, dots: single runs; first logged iteration at or above the target (logging is log-spaced)",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
