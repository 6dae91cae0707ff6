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


def train_engine(X, y, params, lr, n_iter, steps, dtype=np.float64, **options):
    """Train with ``initstudy.train.train`` (API of src/initstudy/train.py as of this writing).

    The engine takes ``X (n_x, m)``, ``y (m,)``, a test set (the training set is passed again:
    its test metrics cost one extra forward pass per log step, as a test set of that size would),
    ``W[l] (R, n_l, n_{l-1})`` and ``b[l] (R, n_l, 1)`` updated in place, ``lr (R,)``, and returns
    a History whose ``run["loss"]`` and ``run["train_acc"]`` are ``(T_log, R)``.
    ``options`` go to the engine as keyword arguments (e.g. ``exact=True``).
    """
    from initstudy.train import History, chunk_size, train

    dtype = np.dtype(dtype)
    W = [np.array(W_, dtype=dtype, order="C", copy=True) for W_, _ in params]
    b = [np.array(b_, dtype=dtype, order="C", copy=True)[:, :, None] for _, b_ in params]
    R = W[0].shape[0]
    yf = y.astype(np.float64)
    # As in the pipeline (initstudy.train.run_cell): nets whose units start equal take the plain,
    # unit-exact steps, every other net the fast hot loop.
    symmetric = np.all([np.ptp(w, axis=1).max(axis=-1) == 0 for w in W[:-1]], axis=0) if len(W) > 1 else np.ones(R, bool)
    loss = np.zeros((R, len(steps)))
    acc = np.zeros((R, len(steps)))
    size = chunk_size(max(w.shape[1] for w in W), X.shape[1], dtype)  # cache-sized chunks, as run_cell does
    for plain, lo in [(p, lo) for p in (True, False) for lo in range(0, int((symmetric == p).sum()), size)]:
        sel = np.flatnonzero(symmetric == plain)[lo : lo + size]
        hist: History = train(X, yf, X, yf, [w[sel] for w in W], [v[sel] for v in b], activation="tanh", lr=np.full(len(sel), lr),
                              iterations=int(n_iter), log_at=np.asarray(steps), **{"fast": not plain, **options})  # fmt: skip
        got = np.asarray(hist.iterations)
        if not np.array_equal(got, np.asarray(steps)):
            raise RuntimeError(f"engine logged at {got.tolist()}, asked for {list(steps)}")
        loss[sel] = np.asarray(hist.run["loss"]).T
        acc[sel] = np.asarray(hist.run["train_acc"]).T
    return loss, acc
