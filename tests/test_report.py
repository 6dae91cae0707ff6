"""The report: number formatting, grids and provenance helpers, the rendered HTML, the report target."""

import importlib.util
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

pytest.register_assert_rewrite("report_fixtures")
import report_fixtures as F

from initstudy import config as cfg
from initstudy import report as R
from initstudy.formatting import fmt_grid_value
from initstudy.grid import experiment_runs


SCRIPT = F.REPO / "workflow" / "scripts" / "render_report.py"


def load_script():
    spec = importlib.util.spec_from_file_location("render_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_report = load_script()


@pytest.fixture(scope="module")
def quick_config():
    return cfg.load(F.REPO / "config" / "quick.yaml")


def render(tmp_path, **changes) -> str:
    kwargs = F.make_inputs(tmp_path, **changes)
    render_report.main(**kwargs)
    return Path(kwargs["output"]).read_text()


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "x, text",
    [
        (0.932456, "0.932"),
        (12.0, "12"),
        (0.5, "0.5"),
        (1234.5, "1,234"),
        (0.0012345, "0.00123"),
        (0.0, "0"),
        (1e-13, "10⁻¹³"),
        (1.5e-13, "1.5×10⁻¹³"),
        (-2.5e-7, "−2.5×10⁻⁷"),
        (123456.0, "1.23×10⁵"),
        (-0.25, "−0.25"),
        (3, "3"),
        (12345, "12,345"),
        (True, "yes"),
        (None, "—"),
        (math.nan, "—"),
        (math.inf, "∞"),
        ("text", "text"),
    ],
)
def test_fmt(x, text):
    assert R.fmt(x) == text


def test_fmt_numpy_scalars():
    np = pytest.importorskip("numpy")
    assert R.fmt(np.float64(0.25)) == "0.25"
    assert R.fmt(np.int64(7)) == "7"
    assert R.fmt(np.bool_(False)) == "no"


def test_interval_is_empty_without_both_ends():
    assert R.interval(0.91, 0.95) == "[0.91, 0.95]"
    assert R.interval(math.nan, 0.95) == ""
    assert R.interval(None, None) == ""


def test_grid_values_print_as_written():
    assert [fmt_grid_value(v) for v in (0.001, 1000.0, 1.2, 0.01, 3)] == ["0.001", "1000", "1.2", "0.01", "3"]


# ---------------------------------------------------------------- claims, specs, grids


def test_claims_sort_lecture_first_then_beyond():
    ids = ["B02", "L10", "L02", "B01", "L14", "L01"]
    assert sorted(ids, key=R.claim_sort_key) == ["L01", "L02", "L10", "L14", "B01", "B02"]


def test_claim_specs_accepts_top_level_or_claims_key():
    spec = {"claim": "c", "figures": ["a"]}
    assert R.claim_specs({"L01": spec, "version": 1}) == {"L01": spec}
    assert R.claim_specs({"claims": {"L01": spec}, "defaults": {}}) == {"L01": spec}
    with pytest.raises(R.ReportError):
        R.claim_specs(["L01"])


def test_figure_names_in_claim_order_without_repeats_datasets_last():
    specs = {"L03": {"figures": ["gaps"]}, "L02": {"figures": ["gaps", "x"]}, "B01": {"figures": ["gaps", "b"]}}
    assert R.figure_names(specs) == ["gaps", "x", "b", "datasets"]
    assert R.figure_names({}) == ["datasets"]


def test_claim_experiments_from_config_and_spec(quick_config):
    assert R.claim_experiments("L05", {}, quick_config) == ["symmetry"]
    assert R.claim_experiments("L14", {}, quick_config) == ["scale", "deep_band"]
    assert R.claim_experiments("L01", {"experiment": "bias"}, quick_config) == ["logistic", "bias"]


def test_grid_rows_are_generated_from_the_config(quick_config):
    rows = dict(R.grid_rows("symmetry", quick_config["experiments"]["symmetry"]))
    assert rows["Units per hidden layer"] == "1, 4, 8"
    assert rows["Hidden activations"] == "tanh, sigmoid, relu"
    assert rows["Weight init (scale)"] == "zeros; constant at 0.5; normal at 0.01"
    assert rows["Seeds"] == "3 (seeds 0–2)"
    assert rows["Runs in the grid"] == str(len(experiment_runs("symmetry", quick_config["experiments"]["symmetry"])))
    scale = dict(R.grid_rows("scale", quick_config["experiments"]["scale"]))
    assert scale["Weight init (scale)"] == "normal at 0.01, 1, 100, 1000"
    assert scale["Learning rates"] == "0.3, 1.2"
    logistic = dict(R.grid_rows("logistic", quick_config["experiments"]["logistic"]))
    assert logistic["Hidden layers (depth)"] == "0 (logistic regression)"
    assert "Hidden activations" not in logistic  # meaningless without a hidden layer
    bias = dict(R.grid_rows("bias", quick_config["experiments"]["bias"]))
    assert bias["Bias init"] == "zeros; normal at 1"


def test_details_json_becomes_rows_tests_and_tables():
    test = {"verdict": "inconclusive", "value": 0.056, "ci": [0.00125, 0.1625], "threshold": 0.03, "n": 4, "reason": "straddles"}
    details = {
        "checks": {
            "equivalent accuracy": test,
            "runs are long": {"verdict": "holds", "value": 10.0, "ci": [10.0, 10.0], "threshold": 10, "n": 4},
        },
        "ln 2": 0.693147,
        "widths": [4, 8],
        "gap": 1.5e-13,
        "none": None,
        "best linear accuracy": {"blobs": 1.0, "flower": 0.6875},
        "median iterations": {"sigmoid": {"0.01": 600.0, "100": None}, "tanh": {"0.01": 145.0, "1": 35.0}},
    }
    blocks = R.detail_blocks(json.dumps(details))
    assert blocks["scalars"] == [("ln 2", "0.693"), ("widths", "4, 8"), ("gap", "1.5×10⁻¹³"), ("none", "—")]
    (checks,) = blocks["tests"]
    assert checks["title"] == "checks"
    first = checks["rows"][0]
    assert (
        first["name"],
        first["badge"]["verdict"],
        first["value"],
        first["interval"],
        first["threshold"],
        first["n"],
        first["reason"],
    ) == (
        "equivalent accuracy",
        "inconclusive",
        "0.056",
        "[0.00125, 0.163]",
        "0.03",
        "4",
        "straddles",
    )
    pairs, matrix = blocks["tables"]
    assert pairs["kind"] == "pairs" and [(r["key"], r["cells"]) for r in pairs["rows"]] == [
        ("blobs", ["1"]),
        ("flower", ["0.688"]),
    ]
    assert matrix["kind"] == "matrix" and matrix["columns"] == ["0.01", "100", "1"]
    assert [(r["key"], r["cells"]) for r in matrix["rows"]] == [("sigmoid", ["600", "—", ""]), ("tanh", ["145", "", "35"])]
    assert R.detail_blocks("") == {"scalars": [], "tests": [], "tables": []} == R.detail_blocks(None)
    with pytest.raises(json.JSONDecodeError):
        R.detail_blocks("{not json")


def test_verdict_badges_and_counts():
    assert R.verdict_badge("fails")["symbol"] == "✗"
    with pytest.raises(R.ReportError, match="unknown verdict"):
        R.verdict_badge("maybe")
    counts = {c["verdict"]: c["count"] for c in R.verdict_counts(["holds", "holds", "fails"])}
    assert counts == {"holds": 2, "fails": 1, "inconclusive": 0}


def test_benchmark_summary_per_rule():
    records = [
        {"rule": "train_shard", "s": 4.0, "max_rss": 140.0},
        {"rule": "train_shard", "s": 1.0, "max_rss": None},
        {"rule": "make_dataset", "s": 0.5, "max_rss": math.nan},
    ]
    rows = R.benchmark_summary(records)
    assert [r["rule"] for r in rows] == ["train_shard", "make_dataset"]
    assert rows[0] == {"rule": "train_shard", "jobs": 2, "total_s": 5.0, "max_s": 4.0, "max_rss_mb": 140.0}
    assert math.isnan(rows[1]["max_rss_mb"])


def test_read_benchmarks_names_rules_by_folder(tmp_path):
    kwargs = F.make_inputs(tmp_path)
    records = render_report.read_benchmarks(kwargs["benchmarks_dir"])
    assert sorted(r["rule"] for r in records) == ["aggregate_metrics", "train_shard", "train_shard"]
    assert render_report.read_benchmarks(tmp_path / "nowhere") == []


def test_report_context_refuses_inconsistent_inputs(quick_config):
    specs = F.claim_specs()
    rows = F.claim_rows()
    figures = {n: {"name": n} for n in R.figure_names(specs)}
    ctx = {"figures": figures, "runs": {}, "provenance": {}}
    assert len(R.report_context(rows, specs, quick_config, **ctx)["claims"]) == 14
    with pytest.raises(R.ReportError, match="not in config/claims.yaml"):
        R.report_context(rows + [{**rows[0], "claim_id": "B04"}], specs, quick_config, **ctx)
    with pytest.raises(R.ReportError, match="more than once"):
        R.report_context(rows + [rows[0]], specs, quick_config, **ctx)
    with pytest.raises(R.ReportError, match="figure"):
        R.report_context(rows, specs, quick_config, figures={"datasets": {}}, runs={}, provenance={})
    # an experiment the config leaves out (load_claims refuses a typo before any job runs): the claim is not run
    entry = R.report_context(rows, {**specs, "L01": {**specs["L01"], "experiment": "nope"}}, quick_config, **ctx)["claims"][0]
    assert entry["id"] == "L01" and entry["not_run"] and entry["missing_experiments"] == "nope"


def test_not_run_claim_and_measures_link_in_the_report(tmp_path):
    specs = F.claim_specs()
    html = render(tmp_path, specs={**specs, "L01": {**specs["L01"], "experiment": "nope"}})
    assert "Not run." in html and "results/measures/L01.parquet" in html
    assert "[95% interval]" in html  # the level comes from the rules (0.95), not typed in the template


def test_new_claim_ids_need_no_template_change(tmp_path, quick_config):
    ids = (*F.CLAIM_FIGURES, "B01", "B02")
    specs = F.claim_specs(ids)
    html = render(tmp_path, specs=specs, rows=F.claim_rows(ids))
    for cid in ("B01", "B02"):
        assert f'id="{cid}"' in html and f'href="#{cid}"' in html
    assert html.index('id="L14"') < html.index('id="B01"')


# ---------------------------------------------------------------- captions and provenance


def test_caption_rst_is_rendered_and_raw_html_refused():
    html = render_report.caption_html(
        "Gap of *dz1* with ``code`` at dtype {{ snakemake.config['dtype'] }}.", {"dtype": "float64"}
    )
    assert "<em>dz1</em>" in html and "float64" in html and "code" in html
    raw = render_report.caption_html(".. raw:: html\n\n   <script>alert(1)</script>\n\nText <b>bold</b>.\n", {})
    assert "<script>" not in raw and "&lt;b&gt;" in raw


def test_git_info_outside_a_repository(tmp_path):
    info = render_report.git_info(tmp_path)
    assert info["commit"] is None and info["error"]


def test_git_info_in_a_repository(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    run = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)
    run("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    run("add", "a.txt")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    info = render_report.git_info(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", info["commit"]) and info["dirty"] is False
    (tmp_path / "a.txt").write_text("b")
    assert render_report.git_info(tmp_path)["dirty"] is True


def test_package_versions_list_the_pins():
    rows = {r["name"].lower(): r for r in render_report.package_versions()}
    assert {"snakemake", "numpy", "jinja2"} <= set(rows)
    assert all(r["installed"] for r in rows.values())


# ---------------------------------------------------------------- the rendered page


def test_report_is_self_contained_and_complete(tmp_path):
    html = render(tmp_path)
    for cid in F.CLAIM_FIGURES:
        assert f'<section class="claim" id="{cid}"' in html
        assert f'<td class="id"><a href="#{cid}">{cid}</a></td>' in html
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'(href|src)="(https?:)?//', html), "the report must not load anything from the network"
    assert "<script" not in html
    assert "0.85" in html and "[0.83, 0.88]" in html  # L02's value and interval from the claims table
    assert "1.5×10⁻¹³" in html  # a details number
    assert "Runs in the grid" in html and "flower, moons" in html  # the generated grid
    assert "train_shard" in html  # the benchmark summary
    assert "float64" in html  # the caption, Jinja-rendered against the config as run


def test_figures_appear_in_their_claim_sections(tmp_path):
    html = render(tmp_path)
    l09 = html[html.index('id="L09"') : html.index('id="L10"')]
    assert 'id="L09-fig-learning_curves"' in l09 and 'id="L09-fig-iterations_to_target"' in l09
    assert 'id="fig-datasets"' in html


def test_strings_from_config_and_data_are_escaped(tmp_path, quick_config):
    evil = "<script>alert('x')</script>"
    rows = F.claim_rows()
    nested = {
        evil: evil,
        "checks": {evil: {"verdict": "holds", "value": 1.0, "ci": [0, 1], "threshold": 0, "n": 1, "reason": evil}},
        "table": {evil: {evil: evil}},
    }
    rows[0] = {**rows[0], "note": evil, "claim": evil, "rule": evil, "statistic": evil, "details": json.dumps(nested)}
    specs = F.claim_specs()
    specs["L01"]["lecture"] = evil + " (Random Initialization lecture)"  # the loader requires the citation
    config = json.loads(json.dumps(quick_config))
    config["experiments"]["logistic"]["description"] = evil
    html = render(tmp_path, rows=rows, specs=specs, config=config)
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 13


def test_template_fails_on_a_missing_key(tmp_path):
    kwargs = F.make_inputs(tmp_path)
    template = tmp_path / "t.html.j2"
    template.write_text("{{ claims|length }} {{ no_such_key }}")
    with pytest.raises(jinja2.UndefinedError):
        render_report.main(**{**kwargs, "template": str(template)})
    assert not Path(kwargs["output"]).exists(), "a failed render must not leave a report behind"


def test_real_template_needs_every_key(tmp_path, quick_config):
    specs = F.claim_specs()
    figures = {
        n: {"name": n, "src": "data:image/png;base64,", "width": 1, "height": 1, "caption": "", "script": ""}
        for n in R.figure_names(specs)
    }
    git = {"commit": None, "short": None, "dirty": None, "changed": [], "error": "not a git repository"}
    provenance = {"generated": "now", "git": git, "packages": [], "benchmarks": [], "benchmarks_total": {}, "config_text": ""}
    ctx = R.report_context(F.claim_rows(), specs, quick_config, figures=figures, runs={}, provenance=provenance)
    with pytest.raises(jinja2.UndefinedError, match="configfiles"):
        render_report.render(F.TEMPLATE, ctx)
    ctx["provenance"]["configfiles"] = ["config/full.yaml"]
    with pytest.raises(jinja2.UndefinedError, match="machine"):
        render_report.render(F.TEMPLATE, ctx)
    ctx["provenance"]["machine"] = render_report.machine_info()
    with pytest.raises(jinja2.UndefinedError, match="backend"):
        render_report.render(F.TEMPLATE, ctx)
    ctx["provenance"].update(backend="auto", trained_on=[{"name": "jax 0.10.2 gpu (NVIDIA H200)", "runs": "1,000"}])
    html = render_report.render(F.TEMPLATE, ctx)
    assert "config <code>config/full.yaml</code>" in html  # which config produced the report
    assert "code version unknown (not a git repository)" in html
    assert "the steps ran on jax 0.10.2 gpu (NVIDIA H200) (1,000 runs)" in html


def test_provenance_counts_runs_by_what_trained_them(tmp_path):
    path = tmp_path / "metrics.parquet"
    F.write_metrics(F.cfg.load(F.REPO / "config" / "quick.yaml"), path)
    got = {t["name"]: t["runs"] for t in render_report.trained_on(path)}
    assert set(got) == {"numpy", "jax 0.10.2 cpu"}


def test_render_script_follows_the_rule_conventions():
    text = SCRIPT.read_text()
    assert 'if "snakemake" in globals():' in text and "snakemake.config" not in text
    assert "from __future__" not in text  # Snakemake prepends a preamble to scripts


# ---------------------------------------------------------------- the Snakemake rules (end to end on the quick study)


def jobs_planned(root: Path, *targets: str) -> dict[str, int]:
    proc = F.snakemake(root, *targets, "-n", "--quiet", "rules")
    assert proc.returncode == 0, proc.stdout[-3000:]
    jobs = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^([a-z_]+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            jobs[m.group(1)] = int(m.group(2))
    return jobs


@pytest.mark.slow
def test_report_target_rerenders_without_retraining(quick_study):
    """Editing the template or a caption re-renders the report only; a newer plot script redraws its figure too."""
    root = quick_study
    targets = {"all", "report"}
    assert jobs_planned(root, "report") == {}
    template = root / "workflow" / "report" / "template.html.j2"
    original = template.read_text()
    try:
        template.write_text(original + "{# edited #}\n")
        assert set(jobs_planned(root, "report")) - targets == {"render_report"}
    finally:
        template.write_text(original)
    captions = sorted((root / "workflow" / "report" / "captions").glob("*.rst"))
    original = captions[0].read_text()
    try:
        captions[0].write_text(original + "\nEdited.\n")
        assert set(jobs_planned(root)) - targets == {"render_report"}
    finally:
        captions[0].write_text(original)
    name = captions[0].stem
    (
        root / "workflow" / "scripts" / f"plot_{name}.py"
    ).touch()  # Snakemake reruns a script rule whose script is newer than its output
    assert set(jobs_planned(root, "report")) - targets == {f"plot_{name}", "render_report"}


@pytest.mark.slow
def test_snakemake_report_builds(quick_study):
    out = quick_study / "report" / "snakemake-report.html"
    proc = F.snakemake(quick_study, "--report", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert out.stat().st_size > 10_000


@pytest.mark.slow
def test_quick_report_shows_every_claim(quick_study):
    html = (quick_study / "report" / "index.html").read_text()
    claims = yaml.safe_load((quick_study / "config" / "claims.yaml").read_text())
    for cid in R.claim_specs(claims):
        assert f'id="{cid}"' in html
