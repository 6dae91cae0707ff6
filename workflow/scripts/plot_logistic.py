"""Rule plot_logistic: logistic-regression training loss from zero vs random weights, per dataset (L01)."""

import numpy as np

from initstudy import figures as F
from initstudy.grid import COORDINATES
from initstudy.rulescript import run_script
from initstudy.tables import read_table

COLUMNS = [*COORDINATES, "iteration", "loss", "diverged"]
TITLE = "Logistic regression: training loss from zero and random weights"


def main(metrics: str, output: str, *, experiment: str = "logistic") -> None:
    df = read_table(metrics, columns=COLUMNS)
    df = df[(df["experiment"] == experiment) & (df["depth"] == 0)]
    with F.style():
        if df.empty:
            F.save(F.empty_figure(TITLE, F.missing([experiment], [])), output)
            return
        df = F.add_init_label(df)
        palette = F.init_palette(df[["init", "scale"]].drop_duplicates().itertuples(index=False))
        datasets = list(dict.fromkeys(df["dataset"]))
        fig, axes = F.panels(len(datasets), ncols=3, height=2.45, sharey=True)
        curves = F.spread(df, ["dataset", "init_label", "iteration"], "loss")
        bad = F.first_diverged(df, list(COORDINATES))
        for ax, ds in zip(axes, datasets):
            for label, colour in palette.items():
                c = curves[(curves["dataset"] == ds) & (curves["init_label"] == label)]
                if c.empty:
                    continue
                ax.plot(c["iteration"], c["median"], color=colour, label=label, **F.init_style(label))
                F.band(ax, c["iteration"], c["lo"], c["hi"], colour)
            b = bad[bad["dataset"] == ds]
            F.mark_diverged(ax, b["iteration"], b["loss"])
            ax.axhline(np.log(2), color="#888888", ls="--", lw=1.0, zorder=1)
            ax.text(
                0.98,
                np.log(2) * 1.04,
                "ln 2",
                ha="right",
                transform=ax.get_yaxis_transform(),
                va="bottom",
                fontsize=8,
                color="#555555",
            )
            F.iteration_axis(ax, "iteration")
            ax.set_yscale("log")
            ax.set_title(ds)
        for ax in axes[:: min(3, len(axes))]:
            ax.set_ylabel("training loss (BCE, nats)")
        handles = [F.line_handle(c, ls=F.init_style(k)["ls"]) for k, c in palette.items()]
        labels = [f"init {k}" for k in palette]
        if not bad.empty:
            handles.append(F.diverged_handle())
            labels.append("diverged")
        F.legend_above(fig, handles, labels)
        n_runs = df.groupby(["init_label"])["seed"].nunique()
        F.note(
            fig,
            "line: median over seeds; band: range over seeds; seeds per init: "
            + ", ".join(f"{k} {v}" for k, v in n_runs.items()),
        )
        for ax in axes:
            F.readable_log_y(ax)
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
