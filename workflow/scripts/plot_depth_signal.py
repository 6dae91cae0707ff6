"""Rule plot_depth_signal: per-layer activation spread and weight-gradient norm at init, deepest net (L13).

At iteration 0, for the deepest depth of the experiment, per hidden layer: the standard deviation
of the activations and the Frobenius norm of dW, one line per init (median over seeds, range as a
band), one column per activation. Exact zeros (underflow) are drawn at a floor labelled 0.
"""

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Signal through depth at initialisation"
ROWS = {"act_std": "activation std", "grad_norm_w": r"$\|dW^{[l]}\|_F$"}


def floored(values, floor: float | None):
    """``values`` with exact zeros moved to ``floor`` (unchanged when there is no floor)."""
    return values if floor is None else F.zero_floor(values, floor)


def main(layers: str, output: str, *, experiment: str = "deep") -> None:
    cols = [*COORDINATES, "iteration", "layer", *ROWS]
    df = F.at_init(read_table(layers, columns=cols))
    df = df[df["experiment"] == experiment]
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        depth = int(df["depth"].max())
        df = df[df["depth"] == depth].drop_duplicates(
            ["dataset", "activation", "width", "init", "scale", "bias_init", "bias_scale", "seed", "layer"]
        )
        df = F.add_init_label(df)
        palette = F.init_palette(df[["init", "scale"]].drop_duplicates().itertuples(index=False))
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        fig, axes = F.panels(len(ROWS) * len(acts), ncols=len(acts), height=2.6, sharex=True)
        for r, (col, label) in enumerate(ROWS.items()):
            s = F.spread(df, ["activation", "init_label", "layer"], col)
            zeros = bool((s["lo"] <= 0).any())
            floor = F.floor_below(s[["lo", "median", "hi"]].to_numpy().ravel(), cap=1.0) if zeros else None
            for j, act in enumerate(acts):
                ax = axes[r * len(acts) + j]
                for lab, colour in palette.items():
                    c = s[(s["activation"] == act) & (s["init_label"] == lab)]
                    if c.empty:
                        continue
                    ax.plot(c["layer"], floored(c["median"], floor), color=colour, marker="o", ms=3.2)
                    F.band(ax, c["layer"], floored(c["lo"], floor), floored(c["hi"], floor), colour, alpha=0.18)
                if zeros:
                    F.zero_axis(ax, floor, float(s["hi"].max()) * 3)
                else:
                    ax.set_yscale("log")
                    F.readable_log_y(ax)
                ax.set_xlabel("hidden layer" if r == len(ROWS) - 1 else "")
                ax.set_ylabel(label if j == 0 else "")
                if r == 0:
                    ax.set_title(f"{act}, {depth} hidden layers")
                ax.xaxis.set_major_locator(F.ticker.MaxNLocator(integer=True))
        F.legend_above(fig, [F.line_handle(c, marker="o") for c in palette.values()], [f"init {k}" for k in palette])
        seeds = df.groupby(["activation", "init_label"])["seed"].nunique()
        width = ", ".join(str(w) for w in sorted(df["width"].unique()))
        F.note(
            fig,
            f"iteration 0, width {width}; line: median, band: range over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
