"""Rule plot_decision_boundaries: the trained net's decision regions, zero vs constant vs random init (L06).

Recomputed from the final parameters (results/params.parquet) with :func:`initstudy.mlp.forward`
on a grid; one run per init (the first seed), one hidden layer.
"""

import numpy as np

from initstudy import figures as F
from initstudy.mlp import ACTIVATIONS, forward, sigmoid
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Decision regions after training"
GRID = 250


def run_params(rows) -> tuple[list, list]:
    """One run's weights and biases as the engine's batched lists (a batch of one)."""
    rows = rows.sort_values("layer")
    W = [np.asarray(w, dtype=float).reshape(1, r, c) for w, r, c in zip(rows["weights"], rows["rows"], rows["cols"])]
    b = [np.asarray(v, dtype=float).reshape(1, -1, 1) for v in rows["biases"]]
    return W, b


def pick_width(widths, preferred: int) -> int:
    widths = sorted(int(w) for w in widths)
    return preferred if preferred in widths else widths[-1]


def main(
    params: str, dataset: str, output: str, *, experiment: str = "symmetry", activation: str = "tanh", width: int = 4
) -> None:
    df = read_table(params)
    data = read_table(dataset)
    name = dataset.rsplit("/", 1)[-1].removesuffix(".parquet")
    df = df[(df["experiment"] == experiment) & (df["dataset"] == name) & (df["depth"] == 1)]
    notes = []
    with F.style():
        if df.empty:
            F.save(
                F.empty_figure(TITLE, f"No one-hidden-layer runs on '{name}' in experiment '{experiment}' (not in this config)."),
                output,
            )
            return
        if activation not in set(df["activation"]):
            notes.append(f"{activation} not run; showing {df['activation'].iloc[0]}")
            activation = df["activation"].iloc[0]
        df = df[df["activation"] == activation]
        w = pick_width(df["width"].unique(), width)
        if w != width:
            notes.append(f"width {width} not run; showing width {w}")
        df = F.add_init_label(df[df["width"] == w])
        first = df.groupby("init_label")["seed"].transform("min")
        df = df[df["seed"] == first]
        df = df[df["lr"] == df.groupby("init_label")["lr"].transform("min")]
        labels = sorted(
            df["init_label"].unique(), key=lambda k: F.init_order_key(*df.loc[df["init_label"] == k, ["init", "scale"]].iloc[0])
        )
        train = data[data["split"] == "train"]
        X = train[["x1", "x2"]].to_numpy().T  # (2, m)
        y = train["y"].to_numpy()
        pad = 0.1 * (X.max(axis=1) - X.min(axis=1))
        g1 = np.linspace(X[0].min() - pad[0], X[0].max() + pad[0], GRID)
        g2 = np.linspace(X[1].min() - pad[1], X[1].max() + pad[1], GRID)
        G1, G2 = np.meshgrid(g1, g2)
        grid = np.stack([G1.ravel(), G2.ravel()])  # (2, GRID^2)
        act = ACTIVATIONS[activation]
        fig, axes = F.panels(len(labels), ncols=3, height=2.9)
        for ax, label in zip(axes, labels):
            rows = df[df["init_label"] == label]
            W, b = run_params(rows)
            with np.errstate(all="ignore"):
                p = sigmoid(forward(W, b, grid, act)[0][-1][0, 0]).reshape(GRID, GRID)
                z_train = forward(W, b, X, act)[0][-1][0, 0]
            acc = float(((z_train > 0) == (y == 1)).mean())
            cf = ax.contourf(G1, G2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.42, vmin=0, vmax=1)
            if p.max() - p.min() > 1e-9:
                ax.contour(G1, G2, p, levels=[0.5], colors="black", linewidths=1.0)
            else:
                ax.text(
                    0.5,
                    0.04,
                    f"constant output p = {p.mean():.2f}",
                    transform=ax.transAxes,
                    ha="center",
                    fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
                )
            for cls, colour in F.CLASS_COLORS.items():
                pts = X[:, y == cls]
                ax.scatter(pts[0], pts[1], s=6, color=colour, edgecolors="white", linewidths=0.3)
            flag = ", diverged" if bool(rows["diverged"].any()) else ""
            ax.set_title(f"init {label}\ntrain accuracy {acc:.2f}{flag}")
            ax.set_aspect("equal", adjustable="box")
            ax.grid(False)
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$" if ax is axes[0] else "")
        cbar = fig.colorbar(cf, ax=axes, shrink=0.85, pad=0.01)
        cbar.set_label("predicted P(class 1)")
        cbar.set_ticks([0, 0.5, 1])
        seeds = sorted(set(df["seed"]))
        F.note(
            fig,
            f"{name}, {activation}, {w} hidden units, {int(df['iterations'].max()):,} iterations, seed {', '.join(map(str, seeds))}; "
            "black line: p = 0.5" + ("\n" + "; ".join(notes) if notes else ""),
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
