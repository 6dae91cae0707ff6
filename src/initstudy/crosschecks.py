"""What a config's schema cannot say, checked on a valid config with its defaults filled in.

Names Snakemake accepts as wildcards; datasets, experiments and notebooks that are defined where
they are named; a test seed unlike its training seed; ``factor`` on circle kinds only; nets of one
experiment told apart; notebook draws with zero biases; and the size of the study: runs per
experiment and in all, training jobs, and one job's memory against this machine's.
"""

from __future__ import annotations

import difflib
import os
import re

from .datasets import FACTOR_KINDS
from .safeyaml import short as _short

MAX_RUNS_PER_EXPERIMENT = 200_000
"""Upper bound on an experiment's grid (the product of its list lengths), checked before expansion."""
MAX_RUNS = 500_000
"""Upper bound on the runs of the whole study (the largest shipped study, config/full.yaml, has 110,660)."""
MAX_SHARDS_PER_EXPERIMENT = 9_999
"""Training jobs of one experiment: their names are four digits (the ``shard`` wildcard, 0000-9998)."""
MAX_SHARDS = 20_000
"""Training jobs of the whole study: Snakemake plans every job before it starts one."""
MEMORY_FRACTION = 0.5
"""A training job may need at most this share of the machine's memory (as estimated by :func:`job_bytes`)."""
PERIODIC_REPEATS = 20
"""Snakemake refuses a wildcard value that ends in this many repeats of one piece (PeriodicWildcardError)."""


def grid_size(exp: dict) -> int:
    """Upper bound on the runs of an experiment (before duplicates collapse)."""
    n_inits = sum(len(exp["scales"]) if isinstance(i, str) else len(i["scales"]) for i in exp["inits"])
    n_seeds = exp["seeds"] if isinstance(exp["seeds"], int) else len(exp["seeds"])
    n = n_inits * (n_seeds + len(exp.get("notebook_seeds") or []))
    n *= len(exp["layers"]) if exp.get("layers") else len(exp["widths"]) * len(exp["depths"])
    for key in ("datasets", "activations", "bias_inits", "bias_scales", "lrs"):
        n *= len(exp[key])
    return n


def _net_checks(name: str, exp: dict) -> list[str]:
    """Nets of unequal widths must be told apart by (first width, depth); notebook draws have zero biases."""
    problems = []
    seen: dict = {}
    for i, layout in enumerate(exp.get("layers") or []):
        key = (layout[0] if layout else 0, len(layout))
        if key in seen:
            problems.append(
                f"experiments.{name}.layers[{i}]: same first width and depth as layers[{seen[key]}]; "
                "nets of one experiment are recorded by (width of the first layer, depth), so they must differ there"
            )
        seen.setdefault(key, i)
    if exp.get("notebook_seeds") and exp["bias_inits"] != ["zeros"]:
        problems.append(f"experiments.{name}.notebook_seeds: the notebooks draw zero biases; bias_inits must be [zeros]")
    return problems


def _course_checks(config: dict) -> list[str]:
    """Every printed number of ``course`` names a defined notebook and experiment."""
    course = config.get("course") or {}
    problems = []
    for i, number in enumerate(course.get("numbers") or []):
        if number["notebook"] not in course.get("notebooks", {}):
            problems.append(f"course.numbers[{i}].notebook: unknown notebook '{number['notebook']}'; defined: {', '.join(course.get('notebooks', {}))}")
        if number["experiment"] not in config["experiments"]:
            problems.append(f"course.numbers[{i}].experiment: unknown experiment '{number['experiment']}'")
    return problems


def net_extent(exp: dict) -> tuple[int, int]:
    """The widest hidden layer and the deepest net of an experiment (``layers`` or ``widths`` x ``depths``)."""
    if exp.get("layers"):
        return max((max(l) if l else 0) for l in exp["layers"]), max(len(l) for l in exp["layers"])
    return max(exp["widths"]), max(exp["depths"])


def job_bytes(exp: dict, datasets: dict, shard_size: int, dtype: str) -> int:
    """About the peak memory of the largest training job of ``exp`` (its widest, deepest cell).

    A chunk of at least 4 runs trains at once: per run and hidden layer, about 6 arrays of
    ``width x points`` (pre-activations, activations, their gradients, the test pass) and 3 of
    ``width x width`` (weights, gradients, the fast path's copy); the job also keeps every run's
    final weights (3 copies of ``width x width`` per layer, in float64) for the params table.
    """
    item = 4 if dtype == "float32" else 8
    width, depth = net_extent(exp)
    points = max(max(datasets[d]["n_train"], datasets[d]["n_test"]) for d in exp["datasets"] if d in datasets)
    layer = (width if depth else 1) * (depth or 1)
    chunk = 4 * item * layer * (6 * points + 3 * max(width, 1))
    kept = min(shard_size, grid_size(exp)) * 8 * 3 * (max(width, 1) ** 2 * max(depth - 1, 0) + 3 * max(width, 1))
    return chunk + kept


def machine_bytes() -> int:
    """Physical memory of this machine (4 GiB if the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB"


_PERIODIC = re.compile(rf"(.+?)\1{{{PERIODIC_REPEATS - 1},}}\Z")


def _name_problems(config: dict) -> list[str]:
    problems = []
    for section in ("datasets", "experiments"):
        for name in config[section]:
            m = _PERIODIC.search(name)
            if m:
                problems.append(
                    f"{section}: name {_short(name)} is not allowed: it ends in {PERIODIC_REPEATS} or more repeats of "
                    f"{m.group(1)!r}, which Snakemake refuses in a file name (PeriodicWildcardError)"
                )
    return problems


def cross_checks(config: dict) -> list[str]:
    """One line per problem a valid, default-filled config has beyond its schema (see the module docstring)."""
    problems = _name_problems(config)
    for name, ds in config["datasets"].items():
        if ds["seed"] == ds["test_seed"]:
            problems.append(
                f"datasets.{name}.test_seed: must differ from seed ({ds['seed']}), or the test set repeats the training set"
            )
    total_runs = total_shards = 0
    one_too_big = False  # an experiment over its own limit: the study's total adds nothing
    memory = machine_bytes()
    for name, ds in config["datasets"].items():
        if ds.get("factor") is not None and ds["kind"] not in FACTOR_KINDS:
            kinds = ", ".join(sorted(FACTOR_KINDS))
            problems.append(f"datasets.{name}.factor: only the circle kinds ({kinds}) take a factor, not {ds['kind']}")
    for name, exp in config["experiments"].items():
        for i, ds in enumerate(exp["datasets"]):
            if ds not in config["datasets"]:
                close = difflib.get_close_matches(ds, list(config["datasets"]), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    f"experiments.{name}.datasets[{i}]: unknown dataset '{ds}'{hint}; defined datasets: {', '.join(config['datasets'])}"
                )
        problems += _net_checks(name, exp)
        n = grid_size(exp)
        total_runs += n
        shards = -(-n // config["shard_size"])
        total_shards += shards
        if n > MAX_RUNS_PER_EXPERIMENT:
            one_too_big = True
            problems.append(
                f"experiments.{name}: the grid has up to {n} runs, more than {MAX_RUNS_PER_EXPERIMENT}; split it into smaller experiments"
            )
        elif shards > MAX_SHARDS_PER_EXPERIMENT:
            problems.append(
                f"experiments.{name}: {n} runs in shards of shard_size {config['shard_size']} make {shards} training jobs, "
                f"more than {MAX_SHARDS_PER_EXPERIMENT}; raise shard_size"
            )
        if any(d in config["datasets"] for d in exp["datasets"]):
            need = job_bytes(exp, config["datasets"], config["shard_size"], config["dtype"])
            if need > MEMORY_FRACTION * memory:
                problems.append(
                    f"experiments.{name}: one training job would need about {_gb(need)} of memory (width {net_extent(exp)[0]}, "
                    f"depth {net_extent(exp)[1]}), more than half of this machine's {_gb(memory)}; "
                    "use smaller widths, depths, datasets or shard_size"
                )
    if total_runs > MAX_RUNS and not one_too_big:
        problems.append(f"experiments: the study has up to {total_runs} runs, more than {MAX_RUNS}; run it as several studies")
    elif total_shards > MAX_SHARDS and total_runs <= MAX_RUNS and not one_too_big:
        problems.append(
            f"experiments: {total_shards} training jobs (shard_size {config['shard_size']}), "
            f"more than {MAX_SHARDS}; raise shard_size"
        )
    return problems + _course_checks(config)
