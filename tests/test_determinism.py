"""Same config, same tables, to the last bit: whatever the batch, shard, core count or BLAS threads."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import ROOT, TINY, assert_same_tables, same_bits

from initstudy.datasets import make_dataset
from initstudy.train import run_cell

# --- unit level: a run trains to the same bits alone or in any batch ---------------------------


def _runs(activation: str, width: int, depth: int) -> list[dict]:
    base = dict(
        experiment="e", dataset="flower", activation=activation, width=width, depth=depth, bias_init="zeros", bias_scale=0.0
    )
    grid = [
        ("normal", 0.01, 0, 1.2),
        ("normal", 1.0, 1, 0.3),
        ("he_normal", 1.0, 2, 3.0),
        ("xavier_normal", 1.0, 0, 0.3),
        ("normal", 30.0, 3, 50.0),  # large scale and learning rate: diverges for some activations
        ("constant", 0.5, 0, 1.2),
    ]
    return [dict(base, init=i, scale=s, seed=seed, lr=lr) for i, s, seed, lr in grid]


@pytest.fixture(scope="module")
def flower():
    return make_dataset("flower", n_train=80, n_test=40, noise=0.2, seed=1, test_seed=2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    ("activation", "width", "depth"),
    [("tanh", 16, 3), ("relu", 16, 2), ("sigmoid", 2, 1), ("linear", 8, 4), ("tanh", 0, 0)],
)
def test_batch_equals_each_run_alone_bit_for_bit(flower, activation, width, depth, dtype):
    runs = _runs(activation, width, depth)
    settings = dict(iterations=60, log_points=5, dtype=dtype)
    batch = run_cell(runs, flower, **settings)
    R = len(runs)
    for i, run in enumerate(runs):
        alone = run_cell([run], flower, **settings)
        for table, got, want in zip(("metrics", "layers", "params"), batch, alone):
            n_rows = len(got["seed"]) // R  # rows of one run, interleaved run-fastest
            rows = np.arange(n_rows) * R + i
            for col, values in want.items():
                assert same_bits(got[col][rows], values), (table, col, run)


def test_training_twice_gives_the_same_bits(flower):
    runs = _runs("relu", 16, 2)
    first, second = (run_cell(runs, flower, iterations=40, log_points=4) for _ in range(2))
    for a, b in zip(first, second):
        assert a.keys() == b.keys() and all(same_bits(a[k], b[k]) for k in a)


# --- through real Snakemake --------------------------------------------------------------------


@pytest.mark.slow
def test_second_run_on_one_core_gives_identical_tables(tiny_builds):
    assert_same_tables(tiny_builds["one_core"].tables, tiny_builds["reference"].tables)


@pytest.mark.slow
def test_shard_size_one_gives_identical_tables(tiny_builds):
    assert yaml.safe_load((ROOT / TINY).read_text())["shard_size"] == 100000  # the reference: the largest shards
    build = tiny_builds["shard_size_1"]
    assert len(list((build.wd / "results" / "train").glob("*/*.metrics.parquet"))) == 5  # one job per run
    assert len(list((tiny_builds["reference"].wd / "results" / "train").glob("*/*.metrics.parquet"))) == 2
    assert_same_tables(build.tables, tiny_builds["reference"].tables)


@pytest.mark.slow
def test_blas_threads_in_the_environment_change_nothing(tiny_builds):
    assert_same_tables(tiny_builds["blas_threads"].tables, tiny_builds["reference"].tables)
