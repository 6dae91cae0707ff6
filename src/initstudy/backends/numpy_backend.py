"""The numpy backend: the plain passes of :mod:`initstudy.mlp`, the exact reference.

Runs step in cache-sized chunks (a run's numbers do not depend on its chunk: every operation is
per run). With ``exact=True`` every contraction keeps equal hidden units equal to the last bit,
which is why symmetric starts (zero and constant inits) always train here, whatever the backend.
"""

from __future__ import annotations

import numpy as np

from ..mlp import ACTIVATIONS, forward_backward

Array = np.ndarray

CHUNK_BYTES = 512 * 1024
"""About the working set of one chunk of runs (one hidden activation array): an L2 cache's worth."""


def chunk_size(width: int, m: int, dtype) -> int:
    """Runs per chunk: enough to amortise numpy's per-call cost, few enough to stay in cache."""
    return max(4, CHUNK_BYTES // (max(width, 1) * m * np.dtype(dtype).itemsize))


class NumpySteps:
    """Full-batch gradient descent with :func:`initstudy.mlp.forward_backward`, in place."""

    label = "numpy"

    def __init__(self, X: Array, y: Array, activation: str, *, exact: bool = False):
        self.X, self.y, self.act, self.exact = X, y, ACTIVATIONS[activation], exact

    def __call__(self, W: list[Array], b: list[Array], lr: Array, n: int) -> tuple[list[Array], list[Array]]:
        R = len(W[0])
        lr = np.asarray(lr, dtype=W[0].dtype).reshape(R, 1, 1)
        size = chunk_size(max(w.shape[1] for w in W), self.X.shape[1], W[0].dtype)
        with np.errstate(all="ignore"):
            for lo in range(0, R, size):
                sl = slice(lo, lo + size)
                Wc, bc, lrc = [w[sl] for w in W], [v[sl] for v in b], lr[sl]  # views: updated in place
                for _ in range(n):
                    P = forward_backward(Wc, bc, self.X, self.y, self.act, self.exact)
                    for Wl, bl, dW, db in zip(Wc, bc, P.dW, P.db):
                        Wl -= lrc * dW
                        bl -= lrc * db
        return W, b
