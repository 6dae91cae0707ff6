"""Nothing lost: every output is written atomically, and a killed run resumes to the very same tables."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SNAKEMAKE, TINY, assert_same_tables, copy_built, leftover_temporaries, read_tables, snakemake

from initstudy.tables import TableError, read_table, stale_temporaries, write_atomic, write_table

# --- atomic writes ----------------------------------------------------------------------------

WRITERS = {
    "to_parquet",
    "to_csv",
    "to_json",
    "to_html",
    "savefig",
    "write_text",
    "write_bytes",
    "write_table",
    "dump",
    "safe_dump",
}


def direct_writes(source: str) -> list[int]:
    """Lines that write a file other than through write_atomic's temporary path.

    A write is fine when its receiver or one of its arguments is a parameter of a function or
    lambda handed to ``write_atomic`` (that parameter is the temporary path), or when it is
    ``write_table(df, path, name)`` from initstudy.tables (atomic itself).
    """
    tree = ast.parse(source)
    temp_names: set[str] = set()
    local_fns = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        if getattr(call.func, "id", getattr(call.func, "attr", None)) == "write_atomic":
            for arg in call.args[1:]:
                fn = local_fns.get(arg.id) if isinstance(arg, ast.Name) else arg
                if isinstance(fn, (ast.Lambda, ast.FunctionDef)):
                    temp_names |= {a.arg for a in fn.args.args}
    bad = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = call.func
        name = getattr(func, "attr", getattr(func, "id", None))
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if name == "write_table" and isinstance(func, ast.Name):
            continue  # initstudy.tables.write_table: atomic
        is_open_for_writing = name == "open" and any(
            isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax")
            for a in [*call.args[1:], *(k.value for k in call.keywords)]
        )
        if name not in WRITERS and not is_open_for_writing:
            continue
        if name in ("dump", "safe_dump") and len(call.args) < 2:
            continue  # yaml.dump(data) returns a string
        args = [*call.args, *(k.value for k in call.keywords)]
        names = {n.id for a in args for n in ast.walk(a) if isinstance(n, ast.Name)}
        if isinstance(receiver, ast.Name):
            names.add(receiver.id)
        if not names & temp_names:
            bad.append(call.lineno)
    return bad


def test_the_write_checker_catches_direct_writes():
    assert direct_writes("df.to_parquet(out)\nfig.savefig(path)\nPath(p).write_text(t)\nopen(p, 'w')\n") == [1, 2, 3, 4]
    ok = "write_atomic(out, lambda tmp: fig.savefig(tmp, dpi=150))\nwrite_table(df, out, 'metrics')\nopen(p)\ntext = yaml.safe_dump(c)\n"
    assert direct_writes(ok) == []
    assert direct_writes("def w(tmp):\n    tmp.write_text('x')\nwrite_atomic(out, w)\n") == []


def test_every_script_and_module_writes_atomically():
    files = sorted((ROOT / "workflow" / "scripts").glob("*.py")) + sorted((ROOT / "src" / "initstudy").glob("*.py"))
    offenders = {
        str(f.relative_to(ROOT)): lines for f in files if f.name != "tables.py" and (lines := direct_writes(f.read_text()))
    }
    assert offenders == {}, "write outputs through initstudy.tables.write_table / write_atomic"


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def boom(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, boom)
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def _frame():
    from initstudy.tables import arrow_schema

    schema = arrow_schema("dataset")
    return pd.DataFrame({c: pd.Series([], dtype=t.to_pandas_dtype()) for c, t in zip(schema.names, schema.types)})


def test_disk_full_is_one_line_naming_the_file_and_nothing_is_half_written(tmp_path, monkeypatch):
    """ENOSPC in the middle of a Parquet write: a TableError naming the target, the old file intact, no temporary."""
    import errno

    import pyarrow.parquet as pq

    target = tmp_path / "claims.parquet"
    target.write_bytes(b"previous")

    def full(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(TableError) as info:
        write_table(_frame(), target, "dataset")
    message = str(info.value)
    assert message.startswith(f"{target}: cannot be written (No space left on device); nothing was written.")
    assert "\n" not in message
    assert target.read_bytes() == b"previous" and list(tmp_path.iterdir()) == [target]


def test_folder_that_cannot_be_written_is_one_line_naming_the_file(tmp_path, monkeypatch):
    import errno
    import tempfile

    target = tmp_path / "sub" / "fig.png"

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target.parent))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(TableError, match=rf"^{target}: cannot be written \(Permission denied\); nothing was written"):
        write_atomic(target, lambda tmp: tmp.write_bytes(b"png"))
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_for_real(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(TableError, match="Permission denied"):
            write_table(_frame(), ro / "claims.parquet", "dataset")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


FULL_DISK_SCRIPT = """
import errno, os, sys, types
import pyarrow.parquet as pq
def full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
pq.write_table = full
import pandas as pd
from initstudy.rulescript import run_rule
from initstudy.tables import write_table
def main(path):
    write_table(pd.DataFrame({"x1": [0.0], "x2": [0.0], "y": [0], "split": ["train"]}), path, "dataset")
run_rule(types.SimpleNamespace(log=[], rule="make_dataset"), main, sys.argv[1])  # as a rule's script does
"""


def test_rule_script_on_a_full_disk_prints_one_line_and_no_traceback(tmp_path):
    from initstudy.tables import table_schema

    cols = table_schema("dataset")["columns"]
    script = FULL_DISK_SCRIPT
    if list(cols) != ["x1", "x2", "y", "split"]:
        pytest.skip("dataset schema changed")
    target = tmp_path / "results" / "datasets" / "flower.parquet"
    proc = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stderr == f"initstudy: {target}: cannot be written (No space left on device); nothing was written. " \
        "Free some disk space or make the folder writable, then rerun snakemake.\n", proc.stderr
    assert not target.exists()


def test_temporary_keeps_the_suffix_and_the_result_the_usual_mode(tmp_path):
    seen = []
    write_atomic(tmp_path / "fig.png", lambda tmp: (seen.append(tmp.name), tmp.write_bytes(b"png")))
    assert seen[0].startswith(".fig.png.") and seen[0].endswith(".tmp.png")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "fig.png").stat().st_mode & 0o777 == 0o666 & ~umask


KILLED_WRITER = """
import os, signal, sys, time
from initstudy.tables import write_atomic
def write(tmp):
    tmp.write_text("partial")
    print("writing", flush=True)
    time.sleep(60)
write_atomic(sys.argv[1], write)
"""


def test_writer_killed_mid_write_leaves_old_file_and_next_write_cleans_up(tmp_path):
    target = tmp_path / "metrics.parquet"
    target.write_text("old")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)], stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout.readline() == "writing\n"
    proc.kill()
    proc.wait()
    assert target.read_text() == "old"
    assert len(stale_temporaries(target)) == 1  # SIGKILL skips every cleanup
    write_atomic(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.parquet"]


# --- corrupted tables -------------------------------------------------------------------------


@pytest.fixture
def metrics_file(tmp_path, tiny_metrics):
    path = tmp_path / "results" / "metrics.parquet"
    write_table(tiny_metrics, path, "metrics")
    return path


@pytest.fixture(scope="module")
def tiny_metrics():
    from initstudy import config as cfg
    from initstudy.datasets import make_dataset
    from initstudy.grid import experiment_runs
    from initstudy.train import run_shard

    c = cfg.load(ROOT / TINY)
    runs = experiment_runs("narrow", c["experiments"]["narrow"])
    data = {"moons": make_dataset(**c["datasets"]["moons"])}
    return pd.DataFrame(run_shard(runs, data, iterations=20, log_points=3)[0])


def flip_one_bit_in_a_data_page(path: Path) -> bytes:
    """The file with one bit flipped inside the largest column's compressed data."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata.row_group(0)
    col = max((meta.column(i) for i in range(meta.num_columns)), key=lambda c: c.total_compressed_size)
    pos = col.data_page_offset + col.total_compressed_size * 3 // 4
    data = path.read_bytes()
    return data[:pos] + bytes([data[pos] ^ 0x10]) + data[pos + 1 :]


@pytest.mark.parametrize("damage", ["truncate", "empty", "flip", "text"])
def test_damaged_table_names_the_file_and_the_fix(metrics_file, damage):
    data = metrics_file.read_bytes()
    damaged = {
        "truncate": lambda: data[: len(data) * 2 // 3],
        "empty": lambda: b"",
        "flip": lambda: flip_one_bit_in_a_data_page(metrics_file),  # caught by the page checksums
        "text": lambda: b"metrics,but,as,csv\n",
    }[damage]()
    metrics_file.write_bytes(damaged)
    with pytest.raises(TableError) as info:
        read_table(metrics_file)
    message = str(info.value)
    assert message.startswith(f"{metrics_file}: corrupted or truncated Parquet file (")
    assert message.endswith("Delete it and rerun snakemake, which rebuilds it from its inputs.")
    assert "Traceback" not in message and "\n" not in message


def test_missing_or_outdated_table(metrics_file, tiny_metrics):
    with pytest.raises(TableError, match="missing; run snakemake to build it"):
        read_table(metrics_file.with_name("nothing.parquet"))
    with pytest.raises(
        TableError, match=r"columns or types differ from initstudy/schemas/layers.schema.yaml .* Delete it and rerun"
    ):
        read_table(metrics_file, name="layers")
    assert len(read_table(metrics_file, name="metrics")) == len(tiny_metrics)


def test_asking_for_a_column_the_file_lacks_is_not_called_corruption(metrics_file):
    with pytest.raises(TableError, match=r"has no column 'nope'; its columns: experiment, dataset"):
        read_table(metrics_file, columns=["loss", "nope"])
    assert list(read_table(metrics_file, columns=["loss"]).columns) == ["loss"]


def test_rule_scripts_print_a_table_error_as_one_line(capsys, tmp_path):
    from types import SimpleNamespace

    from initstudy.rulescript import run_rule

    job = SimpleNamespace(log=[str(tmp_path / "job.log")], rule="some_rule")

    def broken_table():
        raise TableError("results/x.parquet: corrupted ... Delete it and rerun")

    with pytest.raises(SystemExit) as stop:
        run_rule(job, broken_table)
    assert stop.value.code == 1
    assert capsys.readouterr().err == "initstudy: results/x.parquet: corrupted ... Delete it and rerun\n"
    assert "corrupted" in (tmp_path / "job.log").read_text()

    def bug():
        raise KeyError("a bug")

    with pytest.raises(KeyError):  # any other error keeps its traceback
        run_rule(job, bug)


def test_consumer_script_reports_a_truncated_table(metrics_file, tmp_path):
    """aggregate_metrics' main() on a truncated input: the error names the file, nothing is written."""
    sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
    try:
        import aggregate_metrics
    finally:
        sys.path.pop(0)
    metrics_file.write_bytes(metrics_file.read_bytes()[:100])
    out = tmp_path / "out"
    with pytest.raises(TableError, match=rf"^{metrics_file}: corrupted or truncated"):
        aggregate_metrics.main(
            [str(metrics_file)], [], [], str(out / "m.parquet"), str(out / "l.parquet"), str(out / "p.parquet")
        )
    assert not out.exists()


def test_claims_script_reports_a_truncated_metrics_table(metrics_file, tmp_path):
    """evaluate_claims' main() reading a truncated results/metrics.parquet: one clear error, no output."""
    import pandas as pd

    from initstudy.datasets import make_dataset

    script = ROOT / "workflow" / "scripts" / "evaluate_claims.py"
    if not script.exists():
        pytest.skip("no claims stage yet")
    sys.path.insert(0, str(script.parent))
    try:
        import evaluate_claims
    finally:
        sys.path.pop(0)
    moons = tmp_path / "results" / "datasets" / "moons.parquet"
    write_table(pd.DataFrame(make_dataset("moons", n_train=40, n_test=40, noise=0.2, seed=3, test_seed=4)), moons, "dataset")
    metrics_file.write_bytes(metrics_file.read_bytes()[:-100])
    out = tmp_path / "results" / "claims.parquet"
    with pytest.raises(
        TableError, match=rf"^{metrics_file}: corrupted or truncated Parquet file .* Delete it and rerun snakemake"
    ):
        evaluate_claims.main(str(metrics_file), str(metrics_file), [str(moons)], str(ROOT / "config" / "claims.yaml"), str(out))
    assert not out.exists()


@pytest.mark.slow
def test_snakemake_reports_a_truncated_table_without_traceback(tmp_path, tiny_reference):
    wd = copy_built(tiny_reference, tmp_path / "repo")
    shard = wd / "results" / "train" / "wide" / "0000.metrics.parquet"
    shard.write_bytes(shard.read_bytes()[:500])  # newer than results/metrics.parquet: aggregation reruns
    proc = snakemake(wd, "aggregate_metrics", "--cores", "2", "--configfile", TINY, check=False)
    assert proc.returncode != 0
    assert "initstudy: results/train/wide/0000.metrics.parquet: corrupted or truncated Parquet file" in proc.stdout
    assert "Delete it and rerun snakemake" in proc.stdout
    assert "Traceback" not in proc.stdout


# --- a run killed in the middle of training ---------------------------------------------------


def kill_during_training(wd: Path, timeout: float = 120) -> None:
    """Start the tiny study and SIGKILL Snakemake's whole process group once `wide` is training."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE_")}
    env["PYTHONPATH"] = str(wd / "src")
    cmd = [*SNAKEMAKE, "aggregate_metrics", "--cores", "2", "--configfile", TINY]
    proc = subprocess.Popen(cmd, cwd=wd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = wd / "logs" / "train" / "wide" / "0000.log"
    deadline = time.monotonic() + timeout
    try:
        while not (log.exists() and "training" in log.read_text()):
            assert proc.poll() is None, "snakemake ended before training started"
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_killed_run_resumes_to_identical_tables(tmp_path, tiny_reference):
    from conftest import copy_repo

    wd = copy_repo(tmp_path / "repo")
    kill_during_training(wd)
    assert not (wd / "results" / "metrics.parquet").exists()
    assert not (wd / "results" / "train" / "wide" / "0000.metrics.parquet").exists(), "killed mid-training: no output yet"
    assert list((wd / ".snakemake" / "incomplete").iterdir()), "snakemake should know the killed job is incomplete"

    # SIGKILL leaves Snakemake's lock behind (it asks for --unlock) and the killed jobs marked
    # incomplete (it asks for --rerun-incomplete).
    snakemake(wd, "aggregate_metrics", "--unlock", "--configfile", TINY)
    snakemake(wd, "aggregate_metrics", "--cores", "2", "--rerun-incomplete", "--configfile", TINY)

    assert_same_tables(read_tables(wd), tiny_reference.tables)
    assert leftover_temporaries(wd) == []
    assert not list((wd / ".snakemake" / "incomplete").glob("*"))
