"""Rule plot_learning_curves: training loss and accuracy over iterations, one line per init scale (L09).

Fixed learning rate (the lecture's 1.2 by default), median over seeds, one column per activation
(tanh first, the lecture's case). Colour encodes the init scale on a log colour scale.
"""

import numpy as np

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Learning curves by init scale"
ROWS = {"loss": "train loss (BCE, nats)", "train_acc": "train accuracy"}


def main(metrics: str, output: str, *, experiment: str = "scale", lr: float = 1.2) -> None:
    df = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", *ROWS, "diverged"])
    df = df[(df["experiment"] == experiment) & (df["depth"] == 1)]
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        lrs = sorted(df["lr"].unique())
        used = min(lrs, key=lambda v: abs(np.log(v / lr)))
        df = df[df["lr"] == used]
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        colours = F.scale_colors(df["scale"])
        fig, axes = F.panels(len(ROWS) * len(acts), ncols=len(acts), height=2.45, sharex=True)
        bad = F.first_diverged(df, list(COORDINATES))
        for r, (col, label) in enumerate(ROWS.items()):
            s = F.spread(df, ["activation", "scale", "iteration"], col)
            for j, act in enumerate(acts):
                ax = axes[r * len(acts) + j]
                for scale, colour in colours.items():
                    c = s[(s["activation"] == act) & (s["scale"] == scale)]
                    ax.plot(c["iteration"], c["median"], color=colour, lw=1.5)
                b = bad[bad["activation"] == act]
                F.mark_diverged(ax, b["iteration"], b[col])
                F.iteration_axis(ax, "iteration" if r == len(ROWS) - 1 else "")
                if col == "loss":
                    ax.set_yscale("log")
                    ax.axhline(np.log(2), color="#888888", ls="--", lw=1.0, zorder=1)
                    F.readable_log_y(ax)
                    ax.set_title(act)
                else:
                    ax.set_ylim(min(0.4, float(s["median"].min()) - 0.02), 1.0)
                ax.set_ylabel(label if j == 0 else "")
        sm = F.plt.cm.ScalarMappable(cmap=F.SCALE_CMAP, norm=F.matplotlib.colors.LogNorm(min(colours), max(colours)))
        cbar = fig.colorbar(sm, ax=axes, shrink=0.8, pad=0.01, aspect=30)
        cbar.set_label("init scale (weight std)")
        cbar.set_ticks(sorted(colours))
        cbar.set_ticklabels([f"{v:g}" for v in sorted(colours)])
        cbar.minorticks_off()
        if not bad.empty:
            F.legend_above(fig, [F.diverged_handle()], [f"run diverged ({bad.groupby(list(COORDINATES)).ngroups})"])
        seeds = df.groupby(["activation", "scale"])["seed"].nunique()
        F.note(
            fig,
            f"lr {used:g}"
            + ("" if used == lr else f" (closest to {lr:g})")
            + f"; median over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; dashed: ln 2",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
