"""Rule plot_symmetry_gaps: symmetry gaps over training for symmetric vs random init (L02 L03 L04 B01).

A gap is the largest difference between two hidden units (activations, dz, rows of dW and W,
biases, outgoing weights). Exact zeros are drawn at a floor labelled 0 on the log axis; width-1
nets are left out (their gap is 0 by definition).
"""

import pandas as pd

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.inits import SYMMETRIC_INITS
from initstudy.rulescript import run_script
from initstudy.tables import read_table

GAPS = {
    "gap_act": "activations $a^{[1]}$",
    "gap_dz": "gradients $dz^{[1]}$",
    "gap_dw": "rows of $dW^{[1]}$",
    "gap_w": "rows of $W^{[1]}$",
    "gap_b": "biases $b^{[1]}$",
    "gap_wout": "entries of $W^{[2]}$",
}
TITLE = "Symmetry gaps: largest difference between two hidden units"


def main(layers: str, output: str, *, experiments: tuple = ("symmetry", "long")) -> None:
    df = read_table(layers, columns=[*COORDINATES, "iterations", "iteration", "layer", *GAPS])
    df = df[df["experiment"].isin(experiments) & (df["layer"] == 1) & (df["width"] > 1)]
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing(list(experiments), []) or "No runs with more than one hidden unit."), output)
            return
        df = F.add_init_label(df)
        palette = F.init_palette(df[["init", "scale"]].drop_duplicates().itertuples(index=False))
        present = [e for e in experiments if e in set(df["experiment"])]
        budgets = df.groupby("experiment")["iterations"].max()
        dashes = {e: ls for e, ls in zip(present, ["-", (0, (5, 2)), ":"])}
        long = pd.melt(
            df,
            id_vars=["experiment", "init", "init_label", "iteration"],
            value_vars=list(GAPS),
            var_name="gap",
            value_name="value",
        )
        curves = F.spread(long, ["gap", "experiment", "init_label", "iteration"], "value")
        floor = F.floor_below(long["value"])
        top = max(float(long["value"].max()), floor * 1e6) * 2
        symmetric = [lab for lab in palette if lab.split()[0] in SYMMETRIC_INITS]
        # symmetric inits share the floor when their gaps are 0: spread them a little inside the grey band
        offset = {lab: 2.0 ** (i - (len(symmetric) - 1) / 2) for i, lab in enumerate(symmetric)}
        fig, axes = F.panels(len(GAPS), ncols=3, height=2.35, sharex=True)
        for ax, (gap, title) in zip(axes, GAPS.items()):
            for (exp, label), c in curves[curves["gap"] == gap].groupby(["experiment", "init_label"], sort=False):
                colour = palette[label]
                k = offset.get(label, 1.0)
                med = F.zero_floor(c["median"], floor * k)
                ax.plot(c["iteration"], med, color=colour, ls=dashes[exp], lw=1.7, zorder=4 if label in offset else 3)
                if label not in offset:
                    F.band(ax, c["iteration"], F.zero_floor(c["lo"], floor), F.zero_floor(c["hi"], floor), colour, alpha=0.15)
            F.iteration_axis(ax, "iteration")
            F.zero_axis(ax, floor, top)
            ax.set_title(title)
        for i, ax in enumerate(axes):
            if i % 3 == 0:
                ax.set_ylabel("gap (max over units)")
            if i < 3:
                ax.set_xlabel("")
        handles = [F.line_handle(c) for c in palette.values()] + [F.line_handle("#555555", ls=dashes[e]) for e in present]
        labels = [f"init {k}" for k in palette] + [f"{e} runs ({budgets[e]:,} it.)" for e in present]
        F.legend_above(fig, handles, labels, ncol=4)
        sym = long[long["init"].isin(SYMMETRIC_INITS)]
        runs = df[df["init"].isin(SYMMETRIC_INITS)].groupby(list(COORDINATES)).ngroups
        if runs:
            worst = sym["value"].max()
            msg = (
                f"{runs} symmetric-init runs: every gap exactly 0 at every logged iteration"
                if worst == 0
                else (f"{runs} symmetric-init runs: largest gap {worst:.2g} ({sym.loc[sym['value'].idxmax(), 'gap']})")
            )
        else:
            msg = "no symmetric-init runs"
        F.note(
            fig, f"{msg}.\nLine: median over runs; band: range over runs (random init). Width 1 left out (gap 0 by definition)."
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
