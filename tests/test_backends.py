"""The backends: JAX agrees with the numpy reference, symmetric starts stay exact, chunks fix the bits."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from initstudy.backends import BACKENDS, describe, make_steps, resolve
from initstudy.datasets import make_dataset
from initstudy.train import init_params, run_cell, run_shard

jax_backend = pytest.importorskip("initstudy.backends.jax_backend")
pytest.importorskip("jax")


@pytest.fixture(scope="module")
def flower():
    return make_dataset("flower", n_train=400, n_test=100, noise=0.2, seed=1, test_seed=2)


def _runs(n: int, **over) -> list[dict]:
    base = dict(experiment="e", dataset="flower", activation="tanh", width=4, depth=1, init="xavier_normal", scale=1.0,
                bias_init="zeros", bias_scale=0.0, lr=0.3)  # fmt: skip
    return [{**base, **over, "seed": s} for s in range(n)]


def test_backend_names():
    assert BACKENDS == ("auto", "jax", "numpy")
    assert resolve("auto") == "jax" and resolve("numpy") == "numpy"
    assert describe("numpy") == "numpy" and describe("jax").startswith("jax ")
    with pytest.raises(ValueError, match="unknown backend"):
        resolve("torch")


def test_steps_interface_any_layer_shapes():
    """A backend takes weights of any shapes (unequal widths too), runs n steps, gives weights back."""
    rng = np.random.default_rng(0)
    sizes = [2, 5, 3, 7, 1]
    X, y = rng.normal(size=(2, 30)), (rng.random(30) > 0.5).astype(float)
    W = [rng.normal(size=(4, sizes[i + 1], sizes[i])) * 0.5 for i in range(len(sizes) - 1)]
    b = [rng.normal(size=(4, sizes[i + 1], 1)) * 0.1 for i in range(len(sizes) - 1)]
    lr = np.array([0.0, 0.1, 0.2, 0.3])
    out = {}
    for name in ("numpy", "jax"):
        Wn, bn = make_steps(name, X, y, "tanh")([w.copy() for w in W], [v.copy() for v in b], lr, 25)
        assert [w.shape for w in Wn] == [w.shape for w in W] and [v.shape for v in bn] == [v.shape for v in b]
        out[name] = Wn + bn
    for a, c, orig in zip(out["numpy"], out["jax"], W + b):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-13)
        np.testing.assert_array_equal(a[0], orig[0])  # lr 0: unchanged


@pytest.mark.parametrize(("activation", "depth", "width", "lr", "iterations"),
                         [("tanh", 1, 4, 0.3, 3000), ("relu", 2, 8, 0.1, 1000), ("sigmoid", 1, 4, 1.2, 2000), ("tanh", 6, 16, 0.01, 300)])  # fmt: skip
def test_jax_agrees_with_numpy_on_runs_that_are_not_chaotic(flower, activation, depth, width, lr, iterations):
    """float64: the whole metrics table to 1e-9 (runs away from lr's edge of stability, see benchmarks/RESULTS.md)."""
    runs = _runs(6, activation=activation, depth=depth, width=width, lr=lr)
    runs += [dict(r, init="he_normal", seed=r["seed"] + 10) for r in runs[:3]]
    ref, got = (run_cell(runs, flower, iterations=iterations, log_points=8, backend=b) for b in ("numpy", "jax"))
    assert set(got[0]["trained_on"]) == {describe("jax")} and set(ref[0]["trained_on"]) == {"numpy"}
    for col in ("loss", "train_acc", "test_loss", "test_acc", "out_grad_norm", "out_weight_norm"):
        np.testing.assert_allclose(got[0][col], ref[0][col], rtol=1e-9, atol=1e-12, err_msg=col)
    for col in ("act_mean", "act_std", "grad_norm_w", "weight_norm"):
        np.testing.assert_allclose(got[1][col], ref[1][col], rtol=1e-9, atol=1e-12, err_msg=col)
    for a, c in zip(got[2]["weights"], ref[2]["weights"]):
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("init", ["zeros", "constant"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_symmetric_starts_stay_exact_on_the_jax_backend(flower, init, activation):
    runs = _runs(3, init=init, scale=0.5, activation=activation, width=8, lr=1.2) + _runs(2, activation=activation, width=8)
    metrics, layers, _ = run_cell(runs, flower, iterations=500, log_points=6, backend="jax")
    sym = layers["init"] == init
    for gap in ("gap_act", "gap_dz", "gap_dw", "gap_w", "gap_b", "gap_wout"):
        assert np.all(layers[gap][sym] == 0.0), gap
        assert np.any(layers[gap][~sym] > 0.0), gap  # the random runs of the same batch do break symmetry
    assert set(metrics["trained_on"][metrics["init"] == init]) == {"numpy"}
    assert set(metrics["trained_on"][metrics["init"] != init]) == {describe("jax")}


def _rows(table: dict, R: int, i: int) -> dict:
    n = len(table["seed"]) // R
    rows = np.arange(n) * R + i
    return {k: v[rows] for k, v in table.items()}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_runs_give_the_same_bits_alone_in_any_batch_and_chunk(flower, dtype):
    """Chunks of a fixed shape: a run's bits do not depend on its batch mates, position or chunk."""
    C = jax_backend.chunk_runs([4, 2], 400, "cpu")
    runs = _runs(C + 5, lr=1.2, init="normal")  # two chunks, the second padded
    batch = run_cell(runs, flower, iterations=300, log_points=5, dtype=dtype, backend="jax")
    for i in (0, C - 1, C, C + 4):
        alone = run_cell([runs[i]], flower, iterations=300, log_points=5, dtype=dtype, backend="jax")
        for got, want in zip(batch, alone):
            got = _rows(got, len(runs), i)
            for col, values in want.items():
                if values.dtype == object and col in ("weights", "biases"):
                    assert all(np.array_equal(a, c) for a, c in zip(got[col], values)), col
                else:
                    # NaN is a value here (the twin columns of a run that has no twin): equal to NaN
                    assert np.array_equal(got[col], values, equal_nan=values.dtype.kind == "f"), (col, i)


def test_chunk_size_depends_on_device_and_shape_only():
    assert jax_backend.chunk_runs([4, 2], 400, "cpu") == jax_backend.chunk_runs([2, 4, 1], 400, "cpu")
    assert jax_backend.chunk_runs([32] * 10, 400, "cpu") < jax_backend.chunk_runs([4], 400, "cpu")
    assert jax_backend.chunk_runs([4], 400, "gpu") > jax_backend.chunk_runs([4], 400, "cpu")


def test_diverged_runs_are_frozen_and_flagged_on_the_jax_backend(flower):
    # linear, 8 layers, gain ~ 6^8, lr 5: must blow up (as in test_numerics); the last two runs train normally
    runs = _runs(3, init="normal", scale=3.0, lr=5.0, activation="linear", depth=8) + _runs(2, activation="linear", depth=8, lr=0.01)
    out = {b: run_cell(runs, flower, iterations=200, log_points=6, backend=b) for b in ("numpy", "jax")}
    for b, (metrics, layers, params) in out.items():
        final = metrics["iteration"] == 200
        assert metrics["diverged"][final].any(), b
        assert not metrics["diverged"][final][-2:].any(), b
        for col in ("loss", "test_loss", "out_weight_norm"):
            assert np.all(np.isfinite(metrics[col])), (b, col)
        assert all(np.all(np.isfinite(w)) for w in params["weights"]), b
    np.testing.assert_array_equal(out["jax"][0]["diverged"], out["numpy"][0]["diverged"])


def test_jax_backend_changes_nothing_for_numpy_inputs(flower):
    """The backend hands weights back; the caller's arrays keep their dtype and shapes."""
    W, b = init_params(_runs(3), 2, 4, 1, np.float32)
    Wn, bn = make_steps("jax", np.ones((2, 5)), np.ones(5), "tanh")(W, b, np.full(3, 0.1), 3)
    assert [w.dtype for w in Wn + bn] == [np.float32] * 4


def test_progress_is_logged_with_time_left(flower, caplog):
    with caplog.at_level(logging.INFO, logger="initstudy.train"):
        run_shard(_runs(3) + _runs(2, width=8), {"flower": flower}, iterations=100, log_points=4, backend="jax", progress=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "initstudy.train"]
    assert lines and all("left" in line for line in lines)
    assert "100.0%" in lines[-1]


def test_the_workflow_never_imports_jax_to_parse():
    """What the Snakefile and its rule files import must not pull JAX in (a no-op rerun stays fast)."""
    import subprocess
    import sys

    code = "import sys, initstudy.config, initstudy.grid, initstudy.report, initstudy.train, initstudy.tables; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_runs_with_the_same_start_train_once_and_get_what_training_each_gives(flower, backend, caplog):
    """A zero init at three scales and two seeds is one start, as are two draws of the same seed: trained once,
    copied, and every table equal, bit for bit, to training each run on its own."""
    runs = (_runs(2, init="zeros", scale=0.0) + _runs(2, init="zeros", scale=2.0) + _runs(2, init="constant", scale=0.5)
            + _runs(3, init="normal", scale=0.3) + _runs(1, init="normal", scale=0.3))  # fmt: skip
    with caplog.at_level(logging.INFO, logger="initstudy.train"):
        batch = run_cell(runs, flower, iterations=150, log_points=5, backend=backend)
    copied = [r.getMessage() for r in caplog.records if "trained once" in r.getMessage()]
    # zeros: 4 runs, 1 start; constant: 2 runs, 1 start (the numpy group); normal seed 0 twice (the backend group)
    assert [m.split(" of ")[0] for m in copied] == ["4", "1"], copied
    for i in range(len(runs)):
        alone = run_cell([runs[i]], flower, iterations=150, log_points=5, backend=backend)
        for got, want in zip(batch, alone):
            got = _rows(got, len(runs), i)
            for col, values in want.items():
                if values.dtype == object and col in ("weights", "biases"):
                    assert all(np.array_equal(a, c) for a, c in zip(got[col], values)), (col, i)
                else:
                    assert np.array_equal(got[col], values, equal_nan=values.dtype.kind == "f"), (col, i)
