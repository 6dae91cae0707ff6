"""Initial weights and biases of a batch of runs: each run's own keyed draws, or the course notebooks' draw.

Randomness. A run's initial weights are drawn from its own key, a stable hash of
``(seed, width, depth, layer, role)`` fed to ``numpy.random.SeedSequence``; nothing else is random.
So a run gives the same numbers in whatever shard or batch it trains, and runs that differ only in
init scale, init family or learning rate share their underlying draws (common random numbers:
comparisons between them are paired). A net with a width per hidden layer (``hidden``, e.g.
``[10, 5]``) puts its layout in place of the width in that hash.

Notebook seeding. A run with a negative seed ``-k`` is drawn as the course's notebooks draw their
nets: ``np.random.seed(k)``, then ``W1, W2, ...`` in layer order from that one legacy generator
(``RandomState(k)`` is in that very state; no global state is touched), biases zero. This is how
the study reproduces the notebooks' printed numbers next to its own per-run seeding.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .inits import BIAS_INITS, INITS

Array = np.ndarray


def run_key(seed: int, width, depth: int, layer: int, role: str) -> np.random.Generator:
    """The generator for one run's layer and role (``"W"`` or ``"b"``): keyed by a stable hash.

    ``width`` is the units per hidden layer, or a layout token (``"10-5"``, see :func:`layout_token`).
    """
    digest = hashlib.blake2b(f"initstudy|{seed}|{width}|{depth}|{layer}|{role}".encode(), digest_size=16).digest()
    return np.random.default_rng(np.random.SeedSequence(int.from_bytes(digest, "little")))


def hidden_sizes(run: dict) -> list[int]:
    """Units of each hidden layer of a run: its ``hidden`` layout, else ``width`` repeated ``depth`` times."""
    return [int(h) for h in run["hidden"]] if run.get("hidden") else [int(run["width"])] * int(run["depth"])


def layout_token(width: int, hidden: list[int] | None):
    """What stands for the layer widths in a run's key: ``width`` (equal widths), or ``"10-5"``."""
    return "-".join(str(h) for h in hidden) if hidden else width


def layer_sizes(n_x: int, width: int, depth: int, hidden: list[int] | None = None) -> list[int]:
    """Unit counts from input to output: depth 0 is logistic regression; ``hidden`` gives each layer its own width."""
    return [n_x] + (list(hidden) if hidden else [width] * depth) + [1]


def notebook_generator(seed: int) -> np.random.RandomState:
    """The legacy generator a notebook draws from after ``np.random.seed(-seed)`` (run seeds ``-k``)."""
    return np.random.RandomState(-seed)


def _notebook_draw(run: dict, sizes: list[int]) -> tuple[list[Array], list[Array]]:
    """One run's weights as the course notebooks draw them: one legacy generator, W1, W2, ... in order, b = 0."""
    if run["bias_init"] != "zeros":
        raise ValueError(f"notebook seeding draws biases as zeros, not {run['bias_init']!r}")
    rs = notebook_generator(run["seed"])
    W = [INITS[run["init"]](rs, (sizes[l], sizes[l - 1]), run["scale"]) for l in range(1, len(sizes))]
    return W, [np.zeros(sizes[l]) for l in range(1, len(sizes))]


def init_params(runs: list[dict], n_x: int, width: int, depth: int, dtype=np.float64) -> tuple[list[Array], list[Array]]:
    """Stacked initial weights ``(R, n_l, n_{l-1})`` and biases ``(R, n_l, 1)`` for runs sharing a shape.

    A run with a negative seed is drawn the notebooks' way (:func:`_notebook_draw`), every other
    run from its own keys (:func:`run_key`).
    """
    hidden = runs[0].get("hidden")
    sizes = layer_sizes(n_x, width, depth, hidden)
    token = layout_token(width, hidden)
    legacy = {i: _notebook_draw(r, sizes) for i, r in enumerate(runs) if r["seed"] < 0}
    def weights(i: int, r: dict, layer: int) -> Array:
        if i in legacy:
            return legacy[i][0][layer - 1]
        return INITS[r["init"]](run_key(r["seed"], token, depth, layer, "W"), (sizes[layer], sizes[layer - 1]), r["scale"])

    def biases(i: int, r: dict, layer: int) -> Array:
        if i in legacy:
            return legacy[i][1][layer - 1]
        return BIAS_INITS[r["bias_init"]](run_key(r["seed"], token, depth, layer, "b"), sizes[layer], r["bias_scale"])

    W = [np.stack([weights(i, r, layer) for i, r in enumerate(runs)]).astype(dtype) for layer in range(1, len(sizes))]
    b = [np.stack([biases(i, r, layer) for i, r in enumerate(runs)])[:, :, None].astype(dtype) for layer in range(1, len(sizes))]
    return W, b
