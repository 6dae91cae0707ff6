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
    lr = dtype(lr)
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


def _shallow_chunk(Xa, XaT, e_sign, c, W1a, W2, b2, n_iter, steps, y, loss, acc):
    """Train one chunk of 2 -> H -> 1 runs in place. ``W1a (R*H, 3)``, ``W2 (R, H)``, ``b2 (R,)``."""
    R, H = W2.shape
    m = Xa.shape[1]
    RH = R * H
    dt = W2.dtype
    Z1 = np.empty((RH, m), dt)  # pre-activations, then (in place) the activations A1
    A1 = Z1.reshape(R, H, m)
    z = np.empty((R, m), dt)  # logits
    z3 = z.reshape(R, 1, m)
    D = np.empty((R, m), dt)  # lr/m * dL/dz
    E = np.empty((R, m), dt)
    B = np.empty((2, RH, m), dt)  # U = A1*D and T = U*A1, side by side for one GEMM
    B2 = B.reshape(2 * RH, m)
    U = B[0].reshape(R, H, m)
    T = B[1].reshape(R, H, m)
    G = np.empty((2 * RH, 3), dt)  # [U; T] @ [X; 1]^T
    dW2 = G[:RH, 2].reshape(R, H)  # sum_i U = dW2 (view)
    Q = G[RH:].reshape(R, H, 3)  # T @ [X; 1]^T
    P = np.empty((R, 3), dt)  # D @ [X; 1]^T ; P[:, 2] = db2
    W2r = W2.reshape(R, 1, H)
    D3 = D.reshape(R, 1, m)
    b2c = b2.reshape(R, 1)
    log_at = {int(s): k for k, s in enumerate(steps)}
    for it in range(n_iter + 1):
        # forward
        np.matmul(W1a, Xa, out=Z1)
        np.tanh(Z1, out=Z1)
        np.matmul(W2r, A1, out=z3)
        z += b2c
        k = log_at.get(it)
        if k is not None:
            loss[:, k], acc[:, k] = metrics_from_logits(z, y)
        if it == n_iter:
            break
        # output gradient, already times lr/m: D = c / (1 + exp(-s z))
        np.multiply(z, e_sign, out=E)
        np.exp(E, out=E)
        E += 1.0
        np.divide(c, E, out=D)
        # hidden layer
        np.multiply(A1, D3, out=U)
        np.multiply(U, A1, out=T)
        np.matmul(B2, XaT, out=G)
        np.matmul(D, XaT, out=P)
        # dW1 = W2 * (P - Q), computed in Q's storage (dW2 lives in G[:RH], untouched)
        np.subtract(P[:, None, :], Q, out=Q)
        Q *= W2[:, :, None]
        W1a -= Q.reshape(RH, 3)
        W2 -= dW2
        b2 -= P[:, 2]


def _shallow_chunk_exp(Xa, XaT, e_sign, c, W1a, W2, b2, n_iter, steps, y, loss, acc):
    """As :func:`_shallow_chunk`, with tanh computed through exp (the "exp" activation path).

    tanh(x) = 2 s - 1 with s = 1 / (1 + exp(-2x)), and 1 - tanh(x)^2 = 4 s (1 - s). The hidden
    layer is kept as s; the affine maps absorb the "2 s - 1":
      z   = (2 W2) s + (b2 - sum_h W2)
      dW2 = sum_i (2 s - 1) D = 2 sum_i s D - sum_i D
      dW1 = 4 W2 (s D - s s D) [X; 1]^T
    and the -2 of exp(-2x) lives in the first-layer weights (``Wn = -2 W1a``). Per iteration the
    hidden layer costs one np.exp and two cheap passes instead of one np.tanh: faster wherever
    numpy's float64 tanh is slower than its exp (AVX2 builds); tanh's absolute error stays ~1e-16
    (relative error grows like 1e-16/|tanh| for tiny pre-activations).
    """
    R, H = W2.shape
    m = Xa.shape[1]
    RH = R * H
    dt = W2.dtype
    Wn = W1a * dt.type(-2.0)  # S = exp(Wn @ Xa) = exp(-2 Z1)
    S = np.empty((RH, m), dt)
    s3 = S.reshape(R, H, m)
    z = np.empty((R, m), dt)
    z3 = z.reshape(R, 1, m)
    D = np.empty((R, m), dt)
    E = np.empty((R, m), dt)
    B = np.empty((2, RH, m), dt)
    B2 = B.reshape(2 * RH, m)
    U = B[0].reshape(R, H, m)
    T = B[1].reshape(R, H, m)
    G = np.empty((2 * RH, 3), dt)
    GU = G[:RH].reshape(R, H, 3)
    GT = G[RH:].reshape(R, H, 3)
    P = np.empty((R, 3), dt)
    W2x2 = np.empty((R, 1, H), dt)
    beff = np.empty((R, 1), dt)
    D3 = D.reshape(R, 1, m)
    two, eight = dt.type(2.0), dt.type(8.0)
    log_at = {int(s): k for k, s in enumerate(steps)}
    for it in range(n_iter + 1):
        np.matmul(Wn, Xa, out=S)
        np.exp(S, out=S)
        S += 1.0
        np.reciprocal(S, out=S)  # s = (1 + tanh(Z1)) / 2
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
        np.multiply(z, e_sign, out=E)
        np.exp(E, out=E)
        E += 1.0
        np.divide(c, E, out=D)
        np.multiply(s3, D3, out=U)
        np.multiply(U, s3, out=T)
        np.matmul(B2, XaT, out=G)
        np.matmul(D, XaT, out=P)
        # Wn -= -2 * dW1a = 8 W2 (GU - GT); dW2 = 2 GU[..., 2] - P[:, 2]; db2 = P[:, 2]
        np.subtract(GU, GT, out=GT)
        GT *= W2[:, :, None]
        GT *= eight
        Wn += GT.reshape(RH, 3)
        GU[:, :, 2] *= two
        GU[:, :, 2] -= P[:, 2:3]
        W2 -= GU[:, :, 2]
        b2 -= P[:, 2]
    W1a[...] = Wn / dt.type(-2.0)


def _deep_chunk(Xa, XaT, e_sign, c, Ws, bs, n_iter, steps, y, loss, acc):
    """Train one chunk of 2 -> H -> ... -> H -> 1 runs in place.

    ``Ws[0]`` is ``W1a (R*H1, 3)`` (bias folded), ``Ws[l]`` for hidden l >= 1 ``(R, H, Hp)`` with
    ``bs[l] (R, H)``, and ``Ws[-1] (R, H)`` with ``bs[-1] (R,)``.
    """
    L = len(Ws)
    R = Ws[-1].shape[0]
    m = Xa.shape[1]
    dt = Ws[-1].dtype
    Hs = [Ws[0].shape[0] // R] + [W.shape[1] for W in Ws[1:-1]]
    A = [np.empty((R, h, m), dt) for h in Hs]  # activations of hidden layers 1..L-1
    A_T = [np.swapaxes(a, 1, 2) for a in A]
    hmax = max(Hs)
    dZ = np.empty((R, hmax, m), dt)
    dA = np.empty((R, hmax, m), dt)
    S = np.empty((R, hmax, m), dt)
    z = np.empty((R, m), dt)
    z3 = z.reshape(R, 1, m)
    D = np.empty((R, m), dt)
    D3 = D.reshape(R, 1, m)
    E = np.empty((R, m), dt)
    dWs = [np.empty_like(W) for W in Ws[1:-1]]
    dWs_T = [np.empty(W.shape[:1] + W.shape[:0:-1], dt) for W in Ws[1:-1]]
    dWL = np.empty((R, 1, Hs[-1]), dt)
    db = np.empty((R, hmax), dt)
    WL3 = Ws[-1].reshape(R, 1, Hs[-1])
    WL_col = Ws[-1].reshape(R, Hs[-1], 1)
    bLc = bs[-1].reshape(R, 1)
    log_at = {int(s): k for k, s in enumerate(steps)}
    for it in range(n_iter + 1):
        np.matmul(Ws[0], Xa, out=A[0].reshape(R * Hs[0], m))
        np.tanh(A[0], out=A[0])
        for l in range(1, L - 1):
            np.matmul(Ws[l], A[l - 1], out=A[l])
            A[l] += bs[l][:, :, None]
            np.tanh(A[l], out=A[l])
        np.matmul(WL3, A[-1], out=z3)
        z += bLc
        k = log_at.get(it)
        if k is not None:
            loss[:, k], acc[:, k] = metrics_from_logits(z, y)
        if it == n_iter:
            break
        np.multiply(z, e_sign, out=E)
        np.exp(E, out=E)
        E += 1.0
        np.divide(c, E, out=D)
        # output layer
        h = Hs[-1]
        np.matmul(D3, A_T[-1], out=dWL)
        cur = dZ[:, :h]
        np.multiply(WL_col, D3, out=cur)  # dA_{L-1}
        Ws[-1] -= dWL[:, 0]
        bs[-1] -= D.sum(axis=1)
        for l in range(L - 2, -1, -1):
            # cur holds dA_l; turn it into dZ_l = dA_l * (1 - A_l^2)
            a = A[l]
            s = S[:, : a.shape[1]]
            np.multiply(a, a, out=s)
            np.subtract(1.0, s, out=s)
            cur *= s
            if l == 0:
                Ws[0] -= np.matmul(cur.reshape(R * Hs[0], m) if cur.flags.c_contiguous else np.ascontiguousarray(cur).reshape(R * Hs[0], m), XaT)
                break
            # hidden layer l (weights Ws[l] map A[l-1] -> A[l])
            np.matmul(cur, A_T[l - 1], out=dWs[l - 1])
            dbl = db[:, : a.shape[1]]
            np.sum(cur, axis=2, out=dbl)
            nxt = (dA if cur.base is dZ or cur is dZ else dZ)[:, : Hs[l - 1]]
            np.matmul(np.swapaxes(Ws[l], 1, 2), cur, out=nxt)
            Ws[l] -= dWs[l - 1]
            bs[l] -= dbl
            cur = nxt


def train_fast(X, y, params, lr, n_iter, steps, dtype=np.float64, chunk=None, act="tanh"):
    """Fast batched training of all runs of ``params`` (see common.init_params).

    Returns ``loss, acc`` of shape ``(R, len(steps))`` (float64). ``chunk``: runs per chunk
    (default: 32 float64 / 64 float32 for one hidden layer, 6 for deeper nets). ``act``: "tanh"
    (np.tanh) or "exp" (tanh through np.exp, see :func:`_shallow_chunk_exp`; one hidden layer only).
    """
    sizes = (params[0][0].shape[2],) + tuple(W.shape[1] for W, _ in params)
    deep = len(params) > 2
    if chunk is None:
        chunk = 6 if deep else (64 if np.dtype(dtype) == np.float32 else 32)
    m = X.shape[1]
    Xa = np.ascontiguousarray(np.r_[X, np.ones((1, m))], dtype=dtype)  # (3, m)
    XaT = np.ascontiguousarray(Xa.T)
    s = 1.0 - 2.0 * y.astype(np.float64)  # +1 for y=0, -1 for y=1
    e_sign = (-s).astype(dtype)
    c = (lr / m * s).astype(dtype)
    R = params[0][0].shape[0]
    loss = np.empty((R, len(steps)))
    acc = np.empty((R, len(steps)))
    with np.errstate(over="ignore"):
        for lo in range(0, R, chunk):
            sl = slice(lo, min(lo + chunk, R))
            r = sl.stop - sl.start
            (W1, b1) = params[0]
            W1a = np.ascontiguousarray(np.concatenate([W1[sl], b1[sl][:, :, None]], axis=2).reshape(r * sizes[1], 3), dtype=dtype)
            # np.array(..., copy=True): training updates these in place, the caller's params stay
            WL = np.array(params[-1][0][sl][:, 0, :], dtype=dtype, order="C", copy=True)
            bL = np.array(params[-1][1][sl][:, 0], dtype=dtype, order="C", copy=True)
            if not deep:
                (_shallow_chunk_exp if act == "exp" else _shallow_chunk)(Xa, XaT, e_sign, c, W1a, WL, bL, n_iter, steps, y, loss[sl], acc[sl])
            else:
                Ws = [W1a] + [np.array(W[sl], dtype=dtype, order="C", copy=True) for W, _ in params[1:-1]] + [WL]
                bs = [None] + [np.array(b[sl], dtype=dtype, order="C", copy=True) for _, b in params[1:-1]] + [bL]
                _deep_chunk(Xa, XaT, e_sign, c, Ws, bs, n_iter, steps, y, loss[sl], acc[sl])
    return loss, acc


# --------------------------------------------------------------------------- self-check


def _main(argv=None):
    import argparse
    import time

    import common
    import naive

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check-iter", type=int, default=2000, help="iterations for the agreement check")
    ap.add_argument("--time-iter", type=int, default=300, help="iterations for the speed comparison")
    ap.add_argument("--runs", type=int, default=104, help="runs for the speed comparison (reference grid subset)")
    ap.add_argument("--chunks", default="", help="comma list of chunk sizes to scan, e.g. 8,16,32,64")
    a = ap.parse_args(argv)

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    X, y = common.flower_data()
    # agreement with the naive loop, a few runs of each case
    for case in (common.reference_case(a.check_iter), common.deep_case(max(a.check_iter // 5, 10))):
        runs = common.subset(case.runs, 7 if case.name == "reference" else 3)
        steps = common.log_steps(case.n_iter)
        for dt in (np.float64, np.float32):
            p = common.init_params(runs, case.sizes)
            ln, an = naive.train(X, y, p, case.lr, case.n_iter, steps, dt)
            lf, af = train_fast(X, y, p, case.lr, case.n_iter, steps, dt, chunk=4 if case.name == "reference" else 2)
            ls, as_ = train_simple(X, y, p, case.lr, case.n_iter, steps, dt)
            print(f"{case.name:9s} {np.dtype(dt).name}: {len(runs)} runs x {case.n_iter} it, max |loss - naive| fast {np.abs(lf - ln).max():.2e} "
                  f"simple {np.abs(ls - ln).max():.2e}, acc differs fast {int((af != an).sum())} simple {int((as_ != an).sum())}")
            for r, run in enumerate(runs):
                print(f"    {str(run):32s} final loss naive {ln[r, -1]:.12f} fast {lf[r, -1]:.12f} |d| {abs(lf[r, -1] - ln[r, -1]):.1e}")
    # speed: fast vs simple
    case = common.reference_case(a.time_iter)
    runs = common.subset(case.runs, a.runs)
    steps = common.log_steps(case.n_iter)
    p = common.init_params(runs, case.sizes)
    for dt in (np.float64, np.float32):
        res = {}
        for name, f in [("simple", lambda: train_simple(X, y, p, case.lr, case.n_iter, steps, dt)), ("fast", lambda: train_fast(X, y, p, case.lr, case.n_iter, steps, dt))] + [
            (f"fast chunk={ch}", lambda ch=ch: train_fast(X, y, p, case.lr, case.n_iter, steps, dt, chunk=ch)) for ch in map(int, filter(None, a.chunks.split(",")))
        ]:
            t = time.perf_counter()
            f()
            res[name] = time.perf_counter() - t
        ri = len(runs) * case.n_iter
        print(f"speed {np.dtype(dt).name} ({len(runs)} runs x {case.n_iter} it, 1 core): " + ", ".join(f"{k} {v:.2f} s ({ri / v / 1e3:.0f}k run-it/s)" for k, v in res.items())
              + f"; fast/simple speed-up {res['simple'] / res['fast']:.2f}x")


if __name__ == "__main__":
    _main()
