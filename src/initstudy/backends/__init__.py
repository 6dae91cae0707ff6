"""Backends for the hot loop: take weights, run ``n`` gradient-descent steps, give weights back.

:func:`initstudy.train.train` measures every logged state itself, with the one numpy measurement
code (:func:`initstudy.train.measure`); between two logged iterations it hands the weights to a
backend, which only steps them. A backend is a callable ``steps(W, b, lr, n) -> (W, b)``:

- ``W[l] (R, n_l, n_{l-1})`` and ``b[l] (R, n_l, 1)`` numpy arrays of one dtype (any layer
  shapes), ``lr (R,)``, ``n >= 0`` full-batch steps; it returns numpy arrays of the same shapes;
- ``label``: what trained the runs (``"numpy"``, ``"jax 0.10.2 cpu"``, ...), recorded per run in
  the metrics table (column ``trained_on``) and shown in the report's provenance.

Two backends: ``numpy`` (:mod:`.numpy_backend`, the exact reference, always used for symmetric
starts) and ``jax`` (:mod:`.jax_backend`: ``jit`` + ``vmap``, CPU or GPU). The config key
``backend`` picks one; ``auto`` means JAX (on the GPU when JAX sees one) when JAX is installed,
numpy otherwise. JAX is imported only when a job trains with it, never by the Snakefile.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

import numpy as np

Array = np.ndarray

BACKENDS = ("auto", "jax", "numpy")
"""Values of the config key ``backend``."""


class Steps(Protocol):
    label: str

    def __call__(self, W: list[Array], b: list[Array], lr: Array, n: int) -> tuple[list[Array], list[Array]]: ...


def resolve(name: str) -> str:
    """The backend that ``name`` (one of :data:`BACKENDS`) trains with: ``"jax"`` or ``"numpy"``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    if name == "auto":
        return "jax" if importlib.util.find_spec("jax") is not None else "numpy"
    if name == "jax" and importlib.util.find_spec("jax") is None:
        raise RuntimeError("backend 'jax' asked for, but JAX is not installed: pip install -e . (or set backend: numpy)")
    return name


def make_steps(name: str, X: Array, y: Array, activation: str, *, exact: bool = False) -> Steps:
    """The stepping function of backend ``name`` for the data ``X (n_x, m)``, ``y (m,)``.

    ``exact=True`` (unit-exact contractions, see :mod:`initstudy.mlp`) is numpy only.
    """
    if exact or resolve(name) == "numpy":
        from .numpy_backend import NumpySteps

        return NumpySteps(X, y, activation, exact=exact)
    from .jax_backend import JaxSteps

    return JaxSteps(X, y, activation)


def describe(name: str) -> str:
    """What backend ``name`` would train with on this machine, e.g. ``"jax 0.10.2 gpu (NVIDIA H200)"``."""
    if resolve(name) == "numpy":
        return "numpy"
    from .jax_backend import device_label

    return device_label()
