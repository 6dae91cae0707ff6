"""Rule plot_depth_accuracy: final accuracy against depth per init and activation (L13).

Plots results/measures/L13.parquet, the table the L13 verdict was computed from: each run's final train and
test accuracy with each (activation, depth, init) at its best learning rate, as the claim chose it, and whether the
run diverged. Nothing is recomputed here; the metrics table gives only the grid for the note (learning rates,
iterations, width). Line: median over seeds; band: range over seeds; crosses on the axis edge: diverged runs.
"""

import pandas as pd

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Final accuracy against depth"
ROWS = {"train_acc": "final train accuracy", "test_acc": "final test accuracy"}
CURVE = "final {} at the best lr"  # L13's measure rows (cell: "<activation>, <init>, <scale>", x: depth), per run
DIVERGED = "diverged at the best lr"


def runs_at_best_lr(measures: pd.DataFrame) -> pd.DataFrame:
    """One row per run L13 judged at its best lr: activation, init, scale, depth, seed, train_acc, test_acc, diverged."""
    parts = []
    for col, check in [*((c, CURVE.format(c)) for c in ROWS), ("diverged", DIVERGED)]:
        rows = measures[measures["check"] == check]
        parts.append(rows.set_index(["cell", "x", "seed"])["value"].rename(col))
    df = pd.concat(parts, axis=1).reset_index()
    if df.empty:
        return df
    cell = df["cell"].str.split(", ", expand=True)
    return df.assign(
        activation=cell[0], init=cell[1], scale=cell[2].astype(float), depth=df["x"].astype(int),
        diverged=df["diverged"] > 0,
    )  # fmt: skip


def main(measures: str, metrics: str, output: str, *, experiment: str = "deep") -> None:
    df = runs_at_best_lr(read_table(measures, name="measures"))
    grid = read_table(metrics, columns=["experiment", "lr", "iterations", "width"])
    grid = grid[grid["experiment"] == experiment]
    with F.style():
        if df.empty:
            why = F.missing([experiment], []) if grid.empty else "L13 was not decided: no measures (see its note)."
            F.save(F.empty_figure(TITLE, why), output)
            return
        df = F.add_init_label(df)
        palette = F.init_palette(df[["init", "scale"]].drop_duplicates().itertuples(index=False))
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        depths = sorted(df["depth"].unique())
        fig, axes = F.panels(len(ROWS) * len(acts), ncols=len(acts), height=2.45, sharex=True, sharey=True)
        any_bad = False
        for r, (col, label) in enumerate(ROWS.items()):
            s = F.spread(df, ["activation", "init_label", "depth"], col)
            for j, act in enumerate(acts):
                ax = axes[r * len(acts) + j]
                for lab, colour in palette.items():
                    c = s[(s["activation"] == act) & (s["init_label"] == lab)]
                    ax.plot(c["depth"], c["median"], color=colour, marker="o", ms=3.5)
                    F.band(ax, c["depth"], c["lo"], c["hi"], colour, alpha=0.15)
                bad = df[(df["activation"] == act) & df["diverged"]]
                any_bad |= F.mark_diverged(ax, bad["depth"], bad[col])
                ax.axhline(0.5, color="#aaaaaa", lw=0.9, zorder=1)
                ax.set_xscale("log", base=2)
                ax.set_xticks(depths, [str(d) for d in depths])
                ax.xaxis.set_minor_locator(F.ticker.NullLocator())
                ax.set_xlabel("hidden layers (depth)" if r == len(ROWS) - 1 else "")
                ax.set_ylabel(label if j == 0 else "")
                if r == 0:
                    ax.set_title(act)
        handles = [F.line_handle(c, marker="o") for c in palette.values()]
        labels = [f"init {k}" for k in palette]
        if any_bad:
            handles.append(F.diverged_handle())
            labels.append("diverged run")
        F.legend_above(fig, handles, labels)
        seeds = df.groupby(["activation", "init_label", "depth"])["seed"].nunique()
        lr = "each init at its best of " + ", ".join(f"{v:g}" for v in sorted(grid["lr"].unique()))
        width = ", ".join(map(str, sorted(grid["width"].unique())))
        F.note(
            fig,
            f"lr: {lr}; {int(grid['iterations'].max()):,} iterations, width {width}; "
            f"line: median, band: range over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; grey: chance",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
