"""The same training written with JAX: ``jit`` + ``vmap`` over runs (benchmark reference only).

JAX is an optional extra (``pip install -e '.[bench]'``), never a dependency of the study.
Runs are stacked on a leading axis and ``vmap``-ed; iterations between two log steps run inside
one jitted ``lax.fori_loop`` (trip count traced, so it compiles once); at each log step the
logits come back to numpy for loss and accuracy (common.metrics_from_logits, like the others).

Two gradient flavours: ``grad="manual"`` (the same hand-written backprop as the numpy versions:
dz = lr/m (sigmoid(z) - y), dZ = W^T dZ * (1 - a^2)) and ``grad="autodiff"`` (``jax.grad`` of
the mean BCE-from-logits). ``chunk``: runs per vmap batch (``lax.map`` over chunks, each chunk
running the whole segment), None = all runs at once.

Float64 needs ``jax_enable_x64`` (set here at import). Pin the process with ``taskset`` to
limit XLA to given cores: its thread flags do not.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from common import metrics_from_logits  # noqa: E402


def _make(X, y, lr, dtype, grad):
    Xj = jnp.asarray(X, dtype)
    yj = jnp.asarray(y, dtype)
    m = X.shape[1]
    c = jnp.asarray(lr / m, dtype)
    lr_ = jnp.asarray(lr, dtype)

    def logits(params):  # one run
        a = Xj
        for W, b in params[:-1]:
            a = jnp.tanh(W @ a + b[:, None])
        W, b = params[-1]
        return (W @ a + b[:, None])[0]

    def step_manual(params):
        acts = [Xj]
        for W, b in params[:-1]:
            acts.append(jnp.tanh(W @ acts[-1] + b[:, None]))
        W, b = params[-1]
        z = W @ acts[-1] + b[:, None]
        dz = (jax.nn.sigmoid(z) - yj) * c
        new = [None] * len(params)
        for l in range(len(params) - 1, -1, -1):
            W, b = params[l]
            dW = dz @ acts[l].T
            db = dz.sum(axis=1)
            if l > 0:
                dz = (W.T @ dz) * (1 - acts[l] * acts[l])
            new[l] = (W - dW, b - db)
        return new

    def loss_fn(params):
        z = logits(params)
        return jnp.mean(jax.nn.softplus(z) - yj * z)

    def step_autodiff(params):
        g = jax.grad(loss_fn)(params)
        return jax.tree_util.tree_map(lambda p, d: p - lr_ * d, params, g)

    step = step_manual if grad == "manual" else step_autodiff
    vstep = jax.vmap(step)

    def seg(params, n):
        return lax.fori_loop(0, n, lambda i, p: vstep(p), params)

    @jax.jit
    def segment_all(params, n):
        return seg(params, n)

    @jax.jit
    def segment_chunked(params, n):  # params: leading (n_chunks, chunk)
        return lax.map(lambda p: seg(p, n), params)

    vlogits = jax.jit(jax.vmap(logits))
    return segment_all, segment_chunked, vlogits


def train_jax(X, y, params, lr, n_iter, steps, dtype=np.float64, chunk=None, grad="manual", timings=None):
    """Train all runs of ``params`` (see common.init_params); returns ``loss, acc (R, len(steps))``.

    ``timings`` (a dict, optional) receives ``compile_s`` (jit compilation and first dispatch,
    excluded from ``train_s``), ``train_s`` and ``cpu_s`` (process CPU time while training).
    """
    import time

    R = params[0][0].shape[0]
    p = [(jnp.asarray(W, dtype), jnp.asarray(b, dtype)) for W, b in params]
    segment_all, segment_chunked, vlogits = _make(X, y, lr, dtype, grad)
    if chunk is not None and chunk < R:
        nch = -(-R // chunk)
        pad = nch * chunk - R
        p = [tuple(jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)]).reshape((nch, chunk) + a.shape[1:]) for a in layer) for layer in p]
        seg = segment_chunked

        def flat(pp):
            return [(W.reshape((-1,) + W.shape[2:])[:R], b.reshape((-1,) + b.shape[2:])[:R]) for W, b in pp]
    else:
        seg = segment_all

        def flat(pp):
            return pp

    t0 = time.perf_counter()
    seg(p, 0)[0][0].block_until_ready()  # compile (trip count is traced: one executable)
    vlogits(flat(p)).block_until_ready()
    t1 = time.perf_counter()
    c1 = time.process_time()
    loss = np.empty((R, len(steps)))
    acc = np.empty((R, len(steps)))
    done = 0
    for k, s in enumerate(steps):
        if s > done:
            p = seg(p, int(s - done))
            done = int(s)
        z = np.asarray(vlogits(flat(p)))
        loss[:, k], acc[:, k] = metrics_from_logits(z, y)
    t2 = time.perf_counter()
    if timings is not None:
        timings["compile_s"] = t1 - t0
        timings["train_s"] = t2 - t1
        timings["cpu_s"] = time.process_time() - c1
    return loss, acc
