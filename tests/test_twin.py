"""L05's width-1 twin: a symmetric width-w net is a width-1 net with W2 w times larger and per-layer lrs."""

import numpy as np
import pytest

from initstudy.datasets import flower
from initstudy.mlp import ACTIVATIONS, forward
from initstudy.train import run_cell
from initstudy.twin import TWIN_COLUMNS, Twin, step, symmetric_start, to_twin, twin_lrs


def _symmetric(width: int, R: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    u, c, v, d = rng.normal(size=(R, 1, 2)), rng.normal(size=(R, 1, 1)), rng.normal(size=(R, 1, 1)), rng.normal(size=(R, 1, 1))
    return [np.repeat(u, width, axis=1), np.repeat(v, width, axis=2)], [np.repeat(c, width, axis=1), d.copy()]


@pytest.fixture(scope="module")
def data():
    X, y = flower(n=60, noise=0.2, seed=1)
    return X.T.astype(np.float64), y.astype(np.float64)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("width", [1, 2, 5, 32])
def test_twin_computes_the_same_logits_and_steps_equal(data, activation, width):
    X, y = data
    W, b = _symmetric(width)
    assert symmetric_start(W, b).all()
    Wt, bt = to_twin(W, b)
    act = ACTIVATIONS[activation]
    assert np.abs(forward(W, b, X, act, True)[0][-1] - forward(Wt, bt, X, act, True)[0][-1]).max() < 1e-12
    lr = np.full(3, 0.7)
    for _ in range(5):  # several updates: the twin stays the wide net's image
        step(W, b, X, y, activation, lr, (1.0, 1.0, 1.0, 1.0))
        step(Wt, bt, X, y, activation, lr, twin_lrs(width))
    Wm, bm = to_twin(W, b)
    for p, q in zip(Wm + bm, Wt + bt):
        assert np.abs(p - q).max() < 1e-12


def test_the_comparison_fails_when_the_twin_learns_at_the_wrong_rates(data):
    """The measurement can fail: one lr for every layer is not the width-1 image of a wide net."""
    X, y = data
    W, b = _symmetric(8)
    twin = Twin(W, b, X, y, "tanh", np.full(3, 0.5))
    right = twin.compare(W, b, forward(W, b, X, ACTIVATIONS["tanh"], True)[0][-1])
    assert (right["twin_step_gap"] < 1e-12).all() and (right["twin_logit_gap"] < 1e-12).all()
    assert (right["twin_pred_diff"] == 0).all()
    Wt, bt = to_twin(W, b)
    Ww = [w.copy() for w in W]
    bw = [v.copy() for v in b]
    step(Ww, bw, X, y, "tanh", np.full(3, 0.5), (1.0, 1.0, 1.0, 1.0))
    step(Wt, bt, X, y, "tanh", np.full(3, 0.5), (1.0, 1.0, 1.0, 1.0))  # wrong: plain lr for the twin
    Wm, bm = to_twin(Ww, bw)
    assert max(np.abs(p - q).max() for p, q in zip(Wm + bm, Wt + bt)) > 1e-3
    # and a twin that has drifted away shows up in the logit gap and the prediction count
    twin.W[1] *= -1.0
    wrong = twin.compare(W, b, forward(W, b, X, ACTIVATIONS["tanh"], True)[0][-1])
    assert (wrong["twin_logit_gap"] > 1e-3).all() and (wrong["twin_pred_diff"] > 0).any()


def test_runs_without_a_symmetric_start_have_no_twin(data):
    X, y = data
    W, b = _symmetric(4)
    W[0][1, 2, 0] += 1e-9  # run 1: one weight off
    b[0][2, 0, 0] += 1e-9  # run 2: one bias off
    assert symmetric_start(W, b).tolist() == [True, False, False]
    out = Twin(W, b, X, y, "tanh", np.full(3, 0.5)).compare(W, b, forward(W, b, X, ACTIVATIONS["tanh"], True)[0][-1])
    for k in TWIN_COLUMNS:
        assert np.isfinite(out[k][0]) and np.isnan(out[k][1:]).all()
    deep = [np.zeros((2, 3, 2)), np.zeros((2, 3, 3)), np.zeros((2, 1, 3))]
    assert not symmetric_start(deep, [np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), np.zeros((2, 1, 1))]).any()


def test_run_cell_records_the_twin_of_symmetric_runs_only():
    X, y = flower(n=80, noise=0.2, seed=1)
    data = {"x1": X[:, 0], "x2": X[:, 1], "y": y, "split": np.array(["train"] * 60 + ["test"] * 20)}
    base = dict(experiment="t", dataset="flower", activation="tanh", width=6, depth=1, bias_init="zeros", bias_scale=0.0, lr=1.2)
    runs = [dict(base, init="constant", scale=0.5, seed=0), dict(base, init="zeros", scale=0.0, seed=0),
            dict(base, init="normal", scale=0.01, seed=0)]  # fmt: skip
    m, _, _ = run_cell(runs, data, iterations=50, log_points=5)
    R = len(runs)
    for k in TWIN_COLUMNS:
        col = m[k].reshape(-1, R)
        assert np.isfinite(col[:, :2]).all() and np.isnan(col[:, 2]).all(), k
    assert (m["twin_pred_diff"].reshape(-1, R)[:, :2] == 0).all()
    assert (m["twin_step_gap"].reshape(-1, R)[:, :2] < 1e-12).all()
