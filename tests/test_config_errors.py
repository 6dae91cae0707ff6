"""Bad input is refused before any job runs, with one plain line per problem and no traceback.

The corpus tests/configs/bad/ holds malformed configs, one mistake each (several_errors.yaml:
three), and expected.yaml lists the fragments each message must contain. Every file is checked
through initstudy.config.load (fast); a representative handful also through real `snakemake`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from initstudy import config as cfg
from initstudy import safeyaml

BAD = ROOT / "tests" / "configs" / "bad"
EXPECTED: dict = yaml.safe_load((BAD / "expected.yaml").read_text())
CORPUS = sorted(p.name for p in BAD.glob("*.yaml") if p.name != "expected.yaml")


def refusal(path: Path) -> str:
    with pytest.raises(cfg.ConfigError) as info:
        cfg.load(path)
    return str(info.value)


def test_corpus_is_large_and_every_file_has_its_expectation():
    assert len(CORPUS) >= 30
    assert set(CORPUS) == set(EXPECTED), "tests/configs/bad/expected.yaml and the folder disagree"
    families = {spec["family"] for spec in EXPECTED.values()}
    assert {"not a config", "unknown key", "unknown value", "out of range", "wrong type", "dangerous string"} <= families


@pytest.mark.parametrize("name", CORPUS)
def test_bad_config_is_refused_with_a_precise_message(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    message = refusal(BAD.relative_to(ROOT) / name)
    for fragment in EXPECTED[name]["expect"]:
        assert fragment in message, f"{name}: {fragment!r} not in:\n{message}"
    for line in message.splitlines():
        assert line.startswith(f"tests/configs/bad/{name}: "), f"every line names the file: {line!r}"
        assert any(fragment in line for fragment in EXPECTED[name]["expect"]), f"{name}: unexpected problem reported: {line!r}"
    assert "Traceback" not in message


@pytest.mark.parametrize(
    "path",
    [
        "config/config.yaml",
        "config/quick.yaml",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "configs").glob("*.yaml")),
    ],
)
def test_shipped_configs_are_valid(path):
    config = cfg.load(ROOT / path)
    assert config["experiments"] and config["datasets"]


def test_later_files_and_overrides_win_key_by_key(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(
        "shard_size: 8\ndatasets:\n  flower: {kind: flower}\nexperiments:\n  tiny: {datasets: [flower], inits: [normal], seeds: 3}\n"
    )
    more = tmp_path / "more.yaml"
    more.write_text("experiments:\n  tiny: {seeds: 5}\n")
    config = cfg.load(base, more, overrides={"shard_size": 2})
    assert config["shard_size"] == 2
    assert config["experiments"]["tiny"]["seeds"] == 5
    assert config["experiments"]["tiny"]["inits"] == ["normal"]
    with pytest.raises(cfg.ConfigError, match=r"shard_size: must be at least 1, not 0"):
        cfg.load(base, overrides={"shard_size": 0})


def test_defaults_are_filled_and_input_is_not_modified(tmp_path):
    raw = {"datasets": {"flower": {"kind": "flower"}}, "experiments": {"tiny": {"datasets": ["flower"], "inits": ["normal"]}}}
    config = cfg.validate(raw)
    assert config["shard_size"] == 256 and config["experiments"]["tiny"]["iterations"] == 10000
    assert "shard_size" not in raw


def test_every_schema_key_has_a_description_and_every_optional_key_a_default():
    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            assert "description" in sub, f"{path}{key} has no description"
            required = key in node.get("required", [])
            assert required or "default" in sub, f"{path}{key} has no default"
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, path + "*.")

    schema = cfg.load_schema()
    walk(schema, "")
    for key in ("datasets", "experiments"):
        walk(schema["properties"][key]["additionalProperties"], f"{key}.*.")


def test_every_string_is_an_enum_or_a_pattern():
    """No free-form string in the schema: each reaches paths, shells or HTML only after a whitelist."""

    def strings(node, path):
        if isinstance(node, dict):
            if node.get("type") == "string" and not ({"enum", "pattern"} & set(node)):
                yield path
            for key, sub in node.items():
                if key != "$defs" or path == "":
                    yield from strings(sub, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                yield from strings(sub, f"{path}[{i}]")

    schema = cfg.load_schema()
    assert list(strings(schema, "")) == []


def test_check_command_names_the_file_in_one_line(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    for name in (n for n in CORPUS if EXPECTED[n]["family"] == "not a config"):
        assert cfg.main([f"tests/configs/bad/{name}"]) == 1
        lines = capsys.readouterr().err.splitlines()
        assert lines[0] == "initstudy: invalid config:"
        assert len(lines) == 2 and lines[1].startswith(f"tests/configs/bad/{name}: "), lines
    assert cfg.main(["tests/configs/bad/missing-file.yaml"]) == 1
    assert "missing-file.yaml: cannot read the config file (No such file or directory)" in capsys.readouterr().err
    assert cfg.main(["config/quick.yaml"]) == 0
    assert "config/quick.yaml: ok" in capsys.readouterr().out


def test_check_command_as_a_process_prints_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "initstudy.config", "tests/configs/bad/binary.yaml"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert (
        proc.stderr
        == "initstudy: invalid config:\ntests/configs/bad/binary.yaml: not a text (UTF-8) file: byte 0 cannot be decoded\n"
    )


# --- hostile input: bounded in time and memory ---------------------------------------------


def check_bounded(path: Path, *extra: str, seconds: float = 20) -> subprocess.CompletedProcess:
    """``python -m initstudy.config PATH`` in a process capped at 1.5 GB and ``seconds``: a regression
    (an alias expanded, a huge list validated item by item) fails this test instead of hanging CI."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "initstudy.config", str(path), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds, preexec_fn=cap, check=False,
    )  # fmt: skip


HEAD = "datasets:\n  flower: {kind: flower, n_train: 40, n_test: 40}\nexperiments:\n  tiny:\n    inits: [normal]\n"


@pytest.mark.parametrize(
    ("case", "text", "fragment"),
    [
        ("comments", "# a comment line of the kind a careless generator writes\n" * 50_000 + HEAD + "    datasets: [flower]\n",
         "larger than 256000 bytes"),
        ("long_list", HEAD + "    datasets: [flower]\n    scales: [" + "0.1, " * 25_000 + "0.1]\n", "more than 20000 values"),
        ("deep_flow", HEAD + "    datasets: [flower]\n    scales: " + "[" * 10_000 + "]" * 10_000 + "\n",
         "nested deeper than 20 levels"),
        ("undefined_datasets", HEAD + "    datasets: [" + ", ".join(f"d{i}" for i in range(5_000)) + "]\n",
         "... and 4980 more problems"),
    ],
)  # fmt: skip
def test_huge_or_deep_files_are_refused_in_seconds_with_a_short_message(tmp_path, case, text, fragment):
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    proc = check_bounded(path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert fragment in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr) < 8_000 and len(proc.stderr.splitlines()) <= 22, f"message of {len(proc.stderr)} characters"


def test_alias_bomb_is_refused_by_the_loader_and_by_validate(tmp_path):
    """Through the file (aliases counted as they are composed) and through validate() on data that
    already shares references (what Snakemake's own loader hands over): never expanded."""
    proc = check_bounded(BAD / "alias_bomb.yaml", seconds=10)
    assert proc.returncode == 1 and "more than 20000 values" in proc.stderr
    lol = ["lol"] * 10
    for _ in range(8):
        lol = [lol] * 10  # 10^9 strings if copied
    raw = {"datasets": {"flower": {"kind": "flower"}}, "experiments": {"tiny": {"datasets": ["flower"], "inits": ["normal"]}}}
    raw["x"] = lol
    with pytest.raises(cfg.ConfigError, match=r"^cli: more than 20000 values \(aliases counted"):
        cfg.validate(raw, source="cli")


def test_anchors_and_merge_keys_within_bounds_still_work(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text(HEAD.replace("inits: [normal]", "inits: [normal]\n    scales: &s [0.1, 1.0]") + "    datasets: [flower]\n"
                    "  other: {datasets: [flower], inits: [he_normal], scales: *s}\n")  # fmt: skip
    config = cfg.load(path)
    assert config["experiments"]["other"]["scales"] == [0.1, 1.0]
    config["experiments"]["other"]["scales"].append(3.0)  # a copy, not shared with 'tiny'
    assert config["experiments"]["tiny"]["scales"] == [0.1, 1.0]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("datasets.flower.kind=moons", "write datasets=\"{flower: {kind: moons}}\" (mappings merge key by key)"),
        ("shard_size", "write KEY=VALUE"),
        ("shard_size=0", "shard_size: must be at least 1, not 0"),
        ("dtype=float16", "dtype: 'float16' is not one of float64, float32"),
        ("experiments=[&a [1,1,1,1,1,1,1,1,1,1], [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]]", "experiments: must be a mapping"),
    ],
)
def test_config_overrides_are_checked_like_snakemake_reads_them(entry, fragment, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cfg.main(["config/quick.yaml", "--config", entry]) == 1
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err, err
    assert cfg.main(["config/quick.yaml", "--config", "shard_size=8", "dtype=float32"]) == 0
    assert "config/quick.yaml + --config: ok" in capsys.readouterr().out
    assert cfg.parse_overrides(["shard_size=8", "dtype=float32", "datasets={flower: {kind: moons}}"]) == {
        "shard_size": 8, "dtype": "float32", "datasets": {"flower": {"kind": "moons"}}
    }  # fmt: skip


def test_make_checks_the_config_before_snakemake_runs_it(tmp_path):
    """`make study` runs `python -m initstudy.config` first: a YTE template (which Snakemake itself would
    evaluate as Python before the Snakefile runs) never reaches Snakemake."""
    marker = tmp_path / "evaluated"
    bad = tmp_path / "yte.yaml"
    template = (BAD / "yte.yaml").read_text()
    bad.write_text(template.replace('?"evaluated " + "code"', f"?__import__('pathlib').Path({str(marker)!r}).touch()"))
    stamp = tmp_path / "stamp"
    stamp.touch()  # newer than pyproject.toml: make does not set up a venv
    proc = subprocess.run(
        ["make", "-s", "study", f"CONFIG={bad}", f"STAMP={stamp}", f"BIN={Path(sys.executable).parent}", "CORES=1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "__use_yte__: YTE templates are not allowed" in proc.stderr
    assert not marker.exists(), "the template was evaluated"
    proc = subprocess.run(
        ["make", "-s", "study", "CONFIG=config/quick.yaml", "OVERRIDES=datasets.flower.kind=moons", f"STAMP={stamp}",
         f"BIN={Path(sys.executable).parent}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0 and "is not a key --config accepts" in proc.stderr and "Traceback" not in proc.stderr


# --- through real Snakemake -------------------------------------------------------------------

SCHEMA_CASES = ["negative_scale", "unknown_experiment_key", "dotdot_experiment", "alias_bomb", "periodic_name", "too_many_shards"]
# These need common.smk to read the config through initstudy.config.load (Snakemake's own loader
# keeps the last of two equal keys, and hands over data without its file name).
FILE_NAMED = ["negative_scale", "duplicate_key", "shell_dataset"]
PARSE_CASES = ["not_yaml", "empty"]  # Snakemake itself refuses these before our code runs
REAL_RUN = "shell_dataset"  # refused by a real run (not -n) too


def results_snapshot(wd: Path) -> dict:
    return {
        str(p.relative_to(wd)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((wd / "results").rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict:
    """Each case run through snakemake (all at once) in its own repository copy whose results/
    already holds a file; ``{case: (process, results before, results after, workdir)}``."""
    from conftest import copy_repo, run_all

    base = tmp_path_factory.mktemp("refusals")
    wds, before = {}, {}
    for case in [*SCHEMA_CASES, "duplicate_key", *PARSE_CASES, REAL_RUN]:
        wd = wds[case] = copy_repo(base / case)
        kept = wd / "results" / "metrics.parquet"
        kept.parent.mkdir(parents=True)
        kept.write_bytes(b"previous results")
        os.utime(kept, (1_000_000_000, 1_000_000_000))
        before[case] = results_snapshot(wd)
    jobs = {
        case: ((wds[case], "-n", "--configfile", f"tests/configs/bad/{case}.yaml"), {"check": False})
        for case in [*SCHEMA_CASES, "duplicate_key", *PARSE_CASES]
    }
    jobs[REAL_RUN] = ((wds[REAL_RUN], "--cores", "2", "--configfile", f"tests/configs/bad/{REAL_RUN}.yaml"), {"check": False})
    procs = run_all(jobs)
    return {case: (procs[case], before[case], results_snapshot(wds[case]), wds[case]) for case in jobs}


@pytest.mark.slow
@pytest.mark.parametrize("case", [*SCHEMA_CASES, REAL_RUN])
def test_snakemake_refuses_before_any_job(refusals, case):
    proc, before, after, wd = refusals[case]
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout
    for fragment in EXPECTED[f"{case}.yaml"]["expect"]:
        fragment = fragment.split(".yaml: ", 1)[-1]  # the file name: see the next test
        assert fragment in proc.stdout, proc.stdout
    assert after == before, "results/ must not change"
    assert not (wd / "logs").exists(), "no job may have started"


@pytest.mark.slow
@pytest.mark.parametrize("case", FILE_NAMED)
def test_snakemake_messages_name_the_config_file(refusals, case):
    """Every line names the file, and a key given twice is refused (YAML would keep the last)."""
    proc = refusals[case][0]
    assert proc.returncode != 0 and "Traceback" not in proc.stdout, proc.stdout
    problems = proc.stdout.split("initstudy: invalid config:\n", 1)[-1].splitlines()
    assert problems and all(line.startswith(f"tests/configs/bad/{case}.yaml: ") for line in problems), proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("case", PARSE_CASES)
def test_file_snakemake_cannot_parse_is_refused_without_traceback(refusals, case):
    """Snakemake parses a --configfile itself before our code runs, and its message does not name
    the file; `python -m initstudy.config FILE` does (test_check_command_names_the_file_in_one_line)."""
    proc, before, after, _ = refusals[case]
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout
    assert "Config file" in proc.stdout
    assert after == before


@pytest.mark.slow
def test_configfile_replaces_the_default_config(tiny_reference):
    """A --configfile is the whole config: Snakemake alone would deep-merge it into config/config.yaml,
    silently adding the default study's experiments and datasets (and their descriptions)."""
    metrics = tiny_reference.tables["metrics"]
    assert set(metrics.column("experiment").to_pylist()) == {"wide", "narrow"}
    assert set(metrics.column("dataset").to_pylist()) == {"flower", "moons"}
    assert sorted(p.name for p in (tiny_reference.wd / "results" / "datasets").iterdir()) == ["flower.parquet", "moons.parquet"]


def _load_or_refusal(text: str, loader) -> object:
    try:
        return ("data", yaml.load(text, Loader=loader))
    except yaml.YAMLError as exc:
        return ("refused", exc.problem) if isinstance(exc, safeyaml.Refused) else ("not yaml", None)


@pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False), reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "configs").rglob("*.yaml")) + sorted((ROOT / "config").glob("*.yaml")),
                         ids=lambda p: str(p.relative_to(ROOT)))  # fmt: skip
def test_libyaml_reader_gives_what_the_pure_python_reader_gives(path):
    """Config files are scanned by libyaml (speed) and composed by PyYAML's Python composer (the bounds):
    every shipped and every malformed test file loads to the same data, or is refused for the same reason."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    fast, plain = _load_or_refusal(text, safeyaml._FastStrictLoader), _load_or_refusal(text, safeyaml._StrictLoader)
    assert fast == plain  # a syntax error's wording is libyaml's or PyYAML's: only its kind is compared
