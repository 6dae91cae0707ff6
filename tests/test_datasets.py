"""Datasets: the course's flower bit for bit, every generator seeded and well-formed."""

import numpy as np
import pytest

from initstudy.datasets import GENERATORS, flower, make_dataset


def course_planar_dataset():
    """The course assignment's generator, as published (global seed replaced by a RandomState)."""
    rs = np.random.RandomState(1)
    m, N, D, a = 400, 200, 2, 4
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rs.randn(N) * 0.2
        r = a * np.sin(4 * t) + rs.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_flower_is_the_course_dataset_bit_for_bit():
    X, y = flower(n=400, noise=0.2, seed=1)
    Xc, Yc = course_planar_dataset()
    assert np.array_equal(X.T, Xc)
    assert np.array_equal(y, Yc[0])


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generators_are_seeded_and_balanced(kind):
    X1, y1 = GENERATORS[kind](n=200, noise=0.1, seed=5)
    X2, y2 = GENERATORS[kind](n=200, noise=0.1, seed=5)
    X3, _ = GENERATORS[kind](n=200, noise=0.1, seed=6)
    assert X1.shape == (200, 2) and y1.shape == (200,)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert set(np.unique(y1)) == {0, 1}
    assert abs(y1.mean() - 0.5) <= 0.01
    assert np.isfinite(X1).all()


def test_make_dataset_splits():
    d = make_dataset("moons", n_train=100, n_test=60, noise=0.2, seed=1, test_seed=2)
    assert list(d) == ["x1", "x2", "y", "split"]
    assert (d["split"] == "train").sum() == 100 and (d["split"] == "test").sum() == 60
    with pytest.raises(ValueError, match="unknown dataset kind"):
        make_dataset("nope", 10, 10, 0.1, 1, 2)
