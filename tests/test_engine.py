"""The engine: gradients against finite differences, one step worked by hand, batching, symmetry."""

import numpy as np
import pytest

from initstudy.datasets import flower
from initstudy.mlp import ACTIVATIONS, bce_from_logits, forward, forward_backward
from initstudy.train import init_params, log_iterations, run_cell, train


def _loss(W, b, X, y, act):
    Zs, _ = forward(W, b, X, act)
    return bce_from_logits(Zs[-1], y)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@pytest.mark.parametrize("exact", [False, True])
def test_gradients_match_finite_differences(activation, depth, exact):
    rng = np.random.default_rng(depth)
    X = rng.normal(size=(2, 7))
    y = (rng.random(7) > 0.5).astype(float)
    sizes = [2] + [3] * depth + [1]
    R = 2
    W = [rng.normal(size=(R, sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    b = [rng.normal(size=(R, sizes[i + 1], 1)) for i in range(len(sizes) - 1)]
    act = ACTIVATIONS[activation]
    P = forward_backward(W, b, X, y, act, exact)
    eps = 1e-6
    for params, grads in ((W, P.dW), (b, P.db)):
        for p, g in zip(params, grads):
            num = np.zeros_like(p)
            for idx in np.ndindex(p.shape[1:]):
                old = p[(slice(None), *idx)].copy()
                p[(slice(None), *idx)] = old + eps
                up = _loss(W, b, X, y, act)
                p[(slice(None), *idx)] = old - eps
                down = _loss(W, b, X, y, act)
                p[(slice(None), *idx)] = old
                num[(slice(None), *idx)] = (up - down) / (2 * eps)
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_one_step_worked_by_hand():
    # 2 -> 2 tanh -> 1 sigmoid, two samples, lr 0.5, every number written out.
    X = np.array([[1.0, -1.0], [2.0, 0.5]])  # (n_x=2, m=2): columns are samples
    y = np.array([1.0, 0.0])
    W1 = np.array([[0.1, -0.2], [0.3, 0.4]])
    b1 = np.array([[0.0], [0.1]])
    W2 = np.array([[0.5, -0.6]])
    b2 = np.array([[0.2]])
    # forward
    z1 = np.array([[0.1 * 1 - 0.2 * 2 + 0.0, 0.1 * -1 - 0.2 * 0.5 + 0.0], [0.3 * 1 + 0.4 * 2 + 0.1, 0.3 * -1 + 0.4 * 0.5 + 0.1]])
    a1 = np.tanh(z1)
    z2 = 0.5 * a1[0] - 0.6 * a1[1] + 0.2
    s = 1 / (1 + np.exp(-z2))
    # backward, by the chain rule for the mean cross-entropy
    dz2 = (s - y) / 2
    dW2 = np.array([[np.sum(dz2 * a1[0]), np.sum(dz2 * a1[1])]])
    db2 = np.sum(dz2)
    dz1 = np.array([0.5 * dz2, -0.6 * dz2]) * (1 - a1**2)
    dW1 = np.array([[np.sum(dz1[i] * X[j]) for j in range(2)] for i in range(2)])
    db1 = dz1.sum(axis=1, keepdims=True)
    expected_W1 = W1 - 0.5 * dW1
    expected_W2 = W2 - 0.5 * dW2

    W = [W1[None].copy(), W2[None].copy()]
    b = [b1[None].copy(), b2[None].copy()]
    hist = train(X, y, X, y, W, b, activation="tanh", lr=np.array([0.5]), iterations=1, log_at=np.array([0, 1]))
    np.testing.assert_allclose(W[0][0], expected_W1, rtol=1e-12)
    np.testing.assert_allclose(W[1][0], expected_W2, rtol=1e-12)
    np.testing.assert_allclose(b[0][0], b1 - 0.5 * db1, rtol=1e-12)
    np.testing.assert_allclose(b[1][0, 0, 0], 0.2 - 0.5 * db2, rtol=1e-12)
    loss0 = np.mean(-y * np.log(s) - (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(hist.run["loss"][0, 0], loss0, rtol=1e-12)


def _runs(**over):
    base = dict(experiment="t", dataset="flower", activation="tanh", width=4, depth=2, init="normal", scale=0.5,
                bias_init="zeros", bias_scale=0.0, seed=0, lr=1.2)  # fmt: skip
    return [{**base, **over, "seed": s} for s in range(5)]


@pytest.fixture(scope="module")
def flower_data():
    X, y = flower()
    return {"x1": X[:, 0], "x2": X[:, 1], "y": y, "split": np.array(["train"] * 300 + ["test"] * 100)}


@pytest.mark.parametrize("depth,width,activation", [(0, 0, "tanh"), (1, 4, "tanh"), (2, 8, "relu"), (3, 16, "sigmoid")])
def test_batched_equals_one_at_a_time(flower_data, depth, width, activation):
    runs = [{**r, "depth": depth, "width": width, "activation": activation} for r in _runs()]
    runs += [{**runs[0], "seed": 9, "lr": 0.3}, {**runs[0], "seed": 3, "init": "xavier_normal", "scale": 1.0}]
    together = run_cell(runs, flower_data, iterations=50, log_points=5)
    for i, run in enumerate(runs):
        alone = run_cell([run], flower_data, iterations=50, log_points=5)
        for table_all, table_one in zip(together, alone):
            for col, values in table_one.items():
                stride = len(runs)
                picked = table_all[col][i::stride] if len(table_all[col]) else table_all[col]
                if col in ("weights", "biases"):
                    for a, b in zip(picked, values):
                        assert np.array_equal(a, b)
                else:
                    assert np.array_equal(picked, values, equal_nan=picked.dtype.kind == "f"), col  # twin columns: NaN


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("init,scale", [("zeros", 0.0), ("constant", 0.5)])
def test_symmetric_init_stays_exactly_symmetric(flower_data, activation, init, scale):
    runs = [{**_runs()[0], "init": init, "scale": scale, "activation": activation, "width": 5, "depth": 1}]
    _, layers, _ = run_cell(runs, flower_data, iterations=500, log_points=10)
    for gap in ("gap_act", "gap_dz", "gap_dw", "gap_w", "gap_wout"):
        assert np.all(layers[gap] == 0.0), gap
    assert np.all(layers["rank_w"] <= 1)


def test_symmetric_init_exact_mode_deep(flower_data):
    runs = [{**_runs()[0], "init": "constant", "scale": 0.3, "width": 6, "depth": 3}]
    _, layers, _ = run_cell(runs, flower_data, iterations=200, log_points=5, exact=True)
    for gap in ("gap_act", "gap_dz", "gap_dw", "gap_w", "gap_wout"):
        assert np.all(layers[gap] == 0.0), gap


def test_random_init_breaks_symmetry(flower_data):
    _, layers, _ = run_cell(_runs(depth=1), flower_data, iterations=100, log_points=5)
    for gap in ("gap_act", "gap_dz", "gap_dw", "gap_w", "gap_wout"):
        assert np.all(layers[gap] > 0), gap


def test_random_biases_alone_break_symmetry(flower_data):
    runs = [{**r, "init": "zeros", "scale": 0.0, "bias_init": "normal", "bias_scale": 1.0, "depth": 1} for r in _runs()]
    _, layers, _ = run_cell(runs, flower_data, iterations=100, log_points=5)
    last = layers["iteration"] == 100
    assert np.all(layers["gap_act"][last] > 0)
    assert np.all(layers["gap_w"][last] > 0)


def test_training_learns_flower(flower_data):
    metrics, _, _ = run_cell(_runs(depth=1, scale=0.01), flower_data, iterations=2000, log_points=5)
    final = metrics["iteration"] == 2000
    assert np.median(metrics["train_acc"][final]) > 0.85
    assert np.all(metrics["loss"][final] < metrics["loss"][metrics["iteration"] == 0])


def test_seed_key_is_shared_across_scales():
    a = init_params([dict(init="normal", scale=0.01, bias_init="zeros", bias_scale=0.0, seed=3)], 2, 4, 1)[0]
    b = init_params([dict(init="normal", scale=1.0, bias_init="zeros", bias_scale=0.0, seed=3)], 2, 4, 1)[0]
    c = init_params([dict(init="normal", scale=1.0, bias_init="zeros", bias_scale=0.0, seed=4)], 2, 4, 1)[0]
    np.testing.assert_allclose(a[0] * 100, b[0])
    assert not np.allclose(b[0], c[0])


def test_log_iterations():
    ts = log_iterations(10000, 30)
    assert ts[0] == 0 and ts[-1] == 10000
    assert np.all(np.diff(ts) > 0)
    assert 25 <= len(ts) <= 32
    assert list(log_iterations(0, 5)) == [0]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_steps_take_the_numpy_steps(flower_data, activation, depth, dtype):
    """The JAX backend and the plain passes of mlp.py train the same nets (up to rounding)."""
    pytest.importorskip("jax")
    X = np.stack([flower_data["x1"], flower_data["x2"]])[:, :300]
    y = flower_data["y"][:300].astype(float)
    runs = [{**r, "depth": depth, "width": 5, "scale": 0.3} for r in _runs()]
    out = {}
    for backend in ("numpy", "jax"):
        W, b = init_params(runs, 2, 5, depth, np.dtype(dtype))
        hist = train(X, y, X, y, W, b, activation=activation, lr=np.linspace(0.1, 0.5, len(runs)), iterations=60,
                     log_at=log_iterations(60, 4), backend=backend)  # fmt: skip
        out[backend] = (hist, W, b)
    tol = 1e-9 if dtype == "float64" else 2e-3
    np.testing.assert_allclose(out["jax"][0].run["loss"], out["numpy"][0].run["loss"], rtol=tol)
    for a, b_ in zip(out["jax"][1] + out["jax"][2], out["numpy"][1] + out["numpy"][2]):
        np.testing.assert_allclose(a, b_, rtol=tol * 10, atol=tol)


def test_dz_rms_is_the_root_mean_square_of_dz_per_layer(flower_data):
    """B03's backward signal: per layer, sqrt(mean dz^2) over units and training points, at iteration 0."""
    from initstudy.mlp import ACTIVATIONS, forward_backward

    runs = [{**r, "depth": 3, "width": 5, "activation": "tanh", "init": "lecun_normal", "scale": 1.3} for r in _runs()][:2]
    _, layers, _ = run_cell(runs, flower_data, iterations=0, log_points=1)
    train = flower_data["split"] == "train"
    X = np.stack([flower_data["x1"][train], flower_data["x2"][train]]).astype(float)
    W, b = init_params(runs, 2, 5, 3)
    P = forward_backward(W, b, X, flower_data["y"][train].astype(float), ACTIVATIONS["tanh"])
    for i in range(len(runs)):
        for layer in range(3):
            want = np.sqrt((P.dZ[layer][i] ** 2).mean())
            got = layers["dz_rms"][(layers["layer"] == layer + 1) & (np.arange(len(layers["layer"])) % 2 == i)]
            assert got[0] == pytest.approx(want, rel=1e-12)


def test_shard_cost_grows_with_the_work_of_a_shard():
    """The scheduling estimate (initstudy.grid.shard_cost): more runs, iterations, depth or logged iterations cost
    more; a run on the exact numpy path costs more than the same run on the backend; the initial state only is cheap."""
    from initstudy.grid import Shard, shard_cost

    def run(init="normal", seed=0, width=8, depth=2):
        return dict(experiment="e", dataset="flower", activation="tanh", width=width, depth=depth, init=init, scale=0.01,
                    bias_init="zeros", bias_scale=0.0, seed=seed, lr=0.1)  # fmt: skip

    exp = dict(iterations=1000, log_points=10, log_every=0, exact=False)

    def cost(runs, **kw):
        return shard_cost(Shard("e", 0, tuple(runs)), {**exp, **kw})

    base = cost([run(seed=s) for s in range(10)])
    assert cost([run(seed=s) for s in range(20)]) > base
    assert cost([run(seed=s) for s in range(10)], iterations=2000) > base
    assert cost([run(seed=s, depth=4) for s in range(10)]) > base
    assert cost([run(seed=s, width=16) for s in range(10)]) > base
    assert cost([run(seed=s) for s in range(10)], log_points=40) > base
    assert cost([run(seed=s) for s in range(10)], exact=True) > base
    assert cost([run(seed=-2)]) > cost([run(seed=1)])  # a notebook replay steps on the exact numpy path
    assert cost([run(init="zeros")]) > cost([run()])  # so does a symmetric start
    assert cost([run(seed=s) for s in range(10)], iterations=0) < cost([run(seed=s) for s in range(10)], iterations=10) < base
