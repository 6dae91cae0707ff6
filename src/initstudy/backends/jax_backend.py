"""The JAX backend: the steps between two logged iterations as one jitted, ``vmap``-ed segment.

The same arithmetic as :func:`initstudy.mlp.forward_backward` (the activations come from the one
registry, :data:`initstudy.mlp.ACTIVATIONS`, with ``xp=jax.numpy``), written for one run and
``vmap``-ed over runs; ``lax.fori_loop`` runs the ``n`` steps with a traced trip count, so each
(layer shapes, dtype, activation) compiles once per process. Float64 runs in float64
(``jax_enable_x64``); every product asks for full precision (no TF32 on GPUs).

Determinism. XLA's result for a run can depend on the shape of the batch it is vmap-ed in (the
last bit, 1e-16 in float64), never on its position or its batch mates in a batch of a fixed shape.
So runs step in chunks of a fixed size :func:`chunk_runs` that depends only on the device and the
layer shapes (the last chunk is padded with frozen copies, learning rate 0): a run gives the same
bits whatever its shard, cell size or ``--cores``. On GPUs XLA's deterministic-ops mode is on.

Threads. A training job asks Snakemake for ``threads`` cores; XLA's CPU client is told to use that
many (:func:`configure`, before JAX is imported), so parallel jobs do not oversubscribe the cores.
"""

from __future__ import annotations

import os

import numpy as np

from ..mlp import ACTIVATIONS, sigmoid

Array = np.ndarray

CPU_CHUNK_ELEMENTS = 1 << 16
"""Per-chunk size of one hidden activation array (runs x width x samples) on a CPU: cache-sized."""
GPU_CHUNK_ELEMENTS = 1 << 25
"""The same on a GPU: enough runs at once to fill the device."""


CACHE_ENV = "INITSTUDY_JAX_CACHE"
"""Environment variable naming a folder for JAX's persistent compilation cache (the workflow sets it)."""


def _machine_tag() -> str:
    """This machine's platform and CPU features, hashed: a cache entry is only reused where it can run."""
    import hashlib
    import platform

    flags = ""
    try:
        with open("/proc/cpuinfo") as fh:
            flags = next((line for line in fh if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    text = f"{platform.machine()}|{platform.processor()}|{flags}"
    return f"{platform.machine()}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def configure(threads: int = 1) -> None:
    """XLA flags for a training job, set before JAX is first imported (later calls change nothing).

    Deterministic ops on GPUs; on CPUs Eigen's thread pool off for one-thread jobs. When
    ``$INITSTUDY_JAX_CACHE`` is set, compiled segments are cached under it, per machine type, so a
    layer shape compiles once per machine rather than once per job (a cached executable is the
    one a compile would give: the numbers do not change).
    """
    import sys

    if "jax" in sys.modules:
        return
    if os.environ.get(CACHE_ENV):
        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(os.environ[CACHE_ENV], _machine_tag()))
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    flags = os.environ.get("XLA_FLAGS", "")
    extra = ["--xla_gpu_deterministic_ops=true"]
    if threads <= 1:
        extra.append("--xla_cpu_multi_thread_eigen=false")
    for flag in extra:
        if flag.split("=")[0] not in flags:
            flags = f"{flags} {flag}".strip()
    os.environ["XLA_FLAGS"] = flags
    os.environ.setdefault("JAX_ENABLE_X64", "1")


def _jax():
    configure()
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def device_label() -> str:
    """``"jax <version> <platform>"``, plus the device kind on accelerators."""
    jax = _jax()
    dev = jax.devices()[0]
    kind = "" if dev.platform == "cpu" else f" ({dev.device_kind})"
    return f"jax {jax.__version__} {dev.platform}{kind}"


def chunk_runs(sizes: list[int], m: int, platform: str) -> int:
    """Runs per chunk: a power of two fixed by the device and the largest layer, never by the run count."""
    budget = GPU_CHUNK_ELEMENTS if platform != "cpu" else CPU_CHUNK_ELEMENTS
    runs = max(1, budget // (max(sizes) * m))
    return 1 << (runs.bit_length() - 1)


_SEGMENTS: dict = {}


def _segment(activation: str):
    """``segment(W, b, lr, X, y, n)``: ``n`` steps of every run of a chunk, jitted (one per activation)."""
    if activation in _SEGMENTS:
        return _SEGMENTS[activation]
    jax = _jax()
    import jax.numpy as jnp
    from jax import lax

    act = ACTIVATIONS[activation]
    hi = lax.Precision.HIGHEST

    def step(W, b, lr, X, y):  # one run: W[l] (n_l, n_{l-1}), b[l] (n_l, 1), lr ()
        L, m = len(W), X.shape[1]
        As, Zs = [X], []
        for layer in range(L):
            Z = jnp.matmul(W[layer], As[-1], precision=hi) + b[layer]  # (n_l, m)
            Zs.append(Z)
            if layer < L - 1:
                As.append(act.g(Z, jnp))
        dZ = (sigmoid(Zs[-1], jnp) - y) / m  # (1, m)
        W_new, b_new = [None] * L, [None] * L
        for layer in range(L - 1, -1, -1):
            dW = jnp.matmul(dZ, As[layer].T, precision=hi)  # (n_l, n_{l-1})
            db = dZ.sum(axis=-1, keepdims=True)
            if layer > 0:
                dZ = jnp.matmul(W[layer].T, dZ, precision=hi) * act.dg(Zs[layer - 1], As[layer], jnp)
            W_new[layer] = W[layer] - lr * dW
            b_new[layer] = b[layer] - lr * db
        return W_new, b_new

    vstep = jax.vmap(step, in_axes=(0, 0, 0, None, None))

    @jax.jit
    def segment(W, b, lr, X, y, n):
        return lax.fori_loop(0, n, lambda i, p: vstep(p[0], p[1], lr, X, y), (W, b))

    _SEGMENTS[activation] = segment
    return segment


class JaxSteps:
    """Full-batch gradient descent of ``R`` runs on JAX's default device, in fixed-size chunks."""

    def __init__(self, X: Array, y: Array, activation: str):
        jax = _jax()
        self.jax = jax
        self.device = jax.devices()[0]
        self.label = device_label()
        self.segment = _segment(activation)
        self.X, self.y = X, y
        self._data: dict = {}

    def _xy(self, dtype):
        if dtype not in self._data:
            put = self.jax.device_put
            self._data[dtype] = (put(self.X.astype(dtype), self.device), put(self.y.astype(dtype)[None, :], self.device))
        return self._data[dtype]

    def __call__(self, W: list[Array], b: list[Array], lr: Array, n: int) -> tuple[list[Array], list[Array]]:
        if n <= 0:
            return W, b
        dtype = W[0].dtype
        R, m = len(W[0]), self.X.shape[1]
        C = chunk_runs([w.shape[1] for w in W] + [W[0].shape[2]], m, self.device.platform)
        pad = -R % C
        lr = np.asarray(lr, dtype=dtype).reshape(R)
        if pad:  # frozen copies of the first run fill the last chunk
            W = [np.concatenate([w, np.repeat(w[:1], pad, axis=0)]) for w in W]
            b = [np.concatenate([v, np.repeat(v[:1], pad, axis=0)]) for v in b]
            lr = np.concatenate([lr, np.zeros(pad, dtype)])
        X, y = self._xy(dtype)
        put = self.jax.device_put
        n_dev = np.asarray(n, dtype=np.int32)
        outs = []
        for lo in range(0, R + pad, C):  # dispatched asynchronously, collected below
            sl = slice(lo, lo + C)
            args = [put(w[sl], self.device) for w in W], [put(v[sl], self.device) for v in b], put(lr[sl], self.device)
            outs.append(self.segment(*args, X, y, n_dev))
        W_out = [np.concatenate([np.asarray(o[0][k]) for o in outs])[:R] for k in range(len(W))]
        b_out = [np.concatenate([np.asarray(o[1][k]) for o in outs])[:R] for k in range(len(b))]
        return W_out, b_out
