"""SLURM execution tests (issue 6).

* test_profiles_*: marked `slow` (two Snakemake dry-runs, ~10 s), no SLURM needed: both Snakemake profiles parse with the
  installed Snakemake/slurm plugin (unknown keys are errors) and the per-rule
  resources land where expected. Dry-runs on the toy workflow in ./toy.
* test_slurm_matches_local: marked `cluster`, skipped unless INITSTUDY_CLUSTER=1.
  Runs tests/cluster/run_cluster_test.sh: starts a private SLURM cluster
  (root; installs slurm+munge via apt if missing), runs the workflow through
  SLURM and locally, and requires identical results. Workflow/config are taken
  from INITSTUDY_WORKFLOW_DIR / INITSTUDY_CONFIGFILE (default: this repo,
  config/quick.yaml); INITSTUDY_WORKFLOW_DIR=tests/cluster/toy runs the toy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TOY = HERE / "toy"
PROFILES = REPO / "workflow" / "profiles"


def _have_slurm_plugin():
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return False
    return True


def _dry_run(tmp_path, *args):
    work = tmp_path / "wf"
    shutil.copytree(TOY, work)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--workflow-profile", "none", *args],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    return out


def _resources(out, rule):
    """The `resources:` line of the first job of `rule` in a dry-run log."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.strip() in (f"rule {rule}:", f"localrule {rule}:"):
            for nxt in lines[i + 1 : i + 15]:
                if nxt.strip().startswith("resources:"):
                    return nxt
    raise AssertionError(f"no resources line for rule {rule}:\n{out}")


@pytest.mark.slow
@pytest.mark.skipif(not _have_slurm_plugin(), reason="snakemake-executor-plugin-slurm not installed")
def test_profiles_slurm_parses(tmp_path):
    out = _dry_run(tmp_path, "--profile", str(PROFILES / "slurm"))
    assert "workflow/profiles/slurm" in out
    train = _resources(out, "train_shard")
    assert "mem_mb=2000" in train and "runtime=120" in train, train
    assert "cpus_per_task=1" in train, train
    dataset = _resources(out, "make_dataset")
    assert "mem_mb=1000" in dataset and "runtime=15" in dataset, dataset


@pytest.mark.slow
def test_profiles_default_parses(tmp_path):
    out = _dry_run(tmp_path, "--profile", str(PROFILES / "default"))
    assert "workflow/profiles/default" in out


@pytest.mark.cluster
@pytest.mark.skipif(os.environ.get("INITSTUDY_CLUSTER") != "1", reason="set INITSTUDY_CLUSTER=1 to run SLURM tests")
def test_slurm_matches_local():
    if os.geteuid() != 0:
        pytest.skip("the private SLURM cluster needs root (munged, slurmd)")
    env = dict(os.environ)
    env.setdefault("INITSTUDY_SNAKEMAKE", str(Path(sys.executable).parent / "snakemake"))
    # What SLURM runs: every training job (and the datasets). Claims, figures and the report are local
    # rules (the same code on the head node either way), so the test stops at the tables it compares.
    tables = "results/metrics.parquet results/layers.parquet results/params.parquet"
    env.setdefault("INITSTUDY_TARGETS", tables)
    env.setdefault("INITSTUDY_COMPARE", tables)
    timeout = int(env.get("INITSTUDY_CLUSTER_TIMEOUT", "1800"))
    proc = subprocess.run(
        ["bash", str(HERE / "run_cluster_test.sh")],
        env=env,
        capture_output=True,
        text=True,
        # two snakemake runs (each bounded by INITSTUDY_CLUSTER_TIMEOUT) + setup
        timeout=2 * timeout + 300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-20000:]
    assert "results identical" in out, out[-20000:]
