"""Rule plot_width_accuracy: final training accuracy against width, symmetric vs random init (L05).

The dashed line is the exact best accuracy of any linear classifier on the training split, read from
results/measures/L05.parquet (the number the L05 verdict used): the ceiling a net with one effective unit
cannot pass.
"""

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

TITLE = "Final training accuracy against width"
LINEAR_CHECK = "best linear accuracy (training split)"  # the rows of results/measures/L05.parquet plotted as the ceiling


def linear_ceilings(measures: str) -> dict[str, float]:
    """Best linear accuracy on each dataset's training split, as the L05 verdict used it (its measures table)."""
    m = read_table(measures, name="measures")
    m = m[m["check"] == LINEAR_CHECK]
    return dict(zip(m["cell"], m["value"]))


def main(metrics: str, measures: str, output: str, *, experiment: str = "symmetry") -> None:
    df = read_table(metrics, columns=[*COORDINATES, "iterations", "iteration", "train_acc", "diverged"])
    df = F.final_rows(df[(df["experiment"] == experiment) & (df["depth"] == 1)])
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        ceiling = linear_ceilings(measures)
        df = F.add_init_label(df)
        palette = F.init_palette(df[["init", "scale"]].drop_duplicates().itertuples(index=False))
        acts = F.ordered(df["activation"], F.ACT_ORDER)
        dsets = list(dict.fromkeys(df["dataset"]))
        ncols = len(dsets)
        fig, axes = F.panels(len(acts) * ncols, ncols=ncols, height=2.1, sharex=True, sharey=True)
        summary = F.spread(df, ["activation", "dataset", "init_label", "width"], "train_acc")
        widths = sorted(df["width"].unique())
        for i, act in enumerate(acts):
            for j, ds in enumerate(dsets):
                ax = axes[i * ncols + j]
                for label, colour in palette.items():
                    c = summary[(summary["activation"] == act) & (summary["dataset"] == ds) & (summary["init_label"] == label)]
                    if c.empty:
                        continue
                    style = F.init_style(label)
                    ax.plot(c["width"], c["median"], color=colour, marker="o", ms=3.5, **style)
                    F.band(ax, c["width"], c["lo"], c["hi"], colour, alpha=0.15)
                bad = df[(df["activation"] == act) & (df["dataset"] == ds) & df["diverged"]]
                F.mark_diverged(ax, bad["width"], bad["train_acc"])
                if ds in ceiling:
                    ax.axhline(ceiling[ds], color="#444444", ls=":", lw=1.3, zorder=2)
                ax.set_xscale("log", base=2)
                ax.set_xticks(widths, [str(w) for w in widths])
                ax.xaxis.set_minor_locator(F.ticker.NullLocator())
                ax.set_title(f"{ds}, {act}")
                ax.set_xlabel("hidden units (width)" if i == len(acts) - 1 else "")
                ax.set_ylabel("final train accuracy" if j == 0 else "")
        handles = [F.line_handle(c, ls=F.init_style(k)["ls"], marker="o") for k, c in palette.items()]
        labels = [f"init {k}" for k in palette]
        handles.append(F.line_handle("#444444", ls=":", lw=1.3))
        labels.append("best linear classifier")
        if df["diverged"].any():
            handles.append(F.diverged_handle())
            labels.append("diverged run")
        F.legend_above(fig, handles, labels, ncol=3)
        seeds = df.groupby("init_label")["seed"].nunique()
        missing = [d for d in dsets if d not in ceiling]
        F.note(
            fig,
            "line: median over seeds; band: range over seeds; seeds per init: "
            + ", ".join(f"{k} {v}" for k, v in seeds.items())
            + (f"; no linear ceiling for {', '.join(missing)}" if missing else ""),
        )
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
