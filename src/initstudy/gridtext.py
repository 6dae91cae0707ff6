"""An experiment's grid in words, for the report: datasets, nets, inits, seeds, learning rates, runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .formatting import fmt, fmt_grid_value
from .grid import experiment_runs, init_pairs, seed_list


def _join(values: Iterable) -> str:
    return ", ".join(fmt_grid_value(v) for v in values)


def _init_text(exp: Mapping) -> str:
    by_scheme: dict[str, list[float]] = {}
    for scheme, scale in init_pairs(exp):
        by_scheme.setdefault(scheme, [])
        if scheme != "zeros" and scale not in by_scheme[scheme]:
            by_scheme[scheme].append(scale)
    parts = []
    for scheme, scales in by_scheme.items():
        parts.append(scheme if not scales else f"{scheme} at {_join(scales)}")
    return "; ".join(parts)


def _bias_text(exp: Mapping) -> str:
    parts = []
    for scheme in exp["bias_inits"]:
        parts.append(scheme if scheme == "zeros" else f"{scheme} at {_join(exp['bias_scales'])}")
    return "; ".join(parts)


def seeds_text(seeds, notebook_seeds=()) -> str:
    """``100 (seeds 0–99)``, or the seeds listed, plus the notebooks' draws (run seeds ``-k``) if any."""
    values = seed_list(seeds)
    if isinstance(seeds, int) and seeds > 1:
        text = f"{fmt(seeds)} (seeds 0–{seeds - 1})"
    else:
        text = f"{len(values)} ({_join(values)})"
    if notebook_seeds:  # drawn the course notebooks' way (initstudy.draws), recorded as seed -k
        text += f" + the notebook's draw after np.random.seed({_join(notebook_seeds)})"
    return text


def _layout_text(layout) -> str:
    return "none (logistic regression)" if not layout else "[" + ", ".join(map(str, layout)) + "]"


def grid_rows(name: str, exp: Mapping) -> list[tuple[str, str]]:
    """An experiment's grid as (label, value) rows, generated from the config as run."""
    if exp.get("layers"):  # a width per hidden layer
        rows = [("Datasets", ", ".join(exp["datasets"])), ("Hidden layers (units each)", "; ".join(map(_layout_text, exp["layers"])))]
        if any(exp["layers"]):
            rows.append(("Hidden activations", ", ".join(exp["activations"])))
    else:
        shallow = all(d == 0 for d in exp["depths"])
        rows = [
            ("Datasets", ", ".join(exp["datasets"])),
            ("Hidden layers (depth)", _join(exp["depths"]) + (" (logistic regression)" if shallow else "")),
        ]
        if not shallow:
            rows += [("Hidden activations", ", ".join(exp["activations"])), ("Units per hidden layer", _join(exp["widths"]))]
    rows += [
        ("Weight init (scale)", _init_text(exp)),
        ("Bias init", _bias_text(exp)),
        ("Seeds", seeds_text(exp["seeds"], exp.get("notebook_seeds") or ())),
        ("Learning rates", _join(exp["lrs"])),
        ("Iterations (gradient steps)", fmt(int(exp["iterations"]))),
        ("Runs in the grid", fmt(len(experiment_runs(name, dict(exp))))),
    ]
    return rows
