"""Rule make_dataset: draw one dataset's train and test splits and write them as Parquet."""

import pandas as pd

from initstudy.datasets import make_dataset
from initstudy.rulescript import run_rule
from initstudy.tables import write_table


def main(output: str, *, kind: str, n_train: int, n_test: int, noise: float, seed: int, test_seed: int, factor: float | None = None) -> None:
    cols = make_dataset(kind, n_train=n_train, n_test=n_test, noise=noise, seed=seed, test_seed=test_seed, factor=factor)
    write_table(pd.DataFrame(cols), output, "dataset")


if "snakemake" in globals():
    p = snakemake.params  # noqa: F821
    run_rule(snakemake, main, snakemake.output[0], kind=p.kind, n_train=p.n_train, n_test=p.n_test, noise=p.noise, seed=p.seed, test_seed=p.test_seed, factor=p.factor)  # noqa: F821
