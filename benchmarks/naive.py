"""The course-style naive loop: one run at a time, plain numpy on 2-D arrays.

Written like the Coursera planar-data assignment (forward_propagation, backward_propagation,
update_parameters per iteration, column-per-example arrays, biases as (n, 1) columns), for
comparison only. Metrics are computed only at the log steps (the strongest fair version of the
baseline: the course computes the cost every iteration, which would make it slower still).
"""

from __future__ import annotations

import numpy as np

from common import metrics_from_logits


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def train_one_shallow(X, Y, W1, b1, W2, b2, lr, n_iter, steps):
    """2 -> n_h tanh -> 1 sigmoid, exactly the course's week-3 loop. Returns z at each log step."""
    m = X.shape[1]
    logged = []
    want = set(int(s) for s in steps)
    for it in range(n_iter + 1):
        # forward_propagation
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        if it in want:
            logged.append(Z2[0].copy())
        if it == n_iter:
            break
        A2 = sigmoid(Z2)
        # backward_propagation (BCE: dZ2 = A2 - Y)
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        # update_parameters
        W1 = W1 - lr * dW1
        b1 = b1 - lr * db1
        W2 = W2 - lr * dW2
        b2 = b2 - lr * db2
    return logged


def train_one_deep(X, Y, Ws, bs, lr, n_iter, steps):
    """L-layer version (course week 4 style): tanh hidden layers, sigmoid output."""
    m = X.shape[1]
    L = len(Ws)
    logged = []
    want = set(int(s) for s in steps)
    for it in range(n_iter + 1):
        A = [X]
        for l in range(L - 1):
            A.append(np.tanh(np.dot(Ws[l], A[-1]) + bs[l]))
        ZL = np.dot(Ws[-1], A[-1]) + bs[-1]
        if it in want:
            logged.append(ZL[0].copy())
        if it == n_iter:
            break
        dZ = sigmoid(ZL) - Y
        for l in range(L - 1, -1, -1):
            dW = (1 / m) * np.dot(dZ, A[l].T)
            db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
            if l > 0:
                dZ = np.multiply(np.dot(Ws[l].T, dZ), 1 - np.power(A[l], 2))
            Ws[l] = Ws[l] - lr * dW
            bs[l] = bs[l] - lr * db
    return logged


def train(X, y, params, lr, n_iter, steps, dtype=np.float64):
    """Train every run of ``params`` (see common.init_params) one after the other.

    Returns ``loss, acc`` of shape ``(R, len(steps))``.
    """
    X = X.astype(dtype)
    Y = y.astype(dtype)[None, :]
    R = params[0][0].shape[0]
    loss = np.empty((R, len(steps)))
    acc = np.empty((R, len(steps)))
    with np.errstate(over="ignore"):
        for r in range(R):
            Ws = [W[r].astype(dtype) for W, _ in params]
            bs = [b[r].astype(dtype)[:, None] for _, b in params]
            if len(Ws) == 2:
                z = train_one_shallow(X, Y, Ws[0], bs[0], Ws[1], bs[1], np.dtype(dtype).type(lr), n_iter, steps)
            else:
                z = train_one_deep(X, Y, Ws, bs, np.dtype(dtype).type(lr), n_iter, steps)
            loss[r], acc[r] = metrics_from_logits(np.array(z), y)
    return loss, acc
