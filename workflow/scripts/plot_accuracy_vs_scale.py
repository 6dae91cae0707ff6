"""Rule plot_accuracy_vs_scale: final train and test accuracy against init scale, one hidden layer (L12).

One column per activation, one line per learning rate of the grid (median over seeds, range as a
light band); the dotted vertical line marks the lecture's 0.01.
"""

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Final accuracy against init scale"
ROWS = {"train_acc": "final train accuracy", "test_acc": "final test accuracy"}


def main(metrics: str, output: str, *, experiment: str = "scale", reference: float = 0.01) -> None:
    df = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", *ROWS, "diverged"])
    df = F.final_rows(df[(df["experiment"] == experiment) & (df["depth"] == 1)])
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        lrs = sorted(df["lr"].unique())
        colours = dict(zip(lrs, F.sns.color_palette("rocket_r", len(lrs) + 1)[1:]))
        fig, axes = F.panels(len(ROWS) * len(acts), ncols=len(acts), height=2.45, sharex=True, sharey=True)
        any_bad = False
        for r, (col, label) in enumerate(ROWS.items()):
            s = F.spread(df, ["activation", "lr", "scale"], col)
            for j, act in enumerate(acts):
                ax = axes[r * len(acts) + j]
                for lr, colour in colours.items():
                    c = s[(s["activation"] == act) & (s["lr"] == lr)]
                    ax.plot(c["scale"], c["median"], color=colour, marker="o", ms=3.2, lw=1.5)
                    F.band(ax, c["scale"], c["lo"], c["hi"], colour, alpha=0.08)
                bad = df[(df["activation"] == act) & df["diverged"]]
                any_bad |= F.mark_diverged(ax, bad["scale"], bad[col])
                ax.axvline(reference, color="#555555", ls=":", lw=1.1, zorder=1)
                ax.axhline(0.5, color="#aaaaaa", lw=0.9, zorder=1)
                F.scale_axis(ax, "init scale (weight std)" if r == len(ROWS) - 1 else "")
                if r == 0:
                    ax.set_title(act)
                ax.set_ylabel(label if j == 0 else "")
        handles = [F.line_handle(c, marker="o") for c in colours.values()] + [F.line_handle("#555555", ls=":", lw=1.1)]
        labels = [f"lr {v:g}" for v in lrs] + [f"scale {reference:g}"]
        if any_bad:
            handles.append(F.diverged_handle())
            labels.append("diverged run")
        F.legend_above(fig, handles, labels, ncol=len(labels))
        seeds = df.groupby(["activation", "lr", "scale"])["seed"].nunique()
        F.note(
            fig,
            f"after {int(df['iterations'].max()):,} iterations; line: median, band: range over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; grey line: chance (0.5)",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
