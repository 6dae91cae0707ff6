"""End to end: config/quick.yaml through real Snakemake in a fresh copy of the repository."""

from pathlib import Path

import pandas as pd
import pytest

from conftest import copy_repo, snakemake

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(quick_study):
    """The session's quick-study build (tests/conftest.py): these tests only read it."""
    return quick_study


PINNED = ROOT / "tests" / "data" / "quick_claims.csv"


def test_quick_claims_table_is_pinned(quick_run):
    """Every verdict, value and interval of the quick study, as the claims code gave them before it became a package
    (tests/data/quick_claims.csv). Change the pin only with the reason in the commit message."""
    from initstudy.tables import read_table

    got = read_table(quick_run / "results" / "claims.parquet")
    want = pd.read_csv(PINNED)
    assert list(got["claim_id"]) == list(want["claim_id"])
    assert list(got["verdict"]) == list(want["verdict"])
    for col in ("value", "ci_low", "ci_high", "threshold"):
        pd.testing.assert_series_equal(got[col], want[col], check_names=False, rtol=1e-12, atol=0)
    assert list(got["n_runs"]) == list(want["n_runs"])


def test_a_design_is_judged_on_the_rows_of_its_runs(quick_run):
    """benchmarks/design_cuts.py's premise: the claims step on the rows of a config's runs is that config's claims
    table. For the quick study's own config it is results/claims.parquet; with fewer seeds, fewer runs count."""
    import copy
    import sys

    from initstudy.tables import read_table

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import design_cuts

    base, rules, metrics, layers, linear = design_cuts.load(quick_run, "config/quick.yaml")
    got = design_cuts.judge(base, rules, metrics, layers, linear).reset_index()
    want = read_table(quick_run / "results" / "claims.parquet")
    cols = ["claim_id", "verdict", "value", "ci_low", "ci_high", "n_runs"]
    pd.testing.assert_frame_equal(got[cols], want[cols])
    smaller = copy.deepcopy(base)
    smaller["experiments"]["logistic"]["seeds"] = 1
    fewer = design_cuts.judge(smaller, rules, metrics, layers, linear)
    assert fewer.loc["L01", "n_runs"] < got.set_index("claim_id").loc["L01", "n_runs"]
    assert design_cuts.training_cost(smaller) < design_cuts.training_cost(base)


def test_quick_claims_and_measures_tables(quick_run):
    import json

    from initstudy import claims as C
    from initstudy.tables import read_table

    table = read_table(quick_run / "results" / "claims.parquet")
    assert list(table.columns) == list(C.COLUMNS)
    assert list(table["claim_id"]) == [f"L{i:02d}" for i in range(1, 15)] + [f"B{i:02d}" for i in range(1, 5)]
    assert set(table["verdict"]) <= set(C.VERDICTS)
    for row in table.itertuples():
        json.loads(row.details)
        assert row.rule and row.claim
        measures = read_table(quick_run / "results" / "measures" / f"{row.claim_id}.parquet", name="measures")
        assert list(measures.columns) == list(C.MEASURE_COLUMNS)
        if row.verdict != "inconclusive" or row.statistic:
            assert len(measures) and set(measures["claim_id"]) == {row.claim_id}
    decided = table[table["verdict"] != "inconclusive"]
    assert decided["value"].notna().all()
    # the mathematical facts hold on correct data
    assert (table.set_index("claim_id").loc[["L02", "L03"], "verdict"] == "holds").all()


def test_dry_run_lists_jobs_in_fresh_checkout(tmp_path):
    wd = copy_repo(tmp_path / "fresh")
    out = snakemake(wd, "-n").stdout
    assert "train_shard" in out and "aggregate_metrics" in out


def test_training_jobs_are_prioritised_by_their_estimated_cost(tmp_path):
    """Each train_shard job's priority is its shard's estimated seconds (longest first); datasets come first."""
    import re

    from initstudy import config, grid

    wd = copy_repo(tmp_path / "prio")
    out = snakemake(wd, "-n", "--configfile", "config/quick.yaml").stdout
    jobs = re.findall(r"rule (\w+):\n(?:    .*\n)*?    wildcards: (.*)\n(?:    .*\n)*?    priority: ([0-9.]+)", out)
    cfg = config.load(ROOT / "config" / "quick.yaml")
    want = {s.name: round(grid.shard_cost(s, cfg["experiments"][s.experiment]), 1) for s in grid.shards(cfg)}
    got = {}
    for rule, wildcards, priority in jobs:
        if rule == "train_shard":
            w = dict(kv.split("=") for kv in wildcards.split(", "))
            got[f"{w['experiment']}/{w['shard']}"] = float(priority)
        elif rule == "make_dataset":
            assert float(priority) == 1000
    assert got == want and len(set(got.values())) > 1


def test_lint_is_clean(tmp_path):
    wd = copy_repo(tmp_path / "lint")
    proc = snakemake(wd, "--lint", check=False)
    assert proc.returncode == 0, proc.stdout
    assert "Lints for" not in proc.stdout


def test_quick_tables_have_every_run_and_column(quick_run):
    from initstudy import config, grid
    from initstudy.tables import table_schema

    cfg = config.load(quick_run / "config" / "quick.yaml")
    n_runs = sum(len(s.runs) for s in grid.shards(cfg))
    m = pd.read_parquet(quick_run / "results" / "metrics.parquet")
    layers = pd.read_parquet(quick_run / "results" / "layers.parquet")
    assert list(m.columns) == list(table_schema("metrics")["columns"])
    assert list(layers.columns) == list(table_schema("layers")["columns"])
    assert m.groupby(list(grid.COORDINATES)).ngroups == n_runs
    assert (m.groupby(list(grid.COORDINATES))["iteration"].max() == m.groupby(list(grid.COORDINATES))["iterations"].max()).all()
    twin = ["twin_logit_gap", "twin_pred_diff", "twin_step_gap"]
    assert not m.drop(columns=["diverged", *twin]).select_dtypes("number").isna().any().any()
    # a width-1 twin exactly for the runs that start symmetric with one hidden layer (and never diverge)
    symmetric = m["init"].isin(["zeros", "constant"]) & (m["bias_init"] != "normal") & (m["depth"] == 1) & ~m["diverged"]
    assert m.loc[symmetric, twin].notna().all().all()
    assert m.loc[~symmetric & (m["depth"] != 1) | (m["init"] == "normal"), twin].isna().all().all()


def test_zero_init_gaps_are_exactly_zero_and_random_are_not(quick_run):
    layers = pd.read_parquet(quick_run / "results" / "layers.parquet")
    gaps = ["gap_act", "gap_dz", "gap_dw", "gap_w", "gap_wout"]
    wide = layers[layers.width > 1]
    symmetric = wide[wide.init.isin(["zeros", "constant"]) & (wide.bias_init == "zeros")]
    assert len(symmetric) > 0
    assert (symmetric[gaps] == 0).all().all()
    rnd = wide[(wide.init == "normal") & (wide.experiment == "symmetry")]
    assert len(rnd) > 0
    assert (rnd[["gap_act", "gap_w", "gap_wout"]] > 0).all().all()


def test_rerun_is_a_no_op(quick_run):
    out = snakemake(quick_run, "results/metrics.parquet", "-n", "--configfile", "config/quick.yaml").stdout
    assert "Nothing to be done" in out
