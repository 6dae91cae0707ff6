"""What if the default study were smaller? Its verdicts and estimated training time under candidate cuts.

Run after `make` (it reads results/): `.venv/bin/python benchmarks/design_cuts.py [variant ...]`.

A run's numbers do not depend on the other runs of its batch, job or shard (tests/test_determinism.py),
so the tables a smaller config would write are these tables' rows for its runs. The verdicts printed
here are therefore what that config would give. The training times are estimates
(`initstudy.grid.shard_cost`, fitted to this machine's job times), not measurements.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pandas as pd

from initstudy import config as cfgmod
from initstudy import grid
from initstudy.claims import Data, evaluate_with_measures, linear_table, load_claims
from initstudy.tables import read_table

DEEP = ("deep", "deep_band", "deep_families")
COURSE = ("course_planar", "course_planar_sizes", "course_init")


def variants(base: dict) -> dict[str, dict]:
    """Today's design and smaller ones: ``{name: config}`` (experiment settings replaced)."""

    def variant(**changes) -> dict:
        cfg = copy.deepcopy(base)
        for exp, settings in changes.items():
            cfg["experiments"][exp].update(settings)
        return cfg

    kept = {  # the cuts that leave every verdict as it is (RESULTS.md, issue 12, fifth sitting)
        "deep lrs {0.03, 0.1}": {e: {"lrs": [0.03, 0.1]} for e in DEEP},
        "scale, symmetry 5 seeds": {"scale": {"seeds": 5}, "symmetry": {"seeds": 5}},
        "edge_train 5 seeds": {"edge_train": {"seeds": 5}},
        "course experiments 5 seeds": {e: {"seeds": 5} for e in COURSE},
    }
    others = {
        "deep lrs {0.1, 0.3}": {e: {"lrs": [0.1, 0.3]} for e in DEEP},
        "deep lr 0.1 only": {e: {"lrs": [0.1]} for e in DEEP},
        "deep_band, deep_families 3 seeds": {"deep_band": {"seeds": 3}, "deep_families": {"seeds": 3}},
        "scale_wide lr 1.2 only": {"scale_wide": {"lrs": [1.2]}},
    }
    everything_kept = {exp: settings for changes in kept.values() for exp, settings in changes.items()}
    return {
        "today": variant(),
        **{name: variant(**changes) for name, changes in {**kept, **others}.items()},
        "the four cuts above that keep every verdict": variant(**everything_kept),
    }


def training_cost(cfg: dict) -> float:
    return sum(grid.shard_cost(s, cfg["experiments"][s.experiment]) for s in grid.shards(cfg))


def judge(cfg: dict, rules: dict, metrics: pd.DataFrame, layers: pd.DataFrame, linear: pd.DataFrame) -> pd.DataFrame:
    """The claims table (indexed by claim id) that ``cfg`` would give: the claims step on its runs' rows."""
    key = list(grid.COORDINATES)
    runs = pd.DataFrame([{k: r[k] for k in key} for s in grid.shards(cfg) for r in s.runs]).drop_duplicates()
    table, _ = evaluate_with_measures(rules, Data(metrics.merge(runs, on=key), layers.merge(runs, on=key), linear))
    return table.set_index("claim_id")


def load(root: Path, config: str) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The validated config and claims rules, and the metrics, layers and best-linear tables of ``root/results``."""
    base = cfgmod.load(root / config)
    rules = load_claims(root / "config" / "claims.yaml")
    res = root / "results"
    linear = linear_table({p.stem: read_table(p) for p in (res / "datasets").glob("*.parquet")})
    return base, rules, read_table(res / "metrics.parquet"), read_table(res / "layers.parquet"), linear


def main(names: list[str], root: Path = Path("."), config: str = "config/config.yaml") -> None:
    base, rules, metrics, layers, linear = load(root, config)
    designs = variants(base)
    ref, ref_cost = judge(designs["today"], rules, metrics, layers, linear), training_cost(designs["today"])
    print("| design | estimated training job time | saved | verdicts that change | values that move |")
    print("|---|---:|---:|---|---|")
    for name, cfg in designs.items():
        if names and name not in names and name != "today":
            continue
        got = ref if name == "today" else judge(cfg, rules, metrics, layers, linear)
        changed = [f"{c}: {ref.loc[c, 'verdict']} -> {got.loc[c, 'verdict']}" for c in ref.index if got.loc[c, "verdict"] != ref.loc[c, "verdict"]]
        moved = [
            c
            for c in ref.index
            if got.loc[c, "verdict"] == ref.loc[c, "verdict"]
            and not (pd.isna(got.loc[c, "value"]) and pd.isna(ref.loc[c, "value"]))
            and got.loc[c, "value"] != ref.loc[c, "value"]
        ]
        cost = training_cost(cfg)
        print(f"| {name} | {cost:.0f} s | {ref_cost - cost:.0f} s | {', '.join(changed) or 'none'} | {', '.join(moved) or 'none'} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
