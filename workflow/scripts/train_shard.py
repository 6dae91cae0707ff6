"""Rule train_shard: train one shard of runs (batched) and write its metrics and layers tables."""

import pandas as pd
from threadpoolctl import threadpool_limits

from initstudy.tables import read_table, write_table
from initstudy.train import run_shard


def main(dataset: str, metrics: str, layers: str, *, runs: list[dict], threads: int = 1, **settings) -> None:
    data = read_table(dataset)
    with threadpool_limits(limits=threads):
        run_cols, layer_cols = run_shard(runs, {c: data[c].to_numpy() for c in data.columns}, **settings)
    write_table(pd.DataFrame(run_cols), metrics, "metrics")
    write_table(pd.DataFrame(layer_cols), layers, "layers")


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    p = sm.params
    main(sm.input.dataset, sm.output.metrics, sm.output.layers, runs=list(p.runs), threads=sm.threads,
         iterations=p.iterations, log_points=p.log_points, dtype=p.dtype, saturation_threshold=p.saturation_threshold,
         exact=p.exact)  # fmt: skip
