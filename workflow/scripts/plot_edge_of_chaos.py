"""Rule plot_edge_of_chaos: signal at init and trainability over the weight std sigma_w and depth (B03).

One row per activation, three panels against sigma_w (LeCun normal: std = sigma_w / sqrt(fan_in), zero bias),
each with the mean-field critical value drawn as a dashed line (tanh 1, relu sqrt 2):

- forward (context, not part of the verdict): in the deepest net measured at init, log10 of each hidden layer's
  activation std over layer 1's (blue: the signal fades, red: it grows), median over seeds;
- backward (B03's first check): the per-layer log10 growth of the rms dz from the last hidden layer down to
  layer 1 (0: neither grows nor shrinks, mean-field chi_1 = 1), one dot per seed, the median as a line, the
  flattest sigma_w (ring) with its interval, and the band the rule accepts around the critical value;
- trainability (B03's second check): the median final accuracy of the trained nets, by depth.

The backward growth, the flattest sigma_w and the accuracies are read from results/measures/B03.parquet, the
table the B03 verdict was computed from; nothing the verdict used is recomputed here.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Edge of chaos: signal at init and trainability over sigma_w and depth"
LIMIT = 3.0  # colour scale of the forward map, decades
# B03's measure rows (initstudy.claims.families)
GROWTH = "per-layer log10 growth of the rms dz at init"
FLAT = "flattest sigma_w"
TRAIN = "median final accuracy"
RATIO = "log10(flattest sigma_w / critical)"


def edges(values: np.ndarray, log: bool = True) -> np.ndarray:
    """Cell edges around sorted centres: geometric (log) or arithmetic midpoints."""
    v = np.log(values) if log else np.asarray(values, dtype=float)
    if len(v) == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = (v[1:] + v[:-1]) / 2
        e = np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]
    return np.exp(e) if log else e


def forward_map(lay: pd.DataFrame, act: str) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Scales and the median (over seeds) log10 activation std of each layer over layer 1's ``(S, L)`` in the
    deepest net of ``act``, and its depth: a description of the forward signal, not a number the verdict uses."""
    d = lay[lay["activation"] == act]
    if d.empty:
        return None
    depth = int(d["depth"].max())
    d = d[d["depth"] == depth]
    logs = np.log10(np.maximum(d.pivot_table(index=["scale", "seed"], columns="layer", values="act_std"), 1e-300))
    change = logs.sub(logs[1], axis=0).groupby(level="scale").median()
    return change.index.to_numpy(dtype=float), change.to_numpy(), depth


def critical_line(ax, critical: float, zorder: float = 5) -> None:
    ax.axvline(critical, color="black", ls=(0, (4, 2)), lw=1.3, zorder=zorder)


NAMED_SIGMAS = np.array([0.25, 0.5, 1.0, 1.4142, 2.0, 2.8284, 4.0])
"""The sigma_w ticks that carry a label (every grid value gets a tick)."""


def sigma_axis(ax, scales: np.ndarray) -> None:
    ax.set_xscale("log")
    named = [s for s in scales if any(np.isclose(s, NAMED_SIGMAS, rtol=2e-3))]  # a few labels, not a crowd
    ax.set_xticks(scales, [f"{s:.3g}" if s in named else "" for s in scales], fontsize=7.5)
    ax.xaxis.set_minor_locator(F.ticker.NullLocator())
    ax.set_xlabel("$\\sigma_w$")
    ax.grid(False)


def growth_panel(ax, m: pd.DataFrame, act: str, critical: float, factor: float) -> bool:
    """B03's first check: per-layer growth of the backward signal per seed and sigma_w, the flattest one and its
    interval, and the band of sigma_w the rule accepts."""
    g = m[(m["check"] == GROWTH) & (m["cell"] == act)]
    if g.empty:
        return False
    colour = F.ACT_COLORS.get(act, "#555555")
    ax.axvspan(critical / factor, critical * factor, color="#88CCEE", alpha=0.3, lw=0, zorder=0)
    ax.axhline(0, color="#444444", lw=1.0, zorder=1)
    ax.scatter(g["x"], g["value"], s=10, color=colour, alpha=0.45, lw=0, zorder=2)
    med = g.groupby("x")["value"].median()
    ax.plot(med.index, med.to_numpy(), color=colour, lw=1.7, marker="o", ms=3, zorder=3)
    flat = m[(m["check"] == FLAT) & (m["cell"] == act)]["value"]
    ratio = m[m["check"].str.startswith(f"{RATIO}: ") & (m["cell"] == act)].set_index("check")["value"]
    if len(flat):
        best = float(flat.iloc[0])
        ax.scatter([best], [med.loc[np.isclose(med.index, best)].iloc[0]], s=90, facecolors="none", edgecolors="black",
                   lw=1.6, zorder=5)  # fmt: skip
        lo, hi = (ratio.get(f"{RATIO}: interval {e}", np.nan) for e in ("low", "high"))
        if np.isfinite(lo) and np.isfinite(hi):
            y = ax.get_ylim()[0] + 0.06 * np.ptp(ax.get_ylim())
            ax.plot([critical * 10**lo, critical * 10**hi], [y, y], color="black", lw=2.2, solid_capstyle="butt", zorder=5)
    sigma_axis(ax, med.index.to_numpy(dtype=float))
    critical_line(ax, critical)
    return True


def train_panel(ax, m: pd.DataFrame, act: str, critical: float, accn):
    """The median final accuracy by depth and sigma_w (B03's second check compares the deepest row)."""
    t = m[(m["check"] == TRAIN) & m["cell"].str.startswith(f"{act}, depth ")]
    if t.empty:
        return None
    t = t.assign(depth=t["cell"].str.rsplit(" ", n=1).str[-1].astype(int))
    med = t.pivot_table(index="depth", columns="x", values="value")
    sc, dp = med.columns.to_numpy(dtype=float), med.index.to_numpy(dtype=float)
    mesh = ax.pcolormesh(edges(sc), edges(dp), med.to_numpy(), cmap="viridis", norm=accn, shading="flat")
    e = edges(sc)
    wide = dict(zip(sc, np.log(e[1:] / e[:-1]) > 0.3))  # numbers only in cells wide enough to hold them
    for r in t[t["x"].map(wide)].itertuples():
        ax.text(r.x, r.depth, f"{r.value:.2f}"[1:], ha="center", va="center", fontsize=6.5,
                color="white" if r.value < 0.75 else "black")  # fmt: skip
    sigma_axis(ax, sc)
    ax.set_yscale("log", base=2)
    ax.set_yticks(dp, [str(int(d)) for d in dp])
    ax.yaxis.set_minor_locator(F.ticker.NullLocator())
    ax.set_ylabel("depth (hidden layers)")
    critical_line(ax, critical, zorder=2)  # under the numbers
    return mesh


def main(
    layers: str,
    measures: str,
    output: str,
    *,
    signal_experiment: str = "edge_signal",
    init: str = "lecun_normal",
    critical: dict | None = None,
    factor: float = 1.2,
    metric: str = "train_acc",
) -> None:
    critical = critical or {"tanh": 1.0, "relu": float(np.sqrt(2.0))}
    lay = F.at_init(read_table(layers, columns=["experiment", "activation", "depth", "init", "scale", "seed", "iteration",
                                                "layer", "act_std"]))  # fmt: skip
    lay = lay[(lay["experiment"] == signal_experiment) & (lay["init"] == init)]
    m = read_table(measures, name="measures")
    with F.style():
        acts = [a for a in critical if a in set(lay["activation"]) | {c.split(",")[0] for c in m["cell"]}]
        if not acts:
            msg = F.missing([signal_experiment], set(lay["experiment"])) or f"No {init} runs of {', '.join(critical)}."
            F.save(F.empty_figure(TITLE, msg), output)
            return
        fig, axes = F.panels(3 * len(acts), ncols=3, height=2.7)
        div = F.matplotlib.colors.TwoSlopeNorm(vmin=-LIMIT, vcenter=0.0, vmax=LIMIT)
        accn = F.matplotlib.colors.Normalize(0.5, 1.0)
        mesh_sig = mesh_acc = None
        for i, act in enumerate(acts):
            ax_f, ax_b, ax_t = axes[3 * i : 3 * i + 3]
            fm = forward_map(lay, act)
            if fm is not None:
                scales, fwd, depth = fm
                mesh_sig = ax_f.pcolormesh(edges(scales), np.arange(0.5, depth + 1.5), np.clip(fwd.T, -LIMIT, LIMIT),
                                           cmap="RdBu_r", norm=div, shading="flat")  # fmt: skip
                sigma_axis(ax_f, scales)
                critical_line(ax_f, critical[act])
                ax_f.set_ylim(0.5, depth + 0.5)
                ax_f.yaxis.set_major_locator(F.ticker.MaxNLocator(integer=True))
                ax_f.set_ylabel(f"{act}\nhidden layer $l$ (of {depth})")
            else:
                ax_f.text(0.5, 0.5, f"no {act} runs in '{signal_experiment}'", ha="center", va="center", transform=ax_f.transAxes)
            if growth_panel(ax_b, m, act, critical[act], factor):
                ax_b.set_ylabel("log10 growth per layer")
            else:
                ax_b.text(0.5, 0.5, f"B03 has no growth for {act}", ha="center", va="center", transform=ax_b.transAxes)
            mesh = train_panel(ax_t, m, act, critical[act], accn)
            mesh_acc = mesh if mesh is not None else mesh_acc
            if mesh is None:
                ax_t.text(0.5, 0.5, f"B03 has no trained {act} nets", ha="center", va="center", transform=ax_t.transAxes)
            if i == 0:
                ax_f.set_title("forward: act. std / layer 1")
                ax_b.set_title("backward: growth of rms dz")
                ax_t.set_title("trained: final accuracy")
            if i < len(acts) - 1:
                for ax in (ax_f, ax_b, ax_t):
                    ax.set_xlabel("")
        if mesh_sig is not None:
            cb = fig.colorbar(mesh_sig, ax=[a for k, a in enumerate(axes) if k % 3 == 0], shrink=0.8, pad=0.01, aspect=18,
                              location="bottom")  # fmt: skip
            cb.set_label(f"log10 change (clipped at ±{LIMIT:g})")
        if mesh_acc is not None:
            cb = fig.colorbar(mesh_acc, ax=[a for k, a in enumerate(axes) if k % 3 == 2], shrink=0.8, pad=0.01, aspect=18,
                              location="bottom")  # fmt: skip
            cb.set_label(f"median final {metric.replace('_', ' ')}")
        seeds = m[m["check"] == GROWTH].groupby(["cell", "x"])["seed"].nunique()
        F.note(
            fig,
            f"dashed: mean-field critical sigma_w ({', '.join(f'{a} {critical[a]:.3g}' for a in acts)}); blue band: within a "
            f"factor {factor:g} of it (B03's first check)\nmiddle: dots one seed each ({seeds.min() if len(seeds) else 0} "
            "seeds), line the median; ring: the flattest sigma_w, black bar: its interval",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
