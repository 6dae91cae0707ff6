"""The exact best linear classifier on 2-D points: the ceiling a symmetric net cannot pass (L05).

A linear classifier labels a point by the side of a line it falls on (a half-plane, with bias,
either orientation). :func:`best_linear_accuracy` returns the largest share of points any such
classifier gets right, exactly, by enumerating every way a line can split the points.

Why the enumeration is complete. Take any line that splits the points into ``S`` and ``T`` (no
point on it). Translate it towards ``T`` until it touches ``T``; it now holds some points of ``T``,
all on one line. Turn it by a tiny angle about the last of them (the pivot ``p``): the others go
back to ``T``'s side and no other point changes side. So every split is "the points left of a
line through a pivot ``p`` in a direction that meets no other point, plus or minus ``p``". For each
pivot, the other points sorted by angle are swept once (a point leaves the left side when the
direction passes it and comes back half a turn later), and only the states between two distinct
directions are scored, so points collinear with the pivot always move together and no split is
counted that no line can make. Repeated points are merged first (they cannot be split).

Cost ``O(n^2 log n)``, vectorised over pivots (in blocks, to bound memory): 800 points take well
under a second. Collinearity is tested exactly (a cross product equal to 0), which is exact for
integer coordinates and, for real-valued data, only matters on sets of measure zero.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def _merge_duplicates(X: Array, y: Array) -> tuple[Array, Array]:
    """Unique points ``(u, 2)`` and their class counts ``(u, 2)`` (column k = points of class k)."""
    P, inverse = np.unique(X, axis=0, return_inverse=True)
    counts = np.zeros((len(P), 2), dtype=np.int64)
    np.add.at(counts, (inverse.ravel(), y), 1)
    return P, counts


def _best_agreement(P: Array, C: Array, block: int = 256) -> int:
    """Most points (weighted by ``C``) any half-plane split of the unique points ``P`` gets right."""
    u = len(P)
    N = C.sum(axis=0)  # (2,) points of class 0 and 1
    best = int(N.max())  # every point on one side
    if u < 2:
        return best
    idx = np.arange(u)
    for start in range(0, u, block):
        piv = idx[start : start + block]  # (B,)
        B = len(piv)
        j = np.arange(u - 1)[None, :]
        others = j + (j >= piv[:, None])  # (B, u-1) every point but the pivot
        V = P[others] - P[piv][:, None, :]  # (B, u-1, 2) vectors pivot -> other
        W = C[others]  # (B, u-1, 2)
        # events: direction v (the point leaves the left side), direction -v (it comes back)
        D = np.concatenate([V, -V], axis=1) + 0.0  # (B, E, 2); + 0.0 turns -0.0 into 0.0 for arctan2
        delta = np.concatenate([-W, W], axis=1)  # (B, E, 2)
        order = np.argsort(np.arctan2(D[..., 1], D[..., 0]), axis=1, kind="stable")
        D = np.take_along_axis(D, order[..., None], axis=1)
        delta = np.take_along_axis(delta, order[..., None], axis=1)
        # left side just before the first event direction d1: cross(d1, v) > 0, or v along d1
        d1 = D[:, :1, :]  # (B, 1, 2)
        cross = d1[..., 0] * V[..., 1] - d1[..., 1] * V[..., 0]  # (B, u-1)
        dot = (d1 * V).sum(axis=-1)
        left0 = (((cross > 0) | ((cross == 0) & (dot > 0)))[..., None] * W).sum(axis=1)  # (B, 2)
        left = left0[:, None, :] + np.cumsum(delta, axis=1)  # (B, E, 2) after each event
        # score only between distinct directions: after the last event of each group of equal ones
        nxt_cross = D[:, :-1, 0] * D[:, 1:, 1] - D[:, :-1, 1] * D[:, 1:, 0]
        nxt_dot = (D[:, :-1] * D[:, 1:]).sum(axis=-1)
        same_as_next = np.concatenate([(nxt_cross == 0) & (nxt_dot > 0), np.zeros((B, 1), bool)], axis=1)
        states = np.concatenate([left0[:, None, :], left], axis=1)  # (B, E+1, 2)
        valid = np.concatenate([np.ones((B, 1), bool), ~same_as_next], axis=1)
        pivot = C[piv][:, None, :]  # (B, 1, 2)
        for side in (states, states + pivot):  # the pivot goes with the left or the right side
            # side predicted class 1: its class-1 points + the other side's class-0 points; or flipped
            agree = side[..., 1] + (N[0] - side[..., 0])
            agree = np.maximum(agree, N.sum() - agree)
            best = max(best, int(np.where(valid, agree, 0).max()))
    return best


def best_linear_accuracy(X, y) -> float:
    """Exact best accuracy of any linear classifier (half-plane with bias, either orientation).

    ``X`` of shape ``(n, 2)``, ``y`` of shape ``(n,)`` with values 0/1. Points with equal
    coordinates are kept together; points on a separating line may go to either side, as far as
    some line can actually put them there.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},), got {y.shape}")
    if len(X) == 0:
        raise ValueError("X is empty: the accuracy of no points is undefined")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold only 0 and 1")
    if not np.isfinite(X).all():
        raise ValueError("X must be finite")
    P, C = _merge_duplicates(X, y.astype(np.int64))
    return _best_agreement(P, C) / len(X)
