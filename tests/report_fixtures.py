"""Inputs of the report for its tests: fakes, and the real quick study (a pytest plugin).

:func:`make_inputs` writes fake inputs (a claims table with the contract's columns for L01..L14,
claim specs, config/quick.yaml as run, metrics, small PNGs written without matplotlib, captions,
benchmark files) so the report renders without running the study. The quick study itself is
built once per session by the ``quick_study`` fixture of tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from initstudy import config as cfg
from initstudy.grid import experiment_runs

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "workflow" / "report" / "template.html.j2"

CLAIM_FIGURES = {
    "L01": ["logistic"],
    "L02": ["symmetry_gaps"],
    "L03": ["symmetry_gaps"],
    "L04": ["symmetry_gaps"],
    "L05": ["width_accuracy"],
    "L06": ["decision_boundaries"],
    "L07": ["bias_init"],
    "L08": ["saturation"],
    "L09": ["learning_curves", "iterations_to_target"],
    "L10": ["relu_slowdown"],
    "L11": ["relu_scale"],
    "L12": ["accuracy_vs_scale"],
    "L13": ["depth_signal", "depth_accuracy"],
    "L14": ["best_scale"],
}
VERDICT_CYCLE = ["holds", "holds", "fails", "holds", "inconclusive"]


def png(width: int = 40, height: int = 30, rgb: tuple[int, int, int] = (40, 110, 200)) -> bytes:
    """A solid-colour PNG (8-bit RGB), written by hand so that the tests need no plotting library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def claim_specs(ids=tuple(CLAIM_FIGURES)) -> dict:
    specs = {}
    for cid in ids:
        specs[cid] = {
            "claim": f"Claim {cid} in one line, in our own words.",
            "lecture": f"What the lecture says about {cid}, restated (Random Initialization lecture).",
            "figures": CLAIM_FIGURES.get(cid, ["logistic"]),
        }
    specs["L14"]["experiments"] = ["scale", "deep"]
    return specs


def claim_rows(ids=tuple(CLAIM_FIGURES)) -> list[dict]:
    rows = []
    for i, cid in enumerate(ids):
        value = 0.9 - 0.05 * i
        rows.append(
            {
                "claim_id": cid,
                "claim": f"Claim {cid} in one line, in our own words.",
                "verdict": VERDICT_CYCLE[i % len(VERDICT_CYCLE)],
                "statistic": "mean test accuracy difference",
                "value": value,
                "ci_low": value - 0.02 if i % 4 else float("nan"),
                "ci_high": value + 0.03 if i % 4 else float("nan"),
                "threshold": 1e-12 if i % 2 else 0.05,
                "n_runs": 10 * (i + 1),
                "note": f"A nuance about {cid}." if i % 3 else "",
                "rule": f"{cid} holds when the 95% interval of the statistic lies above 0.05.",
                "details": json.dumps(
                    {
                        "checks": {
                            f"{cid} first test": {
                                "verdict": "holds",
                                "value": value,
                                "ci": [value - 0.02, value + 0.03],
                                "threshold": 0.05,
                                "n": 3,
                            },
                            f"{cid} second test": {
                                "verdict": "inconclusive",
                                "value": None,
                                "ci": [None, None],
                                "threshold": 0.0,
                                "n": 0,
                                "reason": "no seed",
                            },
                        },
                        "accuracy at 0.01": 0.93,
                        "saturation at 1000": 1.0,
                        "runs": 12,
                        "gap": 1.5e-13,
                        "widths": [4, 8],
                        "best linear accuracy": {"flower": 0.6875, "moons": 0.885},
                        "median iterations": {"tanh": {"0.01": 145.0, "100": None}, "sigmoid": {"0.01": 600.0, "100": None}},
                        "activation std by layer": {"tanh": {str(k): 0.7 ** k for k in range(1, 33)}},  # wider than the page
                    }
                ),
            }
        )
    return rows


def write_claims(rows: list[dict], path: Path) -> None:
    schema = pa.schema(
        [
            ("claim_id", pa.string()),
            ("claim", pa.string()),
            ("verdict", pa.string()),
            ("statistic", pa.string()),
            ("value", pa.float64()),
            ("ci_low", pa.float64()),
            ("ci_high", pa.float64()),
            ("threshold", pa.float64()),
            ("n_runs", pa.int64()),
            ("note", pa.string()),
            ("rule", pa.string()),
            ("details", pa.string()),
        ]
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def write_metrics(config: dict, path: Path) -> None:
    """The final-iteration rows of every run of ``config`` (only the columns the report reads)."""
    rows = []
    for name, exp in config["experiments"].items():
        for k, _run in enumerate(experiment_runs(name, exp)):
            rows.append(
                {
                    "experiment": name,
                    "iteration": exp["iterations"],
                    "iterations": exp["iterations"],
                    "diverged": k == 0 and name == "scale",
                    "trained_on": "numpy" if k % 2 else "jax 0.10.2 cpu",
                }
            )
            rows.append({"experiment": name, "iteration": 0, "iterations": exp["iterations"], "diverged": False,
                         "trained_on": "numpy" if k % 2 else "jax 0.10.2 cpu"})  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows), path)


def claims_file(specs: dict) -> dict:
    """The repository's config/claims.yaml with the fixture's claim texts, figures and experiments laid over
    it, so render_report reads it through the one validating loader."""
    doc = yaml.safe_load((REPO / "config" / "claims.yaml").read_text())
    for cid, spec in specs.items():
        spec = dict(spec)
        if "experiments" in spec:
            spec["experiment"] = spec.pop("experiments")
        doc["claims"][cid] = {**doc["claims"][cid], **spec}
    return doc


def make_inputs(root: Path, *, rows: list[dict] | None = None, specs: dict | None = None, config: dict | None = None) -> dict:
    """Write every input of render_report's ``main`` under ``root``; return main's keyword arguments."""
    root.mkdir(parents=True, exist_ok=True)
    config = config or cfg.load(REPO / "config" / "quick.yaml")
    specs = specs or claim_specs()
    rows = rows or claim_rows(tuple(specs))
    (root / "figures").mkdir(exist_ok=True)
    (root / "captions").mkdir(exist_ok=True)
    names = sorted({f for s in specs.values() for f in s["figures"]} | {"datasets"})
    figures, captions = [], []
    for k, name in enumerate(names):
        f = root / "figures" / f"{name}.png"
        f.write_bytes(png(40 + k, 30, (30 + 12 * k, 110, 200 - 8 * k)))
        c = root / "captions" / f"{name}.rst"
        c.write_text(
            f"The *{name}* figure: what it shows, with ``code`` and a config value {{{{ snakemake.config['dtype'] }}}}.\n"
        )
        figures.append(str(f))
        captions.append(str(c))
    write_claims(rows, root / "claims.parquet")
    (root / "claims.yaml").write_text(yaml.safe_dump(claims_file(specs), sort_keys=False))
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    write_metrics(config, root / "metrics.parquet")
    bench = root / "benchmarks"
    (bench / "train_shard" / "scale").mkdir(parents=True, exist_ok=True)
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (bench / "train_shard" / "scale" / "0000.tsv").write_text(
        header + "4.28\t0:00:04\t141.90\t1548.60\t90.34\t109.82\t0.00\t0.18\t61.03\t2.85\n"
    )
    (bench / "train_shard" / "scale" / "0001.tsv").write_text(
        header + "1.14\t0:00:01\t133.62\t1543.27\t66.66\t91.15\t0.00\t0.07\t42.91\t0.97\n"
    )
    (bench / "aggregate_metrics.tsv").write_text(header + "0.50\t0:00:00\t-\t-\t-\t-\t-\t-\t-\t-\n")
    return {
        "claims": str(root / "claims.parquet"),
        "claims_spec": str(root / "claims.yaml"),
        "config": str(root / "config.yaml"),
        "metrics": str(root / "metrics.parquet"),
        "template": str(TEMPLATE),
        "figures": figures,
        "captions": captions,
        "output": str(root / "report" / "index.html"),
        "benchmarks_dir": str(bench),
        "repo": str(REPO),
    }


# ---------------------------------------------------------------- Snakemake on the quick study


def snakemake(root: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Snakemake in ``root`` on config/quick.yaml (:func:`conftest.snakemake`: stdout and stderr together in ``.stdout``)."""
    from conftest import QUICK
    from conftest import snakemake as run

    return run(root, *args, "--configfile", QUICK, check=False, timeout=timeout)
