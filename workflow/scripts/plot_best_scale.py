"""Rule plot_best_scale: the best init scale per setting (activation x depth x width) against 1 (L14).

Each setting (one row) compares the init scales it was run with. A candidate's score is the median
over seeds of the final metric (test accuracy by default) at its best learning rate of the grid
(:func:`initstudy.claims.best_lrs`: highest median final train accuracy), as the claims step scores it.
Scales are put on one axis as the effective weight standard deviation at init: the RMS, over every
weight of the net, of the std its scheme gives (so ``normal`` at 0.01 is 0.01, and Xavier or He
are placed by their fan-in-scaled std). Marker: the best candidate;
ties broken by the lower median test loss, then the larger scale, as in the claims step; bar: every
candidate within the tolerance of the best; grey ticks: all candidates.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.claims import best_lrs
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_rule
from initstudy.tables import read_table

TITLE = "Best init scale per setting"
STD = {
    "zeros": lambda s, fi, fo: 0.0,
    "constant": lambda s, fi, fo: abs(s),
    "normal": lambda s, fi, fo: s,
    "uniform": lambda s, fi, fo: s,
    "lecun_normal": lambda s, fi, fo: s / np.sqrt(fi),
    "xavier_normal": lambda s, fi, fo: s * np.sqrt(2.0 / (fi + fo)),
    "xavier_uniform": lambda s, fi, fo: s * np.sqrt(2.0 / (fi + fo)),
    "he_normal": lambda s, fi, fo: s * np.sqrt(2.0 / fi),
    "orthogonal": lambda s, fi, fo: s / np.sqrt(max(fi, fo)),
}
"""Init scheme -> per-entry standard deviation (RMS) of a layer's weights, given scale, fan_in, fan_out."""
MARKERS = {"scale": "o", "deep": "D"}
METRIC_NAMES = {"test_acc": "test accuracy", "train_acc": "train accuracy"}


def effective_std(init: str, scale: float, width: int, depth: int, n_x: int = 2) -> float:
    """RMS over all weights of the net of the init std of ``init`` at ``scale`` (layers 2 -> width^depth -> 1)."""
    sizes = [n_x] + [width] * depth + [1]
    count = np.array([sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1)], dtype=float)
    std = np.array([STD[init](scale, sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)])
    return float(np.sqrt((count * std**2).sum() / count.sum()))


def candidates(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One row per (setting, init, scale) at its best lr: score (median final metric), tie-break loss, effective std."""
    setting = ["experiment", "dataset", "activation", "depth", "width"]
    cand = [*setting, "init", "scale", "bias_init", "bias_scale"]
    chosen = df.merge(best_lrs(df, cand), on=[*cand, "lr"])
    best = chosen.groupby(cand, observed=True).agg(score=(metric, "median"), loss=("test_loss", "median")).reset_index()
    pairs = best[["init", "scale", "width", "depth"]].drop_duplicates()
    stds = {tuple(p): effective_std(*p) for p in pairs.itertuples(index=False)}
    best["std"] = [stds[k] for k in zip(best["init"], best["scale"], best["width"], best["depth"])]
    return best[best["std"] > 0]


def pick_best(c: pd.DataFrame) -> pd.Series:
    """The best candidate as the claims step picks a best scale: highest score, then lowest test loss, then larger std."""
    return c.sort_values(["score", "loss", "std"], ascending=[False, True, False], kind="stable").iloc[0]


def main(
    metrics: str, output: str, *, experiments: tuple = ("scale", "deep"), metric: str = "test_acc", tolerance: float = 0.01
) -> None:
    df = read_table(
        metrics, columns=[*COORDINATES, "iterations", "iteration", *dict.fromkeys([metric, "train_acc", "loss", "test_loss"])]
    )
    df = F.final_rows(df[df["experiment"].isin(experiments) & (df["depth"] > 0)])
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing(list(experiments), [])), output)
            return
        cand = candidates(df, metric)
        setting = ["experiment", "dataset", "activation", "depth", "width"]
        order = {e: i for i, e in enumerate(experiments)}
        keys = sorted(
            cand[setting].drop_duplicates().itertuples(index=False),
            key=lambda k: (
                order.get(k.experiment, 9),
                k.dataset,
                F.ACT_ORDER.index(k.activation) if k.activation in F.ACT_ORDER else 9,
                k.depth,
                k.width,
            ),
        )
        fig, ax = F.plt.subplots(figsize=(F.WIDTH, 1.3 + 0.34 * len(keys)))
        ylabels = []
        for y, key in enumerate(keys):
            c = cand[(cand[setting] == pd.Series(key._asdict())).all(axis=1)].sort_values(["std", "init"])
            top = c["score"].max()
            near = c[c["score"] >= top - tolerance]
            best = pick_best(c)
            colour = F.ACT_COLORS.get(key.activation, "#555555")
            ax.scatter(c["std"], np.full(len(c), y), marker="|", s=80, color="#999999", zorder=2)
            ax.plot(
                [near["std"].min(), near["std"].max()], [y, y], color=colour, lw=5, alpha=0.35, solid_capstyle="round", zorder=3
            )
            ax.scatter(
                [best["std"]], [y], marker=MARKERS.get(key.experiment, "o"), s=55, color=colour, edgecolors="white", zorder=4
            )
            label = F.init_label(best["init"], best["scale"])
            ax.annotate(
                f"{label}: {top:.2f}",
                (best["std"], y),
                xytext=(7, 4),
                textcoords="offset points",
                fontsize=7.5,
                color="#333333",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
                zorder=5,
            )
            ylabels.append(f"{key.activation}, {key.depth} × {key.width}  ({key.experiment}, {key.dataset})")
        ax.axvline(1.0, color="#333333", ls="--", lw=1.2, zorder=1)
        ax.set_yticks(range(len(keys)), ylabels)
        ax.set_ylim(len(keys) - 0.4, -0.6)
        F.scale_axis(ax, "effective init weight std (RMS over all weights of the net)")
        lo, hi = cand["std"].min(), cand["std"].max()
        ax.set_xlim(min(lo, 1.0) / 2.5, max(hi, 1.0) * 2.5)
        ax.grid(axis="y", visible=False)
        acts = F.ordered(cand["activation"], F.ACT_ORDER)
        handles = [F.line_handle(F.ACT_COLORS.get(a, "#555555"), ls="", marker="o") for a in acts]
        labels = list(acts)
        for e in experiments:
            if e in set(cand["experiment"]):
                handles.append(F.line_handle("#555555", ls="", marker=MARKERS.get(e, "o")))
                labels.append(f"best, {e} experiment")
        handles.append(F.line_handle("#999999", ls="", marker="|"))
        labels.append("scales run")
        F.legend_above(fig, handles, labels, ncol=4)
        note = (
            f"score: median final {METRIC_NAMES.get(metric, metric)} over seeds at the best lr (text: best init and its score);\n"
            f"bar: within {tolerance:g} of the best; rows: activation, depth × width"
        )
        missing = F.missing(list(experiments), set(cand["experiment"]))
        F.note(fig, note + ("\n" + missing if missing else ""))
        F.save(fig, output)


if "snakemake" in globals():
    p = snakemake.params  # noqa: F821
    run_rule(snakemake, main, snakemake.input.metrics, snakemake.output[0], metric=p.metric, tolerance=p.tolerance)  # noqa: F821
