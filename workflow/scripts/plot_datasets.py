"""Rule plot_datasets: a scatter of every dataset's training split, one panel per dataset (Methods)."""

from collections.abc import Sequence
from pathlib import Path

from initstudy import figures as F
from initstudy.rulescript import run_script
from initstudy.tables import read_table


def dataset_name(path: str) -> str:
    return Path(path).name.removesuffix(".parquet")


def main(datasets: Sequence[str], output: str) -> None:
    with F.style():
        if not datasets:
            F.save(F.empty_figure("Datasets", "No datasets in the config."), output)
            return
        fig, axes = F.panels(len(datasets), ncols=3, height=2.55)
        for ax, path in zip(axes, datasets):
            df = read_table(path)
            train = df[df["split"] == "train"]
            for label, colour in F.CLASS_COLORS.items():
                pts = train[train["y"] == label]
                ax.scatter(pts["x1"], pts["x2"], s=7, color=colour, alpha=0.8, lw=0, label=f"class {label}")
            ax.set_title(f"{dataset_name(path)}  (n = {len(train)})")
            ax.set_aspect("equal", adjustable="datalim")
            ax.set_xlabel("$x_1$")
            ax.set_ylabel("$x_2$")
        _handles, labels = axes[0].get_legend_handles_labels()
        F.legend_above(fig, [F.line_handle(c, ls="", marker="o") for c in F.CLASS_COLORS.values()], labels)
        F.save(fig, output)


if "snakemake" in globals():
    run_script(snakemake, main)  # noqa: F821
