"""The hot loop: gradient-descent steps between two logged iterations, with no diagnostics.

:func:`initstudy.train.train` measures every logged state with the plain, readable forward and
backward pass of :mod:`initstudy.mlp`; between two logged iterations it hands the parameters to
:class:`FastSteps`, which takes the same steps with the layout and buffers that make numpy fast:

- biases folded into the products: the first layer is ``[W1 | b1] (R*H1, 3) @ [X; 1] (3, m)``,
  one BLAS call for every run of the batch; hidden activations carry a row of ones, so
  ``[W | b] @ [a; 1]`` and ``dZ @ [a; 1]^T = [dW | db]`` are one batched product each;
- preallocated buffers and ``out=`` everywhere: no allocation inside the loop;
- the learning rate and ``1/m`` folded into the output gradient, computed in one fused form,
  ``lr/m (sigmoid(z) - y) = c / (1 + exp(-s z))`` with ``s = 1 - 2y`` and ``c = lr s / m``;
- arguments clipped where the result cannot change (``tanh(x) = +-1`` exactly for
  ``|x| >= 19`` in float64; ``1 + exp(e) = 1`` for ``e <= -40``), which keeps numpy off its slow
  special-value paths.

It is the same arithmetic up to rounding (tests compare both paths), not bit for bit: which path
a run takes depends only on the run itself (``train`` sends symmetric inits and ``exact=True``
through the plain path, whose contractions keep equal units equal to the last bit), so a run's
numbers never depend on its batch. The caller keeps batches small enough to stay in cache.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

_TANH_CLIP = {np.dtype(np.float64): 19.0, np.dtype(np.float32): 9.0}
_EXP_CLIP = {np.dtype(np.float64): (-40.0, 80.0), np.dtype(np.float32): (-20.0, 20.0)}


def _act_tanh(N, out, clip):
    np.clip(N, -clip, clip, out=N)
    np.tanh(N, out=out)


def _act_sigmoid(N, out, clip):
    # 0.5 + 0.5 tanh(z / 2): no overflow for any z
    N *= 0.5
    np.clip(N, -clip, clip, out=N)
    np.tanh(N, out=out)
    out *= 0.5
    out += 0.5


def _act_relu(N, out, clip):
    np.maximum(N, 0.0, out=out)


def _act_linear(N, out, clip):
    np.copyto(out, N)


def _dg_tanh(a, T):
    np.multiply(a, a, out=T)
    np.subtract(1.0, T, out=T)


def _dg_sigmoid(a, T):
    np.multiply(a, a, out=T)
    np.subtract(a, T, out=T)


def _dg_relu(a, T):
    np.greater(a, 0.0, out=T)


def _dg_linear(a, T):
    T.fill(1.0)


KERNELS = {
    "tanh": (_act_tanh, _dg_tanh),
    "sigmoid": (_act_sigmoid, _dg_sigmoid),
    "relu": (_act_relu, _dg_relu),
    "linear": (_act_linear, _dg_linear),
}
"""Activation name -> (g into a buffer, g'(z) from a = g(z) into a buffer)."""


class FastSteps:
    """Parameters of ``R`` nets (depth >= 1) in product-friendly layout, stepped in place."""

    def __init__(self, W: list[Array], b: list[Array], X: Array, y: Array, lr: Array, activation: str):
        dt = W[0].dtype
        self.dt = dt
        R, m = W[0].shape[0], X.shape[1]
        self.R, self.m = R, m
        self.act, self.dg = KERNELS[activation]
        self.tclip = _TANH_CLIP[dt]
        self.lo, self.hi = _EXP_CLIP[dt]
        self.Hs = [w.shape[1] for w in W[:-1]]  # hidden widths
        ones = np.ones((1, m))
        self.Xa = np.ascontiguousarray(np.r_[X, ones], dtype=dt)  # (n_x + 1, m)
        self.XaT = np.ascontiguousarray(np.r_[X, ones].T, dtype=dt)  # (m, n_x + 1)
        s = 1.0 - 2.0 * np.asarray(y, dtype=np.float64)  # +1 for class 0, -1 for class 1
        self.e_sign = (-s).astype(dt)
        self.s = s
        self.c = np.empty((R, m), dt)
        self.set_lr(lr)
        self.haug = []  # hidden activations with a row of ones: (R, H + 1, m)
        for h in self.Hs:
            a = np.empty((R, h + 1, m), dt)
            a[:, h, :] = 1.0
            self.haug.append(a)
        self.hv = [a[:, :h, :] for a, h in zip(self.haug, self.Hs)]
        self.hT = [np.swapaxes(a, 1, 2) for a in self.haug]
        hmax = max(self.Hs)
        self.bufs = [np.empty(R * hmax * m, dt) for _ in range(4)]  # N, two dA buffers, T
        self.z = np.empty((R, m), dt)
        self.D = np.empty((R, m), dt)
        self.E = np.empty((R, m), dt)
        self.set_params(W, b)

    def _view(self, k: int, h: int) -> Array:
        return self.bufs[k][: self.R * h * self.m].reshape(self.R, h, self.m)

    def set_lr(self, lr: Array) -> None:
        np.multiply(np.asarray(lr, dtype=np.float64).reshape(-1, 1), self.s[None, :] / self.m, out=self.c, casting="unsafe")

    def set_params(self, W: list[Array], b: list[Array]) -> None:
        """Load standard-layout ``W[l] (R, n_l, n_{l-1})`` and ``b[l] (R, n_l, 1)``."""
        R, H1 = self.R, self.Hs[0]
        self.W1a = np.ascontiguousarray(np.concatenate([W[0], b[0]], axis=2).reshape(R * H1, -1))
        self.Mh = [np.ascontiguousarray(np.concatenate([w, v], axis=2)) for w, v in zip(W[1:-1], b[1:-1])]
        self.Mo = np.ascontiguousarray(np.concatenate([W[-1], b[-1]], axis=2))  # (R, 1, H + 1)
        self.g1 = np.empty((R * H1, self.W1a.shape[1]), self.dt)
        self.gh = [np.empty_like(M) for M in self.Mh]
        self.go = np.empty_like(self.Mo)

    def get_params(self) -> tuple[list[Array], list[Array]]:
        """Standard-layout copies of the parameters."""
        R, H1 = self.R, self.Hs[0]
        W1a = self.W1a.reshape(R, H1, -1)
        mats = [W1a, *self.Mh, self.Mo]
        return [M[:, :, :-1].copy() for M in mats], [M[:, :, -1:].copy() for M in mats]

    def run(self, steps: int) -> None:
        """Take ``steps`` full-batch gradient-descent steps."""
        R, m, Hs = self.R, self.m, self.Hs
        nh = len(Hs)
        z3, D3 = self.z.reshape(R, 1, m), self.D.reshape(R, 1, m)
        for _ in range(steps):
            for l in range(nh):  # forward
                N = self._view(0, Hs[l])
                if l == 0:
                    np.matmul(self.W1a, self.Xa, out=N.reshape(R * Hs[0], m))
                else:
                    np.matmul(self.Mh[l - 1], self.haug[l - 1], out=N)
                self.act(N, self.hv[l], self.tclip)
            np.matmul(self.Mo, self.haug[-1], out=z3)
            # D = lr/m (sigmoid(z) - y), fused
            np.multiply(self.z, self.e_sign, out=self.E)
            np.clip(self.E, self.lo, self.hi, out=self.E)
            np.exp(self.E, out=self.E)
            self.E += 1.0
            np.divide(self.c, self.E, out=self.D)
            # output layer: dA of the last hidden layer uses W before its update
            cur = self._view(1, Hs[-1])
            np.multiply(self.Mo[:, 0, :-1, None], D3, out=cur)
            np.matmul(D3, self.hT[-1], out=self.go)
            self.Mo -= self.go
            spare = 2
            for l in range(nh - 1, -1, -1):
                T = self._view(3, Hs[l])
                self.dg(self.hv[l], T)
                cur *= T  # dZ of hidden layer l (lr/m folded in)
                if l == 0:
                    np.matmul(cur.reshape(R * Hs[0], m), self.XaT, out=self.g1)
                    self.W1a -= self.g1
                    break
                nxt = self._view(spare, Hs[l - 1])
                np.matmul(np.swapaxes(self.Mh[l - 1][:, :, :-1], 1, 2), cur, out=nxt)
                np.matmul(cur, self.hT[l - 1], out=self.gh[l - 1])
                self.Mh[l - 1] -= self.gh[l - 1]
                spare = 1 if spare == 2 else 2
                cur = nxt
