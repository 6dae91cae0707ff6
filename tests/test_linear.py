"""initstudy.linear.best_linear_accuracy: exact, against brute force, on known cases and ties."""

import time

import numpy as np
import pytest

from initstudy.linear import best_linear_accuracy


def sweep_accuracy(X: np.ndarray, y: np.ndarray, normals: np.ndarray) -> float:
    """Best accuracy over the given normal directions, every threshold, both orientations."""
    n = len(X)
    proj = normals @ X.T  # (directions, n)
    order = np.argsort(proj, axis=1, kind="stable")
    p = np.take_along_axis(proj, order, axis=1)
    ones = np.cumsum(y[order], axis=1)  # class-1 points among the lowest k+1
    k = np.arange(1, n + 1)
    # points above the cut predicted 1: class 0 below + class 1 above
    agree = (k - ones) + (ones[:, -1:] - ones)  # cut after position k
    valid = np.c_[p[:, :-1] < p[:, 1:], np.ones((len(p), 1), bool)]  # never between equal projections
    agree = np.where(valid, agree, 0)
    agree = np.maximum(agree, np.where(valid, n - agree, 0)).max()
    return max(agree, y.sum(), n - y.sum()) / n


def brute_force(X: np.ndarray, y: np.ndarray, delta: float = 1e-7) -> float:
    """Exact by another route: every projection order occurs just beside a direction orthogonal to
    some p_i - p_j, so those directions turned by +-delta (plus the axes) cover every split."""
    d = (X[:, None, :] - X[None, :, :]).reshape(-1, 2)
    d = d[np.abs(d).sum(axis=1) > 0]
    base = np.arctan2(d[:, 1], d[:, 0]) + np.pi / 2
    angles = np.r_[base - delta, base + delta, 0.0, np.pi / 2]
    return sweep_accuracy(X, y, np.c_[np.cos(angles), np.sin(angles)])


def test_separable_is_one():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-3, 0.5, (50, 2)), rng.normal(3, 0.5, (50, 2))]
    y = np.r_[np.zeros(50), np.ones(50)].astype(int)
    assert best_linear_accuracy(X, y) == 1.0
    assert best_linear_accuracy(X, 1 - y) == 1.0  # either orientation


def test_xor_four_clean_blobs_is_three_quarters():
    rng = np.random.default_rng(1)
    centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], float)
    k = np.arange(400) % 4
    X = centers[k] + rng.normal(0, 0.1, (400, 2))
    y = np.array([0, 0, 1, 1])[k]
    assert best_linear_accuracy(X, y) == 0.75


def test_one_class_and_single_point():
    assert best_linear_accuracy(np.zeros((1, 2)), np.array([1])) == 1.0
    X = np.random.default_rng(2).normal(size=(7, 2))
    assert best_linear_accuracy(X, np.zeros(7, int)) == 1.0


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_on_random_points(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 12))
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, 2, n)
    exact = best_linear_accuracy(X, y)
    assert exact == pytest.approx(brute_force(X, y), abs=1e-12)
    # random directions and every threshold never beat it
    angles = rng.uniform(0, 2 * np.pi, 2000)
    assert sweep_accuracy(X, y, np.c_[np.cos(angles), np.sin(angles)]) <= exact + 1e-12


@pytest.mark.parametrize("seed", range(60))
def test_matches_brute_force_with_ties_on_a_grid(seed):
    """Integer points on a small grid: many collinear triples and repeated points."""
    rng = np.random.default_rng(100 + seed)
    side = 3 + seed % 4
    n = int(rng.integers(3, 25))
    X = rng.integers(0, side, (n, 2)).astype(float)
    y = rng.integers(0, 2, n)
    assert best_linear_accuracy(X, y) == pytest.approx(brute_force(X, y), abs=1e-12)


def test_collinear_points_cannot_be_split_arbitrarily():
    # on one line with labels 0 1 0: a line through all three does not make them all right
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert best_linear_accuracy(X, np.array([0, 1, 0])) == pytest.approx(2 / 3)
    assert best_linear_accuracy(X, np.array([0, 0, 1])) == 1.0
    # a horizontal line (direction (-1, 0) from the pivot: the arctan2 branch cut)
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    assert best_linear_accuracy(X, np.array([1, 0, 1, 0])) == 0.75
    assert best_linear_accuracy(X, np.array([1, 1, 0, 0])) == 1.0


def test_repeated_points_stay_together():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    assert best_linear_accuracy(X, np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_800_points_fast():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(800, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    start = time.perf_counter()
    acc = best_linear_accuracy(X, y)
    assert time.perf_counter() - start < 5.0
    assert 0.5 <= acc < 0.8


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        best_linear_accuracy(np.zeros((3, 3)), np.zeros(3, int))
    with pytest.raises(ValueError, match="0 and 1"):
        best_linear_accuracy(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="empty"):
        best_linear_accuracy(np.zeros((0, 2)), np.zeros(0, int))
