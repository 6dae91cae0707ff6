"""Adapter between the benchmark and the study's engine, ``initstudy.train``.

>>> ENGINE ADAPTER: the one place to change when the engine's API changes. <<<

:func:`train_engine` must train every run of ``params`` (see common.init_params: a list over
layers of ``(W (R, out, in), b (R, out))``, float64) at ``dtype``, with learning rate ``lr``, for
``n_iter`` iterations, logging at ``steps`` (step 0 = before the first update), and return
``loss, acc`` as ``(R, len(steps))`` arrays (BCE from logits and train accuracy). It may log more
(the real engine does: that cost is part of what is measured).
"""

from __future__ import annotations

import os

import numpy as np

from common import SRC

ENGINE_FILE = os.path.join(SRC, "initstudy", "train.py")


def available() -> tuple[bool, str]:
    """Whether the engine can be benchmarked, and why not."""
    if not os.path.exists(ENGINE_FILE):
        return False, f"{ENGINE_FILE} does not exist yet"
    try:
        from initstudy import train as T  # noqa: F401

        T.train  # noqa: B018
    except Exception as e:  # noqa: BLE001
        return False, f"import initstudy.train failed: {e!r}"
    return True, ""


def train_engine(X, y, params, lr, n_iter, steps, dtype=np.float64, backend="numpy", timings=None, **options):
    """Train with ``initstudy.train.train`` (API of src/initstudy/train.py as of this writing).

    The engine takes ``X (n_x, m)``, ``y (m,)``, a test set (the training set is passed again:
    its test metrics cost one extra forward pass per log step, as a test set of that size would),
    ``W[l] (R, n_l, n_{l-1})`` and ``b[l] (R, n_l, 1)`` updated in place, ``lr (R,)``, the
    ``backend`` of the steps between log steps (``"numpy"`` or ``"jax"``), and returns a History
    whose ``run["loss"]`` and ``run["train_acc"]`` are ``(T_log, R)``. ``options`` go to the
    engine as keyword arguments (e.g. ``exact=True``). With ``backend="jax"`` the one executable
    the run needs (its chunk shape is fixed) is compiled first and timed apart, as jax_ref does:
    ``timings`` (a dict) receives ``compile_s`` and ``train_s``.
    """
    import time

    from initstudy.backends import make_steps
    from initstudy.train import History, train

    dtype = np.dtype(dtype)
    W = [np.array(W_, dtype=dtype, order="C", copy=True) for W_, _ in params]
    b = [np.array(b_, dtype=dtype, order="C", copy=True)[:, :, None] for _, b_ in params]
    R = W[0].shape[0]
    yf = y.astype(np.float64)
    t0 = time.perf_counter()
    if backend == "jax":
        make_steps("jax", X.astype(dtype), yf.astype(dtype), "tanh")([w[:1] for w in W], [v[:1] for v in b], np.zeros(1), 1)
    t1 = time.perf_counter()
    # As in the pipeline (initstudy.train.run_cell): nets whose units start equal take the exact
    # numpy steps, every other net the chosen backend, all in one call (the engine chunks itself).
    symmetric = np.all([np.ptp(w, axis=1).max(axis=-1) == 0 for w in W[:-1]], axis=0) if len(W) > 1 else np.ones(R, bool)
    loss = np.zeros((R, len(steps)))
    acc = np.zeros((R, len(steps)))
    for plain in (True, False):
        sel = np.flatnonzero(symmetric == plain)
        if not len(sel):
            continue
        hist: History = train(X, yf, X, yf, [w[sel] for w in W], [v[sel] for v in b], activation="tanh", lr=np.full(len(sel), lr),
                              iterations=int(n_iter), log_at=np.asarray(steps), backend="numpy" if plain else backend, **options)  # fmt: skip
        got = np.asarray(hist.iterations)
        if not np.array_equal(got, np.asarray(steps)):
            raise RuntimeError(f"engine logged at {got.tolist()}, asked for {list(steps)}")
        loss[sel] = np.asarray(hist.run["loss"]).T
        acc[sel] = np.asarray(hist.run["train_acc"]).T
    if timings is not None and backend == "jax":
        timings["compile_s"] = t1 - t0
        timings["train_s"] = time.perf_counter() - t1
    return loss, acc
