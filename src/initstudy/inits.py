"""Weight and bias initialisation schemes, as a registry.

Every scheme is ``f(rng, shape, scale) -> array`` for one layer's weight matrix of shape
``(fan_out, fan_in)``. ``scale`` means, per scheme:

- ``zeros``: ignored (every weight is 0).
- ``constant``: the value every weight takes (B01: any constant is as symmetric as zero).
- ``normal``: the standard deviation; the lecture's ``randn * 0.01`` is ``normal`` at 0.01.
- ``uniform``: the standard deviation, so ``uniform`` and ``normal`` at one scale share a variance
  (B04); the draw is ``U(-sqrt(3) s, sqrt(3) s)``.
- ``lecun_normal``: a multiple of ``1/sqrt(fan_in)`` (the mean-field ``sigma_w``; B03).
- ``xavier_normal`` / ``xavier_uniform``: a gain on Glorot & Bengio (2010), std ``sqrt(2/(fan_in+fan_out))``.
- ``he_normal``: a gain on He et al. (2015), std ``sqrt(2/fan_in)``.
- ``orthogonal``: a gain on Saxe et al. (2014): the Q factor of a Gaussian matrix (sign-fixed), scaled so
  that its entries have LeCun's variance ``gain^2 / fan_in`` (B04 compares it with ``lecun_normal``).

The rng is always an argument: no global random state anywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

InitFn = Callable[[np.random.Generator, tuple[int, int], float], np.ndarray]


def zeros(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """All zeros: the symmetric start the lecture warns about."""
    return np.zeros(shape)


def constant(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Every weight equal to ``scale``: symmetric like zeros."""
    return np.full(shape, float(scale))


def normal(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """``scale * N(0, 1)``: the lecture's ``np.random.randn(...) * 0.01``."""
    return scale * rng.standard_normal(shape)


def uniform(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """``U(-sqrt(3) s, sqrt(3) s)``: standard deviation ``s``, same variance as ``normal``."""
    return scale * np.sqrt(3.0) * rng.uniform(-1.0, 1.0, shape)


def lecun_normal(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """``scale / sqrt(fan_in) * N(0, 1)``: LeCun et al. (1998); ``scale`` is sigma_w of mean-field theory."""
    return scale / np.sqrt(shape[1]) * rng.standard_normal(shape)


def xavier_normal(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Glorot & Bengio (2010): std ``gain * sqrt(2 / (fan_in + fan_out))``."""
    return scale * np.sqrt(2.0 / (shape[0] + shape[1])) * rng.standard_normal(shape)


def xavier_uniform(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Glorot & Bengio (2010): ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    return scale * np.sqrt(6.0 / (shape[0] + shape[1])) * rng.uniform(-1.0, 1.0, shape)


def he_normal(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """He et al. (2015): std ``gain * sqrt(2 / fan_in)``."""
    return scale * np.sqrt(2.0 / shape[1]) * rng.standard_normal(shape)


def orthogonal(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Saxe et al. (2014): ``gain * Q`` of the QR factorisation of a Gaussian matrix, entry variance ``gain^2 / fan_in``.

    A square or wide ``Q`` (orthonormal rows) already has entry variance ``1 / fan_in``; a tall one
    (``fan_out > fan_in``, orthonormal columns) has ``1 / fan_out``, so it is scaled by
    ``sqrt(fan_out / fan_in)``: then ``W^T W = gain^2 (fan_out / fan_in) I``, each unit's input
    variance matches LeCun's, and the comparison with ``lecun_normal`` is at equal variance.
    """
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))  # unique Q: positive diagonal of R
    if rows < cols:
        q = q.T
    return scale * np.sqrt(max(rows / cols, 1.0)) * q[:rows, :cols]


INITS: dict[str, InitFn] = {
    "zeros": zeros,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "lecun_normal": lecun_normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
}
"""Registry: init scheme name -> ``f(rng, (fan_out, fan_in), scale)``."""

BIAS_INITS: dict[str, Callable[[np.random.Generator, int, float], np.ndarray]] = {
    "zeros": lambda rng, n, scale: np.zeros(n),
    "constant": lambda rng, n, scale: np.full(n, float(scale)),
    "normal": lambda rng, n, scale: scale * rng.standard_normal(n),
}
"""Registry: bias init name -> ``f(rng, n, scale)``; the lecture's choice is ``zeros``."""

SYMMETRIC_INITS = frozenset({"zeros", "constant"})
"""Schemes that give every unit of a layer the same incoming weights."""
