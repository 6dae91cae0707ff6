"""Fast batched numpy reference of the training loop (for porting into initstudy.train).

Many runs are trained at once, stacked along a leading run axis. The tricks, in order of effect:

1. **Runs in chunks that stay in L2** (``chunk`` runs at a time; each chunk runs all its
   iterations before the next starts), so every elementwise pass hits cache, not RAM.
2. **Preallocated buffers, every ufunc with ``out=``**: no allocation in the inner loop.
3. **First layer as one GEMM over all runs of a chunk**: the input X is shared, so
   ``W1 (R*H, 3) @ [X; 1] (3, m)`` computes every run's pre-activations (bias folded in through
   the row of ones) in one BLAS call, and the first layer's gradient, ``dZ1 (R*H, m) @ [X; 1]^T``,
   is one GEMM too (its third column is db1).
4. **Output gradient in one fused expression** ``lr/m * (sigmoid(z) - y) = c / (1 + exp(-s z))``
   with ``s = 1 - 2y`` and ``c = lr/m * s``: 4 cheap passes over (R, m), no separate sigmoid,
   subtraction, 1/m or lr scaling; gradients come out already multiplied by lr.
5. **(shallow) dZ1 never materialised**: dZ1 = W2 (D - A1*A1*D), and since W2 is per run and
   per hidden unit it factors out of the GEMM: dW1 = W2 * (D X^T - (A1*A1*D) X^T). So the
   backward needs two elementwise passes over the hidden layer (U = A1*D, T = U*A1) and one GEMM
   that reads both (``U @ [X;1]^T`` gives dW2 in its ones column).
6. **Loss and accuracy only at the log steps**, from the logits the forward pass made anyway.

The shallow case is bound by the elementwise ``tanh`` (one per hidden pre-activation per
iteration), the deep one by the per-run 32x32 matmuls (batched ``np.matmul``).

``python benchmarks/fast_numpy.py`` checks both against the naive loop and times them against the
straightforward batched version (:func:`train_simple`).
"""

from __future__ import annotations

import numpy as np

from common import metrics_from_logits

# --------------------------------------------------------------------------- straightforward


def train_simple(X, y, params, lr, n_iter, steps, dtype=np.float64):
    """Straightforward batched version: the course loop with a run axis, all runs at once.

    Stacked 3-D arrays, ``np.matmul`` broadcasting, new arrays for every operation, biases
    added separately, no chunking; loss only at the log steps.
    """
    X = X.astype(dtype)
    Y = y.astype(dtype)[None, :]
    m = X.shape[1]
    lr = np.dtype(dtype).type(lr)
    Ws = [W.astype(dtype) for W, _ in params]
    bs = [b.astype(dtype)[:, :, None] for _, b in params]
    L = len(Ws)
    want = {int(s): k for k, s in enumerate(steps)}
    R = Ws[0].shape[0]
    loss = np.empty((R, len(steps)))
    acc = np.empty((R, len(steps)))
    with np.errstate(over="ignore"):
        for it in range(n_iter + 1):
            A = [X]
            for l in range(L - 1):
                A.append(np.tanh(np.matmul(Ws[l], A[-1]) + bs[l]))
            z = np.matmul(Ws[-1], A[-1]) + bs[-1]  # (R, 1, m)
            if it in want:
                loss[:, want[it]], acc[:, want[it]] = metrics_from_logits(z[:, 0, :], y)
            if it == n_iter:
                break
            dZ = 1.0 / (1.0 + np.exp(-z)) - Y
            for l in range(L - 1, -1, -1):
                dW = np.matmul(dZ, np.swapaxes(A[l], -1, -2)) / m
                db = dZ.sum(axis=-1, keepdims=True) / m
                if l > 0:
                    dZ = np.matmul(np.swapaxes(Ws[l], -1, -2), dZ) * (1 - A[l] ** 2)
                Ws[l] = Ws[l] - lr * dW
                bs[l] = bs[l] - lr * db
    return loss, acc


# --------------------------------------------------------------------------- fast

# Clipping bounds. Arguments beyond them take numpy's slow special-value paths (overflow,
# underflow, saturated tanh: 2-4x slower per element) and change nothing that matters:
#  * np.tanh(x) == +-1 exactly for |x| >= 19 in float64, so clipping tanh's argument is exact;
#  * 1 + exp(e) == 1 exactly for e <= -40 (float64) / -20 (float32);
#  * at the upper bound the clipped value replaces a positive number below 1.8e-35 (float64,
#    bound 80) / 2.1e-9 (float32, bound 20) by that bound: an absolute change under that size,
#    chosen so that no product of two such numbers in the backward pass gets denormal.
_TANH_CLIP = {np.dtype(np.float64): 19.0, np.dtype(np.float32): None}
_EXP_CLIP = {np.dtype(np.float64): (-40.0, 80.0), np.dtype(np.float32): (-20.0, 20.0)}


def _output_grad(z, e_sign, c, E, D, lo, hi):
    """D = lr/m * (sigmoid(z) - y) = c / (1 + exp(-s z)), ``s = 1 - 2y``, ``c = lr/m * s``."""
    np.multiply(z, e_sign, out=E)
    np.clip(E, lo, hi, out=E)
    np.exp(E, out=E)
    E += 1.0
    np.divide(c, E, out=D)


def _shallow_chunk(Xa, Xa4T, e_sign, c, W1a, W2, b2, n_iter, steps, y, loss, acc):
    """Train one chunk of 2 -> H tanh -> 1 runs in place: ``W1a (R*H, 3)`` ([W1 | b1] per row),
    ``W2 (R, H)``, ``b2 (R,)``. Metrics go to ``loss[:, k], acc[:, k]`` at ``steps[k]``."""
    R, H = W2.shape
    m = Xa.shape[1]
    RH = R * H
    dt = W2.dtype
    tclip = _TANH_CLIP[dt]
    lo, hi = _EXP_CLIP[dt]
    Z1 = np.empty((RH, m), dt)  # pre-activations, then (in place) the activations A1
    A1 = Z1.reshape(R, H, m)
    z = np.empty((R, m), dt)  # logits
    z3 = z.reshape(R, 1, m)
    D = np.empty((R, m), dt)  # lr/m * dL/dz
    D3 = D.reshape(R, 1, m)
    E = np.empty((R, m), dt)
    B = np.empty((2, RH, m), dt)  # U = A1*D and T = U*A1, stacked for one GEMM
    B2 = B.reshape(2 * RH, m)
    U = B[0].reshape(R, H, m)
    T = B[1].reshape(R, H, m)
    G = np.empty((2 * RH, 4), dt)  # [U; T] @ [X; 1; 0]^T (4 columns: faster GEMM than 3)
    dW2 = G[:RH, 2].reshape(R, H)  # sum_i U = dW2 (a view)
    Q = G[RH:, :3].reshape(R, H, 3)  # T @ [X; 1]^T
    P = np.empty((R, 4), dt)  # D @ [X; 1; 0]^T; P[:, 2] = db2
    W2r = W2.reshape(R, 1, H)
    b2c = b2.reshape(R, 1)
    log_at = {int(s): k for k, s in enumerate(steps)}
    for it in range(n_iter + 1):
        # forward
        np.matmul(W1a, Xa, out=Z1)
        if tclip is not None:
            np.clip(Z1, -tclip, tclip, out=Z1)
        np.tanh(Z1, out=Z1)
        np.matmul(W2r, A1, out=z3)
        z += b2c
        k = log_at.get(it)
        if k is not None:
            loss[:, k], acc[:, k] = metrics_from_logits(z, y)
        if it == n_iter:
            break
        _output_grad(z, e_sign, c, E, D, lo, hi)
        # backward: dZ1 = W2 (D - A1 A1 D) is never formed, see the module docstring
        np.multiply(A1, D3, out=U)
        np.multiply(U, A1, out=T)
        np.matmul(B2, Xa4T, out=G)
        np.matmul(D, Xa4T, out=P)
        np.subtract(P[:, None, :3], Q, out=Q)  # dW1 = W2 * (P - Q), in Q's storage
        Q *= W2[:, :, None]
        W1a -= Q.reshape(RH, 3)
        W2 -= dW2
        b2 -= P[:, 2]


def _shallow_chunk_exp(Xa, Xa4T, e_sign, c, W1a, W2, b2, n_iter, steps, y, loss, acc):
    """As :func:`_shallow_chunk`, with tanh computed through exp (the "exp" activation path).

    tanh(x) = 2 s - 1 with s = 1 / (1 + exp(-2x)), and 1 - tanh(x)^2 = 4 s (1 - s). The hidden
    layer is kept as s; the affine maps absorb the "2 s - 1":
      z   = (2 W2) s + (b2 - sum_h W2)
      dW2 = sum_i (2 s - 1) D = 2 sum_i s D - sum_i D
      dW1 = 4 W2 (s D - s s D) [X; 1]^T
    and the -2 of exp(-2x) lives in the first-layer weights (``Wn = -2 W1a``). Per iteration the
    hidden layer costs np.exp and three cheap passes (clip, +1, 1/) instead of np.tanh: faster
    wherever numpy's tanh is slower than its exp (float64 on AVX2 builds). tanh's absolute error
    stays ~1e-16 (its relative error grows like 1e-16/|tanh| for tiny pre-activations).
    """
    R, H = W2.shape
    m = Xa.shape[1]
    RH = R * H
    dt = W2.dtype
    lo, hi = _EXP_CLIP[dt]
    Wn = W1a * dt.type(-2.0)  # S = exp(Wn @ Xa) = exp(-2 Z1)
    S = np.empty((RH, m), dt)
    s3 = S.reshape(R, H, m)
    z = np.empty((R, m), dt)
    z3 = z.reshape(R, 1, m)
    D = np.empty((R, m), dt)
    D3 = D.reshape(R, 1, m)
    E = np.empty((R, m), dt)
    B = np.empty((2, RH, m), dt)
    B2 = B.reshape(2 * RH, m)
    U = B[0].reshape(R, H, m)
    T = B[1].reshape(R, H, m)
    G = np.empty((2 * RH, 4), dt)
    GU = G[:RH, :3].reshape(R, H, 3)
    GT = G[RH:, :3].reshape(R, H, 3)
    P = np.empty((R, 4), dt)
    W2x2 = np.empty((R, 1, H), dt)
    beff = np.empty((R, 1), dt)
    two, eight = dt.type(2.0), dt.type(8.0)
    log_at = {int(s): k for k, s in enumerate(steps)}
    for it in range(n_iter + 1):
        np.matmul(Wn, Xa, out=S)
        np.clip(S, lo, hi, out=S)
        np.exp(S, out=S)
        S += 1.0
        np.divide(1.0, S, out=S)  # s = (1 + tanh(Z1)) / 2   (divide beats np.reciprocal)
        np.multiply(W2, two, out=W2x2[:, 0])
        np.sum(W2, axis=1, out=beff[:, 0])
        np.subtract(b2[:, None], beff, out=beff)
        np.matmul(W2x2, s3, out=z3)
        z += beff
        k = log_at.get(it)
        if k is not None:
            loss[:, k], acc[:, k] = metrics_from_logits(z, y)
        if it == n_iter:
            break
        _output_grad(z, e_sign, c, E, D, lo, hi)
        np.multiply(s3, D3, out=U)
        np.multiply(U, s3, out=T)
        np.matmul(B2, Xa4T, out=G)
        np.matmul(D, Xa4T, out=P)
        # Wn -= -2 dW1a = 8 W2 (GU - GT); dW2 = 2 GU[..., 2] - P[:, 2]; db2 = P[:, 2]
        np.subtract(GU, GT, out=GT)
        GT *= W2[:, :, None]
        GT *= eight
        Wn += GT.reshape(RH, 3)
        GU[:, :, 2] *= two
        GU[:, :, 2] -= P[:, 2:3]
        W2 -= GU[:, :, 2]
        b2 -= P[:, 2]
    W1a[...] = Wn / dt.type(-2.0)


def _deep_chunk(Xa, Xa4T, e_sign, c, W1a, Ws, bs, WL, bL, n_iter, steps, y, loss, acc, act="tanh"):
    """Train one chunk of 2 -> H1 -> ... -> H_{L-1} -> 1 runs (tanh hidden layers) in place.

    ``W1a (R*H1, 3)`` = [W1 | b1]; ``Ws[j] (R, H, Hp)``, ``bs[j] (R, H)`` for hidden layers 2..L-1;
    ``WL (R, H)``, ``bL (R,)`` for the output. Every hidden activation buffer carries an extra row
    of ones, so biases ride along in the batched matmuls (forward and dW/db alike).

    act="exp" keeps s = (1 + tanh)/2 instead of tanh (see :func:`_shallow_chunk_exp`); the
    effective matrices are rebuilt from (W, b) each iteration (tiny next to the activations):
    forward [-4W | -2(b - W 1)] (gives -2 Z directly), output [2W | b - W 1]; the backward tracks
    dZ/4 so that the derivative is (s - s^2), and dW = 4 (2 g[:, :, :Hp] - g[:, :, Hp]),
    db = 4 g[:, :, Hp] with g = (dZ/4) [s; 1]^T.
    """
    ex = act == "exp"
    R = WL.shape[0]
    m = Xa.shape[1]
    dt = WL.dtype
    tclip = _TANH_CLIP[dt]
    lo, hi = _EXP_CLIP[dt]
    Hs = [W1a.shape[0] // R] + [W.shape[1] for W in Ws]  # widths of hidden layers 1..L-1
    nh = len(Hs)
    hmax = max(Hs)
    haug = []  # activations with a row of ones: (R, H + 1, m)
    for h in Hs:
        a = np.empty((R, h + 1, m), dt)
        a[:, h, :] = 1.0
        haug.append(a)
    hv = [a[:, :h, :] for a, h in zip(haug, Hs)]  # the activation rows (views)
    hT = [np.swapaxes(a, 1, 2) for a in haug]
    flatN = np.empty(R * hmax * m, dt)
    flat1 = np.empty(R * hmax * m, dt)
    flat2 = np.empty(R * hmax * m, dt)
    flatT = np.empty(R * hmax * m, dt)
    view = lambda f, h: f[: R * h * m].reshape(R, h, m)  # noqa: E731
    z = np.empty((R, m), dt)
    z3 = z.reshape(R, 1, m)
    D = np.empty((R, m), dt)
    D3 = D.reshape(R, 1, m)
    E = np.empty((R, m), dt)
    # parameters in matmul form; for "tanh" they are the parameters themselves
    Mh = [np.concatenate([W, b[:, :, None]], axis=2) for W, b in zip(Ws, bs)]  # (R, H, Hp+1)
    Mo = np.concatenate([WL, bL[:, None]], axis=1)[:, None, :]  # (R, 1, H+1)
    W1f = W1a
    if ex:
        Pw = [M.copy() for M in Mh]  # true [W | b], updated; Mh rebuilt from them
        Po = Mo.copy()
        W1f = np.empty_like(W1a)
        W4 = [np.empty_like(M[:, :, :-1]) for M in Mh]
    g1 = np.empty((R * Hs[0], 4), dt)
    gh = [np.empty_like(M) for M in Mh]
    go = np.empty_like(Mo)
    log_at = {int(s): k for k, s in enumerate(steps)}
    for it in range(n_iter + 1):
        if ex:  # effective matrices from the true parameters
            np.multiply(W1a, -2.0, out=W1f)
            for M, Pl in zip(Mh, Pw):
                np.multiply(Pl[:, :, :-1], -4.0, out=M[:, :, :-1])
                np.sum(Pl[:, :, :-1], axis=2, out=M[:, :, -1])
                np.subtract(Pl[:, :, -1], M[:, :, -1], out=M[:, :, -1])
                M[:, :, -1] *= -2.0
            np.multiply(Po[:, :, :-1], 2.0, out=Mo[:, :, :-1])
            np.sum(Po[:, :, :-1], axis=2, out=Mo[:, :, -1])
            np.subtract(Po[:, :, -1], Mo[:, :, -1], out=Mo[:, :, -1])
        # forward
        for l in range(nh):
            N = view(flatN, Hs[l])
            if l == 0:
                np.matmul(W1f, Xa, out=N.reshape(R * Hs[0], m))
            else:
                np.matmul(Mh[l - 1], haug[l - 1], out=N)
            if ex:
                np.clip(N, lo, hi, out=N)
                np.exp(N, out=N)
                N += 1.0
                np.divide(1.0, N, out=hv[l])
            else:
                if tclip is not None:
                    np.clip(N, -tclip, tclip, out=N)
                np.tanh(N, out=hv[l])
        np.matmul(Mo, haug[-1], out=z3)
        k = log_at.get(it)
        if k is not None:
            loss[:, k], acc[:, k] = metrics_from_logits(z, y)
        if it == n_iter:
            break
        _output_grad(z, e_sign, c, E, D, lo, hi)
        # output layer
        np.matmul(D3, hT[-1], out=go)
        Wout = (Po if ex else Mo)[:, 0, :-1]
        cur = view(flat1, Hs[-1])
        np.multiply(Wout[:, :, None], D3, out=cur)  # dA_{L-1} (for "exp": W, i.e. 4 * (dZ/4) scale)
        if ex:
            go[:, :, :-1] *= 2.0
            go[:, :, :-1] -= go[:, :, -1:]
            Po -= go
        else:
            Mo -= go
        other = flat2
        for l in range(nh - 1, -1, -1):
            # cur = dA_l  ->  dZ_l = dA_l * (1 - a^2)   ("exp": dZ_l / 4 = dA_l * (s - s^2))
            a = hv[l]
            T = view(flatT, Hs[l])
            np.multiply(a, a, out=T)
            if ex:
                np.subtract(a, T, out=T)
            else:
                np.subtract(1.0, T, out=T)
            cur *= T
            if l == 0:
                np.matmul(cur.reshape(R * Hs[0], m), Xa4T, out=g1)
                if ex:
                    g1 *= 4.0
                W1a -= g1[:, :3]
                break
            g = gh[l - 1]
            np.matmul(cur, hT[l - 1], out=g)  # [dW | db] (tanh)
            nxt = view(other, Hs[l - 1])
            if ex:
                np.multiply(Pw[l - 1][:, :, :-1], 4.0, out=W4[l - 1])
                np.matmul(np.swapaxes(W4[l - 1], 1, 2), cur, out=nxt)
                g[:, :, :-1] *= 2.0
                g[:, :, :-1] -= g[:, :, -1:]
                g *= 4.0
                Pw[l - 1] -= g
            else:
                np.matmul(np.swapaxes(Mh[l - 1][:, :, :-1], 1, 2), cur, out=nxt)
                Mh[l - 1] -= g
            other = flat1 if other is flat2 else flat2
            cur = nxt


def train_fast(X, y, params, lr, n_iter, steps, dtype=np.float64, chunk=None, act=None):
    """Fast batched training of all runs of ``params`` (see common.init_params).

    Returns ``loss, acc`` of shape ``(R, len(steps))`` (float64). ``chunk``: runs per chunk
    (default: 32 float64 / 64 float32 for one hidden layer, all runs for deeper nets).
    ``act``: "tanh" (np.tanh) or "exp" (tanh through np.exp); default: "exp" for float64,
    "tanh" for float32 (the faster of the two on AVX2 numpy builds; see ``--act-scan``).
    """
    dtype = np.dtype(dtype)
    deep = len(params) > 2
    if act is None:
        act = "exp" if dtype == np.float64 else "tanh"
    if chunk is None:
        chunk = 10**9 if deep else (64 if dtype == np.float32 else 32)
    m = X.shape[1]
    Xa = np.ascontiguousarray(np.r_[X, np.ones((1, m))], dtype=dtype)  # (3, m)
    Xa4T = np.ascontiguousarray(np.r_[X, np.ones((1, m)), np.zeros((1, m))].T, dtype=dtype)  # (m, 4)
    s = 1.0 - 2.0 * y.astype(np.float64)  # +1 for y=0, -1 for y=1
    e_sign = (-s).astype(dtype)
    c = (lr / m * s).astype(dtype)
    R = params[0][0].shape[0]
    H1 = params[0][0].shape[1]
    loss = np.empty((R, len(steps)))
    acc = np.empty((R, len(steps)))
    cp = lambda a: np.array(a, dtype=dtype, order="C", copy=True)  # noqa: E731  (caller's params stay)
    with np.errstate(over="ignore", under="ignore"):
        for lo in range(0, R, chunk):
            sl = slice(lo, min(lo + chunk, R))
            r = sl.stop - sl.start
            W1, b1 = params[0]
            W1a = cp(np.concatenate([W1[sl], b1[sl][:, :, None]], axis=2).reshape(r * H1, 3))
            WL = cp(params[-1][0][sl][:, 0, :])
            bL = cp(params[-1][1][sl][:, 0])
            if not deep:
                kern = _shallow_chunk_exp if act == "exp" else _shallow_chunk
                kern(Xa, Xa4T, e_sign, c, W1a, WL, bL, n_iter, steps, y, loss[sl], acc[sl])
            else:
                Ws = [cp(W[sl]) for W, _ in params[1:-1]]
                bs = [cp(b[sl]) for _, b in params[1:-1]]
                _deep_chunk(Xa, Xa4T, e_sign, c, W1a, Ws, bs, WL, bL, n_iter, steps, y, loss[sl], acc[sl], act=act)
    return loss, acc


# --------------------------------------------------------------------------- self-check


def _main(argv=None):
    """Agreement with the naive loop, exact symmetry, and speed against :func:`train_simple`."""
    import argparse
    import time

    import common
    import naive

    ap = argparse.ArgumentParser(description="fast_numpy self-check: agreement with the naive loop, symmetry, speed")
    ap.add_argument("--check-iter", type=int, default=10_000, help="iterations of the reference-grid agreement check")
    ap.add_argument("--check-runs", type=int, default=7, help="runs (spread over the reference grid) in the agreement check")
    ap.add_argument("--time-iter", type=int, default=1000, help="iterations of the speed comparison")
    ap.add_argument("--time-runs", type=int, default=128, help="runs (spread over the reference grid) of the speed comparison")
    ap.add_argument("--chunks", default="", help="also time these chunk sizes, e.g. 16,32,64,128")
    ap.add_argument("--skip-check", action="store_true")
    a = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    X, y = common.flower_data()
    dts = (np.float64, np.float32)
    if not a.skip_check:
        # 1. reference grid: a few runs, full length, both activation paths
        case = common.reference_case(a.check_iter)
        runs = common.subset(case.runs, a.check_runs)
        steps = common.log_steps(case.n_iter)
        p = common.init_params(runs, case.sizes)
        print(f"agreement with the naive loop: reference grid, {len(runs)} runs x {case.n_iter} iterations, max |loss - naive| over all {len(steps)} log steps")
        for dt in dts:
            ln, an = naive.train(X, y, p, case.lr, case.n_iter, steps, dt)
            for act in ("tanh", "exp"):
                lf, af = train_fast(X, y, p, case.lr, case.n_iter, steps, dt, chunk=4, act=act)
                d = np.abs(lf - ln).max(axis=1)
                print(f"  {np.dtype(dt).name} {act:4s}: max {d.max():.1e}; per run " + " ".join(f"{v:.0e}" for v in d) + f"; accuracies differing: {int((af != an).sum())}")
            ls, _ = train_simple(X, y, p, case.lr, case.n_iter, steps, dt)
            print(f"  {np.dtype(dt).name} simple: max {np.abs(ls - ln).max():.1e}")
        print("  runs: " + ", ".join(f"{i}:{s:g}:{sd}" for i, s, sd in runs))
        # 2. deep case: lr 1.2 is chaotic (round-off grows ~1e4x per step), so compare 3 steps, then 100 at lr 0.01
        case = common.deep_case(3)
        runs = common.subset(case.runs, 6)
        p = common.init_params(runs, case.sizes)
        for lr, n in ((1.2, 3), (0.01, 100)):
            steps = common.log_steps(n)
            for dt in dts:
                ln, _ = naive.train(X, y, p, lr, n, steps, dt)
                out = []
                for act in ("tanh", "exp"):
                    lf, _ = train_fast(X, y, p, lr, n, steps, dt, chunk=4, act=act)
                    rel = (np.abs(lf - ln) / np.maximum(np.abs(ln), 1e-300)).max(axis=1)
                    out.append(f"{act} " + " ".join(f"{v:.0e}" for v in rel))
                print(f"deep, lr {lr}, {n} iterations, {np.dtype(dt).name}: max relative |loss - naive| per run: " + "; ".join(out))
        # 3. exact symmetry: equal hidden units must stay equal to the last bit
        R = 33
        W1 = np.repeat(np.linspace(0.1, 1.5, R)[:, None, None], 4, 1) * np.array([1.0, -0.7])
        W2 = np.repeat(np.linspace(0.2, 1.3, R)[:, None, None], 4, 2)
        p = [(W1, np.zeros((R, 4))), (W2, np.zeros((R, 1)))]
        steps = common.log_steps(1000)
        for dt in dts:
            for act in ("tanh", "exp"):
                fin = {}

                def grab(Xa, Xa4T, e_sign, c, W1a, W2_, b2, *rest, _k=_shallow_chunk_exp if act == "exp" else _shallow_chunk):
                    _k(Xa, Xa4T, e_sign, c, W1a, W2_, b2, *rest)
                    fin["W1"], fin["W2"] = W1a.reshape(len(W2_), -1, 3).copy(), W2_.copy()

                g = globals()
                saved = g["_shallow_chunk_exp" if act == "exp" else "_shallow_chunk"]
                g["_shallow_chunk_exp" if act == "exp" else "_shallow_chunk"] = grab
                try:
                    train_fast(X, y, p, 1.2, 1000, steps, dt, chunk=R, act=act)
                finally:
                    g["_shallow_chunk_exp" if act == "exp" else "_shallow_chunk"] = saved
                gap1 = (fin["W1"].max(1) - fin["W1"].min(1)).max()
                gap2 = (fin["W2"].max(1) - fin["W2"].min(1)).max()
                print(f"symmetry ({R} runs with equal hidden units, 1000 iterations) {np.dtype(dt).name} {act}: max unit gap W1 {gap1:g}, W2 {gap2:g}")
    # 4. speed: fast vs straightforward batched, one core
    case = common.reference_case(a.time_iter)
    runs = common.subset(case.runs, a.time_runs)
    steps = common.log_steps(case.n_iter)
    p = common.init_params(runs, case.sizes)
    ri = len(runs) * case.n_iter
    for dt in dts:
        cfg = [("simple", None, None), ("fast tanh", "tanh", None), ("fast exp", "exp", None)]
        cfg += [(f"fast {act} chunk={ch}", act, ch) for act in ("tanh", "exp") for ch in map(int, filter(None, a.chunks.split(",")))]
        res = {}
        for rep in range(2):  # interleaved, best of 2 (the machine may be shared)
            for name, act, ch in cfg:
                t = time.perf_counter()
                if act is None:
                    train_simple(X, y, p, case.lr, case.n_iter, steps, dt)
                else:
                    train_fast(X, y, p, case.lr, case.n_iter, steps, dt, chunk=ch, act=act)
                res[name] = min(res.get(name, 1e99), time.perf_counter() - t)
        print(f"speed, {np.dtype(dt).name}, {len(runs)} runs x {case.n_iter} iterations, 1 core, best of 2: "
              + ", ".join(f"{k} {ri / v / 1e3:.0f}k run-it/s ({res['simple'] / v:.2f}x simple)" for k, v in res.items()))
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    import os

    _main()
