"""Expand a validated config into runs, cells (runs that share layer shapes) and shards (jobs).

A run is one net trained once: a dict of its grid coordinates. Coordinates are canonical, so
two spellings of one run collapse into one: depth 0 has width 0, a zero init has scale 0, a zero
bias has bias_scale 0, and a deterministic init (a symmetric weight init with a non-random bias)
keeps only the first seed, since every seed would train the very same net.
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


def experiment_runs(name: str, exp: dict) -> list[dict]:
    """Every run of one experiment, canonical and without duplicates, in a stable order."""
    seen, runs = set(), []
    seeds = seed_list(exp["seeds"])
    for ds, act, width, depth, (init, scale), bias_init, bias_scale, seed, lr in itertools.product(
        exp["datasets"], exp["activations"], exp["widths"], exp["depths"], init_pairs(exp),
        exp["bias_inits"], exp["bias_scales"], seeds, exp["lrs"],
    ):  # fmt: skip
        width = 0 if depth == 0 else int(width)
        scale = 0.0 if init == "zeros" else float(scale)
        bias_scale = 0.0 if bias_init == "zeros" else float(bias_scale)
        if init in SYMMETRIC_INITS and bias_init != "normal":
            seed = seeds[0]
        run = dict(
            experiment=name, dataset=ds, activation=act, width=width, depth=int(depth), init=init,
            scale=scale, bias_init=bias_init, bias_scale=bias_scale, seed=int(seed), lr=float(lr),
        )  # fmt: skip
        key = tuple(run.values())
        if key not in seen:
            seen.add(key)
            runs.append(run)
    return runs


def cell_id(run: dict) -> str:
    """Runs sharing dataset, activation and layer shapes train in one batch: ``flower-tanh-w4-d1``."""
    return f"{run['dataset']}-{run['activation']}-w{run['width']}-d{run['depth']}"


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


def shard_index(config: dict) -> dict[str, Shard]:
    """``{shard.name: shard}`` for looking up a job's runs from its wildcards."""
    return {s.name: s for s in shards(config)}
