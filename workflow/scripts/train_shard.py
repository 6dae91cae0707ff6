"""Rule train_shard: train one shard of runs (batched) and write its metrics, layers and params tables."""

import logging
import time

import pandas as pd
from threadpoolctl import threadpool_limits

from initstudy.backends import describe, resolve
from initstudy.rulescript import run_rule
from initstudy.tables import read_columns, write_table
from initstudy.train import run_shard


def main(datasets: dict[str, str], metrics: str, layers: str, params: str, *, runs: list[dict], threads: int = 1,
         backend: str = "numpy", **settings) -> None:  # fmt: skip
    log = logging.getLogger("train_shard")
    if resolve(backend) == "jax":  # XLA's threads and GPU determinism are set before JAX is imported
        from initstudy.backends.jax_backend import configure

        configure(threads)
    data = {name: read_columns(path) for name, path in datasets.items()}
    start = time.perf_counter()
    log.info("training %d runs for %d iterations on %s (backend %s)", len(runs), settings["iterations"], describe(backend), backend)
    with threadpool_limits(limits=threads):
        run_cols, layer_cols, param_cols = run_shard(runs, data, backend=backend, progress=True, **settings)
    table = pd.DataFrame(run_cols)
    last = table[table["iteration"] == table["iterations"]]  # one row per run, whichever cell it belongs to
    log.info("trained in %.2f s; %d of %d runs diverged", time.perf_counter() - start, int(last["diverged"].sum()), len(last))
    write_table(table, metrics, "metrics")
    write_table(pd.DataFrame(layer_cols), layers, "layers")
    write_table(pd.DataFrame(param_cols), params, "params")


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    logging.getLogger("jax").setLevel(logging.WARNING)  # not "Unable to initialize backend 'tpu'" in every log
    p = sm.params
    run_rule(sm, main, dict(sm.input.items()), sm.output.metrics, sm.output.layers, sm.output.params, runs=list(p.runs), threads=sm.threads,
         iterations=p.iterations, log_points=p.log_points, log_every=p.log_every, dtype=p.dtype, saturation_threshold=p.saturation_threshold,
         exact=p.exact, backend=p.backend)  # fmt: skip
