"""Rule plot_bias_init: b = 0 vs random b with the same random W, paired per seed (L07).

Runs that differ only in the bias init share their weight draws (the run key does not depend on
the bias init), so each seed is a pair: top row, each seed's final value under every bias init,
joined by a line; bottom row, the per-seed difference (b = 0 minus random b, the sign the claims
step uses) with its statistic over seeds and the interval of the L07 rule, and the rule's equivalence
margin as a band. The differences, statistics and intervals are read from results/measures/L07.parquet,
the table the L07 verdict was computed from; nothing the verdict used is recomputed here.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Zero vs random biases (same random weights)"
METRIC_NAMES = {
    "test_acc": "final test accuracy",
    "train_acc": "final train accuracy",
    "loss": "final train loss",
    "test_loss": "final test loss",
}
DEFAULT_INTERVAL = {"method": "bootstrap", "level": 0.95, "resamples": 2000, "seed": 0}
CHECK = "b = 0 and b random give equivalent accuracy"  # L07's check: per-seed rows, and "<CHECK>: statistic" etc.


def verdict_cells(measures: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """L07's per-seed differences and each cell's statistic and interval (columns panel, bias_scale, ...)."""
    m = read_table(measures, name="measures")
    m = m[m["check"].str.startswith(CHECK)]
    split = m["cell"].str.rsplit(", b std ", n=1, expand=True) if len(m) else pd.DataFrame({0: [], 1: []})
    m = m.assign(panel=split[0], bias_scale=split[1].astype(float))
    per_seed = m[m["seed"] >= 0]
    summary = m[m["seed"] < 0].assign(part=lambda d: d["check"].str.rsplit(": ", n=1).str[-1])
    parts = ["statistic", "interval low", "interval high"]
    if summary.empty:
        return per_seed, pd.DataFrame(columns=["panel", "bias_scale", *parts])
    summary = summary.pivot_table(index=["panel", "bias_scale"], columns="part", values="value", dropna=False)
    return per_seed, summary.reindex(columns=parts).reset_index()


def bias_label(init: str, scale: float) -> str:
    return "b = 0" if init == "zeros" else f"b {init}\n{scale:g}"  # two lines: three labels fit a panel


def main(
    metrics: str,
    measures: str,
    output: str,
    *,
    experiment: str = "bias",
    metric: str = "test_acc",
    margin: float | None = None,
    statistic: str = "mean",
    interval: dict | None = None,
) -> None:
    interval = interval or DEFAULT_INTERVAL
    df = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", metric, "diverged"])
    df = F.final_rows(df[df["experiment"] == experiment])
    with F.style():
        if df.empty or "zeros" not in set(df["bias_init"]) or df["bias_init"].nunique() < 2:
            msg = (
                F.missing([experiment], set(df["experiment"]))
                or "The bias experiment needs b = 0 and at least one random bias init."
            )
            F.save(F.empty_figure(TITLE, msg), output)
            return
        df = df.assign(bias=[bias_label(i, s) for i, s in zip(df["bias_init"], df["bias_scale"])])
        order = ["b = 0"] + sorted(set(df["bias"]) - {"b = 0"}, key=lambda k: (k.split()[1], float(k.split()[2])))
        setting = ["dataset", "activation", "width", "init", "scale", "lr"]
        df = df.assign(panel=df["dataset"] + ", " + df["activation"])
        per_seed, summary = verdict_cells(measures)
        panels = list(dict.fromkeys(df["panel"]))
        wide = df.pivot_table(index=[*setting, "panel", "seed"], columns="bias", values=metric).reset_index()
        fig, axes = F.panels(
            2 * len(panels),
            ncols=len(panels),
            height=2.5,
            width=max(5.5, min(F.WIDTH, 1.0 + 2.6 * len(panels) + 0.4 * len(order))),
        )
        top, bottom = axes[: len(panels)], axes[len(panels) :]
        xs = np.arange(len(order))
        colours = {
            b: ("#222222" if b == "b = 0" else c)
            for b, c in zip(order, ["#222222", *F.sns.color_palette("crest", len(order) - 1)])
        }
        for ax_top, ax_bot, panel in zip(top, bottom, panels):
            w = wide[wide["panel"] == panel]
            vals = w[order].to_numpy()  # (seeds, bias inits)
            ax_top.plot(xs, vals.T, color="#999999", lw=0.8, alpha=0.7, zorder=2)
            for k, b in enumerate(order):
                ax_top.scatter(np.full(len(vals), xs[k]), vals[:, k], s=14, color=colours[b], zorder=3, lw=0)
                ax_top.plot([xs[k] - 0.18, xs[k] + 0.18], [np.nanmedian(vals[:, k])] * 2, color=colours[b], lw=2.5, zorder=4)
            bad = df[(df["panel"] == panel) & df["diverged"]]
            F.mark_diverged(ax_top, [order.index(b) for b in bad["bias"]], bad[metric])
            ax_top.set_xticks(xs, order)
            ax_top.set_xlim(-0.4, len(order) - 0.6)
            widths = sorted(df.loc[df["panel"] == panel, "width"].unique())
            ax_top.set_title(f"{panel}, width {', '.join(map(str, widths))}")
            ax_top.set_ylabel(METRIC_NAMES.get(metric, metric) if ax_top is top[0] else "")
            for k, b in enumerate(order[1:], start=1):
                scale = float(b.split()[2])
                near = lambda d: (d["panel"] == panel) & np.isclose(d["bias_scale"], scale, rtol=1e-9)  # noqa: E731
                d = per_seed.loc[near(per_seed), "value"].to_numpy()
                if len(d) == 0:
                    continue
                jitter = (np.arange(len(d)) - (len(d) - 1) / 2) * (0.3 / max(len(d), 1))
                ax_bot.scatter(k + jitter, d, s=12, color=colours[b], alpha=0.8, lw=0, zorder=3)
                got = summary[near(summary)]
                if len(got) and np.isfinite(got["statistic"].iloc[0]):
                    point, lo, hi = (float(got[c].iloc[0]) for c in ("statistic", "interval low", "interval high"))
                    ax_bot.errorbar(k + 0.3, point, yerr=[[point - lo], [hi - point]], fmt="o", color="black", ms=5,
                                    capsize=3, lw=1.4, zorder=4)  # fmt: skip
            ax_bot.axhline(0, color="#444444", lw=1.0, zorder=1)
            if margin:
                ax_bot.axhspan(-margin, margin, color="#88CCEE", alpha=0.25, lw=0, zorder=0)
            ax_bot.set_xticks(xs[1:], [f"b = 0\n− {b}" for b in order[1:]])
            ax_bot.set_xlim(0.5, len(order) - 0.5)
            ax_bot.set_ylabel("paired difference" if ax_bot is bottom[0] else "")
        seeds = wide.groupby("panel").size()
        n = f"{int(seeds.min())}" + (f"–{int(seeds.max())}" if seeds.min() != seeds.max() else "")
        how = f"{interval['level']:.0%} bootstrap interval" if interval["method"] == "bootstrap" else "exact (no interval)"
        lines = [
            f"top: one line per seed (bar: median); {n} paired seeds",
            f"bottom: per-seed difference; black: {statistic}, {how}",
        ]
        if margin:
            lines.append(f"blue band: equivalence margin ±{margin:g}")
        F.note(fig, "\n".join(lines))
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
