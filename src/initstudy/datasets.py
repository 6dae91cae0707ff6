"""Seeded 2-D binary classification datasets, pure numpy.

Every generator takes an explicit ``numpy.random.Generator``-free seed and returns ``(X, y)``
with ``X`` of shape ``(n, 2)`` (float64) and ``y`` of shape ``(n,)`` (int8, values 0/1).
:func:`make_dataset` draws a train and a test split with two different seeds and returns one
table-like dict with columns ``x1, x2, y, split``; :func:`splits` turns those columns back into the
arrays a net trains on.

``flower`` reproduces, bit for bit, the planar dataset of the course's assignment
(``numpy.random.RandomState(1)``, 2 classes of 200 points), and ``make_circles`` the circles of
the course's *Initialization* assignment (scikit-learn's ``make_circles`` algorithm drawn from the
legacy generator after ``np.random.seed(seed)``). Both use the legacy ``RandomState`` on purpose:
that is what makes them identical to the published numbers. All other datasets use
``numpy.random.default_rng``.
"""

from __future__ import annotations

import numpy as np


def flower(n: int = 400, noise: float = 0.2, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The course's planar 'flower': two interleaved petal sets (RandomState, draw order kept)."""
    rs = np.random.RandomState(seed)
    m = n // 2  # points per class
    X = np.zeros((2 * m, 2))
    y = np.zeros(2 * m, dtype=np.int8)
    for j in range(2):
        ix = range(m * j, m * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, m) + rs.randn(m) * noise
        r = 4 * np.sin(4 * t) + rs.randn(m) * noise
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def moons(n: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as in scikit-learn's make_moons)."""
    rng = np.random.default_rng(seed)
    m0 = n // 2
    m1 = n - m0
    a0 = np.linspace(0, np.pi, m0)
    a1 = np.linspace(0, np.pi, m1)
    X = np.r_[np.c_[np.cos(a0), np.sin(a0)], np.c_[1 - np.cos(a1), 0.5 - np.sin(a1)]]
    X = X + rng.normal(0.0, noise, X.shape)
    y = np.r_[np.zeros(m0), np.ones(m1)].astype(np.int8)
    return X, y


def circles(n: int = 400, noise: float = 0.1, seed: int = 0, factor: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (radius ratio ``factor``)."""
    rng = np.random.default_rng(seed)
    m0 = n // 2
    m1 = n - m0
    a0 = np.linspace(0, 2 * np.pi, m0, endpoint=False)
    a1 = np.linspace(0, 2 * np.pi, m1, endpoint=False)
    X = np.r_[np.c_[np.cos(a0), np.sin(a0)], factor * np.c_[np.cos(a1), np.sin(a1)]]
    X = X + rng.normal(0.0, noise, X.shape)
    y = np.r_[np.zeros(m0), np.ones(m1)].astype(np.int8)
    return X, y


def xor(n: int = 400, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs at (+-1, +-1); the label is the XOR of the coordinate signs."""
    rng = np.random.default_rng(seed)
    centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    labels = np.array([0, 0, 1, 1], dtype=np.int8)
    k = np.arange(n) % 4
    X = centers[k] + rng.normal(0.0, noise * 2.0, (n, 2))
    return X, labels[k]


def blobs(n: int = 400, noise: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs at (-1.5, -1.5) and (1.5, 1.5): linearly separable for small noise."""
    rng = np.random.default_rng(seed)
    m0 = n // 2
    m1 = n - m0
    X = np.r_[rng.normal(-1.5, noise, (m0, 2)), rng.normal(1.5, noise, (m1, 2))]
    y = np.r_[np.zeros(m0), np.ones(m1)].astype(np.int8)
    return X, y


def spirals(n: int = 400, noise: float = 0.2, seed: int = 0, turns: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved Archimedean spirals with ``turns`` revolutions each."""
    rng = np.random.default_rng(seed)
    m0 = n // 2
    m1 = n - m0
    out = []
    for j, m in enumerate((m0, m1)):
        t = np.linspace(0.25, 1.0, m) * turns * 2 * np.pi
        r = 4.0 * t / (turns * 2 * np.pi)
        phase = j * np.pi
        pts = np.c_[r * np.cos(t + phase), r * np.sin(t + phase)]
        out.append(pts + rng.normal(0.0, noise, pts.shape))
    X = np.r_[out[0], out[1]]
    y = np.r_[np.zeros(m0), np.ones(m1)].astype(np.int8)
    return X, y


def make_circles(n: int = 300, noise: float = 0.05, seed: int = 1, factor: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_circles(n, noise=noise, factor=factor)`` after ``np.random.seed(seed)``, numpy only.

    Its algorithm, in its draw order: ``n // 2`` points evenly on the unit circle (class 0), the rest
    on a circle of radius ``factor`` (class 1), the rows shuffled (``RandomState.shuffle`` of the
    indices), then Gaussian noise of std ``noise`` added to every coordinate. ``RandomState(seed)``
    is in the very state ``np.random.seed(seed)`` puts the global generator in.
    """
    rs = np.random.RandomState(seed)
    n_out = n // 2
    n_in = n - n_out
    a_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    a_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.append(np.cos(a_out), np.cos(a_in) * factor), np.append(np.sin(a_out), np.sin(a_in) * factor)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.int8), np.ones(n_in, dtype=np.int8)])
    order = np.arange(n)
    rs.shuffle(order)
    X, y = X[order], y[order]
    X += rs.normal(scale=noise, size=X.shape)
    return X, y


GENERATORS = {
    "flower": flower,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "blobs": blobs,
    "spirals": spirals,
    "make_circles": make_circles,
}
"""Registry: dataset kind -> generator(n, noise, seed); the circle kinds also take ``factor``."""

FACTOR_KINDS = frozenset({"circles", "make_circles"})
"""Kinds whose generator takes a radius ratio ``factor`` (inner circle / outer circle)."""


def make_dataset(
    kind: str, n_train: int, n_test: int, noise: float, seed: int, test_seed: int, factor: float | None = None
) -> dict[str, np.ndarray]:
    """Train and test split of one dataset kind, as columns ``x1, x2, y, split``.

    ``factor`` (circle kinds only; None: the generator's default) is the inner circle's radius ratio.
    """
    if kind not in GENERATORS:
        raise ValueError(f"unknown dataset kind {kind!r}; known: {sorted(GENERATORS)}")
    options = {}
    if factor is not None:
        if kind not in FACTOR_KINDS:
            raise ValueError(f"dataset kind {kind!r} takes no factor (only {', '.join(sorted(FACTOR_KINDS))} do)")
        options["factor"] = float(factor)
    gen = GENERATORS[kind]
    Xtr, ytr = gen(n=n_train, noise=noise, seed=seed, **options)
    Xte, yte = gen(n=n_test, noise=noise, seed=test_seed, **options)
    X = np.r_[Xtr, Xte]
    return {
        "x1": X[:, 0].astype(np.float64),
        "x2": X[:, 1].astype(np.float64),
        "y": np.r_[ytr, yte].astype(np.int8),
        "split": np.array(["train"] * len(ytr) + ["test"] * len(yte)),
    }


def splits(data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X (2, n_train), y (n_train,), X_test (2, n_test), y_test (n_test,)``, float64, from a dataset's
    columns ``x1, x2, y, split`` (as :func:`make_dataset` returns them or its Parquet table holds them)."""
    X_all = np.stack([np.asarray(data["x1"], dtype=np.float64), np.asarray(data["x2"], dtype=np.float64)])
    train = np.asarray(data["split"]) == "train"
    y_all = np.asarray(data["y"], dtype=np.float64)
    return X_all[:, train], y_all[train], X_all[:, ~train], y_all[~train]
