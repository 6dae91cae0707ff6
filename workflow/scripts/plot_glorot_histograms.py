"""Rule plot_glorot_histograms: distribution of each hidden layer's activations at init, deep tanh net (B03).

In the spirit of Glorot & Bengio (2010, figure 6): for every init of the experiment, one histogram
per hidden layer (a ridge line, layer 1 at the bottom) of the tanh activations over all training
points, units and seeds, with each layer's standard deviation written at its right.

The tables hold summaries only, so the activations are recomputed here: each run's initial weights
are redrawn from its own key with :func:`initstudy.train.init_params` (exactly the draw the
training job made; nothing is trained) and pushed through :func:`initstudy.mlp.forward`. The
recomputed standard deviations are checked against the ``act_std`` the training job logged at
iteration 0.
"""

import logging

import numpy as np

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.mlp import ACTIVATIONS, forward
from initstudy.rulescript import run_script
from initstudy.tables import read_table
from initstudy.train import init_params

TITLE = "Activations per layer at init (deep tanh net)"
BINS = np.linspace(-1.0, 1.0, 61)


def activations(runs: list[dict], X: np.ndarray) -> list[np.ndarray]:
    """Hidden activations ``(R, width, m)`` per layer of runs that share activation, width and depth, at init."""
    first = runs[0]
    W, b = init_params(runs, X.shape[0], first["width"], first["depth"])
    _, A = forward(W, b, X, ACTIVATIONS[first["activation"]])
    return A


def main(layers: str, dataset: str, output: str, *, experiment: str = "glorot") -> None:
    lay = F.at_init(read_table(layers, columns=[*COORDINATES, "iteration", "layer", "act_std"]))
    lay = lay[lay["experiment"] == experiment]
    with F.style():
        if lay.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        data = read_table(dataset)
        train = data[data["split"] == "train"]
        X = train[["x1", "x2"]].to_numpy(dtype=float).T  # (2, m)
        lay = F.add_init_label(lay)
        labels = sorted(
            lay["init_label"].unique(),
            key=lambda k: F.init_order_key(*lay.loc[lay["init_label"] == k, ["init", "scale"]].iloc[0]),
        )
        palette = F.init_palette(lay[["init", "scale"]].drop_duplicates().itertuples(index=False))
        depth = int(lay["depth"].max())
        lay = lay[lay["depth"] == depth]
        fig, axes = F.panels(len(labels), ncols=len(labels), height=4.4, sharey=True)
        worst = 0.0
        for ax, label in zip(axes, labels):
            rows = lay[lay["init_label"] == label]
            runs = [dict(zip(COORDINATES, k)) for k in rows[list(COORDINATES)].drop_duplicates().itertuples(index=False)]
            runs = [r for r in runs if r["activation"] == runs[0]["activation"] and r["width"] == runs[0]["width"]]
            A = activations(runs, X)
            logged = rows.groupby("layer")["act_std"].median()
            colour = palette[label]
            for li, a in enumerate(A, start=1):
                values = a.ravel()
                hist, _ = np.histogram(np.clip(values, -1.0, 1.0), bins=BINS)
                h = hist / hist.max() * 0.85 if hist.max() > 0 else hist
                ax.fill_between(BINS[:-1], li, li + h, step="post", color=colour, alpha=0.55, lw=0)
                ax.step(BINS[:-1], li + h, where="post", color=colour, lw=0.9)
                std = float(np.median([x.std() for x in a]))
                if li in logged.index and logged[li] > 0:
                    worst = max(worst, abs(std / logged[li] - 1.0))
                ax.text(1.04, li + 0.25, f"{std:.1e}" if std < 0.01 else f"{std:.2f}", fontsize=7.5, va="center", ha="left",
                        color="#333333", clip_on=False)  # fmt: skip
            ax.set_xlim(-1.05, 1.0)
            ax.set_ylim(0.8, depth + 1.1)
            ax.set_yticks(range(1, depth + 1))
            ax.set_xlabel("activation tanh(z)")
            ax.set_title(f"init {label}", pad=14)
            ax.text(1.04, depth + 1.0, "std", fontsize=7.5, ha="left", va="bottom", color="#333333", clip_on=False)
            ax.grid(axis="y", visible=False)
        axes[0].set_ylabel("hidden layer (histogram scaled to its peak)")
        if worst > 1e-6:
            logging.getLogger("plot_glorot_histograms").warning(
                "recomputed activation std differs from the logged act_std by up to %.2g (relative)", worst
            )
        seeds = lay.groupby("init_label")["seed"].nunique()
        width = ", ".join(str(w) for w in sorted(lay["width"].unique()))
        F.note(
            fig,
            f"iteration 0, {depth} hidden layers of {width} tanh units, all training points, units and "
            f"{seeds.min()}" + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "") + " seeds;\n"
            "right of each histogram: the layer's activation std (median over seeds)"
            + ("; matches the logged act_std" if worst <= 1e-6 else f"; differs from the logged act_std by up to {worst:.2g}"),
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
