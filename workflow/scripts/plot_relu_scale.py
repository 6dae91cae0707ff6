"""Rule plot_relu_scale: relu against tanh and sigmoid as the init scale grows (L10 L11).

(a) share of hidden (unit, point) pairs that are active / not saturated at init (1 - saturation);
(b) share of training points where the output sigmoid is saturated at init; (c) the initial loss;
(d) the final training loss after the budget at a fixed learning rate. One line per activation,
median over seeds with the range as a band.
"""

import numpy as np

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "ReLU vs tanh and sigmoid against init scale"


def main(metrics: str, layers: str, output: str, *, experiment: str = "scale", lr: float = 1.2) -> None:
    m = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", "loss", "out_saturation", "diverged"])
    m = m[(m["experiment"] == experiment) & (m["depth"] == 1)]
    lay = read_table(layers, columns=[*COORDINATES, "iteration", "layer", "saturation"])
    lay = F.at_init(lay[(lay["experiment"] == experiment) & (lay["layer"] == 1)])
    with F.style():
        if m.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        init_key = ["dataset", "activation", "width", "depth", "init", "scale", "bias_init", "bias_scale", "seed"]
        lay = lay.drop_duplicates(init_key).assign(active=lambda d: 1.0 - d["saturation"])
        start = F.at_init(m).drop_duplicates(init_key)
        lrs = sorted(m["lr"].unique())
        used = min(lrs, key=lambda v: abs(np.log(v / lr)))
        end = F.final_rows(m[m["lr"] == used])
        panels = [
            (lay, "active", "(a) active (relu) / unsaturated share\nof hidden unit-point pairs at init", "linear"),
            (start, "out_saturation", "(b) saturated share of output\nsigmoid at init", "linear"),
            (start, "loss", "(c) train loss at init (nats)", "log"),
            (end, "loss", f"(d) train loss after {int(end['iterations'].max()):,} iterations,\nlr {used:g} (nats)", "log"),
        ]
        acts = F.ordered(m["activation"], F.ACT_ORDER)
        fig, axes = F.panels(4, ncols=2, height=2.55)
        for ax, (d, col, title, yscale) in zip(axes, panels):
            s = F.spread(d, ["activation", "scale"], col)
            for act in acts:
                c = s[s["activation"] == act]
                colour = F.ACT_COLORS.get(act, "#555555")
                ax.plot(c["scale"], c["median"], color=colour, marker="o", ms=3.5, lw=2.4 if act == "relu" else 1.5)
                F.band(ax, c["scale"], c["lo"], c["hi"], colour, alpha=0.18)
            if "diverged" in d and d is end:
                bad = d[d["diverged"]]
                F.mark_diverged(ax, bad["scale"], bad[col])
            F.scale_axis(ax)
            if yscale == "log":
                ax.set_yscale("log")
                ax.axhline(np.log(2), color="#888888", ls="--", lw=1.0, zorder=1)
                F.readable_log_y(ax)
            else:
                ax.set_ylim(-0.03, 1.03)
            ax.set_title(title)
        handles = [F.line_handle(F.ACT_COLORS.get(a, "#555555"), marker="o") for a in acts]
        labels = list(acts)
        if end["diverged"].any():
            handles.append(F.diverged_handle())
            labels.append("diverged run")
        handles.append(F.line_handle("#888888", ls="--", lw=1.0))
        labels.append("ln 2")
        F.legend_above(fig, handles, labels)
        seeds = start.groupby(["activation", "scale"]).size()
        F.note(
            fig,
            f"line: median, band: range over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; (a)-(c) at iteration 0, before any update",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
