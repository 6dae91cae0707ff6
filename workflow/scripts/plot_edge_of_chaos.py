"""Rule plot_edge_of_chaos: signal at init and trainability over the weight std sigma_w and depth (B03).

One row per activation, three heat maps against sigma_w (LeCun normal: std = sigma_w / sqrt(fan_in),
zero bias), each with the mean-field critical value drawn as a dashed line (tanh 1, relu sqrt 2):

- forward: in the deepest net measured at init, log10 of each hidden layer's activation std over
  layer 1's (blue: the signal fades, red: it grows);
- backward: log10 of the weight-gradient norm D - 1 layers below the last hidden layer over the
  last layer's (red: the gradient explodes on its way down, blue: it fades);
- trainability: the median final train accuracy of the trained nets, by depth.

Medians over seeds. The black steps on the signal maps mark how deep the signal reaches by the B03
rule (both changes within ``reach_log10`` decades), the same computation the claims step makes.
"""

import numpy as np
import pandas as pd

from initstudy import figures as F
from initstudy.claims import Insufficient, signal_reach, signal_table  # the claims step's, so figure and verdict agree
from initstudy.rulescript import run_rule
from initstudy.tables import read_table

TITLE = "Edge of chaos: signal at init and trainability over sigma_w and depth"
LIMIT = 3.0  # colour scale of the signal maps, decades


def edges(values: np.ndarray, log: bool = True) -> np.ndarray:
    """Cell edges around sorted centres: geometric (log) or arithmetic midpoints."""
    v = np.log(values) if log else np.asarray(values, dtype=float)
    if len(v) == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = (v[1:] + v[:-1]) / 2
        e = np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]
    return np.exp(e) if log else e


def signal_maps(lay: pd.DataFrame, init: str, act: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """Scales, median forward and backward log10 changes ``(S, L)`` of the deepest net, and its depth: the
    claims step's signal table (:func:`initstudy.claims.signal_table`), medians over seeds as B03 takes them."""
    if lay[lay["activation"] == act].empty:
        return None
    try:
        scales, _, fwd, bwd = signal_table(lay, init, act)
    except Insufficient:
        return None
    return scales.astype(float), np.median(fwd, axis=0), np.median(bwd, axis=0), fwd.shape[-1]


def critical_line(ax, critical: float, zorder: float = 5) -> None:
    ax.axvline(critical, color="black", ls=(0, (4, 2)), lw=1.3, zorder=zorder)


def sigma_axis(ax, scales: np.ndarray) -> None:
    ax.set_xscale("log")
    ax.set_xticks(scales, [f"{s:.3g}" for s in scales], rotation=90, fontsize=7.5)
    ax.xaxis.set_minor_locator(F.ticker.NullLocator())
    ax.set_xlabel("$\\sigma_w$")
    ax.grid(False)


def main(
    layers: str,
    metrics: str,
    output: str,
    *,
    signal_experiment: str = "edge_signal",
    train_experiment: str = "edge_train",
    init: str = "lecun_normal",
    critical: dict | None = None,
    reach_log10: float = 1.0,
    metric: str = "train_acc",
) -> None:
    critical = critical or {"tanh": 1.0, "relu": float(np.sqrt(2.0))}
    lay = F.at_init(read_table(layers, columns=["experiment", "activation", "depth", "init", "scale", "seed", "iteration",
                                                "layer", "act_std", "grad_norm_w"]))  # fmt: skip
    lay = lay[(lay["experiment"] == signal_experiment) & (lay["init"] == init)]
    fin = F.final_rows(read_table(metrics, columns=["experiment", "activation", "depth", "init", "scale", "seed",
                                                    "iterations", "iteration", metric, "diverged"]))  # fmt: skip
    fin = fin[(fin["experiment"] == train_experiment) & (fin["init"] == init)]
    with F.style():
        acts = [a for a in critical if a in set(lay["activation"]) | set(fin["activation"])]
        if not acts:
            msg = F.missing([signal_experiment, train_experiment], set(lay["experiment"]) | set(fin["experiment"]))
            F.save(F.empty_figure(TITLE, msg or f"No {init} runs of {', '.join(critical)}."), output)
            return
        fig, axes = F.panels(3 * len(acts), ncols=3, height=2.7)
        div = F.matplotlib.colors.TwoSlopeNorm(vmin=-LIMIT, vcenter=0.0, vmax=LIMIT)
        accn = F.matplotlib.colors.Normalize(0.5, 1.0)
        mesh_sig = mesh_acc = None
        for i, act in enumerate(acts):
            ax_f, ax_b, ax_t = axes[3 * i : 3 * i + 3]
            sm = signal_maps(lay, init, act)
            if sm is not None:
                scales, fwd, bwd, depth = sm
                reach, _ = signal_reach(fwd, bwd, reach_log10)
                xe, ye = edges(scales), np.arange(0.5, depth + 1.5)
                for ax, data, what in ((ax_f, fwd, "forward"), (ax_b, bwd, "backward")):
                    mesh_sig = ax.pcolormesh(xe, ye, np.clip(data.T, -LIMIT, LIMIT), cmap="RdBu_r", norm=div, shading="flat")
                    ax.stairs(reach + 0.5, xe, baseline=None, color="black", lw=1.6, zorder=4)
                    sigma_axis(ax, scales)
                    critical_line(ax, critical[act])
                    ax.set_ylim(0.5, depth + 0.5)
                ax_f.set_ylabel(f"{act}\nhidden layer $l$ (of {depth})")
                ax_b.set_ylabel("$D$ (layers from the top)")
            else:
                for ax in (ax_f, ax_b):
                    ax.text(0.5, 0.5, f"no {act} runs in '{signal_experiment}'", ha="center", va="center", transform=ax.transAxes)
            f = fin[fin["activation"] == act]
            if len(f):
                med = f.groupby(["depth", "scale"])[metric].median().unstack("scale")
                sc = med.columns.to_numpy(dtype=float)
                dp = med.index.to_numpy(dtype=float)
                mesh_acc = ax_t.pcolormesh(edges(sc), edges(dp), med.to_numpy(), cmap="viridis", norm=accn, shading="flat")
                for (d, s), v in f.groupby(["depth", "scale"])[metric].median().items():
                    ax_t.text(s, d, f"{v:.2f}"[1:], ha="center", va="center", fontsize=6.5,
                              color="white" if v < 0.75 else "black")  # fmt: skip
                bad = f[f["diverged"]].groupby(["depth", "scale"]).size()
                if len(bad):
                    F.mark_diverged(ax_t, [s for _, s in bad.index], [d * 1.22 for d, _ in bad.index])
                sigma_axis(ax_t, sc)
                ax_t.set_yscale("log", base=2)
                ax_t.set_yticks(dp, [str(int(d)) for d in dp])
                ax_t.yaxis.set_minor_locator(F.ticker.NullLocator())
                ax_t.set_ylabel("depth (hidden layers)")
                critical_line(ax_t, critical[act], zorder=2)  # under the numbers
            else:
                ax_t.text(0.5, 0.5, f"no {act} runs in '{train_experiment}'", ha="center", va="center", transform=ax_t.transAxes)
            if i == 0:
                ax_f.set_title("forward: act. std / layer 1")
                ax_b.set_title("backward: $\\|dW\\|$ / top layer")
                ax_t.set_title("trained: final accuracy")
            if i < len(acts) - 1:
                for ax in (ax_f, ax_b, ax_t):
                    ax.set_xlabel("")
        if mesh_sig is not None:
            cb = fig.colorbar(mesh_sig, ax=[a for k, a in enumerate(axes) if k % 3 < 2], shrink=0.7, pad=0.01, aspect=35,
                              location="bottom")  # fmt: skip
            cb.set_label(f"log10 change (decades; clipped at ±{LIMIT:g})")
        if mesh_acc is not None:
            cb = fig.colorbar(mesh_acc, ax=[a for k, a in enumerate(axes) if k % 3 == 2], shrink=0.9, pad=0.01, aspect=18,
                              location="bottom")  # fmt: skip
            cb.set_label(f"median final {metric.replace('_', ' ')}")
        seeds_s = lay.groupby(["activation", "scale"])["seed"].nunique()
        seeds_t = fin.groupby(["activation", "depth", "scale"])["seed"].nunique()
        it = int(fin["iterations"].max()) if len(fin) else 0
        F.note(
            fig,
            f"dashed: mean-field critical sigma_w ({', '.join(f'{a} {critical[a]:.3g}' for a in acts)}); "
            f"black steps: how deep the signal reaches\n(forward and backward change both within {reach_log10:g} "
            f"decade); signal: iteration 0, median of {seeds_s.min() if len(seeds_s) else 0} seeds;\n"
            f"trained: {it:,} iterations, median of {seeds_t.min() if len(seeds_t) else 0} seeds"
            + ("; X: some runs of the cell diverged" if len(fin) and fin["diverged"].any() else ""),
        )
        F.save(fig, output)


if "snakemake" in globals():
    p = snakemake.params  # noqa: F821
    run_rule(
        snakemake,  # noqa: F821
        main,
        snakemake.input.layers,  # noqa: F821
        snakemake.input.metrics,  # noqa: F821
        snakemake.output[0],  # noqa: F821
        signal_experiment=p.signal_experiment,
        train_experiment=p.train_experiment,
        init=p.init,
        critical=dict(p.critical),
        reach_log10=p.reach_log10,
        metric=p.metric,
    )
