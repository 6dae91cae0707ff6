"""Expand a validated config into runs, cells (runs that share layer shapes) and shards (jobs).

A run is one net trained once: a dict of its grid coordinates. Coordinates are canonical, so
two spellings of one run collapse into one: depth 0 has width 0, a zero init has scale 0, a zero
bias has bias_scale 0, and a deterministic init (a symmetric weight init with a non-random bias)
keeps only the first seed, since every seed would train the very same net.

Nets. An experiment's nets are its ``widths`` crossed with its ``depths`` (every hidden layer as
wide), or, when it lists ``layers``, those layouts: ``[10, 5]`` is two hidden layers of 10 and 5
units. A layout of equal widths is the same run as its width x depth spelling; any other layout
is recorded with ``width`` = its first layer's units and ``depth`` = its number of layers, and
carries the whole layout in the run's ``hidden`` key (not a table column).

Seeds. ``seeds`` are the study's own (each run drawn from its own key); ``notebook_seeds`` ``k``
add runs drawn as the course's notebooks draw them (after ``np.random.seed(k)``), recorded with
seed ``-k``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .inits import SYMMETRIC_INITS

COORDINATES = (
    "experiment", "dataset", "activation", "width", "depth", "init", "scale",
    "bias_init", "bias_scale", "seed", "lr",
)  # fmt: skip
"""Grid coordinates of a run, in table column order."""


def seed_list(seeds) -> list[int]:
    """A count ``n`` means seeds ``0..n-1``; a list is taken as it is."""
    return list(range(seeds)) if isinstance(seeds, int) else list(seeds)


def init_pairs(exp: dict) -> list[tuple[str, float]]:
    """(scheme, scale) pairs of an experiment, names crossed with its scales."""
    pairs = []
    for item in exp["inits"]:
        if isinstance(item, str):
            pairs += [(item, float(s)) for s in exp["scales"]]
        else:
            pairs += [(item["scheme"], float(s)) for s in item["scales"]]
    return pairs


def layouts(exp: dict) -> list[list[int]]:
    """The hidden-layer widths of each net of an experiment: its ``layers``, else widths x depths."""
    if exp.get("layers"):
        return [[int(h) for h in layout] for layout in exp["layers"]]
    return [[int(w)] * int(d) for w, d in itertools.product(exp["widths"], exp["depths"])]


def net_coordinates(layout: list[int]) -> tuple[int, int, list[int] | None]:
    """``(width, depth, hidden)`` of a layout; ``hidden`` only when its widths differ."""
    if not layout:
        return 0, 0, None
    if len(set(layout)) == 1:
        return layout[0], len(layout), None
    return layout[0], len(layout), list(layout)


def all_seeds(exp: dict) -> list[int]:
    """The study's seeds, then the notebook seeds ``k`` as ``-k`` (see the module docstring)."""
    return seed_list(exp["seeds"]) + [-int(k) for k in exp.get("notebook_seeds") or []]


def experiment_runs(name: str, exp: dict) -> list[dict]:
    """Every run of one experiment, canonical and without duplicates, in a stable order."""
    seen, runs = set(), []
    seeds = all_seeds(exp)
    for ds, act, layout, (init, scale), bias_init, bias_scale, seed, lr in itertools.product(
        exp["datasets"], exp["activations"], layouts(exp), init_pairs(exp),
        exp["bias_inits"], exp["bias_scales"], seeds, exp["lrs"],
    ):  # fmt: skip
        width, depth, hidden = net_coordinates(layout)
        scale = 0.0 if init == "zeros" else float(scale)
        bias_scale = 0.0 if bias_init == "zeros" else float(bias_scale)
        if init in SYMMETRIC_INITS and bias_init != "normal":
            seed = seeds[0]
        run = dict(
            experiment=name, dataset=ds, activation=act, width=width, depth=depth, init=init,
            scale=scale, bias_init=bias_init, bias_scale=bias_scale, seed=int(seed), lr=float(lr),
        )  # fmt: skip
        if hidden:
            run["hidden"] = hidden
        key = tuple(tuple(v) if isinstance(v, list) else v for v in run.values())
        if key not in seen:
            seen.add(key)
            runs.append(run)
    return runs


def cell_id(run: dict) -> str:
    """Runs sharing dataset, activation and layer shapes train in one batch: ``flower-tanh-w4-d1``, ``circles-relu-w10-5-d2``."""
    width = "-".join(map(str, run["hidden"])) if run.get("hidden") else run["width"]
    return f"{run['dataset']}-{run['activation']}-w{width}-d{run['depth']}"


@dataclass(frozen=True)
class Shard:
    """One training job: up to ``shard_size`` runs of one experiment, in cell-major order.

    A shard may span several cells; each cell's runs in it train together as one batch.
    """

    experiment: str
    index: int
    runs: tuple

    @property
    def name(self) -> str:
        return f"{self.experiment}/{self.index:04d}"

    @property
    def datasets(self) -> list[str]:
        return sorted({r["dataset"] for r in self.runs})


def run_order(run: dict) -> tuple:
    return (run["init"], run["scale"], run["bias_init"], run["bias_scale"], run["seed"], run["lr"])


def shards(config: dict) -> list[Shard]:
    """All training jobs of a validated config, in a stable order."""
    out = []
    size = config["shard_size"]
    for name, exp in config["experiments"].items():
        cells: dict[str, list[dict]] = {}
        for run in experiment_runs(name, exp):
            cells.setdefault(cell_id(run), []).append(run)
        runs = [r for cell in cells.values() for r in sorted(cell, key=run_order)]
        for k in range(0, len(runs), size):
            out.append(Shard(name, k // size, tuple(runs[k : k + size])))
    return out


def by_cell(runs: list[dict]) -> list[list[dict]]:
    """Split a shard's runs into batches that share dataset, activation and layer shapes (order kept)."""
    cells: dict[str, list[dict]] = {}
    for r in runs:
        cells.setdefault(cell_id(r), []).append(r)
    return list(cells.values())


# Seconds per unit of work on the 2-core reference machine (benchmarks/RESULTS.md), fitted by least squares
# to the default study's training-job times. Only the order of the estimates matters (:func:`shard_cost`).
_COST_PER_JOB = 6.7  # start Python, JAX, read the data, write the tables
_COST_PER_CELL = 0.66  # a batch: drawing its weights, compiling or loading its segments
_COST_BACKEND_STEP = 5.5e-7  # per run-iteration and unit of net work, on the backend (JAX)
_COST_NUMPY_STEP = 1.7e-6  # the same on the exact numpy path (symmetric starts, notebook replays, exact: true)
_COST_NUMPY_CALL = 1.4e-4  # per iteration and layer of a batch on the numpy path (numpy's per-call cost)
_COST_MEASURE = 1.9e-6  # per logged iteration, run and unit of net work (the numpy measurement)


def shard_cost(shard: Shard, exp: dict) -> float:
    """Estimated seconds to train ``shard`` (an experiment ``exp`` of a validated config) on two cores.

    A rough model (off by up to 1.7x on the default study's jobs, in both directions): a net's work per
    sample is its weights plus its units. It serves as the training jobs' scheduling priority, so the
    longest jobs start first and no long one is left running alone at the end; results never depend on it.
    """
    from .train import log_iterations, steps_on_numpy  # the training job's own log schedule and numpy/backend split

    iterations = int(exp["iterations"])
    logs = len(log_iterations(iterations, int(exp["log_points"]), int(exp.get("log_every") or 0)))
    cost = _COST_PER_JOB
    for cell in by_cell(list(shard.runs)):
        first = cell[0]
        sizes = [2, *(first.get("hidden") or [first["width"]] * first["depth"]), 1]
        work = sum(a * b for a, b in zip(sizes, sizes[1:])) + sum(sizes[1:])
        exact = sum(steps_on_numpy(r, exp.get("exact", False)) for r in cell)
        cost += _COST_PER_CELL + iterations * work * (_COST_BACKEND_STEP * (len(cell) - exact) + _COST_NUMPY_STEP * exact)
        cost += iterations * (len(sizes) - 1) * _COST_NUMPY_CALL * (exact > 0) + logs * len(cell) * work * _COST_MEASURE
    return cost


def shard_index(config: dict) -> dict[str, Shard]:
    """``{shard.name: shard}`` for looking up a job's runs from its wildcards."""
    return {s.name: s for s in shards(config)}
