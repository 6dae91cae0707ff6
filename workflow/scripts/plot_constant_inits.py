"""Rule plot_constant_inits: zero vs constant vs random init over training, one hidden layer (B01).

Train loss (top) and train accuracy (bottom) against iteration on one dataset and width, one
column per activation: the all-zero start (a stationary point on balanced classes: the loss stays
at ln 2), every constant init of the config (they learn, but as one unit: never above the best
linear classifier, the dotted line) and the lecture's ``randn * 0.01`` for comparison. Symmetric
inits come from the experiment that trains them longest (``long``, else ``symmetry``); the
random init from ``symmetry`` (median over seeds, range as a band).
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.inits import SYMMETRIC_INITS
from initstudy.linear import best_linear_accuracy
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Zero, constant and random init over training"
ROWS = {"loss": "train loss (BCE, nats)", "train_acc": "train accuracy"}


def pick(df, dataset: str, width: int) -> tuple[str, int]:
    """The dataset and width to show: the preferred ones where the runs have them, else the most common."""
    ds = dataset if dataset in set(df["dataset"]) else df["dataset"].mode().iloc[0]
    widths = set(df.loc[df["dataset"] == ds, "width"])
    w = width if width in widths else max(widths)
    return ds, int(w)


def main(
    metrics: str,
    datasets: Sequence[str],
    output: str,
    *,
    experiments: tuple = ("long", "symmetry"),
    random_experiment: str = "symmetry",
    dataset: str = "flower",
    width: int = 4,
) -> None:
    df = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", *ROWS, "diverged"])
    df = df[df["experiment"].isin([*experiments, random_experiment]) & (df["depth"] == 1) & (df["width"] > 1)]
    with F.style():
        sym = df[df["init"].isin(SYMMETRIC_INITS) & df["experiment"].isin(experiments)]
        if sym.empty:
            F.save(
                F.empty_figure(TITLE, F.missing(list(experiments), set(df["experiment"])) or "No symmetric-init runs."), output
            )
            return
        ds, w = pick(sym, dataset, width)
        sym = sym[(sym["dataset"] == ds) & (sym["width"] == w)]
        # each symmetric init from the experiment that trains it longest (long runs first)
        budget = sym.groupby(["activation", "init", "scale", "experiment"])["iterations"].max().reset_index()
        budget = budget.sort_values("iterations", kind="stable").groupby(["activation", "init", "scale"]).tail(1)
        sym = sym.merge(budget[["activation", "init", "scale", "experiment"]], on=["activation", "init", "scale", "experiment"])
        rnd = df[
            (df["experiment"] == random_experiment)
            & ~df["init"].isin(SYMMETRIC_INITS)
            & (df["dataset"] == ds)
            & (df["width"] == w)
        ]
        shown = F.add_init_label(pd.concat([sym, rnd], ignore_index=True))
        palette = F.init_palette(shown[["init", "scale"]].drop_duplicates().itertuples(index=False))
        acts = F.ordered(shown["activation"], F.ACT_ORDER)
        paths = {p.rsplit("/", 1)[-1].removesuffix(".parquet"): p for p in datasets}
        ceiling = None
        if ds in paths:
            data = read_table(paths[ds])
            train = data[data["split"] == "train"]
            ceiling = best_linear_accuracy(train[["x1", "x2"]].to_numpy(), train["y"].to_numpy().astype(int))
        fig, axes = F.panels(len(ROWS) * len(acts), ncols=len(acts), height=2.45, sharex=True)
        for r, (col, label) in enumerate(ROWS.items()):
            s = F.spread(shown, ["activation", "init_label", "iteration"], col)
            for j, act in enumerate(acts):
                ax = axes[r * len(acts) + j]
                for lab, colour in palette.items():
                    c = s[(s["activation"] == act) & (s["init_label"] == lab)]
                    if c.empty:
                        continue
                    ax.plot(c["iteration"], c["median"], color=colour, **F.init_style(lab))
                    if (c["hi"] > c["lo"]).any():
                        F.band(ax, c["iteration"], c["lo"], c["hi"], colour, alpha=0.15)
                bad = F.first_diverged(shown[shown["activation"] == act], list(COORDINATES))
                F.mark_diverged(ax, bad["iteration"], bad[col])
                F.iteration_axis(ax, "iteration" if r == len(ROWS) - 1 else "")
                if col == "loss":
                    ax.set_yscale("log")
                    ax.axhline(np.log(2), color="#888888", ls="--", lw=1.0, zorder=1)
                    F.readable_log_y(ax)
                    ax.set_title(f"{act}")
                else:
                    if ceiling is not None:
                        ax.axhline(ceiling, color="#444444", ls=":", lw=1.3, zorder=2)
                    ax.set_ylim(max(0.0, min(0.4, float(s["median"].min()) - 0.03)), 1.0)
                ax.set_ylabel(label if j == 0 else "")
        handles = [F.line_handle(c, ls=F.init_style(k)["ls"]) for k, c in palette.items()]
        labels = [f"init {k}" for k in palette]
        F.legend_above(fig, handles, labels, ncol=min(len(labels), 5))
        seeds = rnd["seed"].nunique() if len(rnd) else 0
        sources = ", ".join(f"'{e}' ({int(n):,} it.)" for e, n in sym.groupby("experiment")["iterations"].max().items())
        bits = [
            f"{ds}, {w} hidden units; zero and constant inits: one run each (every seed gives the same net), from the longest of",
            f"{sources}" + (f"; random init: median and range over {seeds} seeds of '{random_experiment}'" if seeds else ""),
            "dashed grey: ln 2" + (f"; dotted: best linear classifier ({ceiling:.3f})" if ceiling is not None else ""),
        ]
        F.note(fig, "\n".join(bits))
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
