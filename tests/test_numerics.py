"""Numerically safe at every scale: no NaN, no inf, no warning; a diverged run is flagged, not a crash,
and it does not disturb the other runs of its batch. A run already non-finite at initialisation has
no finite state: its metrics are NaN (ranks -1) beside the flag, never a made-up number."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import same_bits

from initstudy.datasets import make_dataset
from initstudy.train import LAYER_COLUMNS, RUN_COLUMNS, run_cell
from initstudy.twin import TWIN_COLUMNS

SCALES = [1e-4, 1e-2, 1.0, 1e2, 1e4]
DEPTHS = [0, 1, 4, 16]


@pytest.fixture(scope="module")
def flower():
    return make_dataset("flower", n_train=80, n_test=40, noise=0.2, seed=1, test_seed=2)


def grid(activation: str, depth: int, inits=("normal", "he_normal"), scales=SCALES, lrs=(0.1, 3.0)) -> list[dict]:
    return [
        dict(
            experiment="e",
            dataset="flower",
            activation=activation,
            width=4 if depth else 0,
            depth=depth,
            init=init,
            scale=scale,
            bias_init="zeros",
            bias_scale=0.0,
            seed=0,
            lr=lr,
        )
        for init in inits
        for scale in scales
        for lr in lrs
    ]


def train_strict(runs, data, **settings):
    """run_cell with every warning (RuntimeWarning from overflow, 0/0 ...) turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return run_cell(runs, data, **settings)


def per_run(cols: dict, R: int, name: str) -> np.ndarray:
    """Column ``name`` as ``(rows per run, R)`` (rows are interleaved run-fastest)."""
    return cols[name].reshape(-1, R)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_every_scale_and_depth_gives_finite_metrics_without_warnings(flower, activation, dtype):
    for depth in DEPTHS:
        runs = grid(activation, depth)
        R = len(runs)
        metrics, layers, params = train_strict(runs, flower, iterations=60, log_points=5, dtype=dtype)
        diverged = per_run(metrics, R, "diverged")
        measured = ~diverged[0]  # runs non-finite at initialisation are NaN throughout (test below)
        for name in RUN_COLUMNS[:-1]:
            if name in TWIN_COLUMNS:  # NaN where a run has no width-1 twin; never infinite
                assert not np.isinf(per_run(metrics, R, name)).any(), (activation, dtype, depth, name)
                continue
            assert np.isfinite(per_run(metrics, R, name)[:, measured]).all(), (activation, dtype, depth, name)
            assert np.isnan(per_run(metrics, R, name)[:, ~measured]).all(), (activation, dtype, depth, name)
        for name in LAYER_COLUMNS:
            values = layers[name].reshape(-1, depth, R) if depth else layers[name].reshape(0, 0, R)
            assert np.isfinite(values[..., measured]).all(), (activation, dtype, depth, name)
        assert diverged.dtype == bool
        assert (diverged[1:] >= diverged[:-1]).all(), "a diverged run stays diverged"
        # Runs that did not diverge carry real numbers, not the stand-ins of non-finite values.
        healthy = ~diverged[-1]
        for name in ("loss", "test_loss", "out_grad_norm", "out_weight_norm"):
            assert (np.abs(per_run(metrics, R, name)[:, healthy]) < 1e300).all(), (activation, dtype, depth, name)
        flat = params["diverged"]
        for w, bias in zip(params["weights"][~flat], params["biases"][~flat]):
            assert np.isfinite(w).all() and np.isfinite(bias).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_run_that_must_diverge_is_flagged_and_leaves_its_batch_alone(flower, dtype):
    base = dict(
        experiment="e", dataset="flower", activation="linear", width=4, depth=8, bias_init="zeros", bias_scale=0.0, seed=0
    )
    runs = [
        dict(base, init="normal", scale=0.3, lr=0.01),
        dict(base, init="normal", scale=3.0, lr=5.0),  # linear, 8 layers, gain ~ 6^8, lr 5: must blow up
        dict(base, init="he_normal", scale=1.0, lr=0.05, seed=1),
    ]
    settings = dict(iterations=200, log_points=8, dtype=dtype)
    metrics, layers, _ = train_strict(runs, flower, **settings)
    R = len(runs)
    diverged = per_run(metrics, R, "diverged")
    assert diverged[-1].tolist() == [False, True, False]
    assert not diverged[0, 1], "finite at initialisation, diverges while training"
    # Frozen at its last finite state: every metric is constant from the flag on.
    first = int(np.argmax(diverged[:, 1]))
    for name in ("loss", "train_acc", "test_loss", "out_weight_norm"):
        values = per_run(metrics, R, name)[first:, 1]
        assert np.isfinite(values).all() and (values == values[0]).all(), name
    # The other runs train exactly as they do alone.
    for i in (0, 2):
        alone = train_strict([runs[i]], flower, **settings)
        for table, cols in zip((metrics, layers), alone[:2]):
            for name, values in cols.items():
                assert same_bits(per_run(table, R, name)[:, i], values), (i, name)


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_overflow_at_initialisation_is_flagged_without_crash(flower, activation):
    runs = grid(activation, 16, inits=("he_normal",), scales=[1e4], lrs=[0.1]) + grid(
        activation, 16, inits=("normal",), scales=[0.1], lrs=[0.1]
    )
    metrics, layers, _ = train_strict(runs, flower, iterations=30, log_points=3, dtype="float32")
    R = len(runs)
    diverged = per_run(metrics, R, "diverged")
    assert diverged[0].tolist() == [True, False], "activations ~ (1e4)^16 overflow float32 in the first forward pass"
    for name in RUN_COLUMNS[:-1]:
        measured = name not in TWIN_COLUMNS  # a random (non-symmetric) start has no width-1 twin: NaN for both runs
        assert np.isnan(per_run(metrics, R, name)[:, 0]).all(), name
        assert np.isfinite(per_run(metrics, R, name)[:, 1]).all() == measured, name
    assert (per_run(layers, R, "rank_act")[:, 0] == -1).all() and (per_run(layers, R, "rank_act")[:, 1] >= 0).all()


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
def test_scale_1e6_depth_64_is_recorded_truthfully(flower, activation):
    """Issue 14: a run non-finite at iteration 0 was logged with loss 0.0 (a perfect fit). Now a
    diverged row is NaN (no finite state) or the last finite state; a finite row is a real measurement."""
    base = dict(experiment="e", dataset="flower", activation=activation, width=8, depth=64, bias_init="zeros",
                bias_scale=0.0, init="normal", lr=1.2)  # fmt: skip
    runs = [dict(base, scale=1e6, seed=0), dict(base, scale=1e6, seed=1), dict(base, scale=0.5, seed=2)]
    metrics, layers, _ = train_strict(runs, flower, iterations=20, log_points=4)
    R = len(runs)
    diverged = per_run(metrics, R, "diverged")
    loss = per_run(metrics, R, "loss")
    if activation == "linear":
        assert diverged[0, :2].all(), "(1e6 * sqrt(8))^64 overflows in the first forward pass"
    for r in range(R):
        if diverged[0, r]:
            for name in RUN_COLUMNS[:-1]:
                assert np.isnan(per_run(metrics, R, name)[:, r]).all(), (r, name)
            for name in LAYER_COLUMNS:
                col = per_run(layers, R, name)[:, r]
                assert (col == -1).all() if name.startswith("rank") else np.isnan(col).all(), (r, name)
        else:
            assert np.isfinite(loss[:, r]).all() and (loss[:, r] > 0).all(), r
            first = int(np.argmax(diverged[:, r])) if diverged[:, r].any() else None
            if first is not None:  # held at the last finite state, which the row before records
                assert (loss[first:, r] == loss[first - 1, r]).all()


def test_diverged_runs_keep_finite_frozen_weights(flower):
    runs = grid("linear", 16, inits=("he_normal",), scales=[1e4], lrs=[0.1])
    _, _, params = train_strict(runs, flower, iterations=30, log_points=3, dtype="float32")
    assert params["diverged"].all()
    for w, bias in zip(params["weights"], params["biases"]):
        assert np.isfinite(w).all() and np.isfinite(bias).all()
