"""Rule aggregate_metrics: concatenate every shard into results/metrics.parquet and results/layers.parquet."""

import pandas as pd

from initstudy.grid import COORDINATES
from initstudy.rulescript import run_rule
from initstudy.tables import read_table, write_table

SORT = [*COORDINATES, "iteration"]


def combine(paths: list[str], name: str, sort: list[str]) -> pd.DataFrame:
    df = pd.concat([read_table(p) for p in paths], ignore_index=True)
    return df.sort_values(sort, kind="stable").reset_index(drop=True)


def main(metrics_in: list[str], layers_in: list[str], params_in: list[str], metrics_out: str, layers_out: str, params_out: str) -> None:
    write_table(combine(metrics_in, "metrics", SORT), metrics_out, "metrics")
    write_table(combine(layers_in, "layers", [*SORT, "layer"]), layers_out, "layers")
    write_table(combine(params_in, "params", [*COORDINATES, "layer"]), params_out, "params")


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    run_rule(sm, main, list(sm.input.metrics), list(sm.input.layers), list(sm.input.params), sm.output.metrics, sm.output.layers, sm.output.params)
