"""Shared fixtures: a fresh copy of the repository to run real Snakemake in, and its tables.

A copy holds the repository's own files (tracked and untracked-but-not-ignored, as git lists
them; no results/, logs/ or .snakemake/), and snakemake runs there with ``PYTHONPATH`` pointing at
the copy's ``src/``, so the code under test is the copy's, not the editable install's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TABLES = ("metrics", "layers", "params")
TINY = "tests/configs/tiny.yaml"
QUICK = "config/quick.yaml"
_SKIP_DIRS = {".git", ".venv", "results", "logs", "report", ".snakemake", "__pycache__", ".pytest_cache", ".ruff_cache"}


@cache
def repo_files() -> tuple[str, ...]:
    """The repository's files, relative to its root (git's view when git is there)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout.decode()
        files = [f for f in out.split("\0") if f]
    except (OSError, subprocess.SubprocessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
            files += [str(Path(dirpath, f).relative_to(ROOT)) for f in filenames]
    return tuple(f for f in files if (ROOT / f).is_file())


def copy_repo(dest: Path) -> Path:
    """A fresh copy of the repository in ``dest`` (a few dozen small files: milliseconds)."""
    for rel in repo_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


def snakemake(
    workdir: Path, *args: str, env: dict | None = None, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir`` on the copy's own code; stdout and stderr together in ``.stdout``."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE_")}
    e.setdefault("INITSTUDY_JAX_CACHE", str(ROOT / ".cache" / "jax"))  # shared by every copy: compile once per shape
    e.update(PYTHONPATH=str(workdir / "src"), **(env or {}))
    proc = subprocess.run(
        [*SNAKEMAKE, *args],
        check=False,
        cwd=workdir,
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc


def read_tables(workdir: Path) -> dict:
    """The aggregated tables of a run, as Arrow tables (exact, typed)."""
    return {name: pq.read_table(workdir / "results" / f"{name}.parquet") for name in TABLES}


def assert_same_tables(a: dict, b: dict) -> None:
    """Exactly equal tables: same columns, types, rows, order and bits (as DataFrames too)."""
    import pandas.testing as pdt

    for name in TABLES:
        assert a[name].schema == b[name].schema, name
        assert a[name].num_rows == b[name].num_rows > 0, name
        assert a[name].equals(b[name]), f"{name}.parquet differs"
        if name != "params":  # list columns: Arrow equality above is the exact check
            pdt.assert_frame_equal(a[name].to_pandas(), b[name].to_pandas(), check_exact=True)


def same_bits(a, b) -> bool:
    """Arrays equal to the last bit (floats compared as bytes: -0.0 differs from 0.0, NaN equals NaN);
    strings and lists element by element."""
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype == object or b.dtype == object:
        return all(same_bits(x, y) for x, y in zip(a, b))
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return bool(np.array_equal(a, b))


def leftover_temporaries(workdir: Path) -> list[Path]:
    """Temporary files of atomic writes (``.name.XXXX.tmp.ext``) anywhere under results/."""
    return sorted(p for p in (workdir / "results").rglob(".*.tmp*"))


def expect_only_tiny_jobs(workdir: Path, configfile: str = TINY) -> None:
    """Guard: a dry run of a tiny config must plan tiny jobs only, never the default study.

    (If --configfile were deep-merged into config/config.yaml, the full study would run.)
    """
    out = snakemake(workdir, "aggregate_metrics", "-n", "--configfile", configfile).stdout
    foreign = sorted({line.split("/")[2] for line in out.split() if line.startswith("results/train/")} - {"wide", "narrow"})
    if foreign:
        pytest.fail(f"--configfile {configfile} pulls in experiments {foreign} from config/config.yaml: refusing to run them")


@pytest.fixture
def repo(tmp_path) -> Path:
    """A fresh copy of the repository, ready for snakemake."""
    return copy_repo(tmp_path / "repo")


@dataclass(frozen=True)
class Build:
    wd: Path  # the workdir it was built in (copy it with copy_built before changing anything)
    tables: dict  # its aggregated tables


def run_all(jobs: dict[str, tuple], parallel: int = 4) -> dict[str, subprocess.CompletedProcess]:
    """``{key: snakemake(*args, **kwargs)}`` for ``jobs = {key: (args, kwargs)}``, several at once.

    Snakemake spends much of its wall time waiting (job polling, process start-up), so independent
    runs overlap well even on 2 cores.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = {key: pool.submit(snakemake, *args, **kwargs) for key, (args, kwargs) in jobs.items()}
        return {key: f.result() for key, f in futures.items()}


def tiny_variant(wd: Path, **changes) -> str:
    """Write tests/configs/tiny.yaml with top-level ``changes`` into ``wd``; return its path there."""
    import yaml

    config = yaml.safe_load((ROOT / TINY).read_text())
    config.update(changes)
    (wd / "variant.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return "variant.yaml"


BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


@pytest.fixture(scope="session")
def tiny_builds(tmp_path_factory) -> dict[str, Build]:
    """The tiny study built several ways at once, each in its own fresh copy of the repository.

    ``reference``: 2 cores, the largest shards (one job per experiment); ``one_core``: --cores 1;
    ``shard_size_1``: one job per run; ``blas_threads``: 2 BLAS/OpenMP threads in the environment.
    Each must give the very same tables (tests/test_determinism.py).
    """
    base = tmp_path_factory.mktemp("tiny")
    wds = {key: copy_repo(base / key) for key in ("reference", "one_core", "shard_size_1", "blas_threads")}
    expect_only_tiny_jobs(wds["reference"])
    target = ("aggregate_metrics", "--configfile")
    jobs = {
        "reference": ((wds["reference"], *target, TINY, "--cores", "2"), {}),
        "one_core": ((wds["one_core"], *target, TINY, "--cores", "1"), {}),
        "shard_size_1": ((wds["shard_size_1"], *target, tiny_variant(wds["shard_size_1"], shard_size=1), "--cores", "2"), {}),
        "blas_threads": ((wds["blas_threads"], *target, TINY, "--cores", "2"), {"env": BLAS_THREADS}),
    }
    run_all(jobs)
    return {key: Build(wd, read_tables(wd)) for key, wd in wds.items()}


@pytest.fixture(scope="session")
def tiny_reference(tiny_builds) -> Build:
    """The tiny study built once, uninterrupted, with 2 cores: the tables every variant must equal."""
    return tiny_builds["reference"]


def copy_built(reference: Build, dest: Path) -> Path:
    """A copy of a built workdir (results, logs, Snakemake's metadata, mtimes kept)."""
    shutil.copytree(reference.wd, dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def quick_study(tmp_path_factory) -> Path:
    """A fresh copy of the repository in which ``snakemake report`` has built the quick study (config/quick.yaml)
    and its report, once per session: the pipeline, report and browser tests all read this one build."""
    root = copy_repo(tmp_path_factory.mktemp("quick") / "repo")
    snakemake(root, "report", "--cores", "2", "--configfile", QUICK, timeout=900)
    assert (root / "report" / "index.html").is_file(), f"snakemake report built no report in {root}"
    return root
