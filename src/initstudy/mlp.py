"""Fully-connected nets, batched over runs: activations beside their derivatives, forward, backward.

Shapes: ``R`` runs (leading axis), ``m`` samples, ``n_l`` units in layer ``l``. Layer ``l`` has
``W[l]`` of shape ``(R, n_l, n_{l-1})`` and ``b[l]`` of shape ``(R, n_l, 1)``; activations are
``(R, n_l, m)``; the input ``X`` is ``(n_x, m)``, shared by every run. The last layer has one unit
with a sigmoid; the loss is binary cross-entropy computed from the logit.

Simplifications chosen on purpose (they are the lecture's setting): full-batch gradient descent,
binary classification, one activation for every hidden layer, no regularisation.

Exact symmetry. BLAS kernels treat output rows unevenly (edge blocks use other code paths), so two
hidden units with equal weights can come out of ``W @ A`` differing by ~1e-15; gradient descent
then amplifies that round-off and a "symmetric" net slowly desymmetrises for reasons that have
nothing to do with the lecture. Every contraction here is therefore written so that each unit
sees the same arithmetic in the same order (elementwise products accumulated over the short axis,
or reductions over the sample axis), which keeps a symmetric net symmetric to the last bit.
Hidden-to-hidden products (square ``width x width`` matrices) use BLAS unless ``exact=True``,
because the elementwise form costs ``width`` numpy calls per product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """``g(z)``, its derivative ``dg(z, a)`` (given ``a = g(z)``) and ``max g'`` (for saturation).

    ``g`` and ``dg`` take the array namespace as ``xp`` (``numpy`` by default, ``jax.numpy`` in
    the JAX backend), so this one registry serves every backend.
    """

    g: Callable[..., Array]
    dg: Callable[..., Array]
    dg_max: float


def _sigmoid(z: Array, xp=np) -> Array:
    # 0.5 * (1 + tanh(z / 2)) equals 1 / (1 + exp(-z)) and never overflows
    return 0.5 + 0.5 * xp.tanh(0.5 * z)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(lambda z, xp=np: xp.tanh(z), lambda z, a, xp=np: 1.0 - a * a, 1.0),
    "sigmoid": Activation(_sigmoid, lambda z, a, xp=np: a * (1.0 - a), 0.25),
    "relu": Activation(lambda z, xp=np: xp.maximum(z, 0.0), lambda z, a, xp=np: (z > 0).astype(z.dtype), 1.0),
    "linear": Activation(lambda z, xp=np: xp.array(z, copy=True), lambda z, a, xp=np: xp.ones_like(z), 1.0),
}
"""Registry: hidden activation name -> :class:`Activation`."""

sigmoid = _sigmoid


def bce_from_logits(z: Array, y: Array) -> Array:
    """Mean binary cross-entropy per run from logits ``z (R, 1, m)`` and labels ``y (m,)``: ``(R,)``."""
    # log(1 + exp(z)) - y z, stable for any |z|
    return (np.logaddexp(0.0, z) - y * z).mean(axis=(-2, -1))


def matmul_units(W: Array, A: Array, exact: bool) -> Array:
    """``W @ A``: ``W (R, n, k)``, ``A (R or 1, k, m)`` -> ``(R, n, m)``, unit-symmetric when needed."""
    k = W.shape[-1]
    if exact or k <= 2:
        Z = W[:, :, 0:1] * A[:, 0:1, :]  # (R, n, m)
        for j in range(1, k):
            Z += W[:, :, j : j + 1] * A[:, j : j + 1, :]
        return Z
    return W @ A


def matmul_back(W: Array, dZ: Array, exact: bool) -> Array:
    """``W^T @ dZ``: ``W (R, n, k)``, ``dZ (R, n, m)`` -> ``(R, k, m)``."""
    n = W.shape[1]
    if exact or n <= 2:
        dA = W[:, 0, :, None] * dZ[:, 0:1, :]  # (R, k, m)
        for i in range(1, n):
            dA += W[:, i, :, None] * dZ[:, i : i + 1, :]
        return dA
    return np.swapaxes(W, -1, -2) @ dZ


def matmul_samples(dZ: Array, A: Array, exact: bool) -> Array:
    """``dZ @ A^T`` summed over samples: ``dZ (R, n, m)``, ``A (R or 1, k, m)`` -> ``(R, n, k)``."""
    n, k = dZ.shape[1], A.shape[1]
    if n == 1:
        return (dZ * A).sum(axis=-1)[:, None, :]  # (R, 1, k)
    if k <= 2 or exact:
        return np.stack([(dZ * A[:, j : j + 1, :]).sum(axis=-1) for j in range(k)], axis=-1)
    return dZ @ np.swapaxes(A, -1, -2)


@dataclass
class Pass:
    """Everything one forward + backward pass computes (lists run over hidden layers, then output)."""

    Z: list[Array]  # pre-activations, (R, n_l, m)
    A: list[Array]  # activations of hidden layers, (R, n_l, m)
    dZ: list[Array]  # (R, n_l, m), same order as Z
    dW: list[Array]  # (R, n_l, n_{l-1})
    db: list[Array]  # (R, n_l, 1)


def forward(W: list[Array], b: list[Array], X: Array, act: Activation, exact: bool = False) -> tuple[list[Array], list[Array]]:
    """Pre-activations of every layer and activations of the hidden ones."""
    Zs, As = [], []
    A = X[None]  # (1, n_x, m)
    for layer, (Wl, bl) in enumerate(zip(W, b)):
        Z = matmul_units(Wl, A, exact)
        Z += bl
        Zs.append(Z)
        if layer < len(W) - 1:
            A = act.g(Z)
            As.append(A)
    return Zs, As


def backward(W: list[Array], X: Array, y: Array, Zs: list[Array], As: list[Array], act: Activation, exact: bool = False) -> Pass:
    """Gradients of the mean cross-entropy for every layer (given the forward caches)."""
    m = X.shape[-1]
    L = len(W)
    dZ = (sigmoid(Zs[-1]) - y) / m  # (R, 1, m)
    dZs, dWs, dbs = [None] * L, [None] * L, [None] * L
    for layer in range(L - 1, -1, -1):
        A_prev = As[layer - 1] if layer > 0 else X[None]
        dZs[layer] = dZ
        dWs[layer] = matmul_samples(dZ, A_prev, exact)
        dbs[layer] = dZ.sum(axis=-1, keepdims=True)
        if layer > 0:
            dA = matmul_back(W[layer], dZ, exact)
            dZ = dA * act.dg(Zs[layer - 1], As[layer - 1])
    return Pass(Z=Zs, A=As, dZ=dZs, dW=dWs, db=dbs)


def forward_backward(W: list[Array], b: list[Array], X: Array, y: Array, act: Activation, exact: bool = False) -> Pass:
    """One full forward and backward pass."""
    Zs, As = forward(W, b, X, act, exact)
    return backward(W, X, y, Zs, As, act, exact)
