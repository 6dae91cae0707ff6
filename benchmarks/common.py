"""Shared pieces of the speed benchmark: the grids, initial weights, log points, data, metrics.

Every implementation (naive loop, fast numpy, JAX, the engine) trains from the *same* initial
weights, produced here in float64 by :func:`init_params` and cast to the run's dtype, and logs at
the *same* steps (:func:`log_steps`), so their losses can be compared run for run.

Conventions (course style): ``X`` is ``(2, m)`` (one column per example), ``y`` is ``(m,)`` 0/1,
a layer's weight is ``W (out, in)`` and its bias ``b (out,)``; biases start at zero. Metrics are
logged at step ``t`` = number of updates already applied, so step 0 is the initial network.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

INITS = ("zeros", "normal", "xavier_normal", "he_normal")


@dataclass(frozen=True)
class Case:
    """One benchmark case: architecture, training length and the runs (init, scale, seed)."""

    name: str
    sizes: tuple[int, ...]  # layer widths, input first, output (1) last
    n_iter: int
    lr: float
    runs: tuple[tuple[str, float, int], ...] = field(repr=False)

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def hidden_per_run(self) -> int:
        """Hidden units per run (tanh evaluations per example per iteration)."""
        return sum(self.sizes[1:-1])


def reference_case(n_iter: int = 10_000) -> Case:
    """4 inits x 13 scales x 20 seeds = 1,040 runs of 2 -> 4 tanh -> 1, lr 1.2."""
    runs = tuple((i, float(s), seed) for i in INITS for s in np.logspace(-3, 3, 13) for seed in range(20))
    return Case("reference", (2, 4, 1), n_iter, 1.2, runs)


def deep_case(n_iter: int = 2_000) -> Case:
    """3 inits x 20 seeds = 60 runs of 2 -> 10 x 32 tanh -> 1 (scale 1), lr 1.2."""
    runs = tuple((i, 1.0, seed) for i in ("normal", "xavier_normal", "he_normal") for seed in range(20))
    return Case("deep", (2,) + (32,) * 10 + (1,), n_iter, 1.2, runs)


def random_case(n_iter: int = 10_000) -> Case:
    """The reference grid without its zero-init quarter: 3 inits x 13 scales x 20 seeds = 780 runs.

    Zero (symmetric) starts always step in the engine's exact numpy path, so on the full reference
    grid the engine pays for 260 identical zero runs that bare JAX trains in its batch (the study
    itself trains one zero run per cell). This case compares the two on the same JAX work.
    """
    runs = tuple(r for r in reference_case(n_iter).runs if r[0] != "zeros")
    return Case("random", (2, 4, 1), n_iter, 1.2, runs)


CASES = {"reference": reference_case, "random": random_case, "deep": deep_case}


def get_case(name: str, n_iter: int | None = None) -> Case:
    return CASES[name]() if n_iter is None else CASES[name](n_iter)


def subset(runs, n: int | None, spread: bool = True):
    """``n`` runs of the grid, spread evenly over it (so every init and scale is represented)."""
    if n is None or n >= len(runs):
        return tuple(runs)
    idx = np.linspace(0, len(runs) - 1, n).round().astype(int) if spread else np.arange(n)
    return tuple(runs[i] for i in idx)


def split(runs, part: int, n_parts: int):
    """Contiguous share ``part`` of ``n_parts`` (sizes differ by at most one run)."""
    bounds = np.linspace(0, len(runs), n_parts + 1).round().astype(int)
    return tuple(runs[bounds[part] : bounds[part + 1]])


def std_of(init: str, scale: float, fan_in: int, fan_out: int) -> float:
    if init == "zeros":
        return 0.0
    if init == "normal":
        return scale
    if init == "xavier_normal":
        return scale * np.sqrt(2.0 / (fan_in + fan_out))
    if init == "he_normal":
        return scale * np.sqrt(2.0 / fan_in)
    raise ValueError(f"unknown init {init!r}")


def init_params(runs, sizes, dtype=np.float64):
    """Stacked initial weights: list over layers of ``(W (R, out, in), b (R, out))``.

    Run ``(init, scale, seed)`` draws its weights from ``default_rng(seed)`` layer by layer
    (the same standard-normal draws for every init and scale of one seed), biases are zero.
    """
    R = len(runs)
    params = [(np.empty((R, o, i)), np.zeros((R, o))) for i, o in zip(sizes[:-1], sizes[1:])]
    for r, (init, scale, seed) in enumerate(runs):
        rng = np.random.default_rng(seed)
        for (W, _), i, o in zip(params, sizes[:-1], sizes[1:]):
            W[r] = rng.standard_normal((o, i)) * std_of(init, scale, i, o)
    return [(W.astype(dtype), b.astype(dtype)) for W, b in params]


def log_steps(n_iter: int, n_log: int = 30) -> np.ndarray:
    """Steps at which metrics are logged: 0, ~``n_log`` log-spaced steps in [1, n_iter], n_iter."""
    s = np.unique(np.round(np.geomspace(1, n_iter, n_log)).astype(int))
    return np.unique(np.r_[0, s, n_iter])


def flower_data():
    """The course's flower training set as ``X (2, 400)`` float64 and ``y (400,)`` int8."""
    from initstudy.datasets import flower

    X, y = flower()
    return np.ascontiguousarray(X.T, dtype=np.float64), y.astype(np.int8)


def metrics_from_logits(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-run BCE-from-logits loss and accuracy; ``z (R, m)``, ``y (m,)`` 0/1 -> two ``(R,)``.

    loss = mean(softplus(z) - y z) computed stably; prediction = (z > 0).
    """
    z = np.asarray(z, dtype=np.float64)
    yf = y.astype(np.float64)
    loss = (np.maximum(z, 0.0) - z * yf + np.log1p(np.exp(-np.abs(z)))).mean(axis=-1)
    acc = ((z > 0) == (y > 0)).mean(axis=-1)
    return loss, acc


# ----------------------------------------------------------------------------------------- machine


def blas_info() -> list[dict]:
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def machine_info() -> dict:
    info = {"platform": platform.platform(), "python": sys.version.split()[0], "numpy": np.__version__}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            k = k.strip()
            if k in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "L1d cache", "L2 cache", "L3 cache", "Hypervisor vendor"):
                info[k] = v.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    info["nproc_visible"] = len(os.sched_getaffinity(0))
    try:
        info["loadavg"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    info["env"] = {k: os.environ[k] for k in sorted(os.environ) if k.startswith(("OPENBLAS", "OMP_", "MKL_", "XLA_", "NPY_", "GOTO"))}
    try:
        import numpy.lib.introspect as ni

        info["numpy_simd"] = {f: {sig: d["current"] for sig, d in v.items()} for f, v in ni.opt_func_info(func_name="^(tanh|exp)$", signature="^(ff|dd)$").items()}
    except Exception:  # noqa: BLE001 - diagnostics only
        pass
    return info
