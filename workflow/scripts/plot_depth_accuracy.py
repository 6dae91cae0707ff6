"""Rule plot_depth_accuracy: final accuracy against depth per init and activation (L13)."""

from initstudy import figures as F
from initstudy.claims.measures import at_best_lr
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_rule
from initstudy.tables import read_table

TITLE = "Final accuracy against depth"
ROWS = {"train_acc": "final train accuracy", "test_acc": "final test accuracy"}


def main(metrics: str, output: str, *, experiment: str = "deep") -> None:
    df = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", *ROWS, "loss", "diverged"])
    df = F.final_rows(df[df["experiment"] == experiment])
    if len(df):  # each (activation, init, depth) at its best lr, as L13 judges it (the claims step's own choice)
        df = at_best_lr(df, ["activation", "init", "scale", "depth"])[0]
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        df = F.add_init_label(df)
        palette = F.init_palette(df[["init", "scale"]].drop_duplicates().itertuples(index=False))
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        depths = sorted(df["depth"].unique())
        fig, axes = F.panels(len(ROWS) * len(acts), ncols=len(acts), height=2.45, sharex=True, sharey=True)
        any_bad = False
        for r, (col, label) in enumerate(ROWS.items()):
            s = F.spread(df, ["activation", "init_label", "depth"], col)
            for j, act in enumerate(acts):
                ax = axes[r * len(acts) + j]
                for lab, colour in palette.items():
                    c = s[(s["activation"] == act) & (s["init_label"] == lab)]
                    ax.plot(c["depth"], c["median"], color=colour, marker="o", ms=3.5)
                    F.band(ax, c["depth"], c["lo"], c["hi"], colour, alpha=0.15)
                bad = df[(df["activation"] == act) & df["diverged"]]
                any_bad |= F.mark_diverged(ax, bad["depth"], bad[col])
                ax.axhline(0.5, color="#aaaaaa", lw=0.9, zorder=1)
                ax.set_xscale("log", base=2)
                ax.set_xticks(depths, [str(d) for d in depths])
                ax.xaxis.set_minor_locator(F.ticker.NullLocator())
                ax.set_xlabel("hidden layers (depth)" if r == len(ROWS) - 1 else "")
                ax.set_ylabel(label if j == 0 else "")
                if r == 0:
                    ax.set_title(act)
        handles = [F.line_handle(c, marker="o") for c in palette.values()]
        labels = [f"init {k}" for k in palette]
        if any_bad:
            handles.append(F.diverged_handle())
            labels.append("diverged run")
        F.legend_above(fig, handles, labels)
        seeds = df.groupby(["activation", "init_label", "depth"])["seed"].nunique()
        lr = "best of " + ", ".join(f"{v:g}" for v in sorted(df["lr"].unique()))
        F.note(
            fig,
            f"lr {lr}, {int(df['iterations'].max()):,} iterations, width {', '.join(map(str, sorted(df['width'].unique())))}; "
            f"line: median, band: range over {seeds.min()}"
            + (f"–{seeds.max()}" if seeds.max() != seeds.min() else "")
            + " seeds; grey: chance",
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_rule(snakemake, main, snakemake.input.metrics, snakemake.output[0])  # noqa: F821
