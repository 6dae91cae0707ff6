"""Diagnostics of a batch of nets at one logged iteration.

All functions take batched arrays (runs on the leading axis) and return one value per run.
They are safe for any finite input: norms and standard deviations are computed on rescaled
values, so weights of 1e200 give a finite norm instead of overflowing.

Symmetry gap of a quantity with one row per unit (activations over samples, dz, rows of dW,
rows of W, the bias) = the largest difference between any two units = ``max over columns of
(max over units - min over units)``. For outgoing weights (columns of the next layer's W) the
roles of rows and columns swap. A layer with one unit has gap 0 by definition.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def gap_rows(M: Array) -> Array:
    """Largest difference between two unit rows: ``M (R, n_units, c)`` -> ``(R,)``."""
    return (M.max(axis=1) - M.min(axis=1)).max(axis=-1)


def gap_cols(M: Array) -> Array:
    """Largest difference between two unit columns: ``M (R, c, n_units)`` -> ``(R,)``."""
    return (M.max(axis=2) - M.min(axis=2)).max(axis=-1)


def _scale(M: Array) -> tuple[Array, Array]:
    s = np.abs(M).max(axis=(1, 2), keepdims=True)
    return s, np.where(s > 0, s, 1.0)


def safe_norm(M: Array) -> Array:
    """Frobenius norm per run of ``M (R, a, b)``, without overflow."""
    s, s1 = _scale(M)
    return (s * np.sqrt(((M / s1) ** 2).sum(axis=(1, 2), keepdims=True))).reshape(len(M))


def safe_std(M: Array) -> Array:
    """Standard deviation per run over all entries of ``M (R, a, b)``, without overflow."""
    s, s1 = _scale(M)
    return (s * (M / s1).std(axis=(1, 2), keepdims=True)).reshape(len(M))


def safe_mean(M: Array) -> Array:
    """Mean per run over all entries of ``M (R, a, b)``, without overflow."""
    s, s1 = _scale(M)
    return (s * (M / s1).mean(axis=(1, 2), keepdims=True)).reshape(len(M))


RANK_RTOL = 1e-10
"""Singular values below this fraction of the largest count as zero: round-off (~1e-16) is not rank."""


def numerical_rank(M: Array) -> Array:
    """Numerical rank per run of ``M (R, a, b)``: singular values above ``RANK_RTOL`` x the largest."""
    s, s1 = _scale(M)
    M = np.nan_to_num((M / s1).astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.linalg.matrix_rank(M, rtol=RANK_RTOL).astype(np.int16)


def accuracy(z: Array, y: Array) -> Array:
    """Share of samples classified right from logits ``z (R, 1, m)``: ``(R,)``."""
    return ((z > 0) == (y > 0.5)).mean(axis=(-2, -1))
