"""Rule plot_saturation: hidden-unit saturation at initialisation against the init scale (L08).

Measured at iteration 0 (before any update), first hidden layer, per activation: the share of
(unit, training point) pairs with g'(z) below the saturation threshold times max g' (for relu:
inactive units), the mean g'(z), and the norm of dW1. Runs that differ only in learning rate
share their initial weights, so each (activation, scale, seed) counts once.
"""

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Saturation at initialisation against init scale"
PANELS = {
    "saturation": ("saturated share of unit-point pairs", "linear"),
    "mean_dg": ("mean $g'(z)$ over unit-point pairs", "log"),
    "grad_norm_w": (r"$\|dW^{[1]}\|_F$ at init", "log"),
}


def main(layers: str, output: str, *, experiment: str = "scale") -> None:
    cols = [*COORDINATES, "iteration", "layer", *PANELS]
    df = read_table(layers, columns=cols)
    df = F.at_init(df[(df["experiment"] == experiment) & (df["layer"] == 1)])
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        key = ["dataset", "activation", "width", "depth", "init", "scale", "bias_init", "bias_scale", "seed"]
        df = df.drop_duplicates(key)
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        fig, axes = F.panels(len(PANELS), ncols=3, height=2.9)
        for ax, (col, (label, yscale)) in zip(axes, PANELS.items()):
            s = F.spread(df, ["activation", "scale"], col)
            for act in acts:
                c = s[s["activation"] == act]
                colour = F.ACT_COLORS.get(act, "#555555")
                ax.plot(c["scale"], c["median"], color=colour, marker="o", ms=3.5, label=act)
                F.band(ax, c["scale"], c["lo"], c["hi"], colour, alpha=0.2)
            F.scale_axis(ax)
            if yscale == "log":
                ax.set_yscale("log")
                F.readable_log_y(ax)
            else:
                ax.set_ylim(-0.03, 1.03)
            ax.set_title(label)
        handles = [F.line_handle(F.ACT_COLORS.get(a, "#555555"), marker="o") for a in acts]
        F.legend_above(fig, handles, acts, title=None)
        seeds = df.groupby(["activation", "scale"]).size()
        datasets = ", ".join(sorted(set(df["dataset"])))
        F.note(
            fig,
            f"iteration 0, first hidden layer; {datasets}; line: median, band: range over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; relu: saturated = inactive (z ≤ 0)",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
