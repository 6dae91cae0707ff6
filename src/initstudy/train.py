"""Batched full-batch gradient descent: every run of a shard trains at once, runs on the leading axis.

One Python loop over iterations for the whole batch, never a loop over runs. At each logged
iteration ``t`` (0 = the initial state, ``T`` = after the last update) the state is measured
before it is updated: the forward and backward pass that the update needs also gives every
diagnostic (:mod:`initstudy.metrics`).

Divergence. Overflow is silenced (``np.errstate``) and checked at every logged iteration: a run
whose parameters, gradients or loss are no longer finite is put back to its last logged (finite)
state, frozen (its learning rate set to 0) and flagged ``diverged`` from then on: its rows from
there on repeat the values of its last row with ``diverged = false`` (the last finite state, at
that row's iteration). A run that is not finite already at iteration 0 has no finite state to fall
back on: every metric of it is NaN (its ranks -1) at every logged iteration, beside
``diverged = true``, never a made-up number such as a loss of 0. Other values are recorded as
measured (a test pass that overflows gives an infinite test loss). No warning is printed; the other runs of the batch go on untouched.

Initial weights come from :mod:`initstudy.draws` (each run's own keyed draws, or the notebooks').
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from . import metrics as M
from .backends import describe, make_steps
from .backends.numpy_backend import chunk_size
from .datasets import splits
from .draws import hidden_sizes, init_params
from .inits import SYMMETRIC_INITS
from .mlp import ACTIVATIONS, bce_from_logits, forward, forward_backward, sigmoid
from .twin import TWIN_COLUMNS, Twin

Array = np.ndarray

RUN_COLUMNS = (
    "loss", "train_acc", "test_loss", "test_acc", "out_saturation", "out_grad_norm", "out_weight_norm",
    *TWIN_COLUMNS, "diverged",
)  # fmt: skip
"""Per run and logged iteration; the twin columns are NaN where a run has no width-1 twin (:mod:`initstudy.twin`)."""
LAYER_COLUMNS = (
    "act_mean", "act_std", "saturation", "mean_dg", "grad_norm_w", "grad_norm_b", "dz_rms", "weight_norm",
    "rank_w", "rank_act", "gap_act", "gap_dz", "gap_dw", "gap_w", "gap_b", "gap_wout",
)  # fmt: skip


def log_iterations(iterations: int, points: int, every: int = 0) -> np.ndarray:
    """0, about ``points`` log-spaced iterations, every multiple of ``every`` (0: none), and the last one."""
    if iterations == 0:
        return np.array([0])
    ts = np.unique(np.round(np.logspace(0, np.log10(iterations), max(points, 1))).astype(np.int64))
    extra = np.arange(every, iterations, every, dtype=np.int64) if every > 0 else np.zeros(0, np.int64)
    return np.unique(np.r_[0, ts, extra, iterations])


@dataclass
class History:
    """Metrics at the logged iterations: ``run[name] (T_log, R)``, ``layer[name] (T_log, depth, R)``."""

    iterations: np.ndarray
    run: dict[str, Array] = field(default_factory=dict)
    layer: dict[str, Array] = field(default_factory=dict)


def measure(W, b, P, X, y, Xt, yt, act, thr: float, exact: bool) -> tuple[dict[str, Array], dict[str, list[Array]]]:
    """Every diagnostic of the state ``(W, b)`` whose forward/backward pass is ``P``."""
    zt, _ = forward(W, b, Xt, act, exact)
    z_out = P.Z[-1]
    s_out = sigmoid(z_out)
    run = {
        "loss": bce_from_logits(z_out, y),
        "train_acc": M.accuracy(z_out, y),
        "test_loss": bce_from_logits(zt[-1], yt),
        "test_acc": M.accuracy(zt[-1], yt),
        "out_saturation": (s_out * (1.0 - s_out) < thr * 0.25).mean(axis=(-2, -1)),
        "out_grad_norm": M.safe_norm(P.dW[-1]),
        "out_weight_norm": M.safe_norm(W[-1]),
    }
    layer: dict[str, list[Array]] = {k: [] for k in LAYER_COLUMNS}
    for li in range(len(W) - 1):
        A, Z = P.A[li], P.Z[li]
        dg = act.dg(Z, A)
        vals = {
            "act_mean": M.safe_mean(A),
            "act_std": M.safe_std(A),
            "saturation": (dg < thr * act.dg_max).mean(axis=(1, 2)),
            "mean_dg": dg.mean(axis=(1, 2)),
            "grad_norm_w": M.safe_norm(P.dW[li]),
            "grad_norm_b": M.safe_norm(P.db[li]),
            "dz_rms": M.safe_norm(P.dZ[li]) / np.sqrt(P.dZ[li][0].size),  # per-sample backward signal (B03)
            "weight_norm": M.safe_norm(W[li]),
            "rank_w": M.numerical_rank(W[li]),
            "rank_act": M.numerical_rank(A),
            "gap_act": M.gap_rows(A),
            "gap_dz": M.gap_rows(P.dZ[li]),
            "gap_dw": M.gap_rows(P.dW[li]),
            "gap_w": M.gap_rows(W[li]),
            "gap_b": M.gap_rows(b[li]),
            "gap_wout": M.gap_cols(W[li + 1]),
        }
        for k, v in vals.items():
            layer[k].append(v)
    return run, layer


def _finite(arrays: list[Array]) -> Array:
    ok = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a).all(axis=tuple(range(1, a.ndim)))
    return ok


def _unmeasured(values: Array, runs: Array) -> Array:
    """``values (..., R)`` with the ``runs`` that have no finite state blanked: NaN, or -1 for a rank."""
    out = values.astype(np.float64) if values.dtype.kind == "f" else values.copy()
    out[..., runs] = np.nan if out.dtype.kind == "f" else -1
    return out


class _Divergence:
    """Which runs diverged, the state they are frozen at, and the last logged state of every run."""

    def __init__(self, params: list[Array]):
        self.diverged = np.zeros(len(params[0]), dtype=bool)
        self.frozen = [p.copy() for p in params]  # meaningful only where diverged
        self.snapshot: list[Array] | None = None  # last logged state
        self.unmeasured = np.zeros(len(params[0]), dtype=bool)  # not finite at iteration 0: nothing true to record

    def hold(self, params: list[Array]) -> None:
        """Put diverged runs back to their frozen state (lr 0 times a non-finite gradient is NaN)."""
        if self.diverged.any():
            for cur, old in zip(params, self.frozen):
                cur[self.diverged] = old[self.diverged]

    def freeze(self, params: list[Array], bad: Array) -> None:
        """Runs ``bad`` (a mask over all runs) go back to their last logged state and stay there."""
        if self.snapshot is None:
            self.unmeasured |= bad
        for cur, snap, frozen in zip(params, self.snapshot or params, self.frozen):
            cur[bad] = snap[bad]
            frozen[bad] = cur[bad]
        self.diverged |= bad


def start_groups(W: list[Array], b: list[Array], lr: Array) -> tuple[Array, Array]:
    """``(first, index)``: the first run of each distinct start (same weights, biases and lr, bit for bit)
    and, for every run, the position of its start in ``first``."""
    lr = np.asarray(lr)
    seen: dict[bytes, int] = {}
    owner = np.array([seen.setdefault(b"".join(p[r].tobytes() for p in (*W, *b)) + lr[r].tobytes(), r) for r in range(len(W[0]))])
    first = np.flatnonzero(owner == np.arange(len(owner)))
    return first, np.searchsorted(first, owner)


def train(X: Array, y: Array, X_test: Array, y_test: Array, W: list[Array], b: list[Array], *, lr: Array,
          progress: Progress | None = None, **settings) -> History:  # fmt: skip
    """Train ``R`` nets (stacked ``W``, ``b``) by full-batch gradient descent and log diagnostics.

    ``X (n_x, m)``, ``y (m,)``; ``lr (R,)``; ``settings`` are ``activation``, ``iterations``,
    ``log_at`` (sorted iterations in ``[0, iterations]``), ``saturation_threshold``, ``exact``,
    ``backend`` and ``twin`` (:func:`_train_distinct`). ``W`` and ``b`` are updated in place.

    Runs that start from the very same weights, biases and lr (a zero init at several scales or
    seeds, say) train once and the others copy that run's history and final weights: a run's
    numbers never depend on its batch mates (every backend steps and measures per run), so the
    copies are what training each would give, bit for bit (tested).
    """
    R = len(W[0])
    lr = np.broadcast_to(np.asarray(lr, dtype=W[0].dtype).reshape(-1), (R,))
    first, index = start_groups(W, b, lr)
    if len(first) == R:
        return _train_distinct(X, y, X_test, y_test, W, b, lr=lr.copy(), progress=progress, **settings)
    logging.getLogger("initstudy.train").info(
        "%d of %d runs start from the same weights, biases and lr as another run of their batch: trained once, copied",
        R - len(first), R)  # fmt: skip
    Wd, bd = [w[first] for w in W], [v[first] for v in b]
    hist = _train_distinct(X, y, X_test, y_test, Wd, bd, lr=lr[first].copy(), progress=progress, counted=R, **settings)
    for full, part in zip(W + b, Wd + bd):
        full[...] = part[index]
    hist.run = {k: v[..., index] for k, v in hist.run.items()}
    hist.layer = {k: v[..., index] for k, v in hist.layer.items()}
    return hist


def _train_distinct(X: Array, y: Array, X_test: Array, y_test: Array, W: list[Array], b: list[Array], *, activation: str,
                    lr: Array, iterations: int, log_at: Array, saturation_threshold: float = 0.1, exact: bool = False,
                    backend: str = "numpy", progress: Progress | None = None, twin: bool = False,
                    counted: int | None = None) -> History:  # fmt: skip
    """:func:`train` for runs that all start apart (``counted``: the runs the progress log counts).

    The steps between two logged iterations run on
    ``backend`` (:mod:`initstudy.backends`; ``exact=True`` forces the unit-exact numpy passes);
    every logged state is measured here, in numpy, in cache-sized slices of runs. With ``twin=True``
    (the unit-exact path), runs that start symmetric with one hidden layer are compared with their
    width-1 twin (:class:`initstudy.twin.Twin`) at every logged iteration; the twin columns are NaN otherwise.
    """
    act = ACTIVATIONS[activation]
    dtype = W[0].dtype
    X, Xt = X.astype(dtype), X_test.astype(dtype)
    y, yt = y.astype(dtype), y_test.astype(dtype)
    R, L = len(W[0]), len(W)
    lr = np.asarray(lr, dtype=dtype).reshape(R).copy()
    log_list = sorted(set(int(t) for t in log_at) | {0})
    hist = History(iterations=np.asarray(log_list))
    runs_log: dict[str, list[Array]] = {k: [] for k in RUN_COLUMNS}
    layers_log: dict[str, list[Array]] = {k: [] for k in LAYER_COLUMNS}
    steps = make_steps(backend, X, y, activation, exact=exact)
    div = _Divergence(W + b)
    twins = Twin(W, b, X, y, activation, lr) if twin else None  # L05: width-1 twins of symmetric starts (numpy)
    size = chunk_size(max(w.shape[1] for w in W), X.shape[1], dtype)
    done = 0
    with np.errstate(all="ignore"):
        for t in log_list:
            if t > done:
                W_new, b_new = steps(W, b, np.where(div.diverged, 0.0, lr).astype(dtype), t - done)
                if twins is not None:
                    twins.set_lr(np.where(div.diverged, 0.0, lr))
                    twins.advance(t - done)
                for cur, new in zip(W + b, W_new + b_new):
                    if new is not cur:
                        cur[...] = new
                done = t
            div.hold(W + b)
            run_parts, layer_parts = [], []
            for lo in range(0, R, size):
                run, layer = _log_slice(W, b, slice(lo, lo + size), div, X, y, Xt, yt, act, saturation_threshold, exact)
                run_parts.append(run)
                layer_parts.append(layer)
            tw = twins.compare(W, b, forward(W, b, X, act, True)[0][-1]) if twins is not None else {}
            for k in RUN_COLUMNS:
                if k in TWIN_COLUMNS:  # NaN: no twin, or a diverged run
                    v = np.where(div.diverged, np.nan, tw.get(k, np.full(R, np.nan)))
                    runs_log[k].append(_unmeasured(np.asarray(v, dtype=np.float64), div.unmeasured))
                else:
                    runs_log[k].append(np.concatenate([p[k] for p in run_parts]))
            for k in LAYER_COLUMNS:
                layers_log[k].append(np.concatenate([p[k] for p in layer_parts], axis=-1) if L > 1 else np.zeros((0, R)))
            div.snapshot = [p.copy() for p in W + b]
            if progress is not None:
                progress.advance((counted or R) * (t - (log_list[log_list.index(t) - 1] if t else 0)), t, iterations)
    hist.run = {k: np.stack(v) for k, v in runs_log.items()}
    hist.layer = {k: np.stack(v) for k, v in layers_log.items()}
    return hist


def _log_slice(W, b, sl: slice, div: _Divergence, X, y, Xt, yt, act, thr: float, exact: bool):
    """Check the runs ``sl`` for divergence (freezing the new ones) and measure them."""
    Ws, bs = [w[sl] for w in W], [v[sl] for v in b]  # views
    P = forward_backward(Ws, bs, X, y, act, exact)
    loss = bce_from_logits(P.Z[-1], y)
    bad = np.zeros(len(div.diverged), dtype=bool)
    bad[sl] = ~(_finite(Ws + bs + P.dW + P.db) & np.isfinite(loss)) & ~div.diverged[sl]
    if bad.any():
        div.freeze(W + b, bad)
        P = forward_backward(Ws, bs, X, y, act, exact)
    run, layer = measure(Ws, bs, P, X, y, Xt, yt, act, thr, exact)
    blank = div.unmeasured[sl]
    run = {k: _unmeasured(np.asarray(v, dtype=np.float64), blank) for k, v in run.items()}
    run["diverged"] = div.diverged[sl].copy()
    layer = {k: _unmeasured(np.asarray(v), blank) for k, v in layer.items() if v}
    return run, layer


class Progress:
    """Logs how far a training job is (run-iterations done) and its estimated time left."""

    def __init__(self, total: int, log: logging.Logger | None = None, every_s: float = 1.0):
        self.total, self.done = max(int(total), 1), 0
        self.log = log or logging.getLogger("initstudy.train")
        self.start = self.last = time.perf_counter()
        self.every_s = every_s

    def advance(self, work: int, t: int, iterations: int) -> None:
        """``work`` more run-iterations done; the batch in progress is at iteration ``t`` of ``iterations``."""
        self.done += work
        now = time.perf_counter()
        if now - self.last < self.every_s and t < iterations:
            return
        self.last = now
        elapsed = now - self.start
        frac = min(self.done / self.total, 1.0)
        left = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        self.log.info("%5.1f%% of %d run-iterations (batch at iteration %d/%d), %.1f s elapsed, about %.0f s left",
                      100 * frac, self.total, t, iterations, elapsed, left)  # fmt: skip


def steps_on_numpy(run: dict, exact: bool = False) -> bool:
    """Whether ``run`` steps on the unit-exact numpy path whatever the backend: a symmetric start, a run drawn
    the notebooks' way (seed < 0), or any run of an ``exact`` experiment (:func:`run_cell`)."""
    return bool(exact) or run["init"] in SYMMETRIC_INITS or run["seed"] < 0


def run_cell(runs: list[dict], data: dict[str, Array], *, iterations: int, log_points: int, dtype: str = "float64",
             saturation_threshold: float = 0.1, exact: bool = False, backend: str = "numpy", log_every: int = 0,
             progress: Progress | None = None) -> tuple[dict, dict, dict]:  # fmt: skip
    """Train runs that share dataset, activation and layer widths as one batch.

    ``data`` holds the ``x1, x2, y, split`` columns of the dataset. Returns the metrics, layers
    and params tables as column dicts.
    """
    first = runs[0]
    width, depth, activation = first["width"], first["depth"], first["activation"]
    for r in runs:
        if (hidden_sizes(r), r["activation"], r["dataset"]) != (hidden_sizes(first), activation, first["dataset"]):
            raise ValueError("all runs of a batch must share dataset, activation and layer widths")
    X, y, Xt, yt = splits(data)  # X (2, n_train)
    dt = np.dtype(dtype)
    W, b = init_params(runs, X.shape[0], width, depth, dt)
    lr = np.array([r["lr"] for r in runs])
    log_at = log_iterations(iterations, log_points, log_every)
    # Symmetric inits take the numpy steps (with a width-1 twin, L05: the equivalence is theirs
    # alone); exact=True and runs drawn the notebooks' way (seed < 0, replaying a numpy notebook)
    # the unit-exact numpy steps; the rest the chosen backend.
    symmetric = np.array([r["init"] in SYMMETRIC_INITS for r in runs])
    replay = np.array([r["seed"] < 0 for r in runs])
    on_numpy = np.array([steps_on_numpy(r, exact) for r in runs])
    group = np.where(symmetric, 0, np.where(on_numpy, 1, 2))  # 0: numpy + twin, 1: numpy, 2: backend
    hist = History(iterations=np.asarray(log_at))
    trained_on = np.empty(len(runs), dtype=object)
    for path in (0, 1, 2):
        sel = np.flatnonzero(group == path)
        if not len(sel):
            continue
        name = backend if path == 2 else "numpy"
        trained_on[sel] = describe(name)
        Wc, bc = [w[sel] for w in W], [v[sel] for v in b]
        h = train(X, y, Xt, yt, Wc, bc, activation=activation, lr=lr[sel], iterations=iterations, log_at=log_at,
                  saturation_threshold=saturation_threshold, exact=exact or bool(replay[sel].any()), backend=name, progress=progress,
                  twin=path == 0)  # fmt: skip
        for full, part in zip(W + b, Wc + bc):
            full[sel] = part
        for table, part in ((hist.run, h.run), (hist.layer, h.layer)):
            for k, v in part.items():
                table.setdefault(k, np.zeros(v.shape[:-1] + (len(runs),), v.dtype))[..., sel] = v
    run_cols, layer_cols = history_columns(runs, hist, iterations, trained_on)
    return run_cols, layer_cols, param_columns(runs, W, b, iterations, hist.run["diverged"][-1])


def run_shard(runs: list[dict], datasets: dict[str, dict[str, Array]], *, progress: bool = False, **settings) -> tuple[dict, dict, dict]:
    """Train a shard: each cell's runs as one batch (:func:`run_cell`), tables concatenated.

    ``progress=True`` logs, at each logged iteration (at most once a second), how far the shard
    is and its estimated time left (logger ``initstudy.train``).
    """
    from .grid import by_cell

    cells = by_cell(runs)
    prog = Progress(sum(len(c) * settings["iterations"] for c in cells)) if progress else None
    parts = [run_cell(cell, datasets[cell[0]["dataset"]], progress=prog, **settings) for cell in cells]
    return tuple({k: np.concatenate([p[i][k] for p in parts]) for k in parts[0][i]} for i in range(3))


def param_columns(runs: list[dict], W: list[Array], b: list[Array], iterations: int, diverged: Array) -> dict[str, Array]:
    """Final parameters, one row per run and layer (the output layer is ``depth + 1``)."""
    from .grid import COORDINATES

    R, L = len(runs), len(W)
    cols: dict[str, Array] = {c: np.tile(np.array([r[c] for r in runs]), L) for c in COORDINATES}
    cols["iterations"] = np.full(R * L, iterations, dtype=np.int64)
    cols["layer"] = np.repeat(np.arange(1, L + 1, dtype=np.int64), R)
    cols["rows"] = np.repeat(np.array([w.shape[1] for w in W], dtype=np.int64), R)
    cols["cols"] = np.repeat(np.array([w.shape[2] for w in W], dtype=np.int64), R)
    cols["weights"] = _object_array([w[r].astype(np.float64).ravel() for w in W for r in range(R)])
    cols["biases"] = _object_array([v[r].astype(np.float64).ravel() for v in b for r in range(R)])
    cols["diverged"] = np.tile(diverged, L)
    return cols


def history_columns(runs: list[dict], hist: History, iterations: int, trained_on: Array | None = None) -> tuple[dict[str, Array], dict[str, Array]]:
    """Long-format columns: one row per (iteration, run) and one per (iteration, layer, run)."""
    from .grid import COORDINATES

    T, R = len(hist.iterations), len(runs)
    depth = runs[0]["depth"]
    coords = {c: np.array([r[c] for r in runs]) for c in COORDINATES}
    run_cols: dict[str, Array] = {c: np.tile(v, T) for c, v in coords.items()}
    run_cols["iterations"] = np.full(T * R, iterations, dtype=np.int64)
    run_cols["iteration"] = np.repeat(hist.iterations.astype(np.int64), R)
    for k in RUN_COLUMNS:
        run_cols[k] = hist.run[k].reshape(T * R)
    run_cols["trained_on"] = np.tile(trained_on if trained_on is not None else np.full(R, "numpy", dtype=object), T)
    n = T * depth * R
    layer_cols: dict[str, Array] = {c: np.tile(v, T * depth) for c, v in coords.items()}
    layer_cols["iterations"] = np.full(n, iterations, dtype=np.int64)
    layer_cols["iteration"] = np.repeat(hist.iterations.astype(np.int64), depth * R)
    layer_cols["layer"] = np.tile(np.repeat(np.arange(1, depth + 1, dtype=np.int64), R), T)
    for k in LAYER_COLUMNS:
        v = hist.layer[k].reshape(n) if depth else np.zeros(0)
        layer_cols[k] = v.astype(np.int64) if k.startswith("rank") else v
    return run_cols, layer_cols


def _object_array(items: list) -> Array:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
