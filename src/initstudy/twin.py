"""The width-1 twin of a symmetric one-hidden-layer net (claim L05).

A net whose hidden units start identical (every row of ``W1`` equal to ``u``, every entry of ``b1``
equal to ``c``, every entry of ``W2`` equal to ``v``, output bias ``d``) computes, for ``w`` units,

    z2 = w v g(u x + c) + d,

which is the logit of the width-1 net ``(u, c, w v, d)``. Gradient descent keeps the two equal if
the twin's layers learn at ``(lr/w, lr/w, w lr, lr)`` for ``(W1, b1, W2, b2)``: the wide net's
``dW2`` entry equals the twin's (same activation), while the twin's ``dW1`` and ``db1`` are ``w``
times the wide net's row (its output weight is ``w`` times larger). So extra units that start
equal add nothing a single unit could not do, at any width.

:class:`Twin` trains the twins of a batch alongside the wide nets (its own steps, from the mapped
initial state) and, at each logged iteration, compares them three ways (:data:`TWIN_COLUMNS`).
Runs that do not start symmetric, or are not one hidden layer deep, have no twin (NaN).
"""

from __future__ import annotations

import numpy as np

from .mlp import ACTIVATIONS, forward_backward

Array = np.ndarray

TWIN_COLUMNS = ("twin_logit_gap", "twin_pred_diff", "twin_step_gap")
"""Per run and logged iteration: the largest |logit difference| between the wide net and its
trained twin (training points), the number of training points they classify differently, and the
largest relative parameter difference one update after identical states."""


def symmetric_start(W: list[Array], b: list[Array]) -> Array:
    """``(R,)``: one hidden layer whose units are exactly equal (rows of W1, entries of b1 and W2)."""
    if len(W) != 2:
        return np.zeros(len(W[0]), dtype=bool)
    same = (W[0] == W[0][:, :1, :]).all(axis=(1, 2))  # (R,)
    same &= (b[0] == b[0][:, :1, :]).all(axis=(1, 2))
    same &= (W[1] == W[1][:, :, :1]).all(axis=(1, 2))
    return same


def to_twin(W: list[Array], b: list[Array]) -> tuple[list[Array], list[Array]]:
    """The width-1 net of a symmetric one-hidden-layer net: ``(u, c, w v, d)``."""
    width = W[0].shape[1]
    return [W[0][:, :1, :].copy(), width * W[1][:, :, :1]], [b[0][:, :1, :].copy(), b[1].copy()]


def twin_lrs(width: int) -> tuple[float, float, float, float]:
    """Factors on the wide net's learning rate for the twin's ``(W1, b1, W2, b2)``."""
    return 1.0 / width, 1.0 / width, float(width), 1.0


def step(W: list[Array], b: list[Array], X: Array, y: Array, activation: str, lr: Array, factors) -> None:
    """One full-batch gradient step in place, layer ``l`` at ``lr * factors``: ``(fW1, fb1, fW2, fb2)``."""
    P = forward_backward(W, b, X, y, ACTIVATIONS[activation], exact=True)
    rate = np.asarray(lr, dtype=W[0].dtype).reshape(-1, 1, 1)  # (R, 1, 1)
    for layer in range(2):
        W[layer] -= rate * factors[2 * layer] * P.dW[layer]
        b[layer] -= rate * factors[2 * layer + 1] * P.db[layer]


def _gap(a: list[Array], c: list[Array]) -> Array:
    """Largest relative difference ``|a - c| / max(1, |c|)`` over every parameter, per run: ``(R,)``."""
    out = np.zeros(len(a[0]))
    for x, z in zip(a, c):
        rel = np.abs(x - z) / np.maximum(1.0, np.abs(z))
        out = np.maximum(out, rel.reshape(len(rel), -1).max(axis=1))
    return out


class Twin:
    """The width-1 twins of a batch of one-hidden-layer nets, trained alongside them.

    Build it from the initial state; call :meth:`advance` with the number of updates since the last
    logged iteration, then :meth:`compare` with the wide nets' current state. ``lr (R,)`` is the
    wide nets' learning rate (a run frozen at lr 0 freezes its twin too).
    """

    def __init__(self, W: list[Array], b: list[Array], X: Array, y: Array, activation: str, lr: Array):
        self.has = symmetric_start(W, b)  # (R,)
        self.width = W[0].shape[1] if len(W) == 2 else 0
        self.X, self.y, self.activation = X, y, activation
        self.lr = np.asarray(lr, dtype=np.float64).ravel().copy()
        self.W, self.b = to_twin(W, b) if self.has.any() else ([], [])

    def advance(self, n: int) -> None:
        if not self.has.any():
            return
        for _ in range(n):
            step(self.W, self.b, self.X, self.y, self.activation, self.lr, twin_lrs(self.width))

    def set_lr(self, lr: Array) -> None:
        self.lr = np.asarray(lr, dtype=np.float64).ravel().copy()

    def compare(self, W: list[Array], b: list[Array], z_wide: Array) -> dict[str, Array]:
        """The :data:`TWIN_COLUMNS` of the wide state ``(W, b)`` with training logits ``z_wide (R, 1, m)``."""
        R = len(z_wide)
        out = {k: np.full(R, np.nan) for k in TWIN_COLUMNS}
        if not self.has.any():
            return out
        P = forward_backward(self.W, self.b, self.X, self.y, ACTIVATIONS[self.activation], exact=True)
        z_twin = P.Z[-1]  # (R, 1, m)
        logit_gap = np.abs(z_wide - z_twin).max(axis=(1, 2))
        pred_diff = ((z_wide > 0) != (z_twin > 0)).sum(axis=(1, 2)).astype(np.float64)
        # one update from identical states: the wide net stepped then mapped, against the mapped state stepped
        Ww, bw = [w.copy() for w in W], [v.copy() for v in b]
        Wt, bt = to_twin(Ww, bw)
        step(Ww, bw, self.X, self.y, self.activation, self.lr, (1.0, 1.0, 1.0, 1.0))
        step(Wt, bt, self.X, self.y, self.activation, self.lr, twin_lrs(self.width))
        Wm, bm = to_twin(Ww, bw)
        step_gap = _gap(Wm + bm, Wt + bt)
        for k, v in zip(TWIN_COLUMNS, (logit_gap, pred_diff, step_gap)):
            out[k] = np.where(self.has & np.isfinite(v), v, np.nan)
        return out
