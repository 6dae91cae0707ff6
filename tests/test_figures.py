"""Figures: every plot script renders from small tables, from partial ones, reproducibly, and a
figure edit re-runs only plotting.

The tables come from a miniature study trained in-process with the real engine (every experiment
name the figures know, a few runs each, one diverging run), so the scripts see the real schemas.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from initstudy import claims as C
from initstudy import config as cfg
from initstudy import figures as F
from initstudy.datasets import make_dataset
from initstudy.grid import shards
from initstudy.tables import read_table, write_table
from initstudy.train import run_shard

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
NAMES = (
    "datasets", "logistic", "symmetry_gaps", "width_accuracy", "decision_boundaries", "bias_init", "saturation",
    "learning_curves", "iterations_to_target", "relu_slowdown", "relu_scale", "accuracy_vs_scale", "depth_signal",
    "depth_accuracy", "best_scale",
)  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n"

MINI = {
    "dtype": "float64",
    "shard_size": 1000,
    "datasets": {
        "flower": {"kind": "flower", "n_train": 80, "n_test": 40, "seed": 1, "test_seed": 2},
        "moons": {"kind": "moons", "n_train": 60, "n_test": 40, "seed": 3, "test_seed": 4},
    },
    "experiments": {
        "logistic": {"datasets": ["flower", "moons"], "depths": [0], "inits": ["zeros", "normal"], "scales": [0.01, 1.0],
                     "seeds": 2, "iterations": 30, "log_points": 4},
        "symmetry": {"datasets": ["flower", "moons"], "activations": ["tanh", "relu"], "widths": [1, 3],
                     "inits": ["zeros", {"scheme": "constant", "scales": [0.5]}, {"scheme": "normal", "scales": [0.01]}],
                     "seeds": 2, "iterations": 40, "log_points": 4},
        "long": {"datasets": ["flower"], "activations": ["tanh"], "widths": [3], "inits": ["zeros"], "iterations": 120, "log_points": 4},
        "bias": {"datasets": ["flower"], "activations": ["tanh"], "widths": [3], "inits": ["normal"], "scales": [0.01],
                 "bias_inits": ["zeros", "normal"], "bias_scales": [1.0], "seeds": 3, "iterations": 40, "log_points": 4},
        "scale": {"datasets": ["flower"], "activations": ["tanh", "sigmoid", "relu"], "widths": [3], "inits": ["normal"],
                  "scales": [0.01, 1.0, 100.0], "seeds": 2, "lrs": [0.3, 1.2], "iterations": 40, "log_points": 5},
        "scale_wide": {"datasets": ["flower"], "activations": ["tanh", "sigmoid", "relu"], "widths": [6], "inits": ["normal"],
                       "scales": [0.01, 1.0, 100.0], "seeds": 2, "lrs": [0.3, 1.2], "iterations": 40, "log_points": 5},
        "scale_init": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [6], "inits": ["normal"],
                       "scales": [0.01, 1.0, 100.0], "bias_inits": ["normal"], "bias_scales": [1.0], "seeds": 2,
                       "lrs": [1.2], "iterations": 0, "log_points": 1},
        "deep": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [4], "depths": [1, 4],
                 "inits": [{"scheme": "normal", "scales": [0.01]}, {"scheme": "he_normal", "scales": [1.0]}],
                 "seeds": 2, "lrs": [0.3], "iterations": 30, "log_points": 4},
    },
}  # fmt: skip


def load_script(name: str):
    """A plot script as a module (its guarded snakemake block does not run)."""
    spec = importlib.util.spec_from_file_location(f"plot_{name}", SCRIPTS / f"plot_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(name: str, tables: Path, out: Path, experiments_in_metrics=None) -> Path:
    """Call ``plot_<name>.main`` the way its rule does, on the tables in ``tables``."""
    main = load_script(name).main
    ds = {d: str(tables / "datasets" / f"{d}.parquet") for d in ("flower", "moons")}
    m, lay, par = (str(tables / f"{t}.parquet") for t in ("metrics", "layers", "params"))
    measures = {c: str(tables / "measures" / f"{c}.parquet") for c in ("L05", "L07", "L09", "L10", "L13", "L14")}
    calls = {
        "datasets": lambda: main(list(ds.values()), str(out)),
        "logistic": lambda: main(m, str(out)),
        "symmetry_gaps": lambda: main(lay, str(out)),
        "width_accuracy": lambda: main(m, measures["L05"], str(out)),
        "decision_boundaries": lambda: main(par, ds["flower"], str(out), activation="tanh", width=4),
        "bias_init": lambda: main(m, measures["L07"], str(out), metric="test_acc", margin=0.03, statistic="mean", interval=None),
        "saturation": lambda: main(lay, str(out)),
        "learning_curves": lambda: main(m, str(out), lr=1.2),
        "iterations_to_target": lambda: main(m, measures["L09"], str(out), target=0.7, lr=1.2),
        "relu_slowdown": lambda: main(measures["L10"], m, str(out), experiment="scale", target=0.7),
        "relu_scale": lambda: main(m, lay, str(out), lr=1.2),
        "accuracy_vs_scale": lambda: main(m, str(out), reference=0.01),
        "depth_signal": lambda: main(lay, str(out)),
        "depth_accuracy": lambda: main(measures["L13"], m, str(out)),
        "best_scale": lambda: main(measures["L14"], str(out), metric="test_acc", limits=(1.0, 10.0), margin=0.02),
    }
    calls[name]()
    return out


@pytest.fixture(scope="module")
def mini_tables(tmp_path_factory) -> Path:
    """results/-like folder of the miniature study: datasets, metrics, layers, params."""
    root = tmp_path_factory.mktemp("mini")
    config = cfg.validate(MINI)
    data = {}
    for name, d in config["datasets"].items():
        cols = make_dataset(
            d["kind"], n_train=d["n_train"], n_test=d["n_test"], noise=d["noise"], seed=d["seed"], test_seed=d["test_seed"]
        )
        (root / "datasets").mkdir(exist_ok=True)
        write_table(pd.DataFrame(cols), root / "datasets" / f"{name}.parquet", "dataset")
        data[name] = {c: np.asarray(v) for c, v in cols.items()}
    parts = {"metrics": [], "layers": [], "params": []}
    for shard in shards(config):
        exp = config["experiments"][shard.experiment]
        out = run_shard([dict(r) for r in shard.runs], data, iterations=exp["iterations"], log_points=exp["log_points"])
        for kind, cols in zip(parts, out):
            parts[kind].append(pd.DataFrame(cols))
    tables = {kind: pd.concat(frames, ignore_index=True) for kind, frames in parts.items()}
    # The engine rarely diverges at these sizes: flag one run as diverged from its last two logged
    # iterations on, as the engine would, so the figures' diverged markers are exercised.
    m = tables["metrics"]
    run = (m["experiment"] == "scale") & (m["activation"] == "relu") & (m["scale"] == 100.0) & (m["seed"] == 0) & (m["lr"] == 1.2)
    late = m.loc[run, "iteration"].sort_values().iloc[-2]
    m.loc[run & (m["iteration"] >= late), "diverged"] = True
    p = tables["params"]
    p.loc[
        (p["experiment"] == "scale") & (p["activation"] == "relu") & (p["scale"] == 100.0) & (p["seed"] == 0) & (p["lr"] == 1.2),
        "diverged",
    ] = True
    for kind, df in tables.items():
        write_table(df, root / f"{kind}.parquet", kind)
    write_measures(root)
    return root


def write_measures(root: Path) -> None:
    """results/measures/<claim>.parquet of the tables in ``root``, as rule evaluate_claims writes them."""
    datasets = {p.stem: read_table(p) for p in (root / "datasets").glob("*.parquet")}
    data = C.Data(read_table(root / "metrics.parquet"), read_table(root / "layers.parquet"), C.linear_table(datasets))
    _, tables = C.evaluate_with_measures(C.load_claims(ROOT / "config" / "claims.yaml"), data)
    for cid, df in tables.items():
        write_table(df, root / "measures" / f"{cid}.parquet", "measures")


def assert_png(path: Path, min_bytes: int = 5_000) -> None:
    blob = path.read_bytes()
    assert blob[:8] == PNG, f"{path.name} is not a PNG"
    assert len(blob) > min_bytes, f"{path.name} is suspiciously small ({len(blob)} bytes)"


def test_mini_study_has_a_diverged_run(mini_tables):
    m = read_table(mini_tables / "metrics.parquet")
    assert m["diverged"].any(), "the fixture should exercise the diverged-run markers"


@pytest.mark.parametrize("name", NAMES)
def test_every_script_renders_a_png(name, mini_tables, tmp_path):
    assert_png(render(name, mini_tables, tmp_path / "figures" / f"{name}.png"))
    assert not list((tmp_path / "figures").glob(".*.tmp")), "atomic write left a temporary file"


@pytest.mark.parametrize("name", NAMES)
def test_scripts_survive_missing_experiments(name, mini_tables, tmp_path):
    """Only the logistic experiment left: every other figure still renders (with a note), no crash."""
    partial = tmp_path / "partial"
    (partial / "datasets").mkdir(parents=True)
    for d in ("flower", "moons"):
        (partial / "datasets" / f"{d}.parquet").write_bytes((mini_tables / "datasets" / f"{d}.parquet").read_bytes())
    for kind in ("metrics", "layers", "params"):
        df = read_table(mini_tables / f"{kind}.parquet")
        write_table(df[df["experiment"] == "logistic"].reset_index(drop=True), partial / f"{kind}.parquet", kind)
    write_measures(partial)
    assert_png(render(name, partial, tmp_path / f"{name}.png"), min_bytes=2_000)


def test_same_tables_give_the_same_bytes(mini_tables, tmp_path):
    a = render("saturation", mini_tables, tmp_path / "a.png").read_bytes()
    b = render("saturation", mini_tables, tmp_path / "b.png").read_bytes()
    assert a == b


def test_init_palette_is_stable_and_distinct():
    pal = F.init_palette([("normal", 1.0), ("zeros", 0.0), ("normal", 0.01), ("he_normal", 1.0)])
    assert list(pal) == ["zeros", "normal 0.01", "normal 1", "He normal"]
    assert len(set(pal.values())) == len(pal)
    assert pal["zeros"] == F.INIT_COLORS["zeros"] and pal["He normal"] == F.INIT_COLORS["he_normal"]


def test_zero_floor_keeps_positive_values_and_marks_zeros():
    floor = F.floor_below([0.0, 1e-15, 0.3])
    assert floor < 1e-15
    np.testing.assert_array_equal(F.zero_floor([0.0, 1e-15, 0.3], floor), [floor, 1e-15, 0.3])


@pytest.mark.slow
def test_editing_a_plot_script_reruns_only_plotting(tiny_reference, tmp_path):
    """Build every figure on the tiny study, touch one plot script: the dry run plans that plot only."""
    from conftest import TINY, copy_built, snakemake

    wd = copy_built(tiny_reference, tmp_path / "repo")
    targets = [f"results/figures/{n}.png" for n in NAMES]
    snakemake(wd, *targets, "--cores", "2", "--configfile", TINY)
    for n in NAMES:
        assert_png(wd / "results" / "figures" / f"{n}.png", min_bytes=2_000)
    script = wd / "workflow" / "scripts" / "plot_saturation.py"
    script.write_text(script.read_text() + "\n# an edit\n")
    future = time.time() + 5
    os.utime(script, (future, future))
    out = snakemake(wd, *targets, "-n", "--configfile", TINY).stdout
    planned = {
        line.split()[-1]
        for line in out.splitlines()
        if line.strip().startswith(("rule ", "localrule ")) and line.rstrip().endswith(":")
    }
    planned = {p.rstrip(":") for p in planned}
    assert planned == {"plot_saturation"}, out[-3000:]
    assert "train_shard" not in out and "aggregate_metrics" not in out


@pytest.mark.parametrize("name", NAMES)
def test_scripts_survive_runs_with_no_finite_state(name, mini_tables, tmp_path):
    """Runs not finite at initialisation carry NaN metrics and ranks -1 (src/initstudy/schemas/metrics.schema.yaml):
    every figure still renders, with no warning turned error by NaN (issue 14)."""
    from initstudy.train import LAYER_COLUMNS, RUN_COLUMNS

    nan_tables = tmp_path / "nan"
    (nan_tables / "datasets").mkdir(parents=True)
    for d in ("flower", "moons"):
        (nan_tables / "datasets" / f"{d}.parquet").write_bytes((mini_tables / "datasets" / f"{d}.parquet").read_bytes())
    for kind in ("metrics", "layers", "params"):
        df = read_table(mini_tables / f"{kind}.parquet")
        hit = df["seed"] == 1
        assert hit.any()
        if "diverged" in df:
            df.loc[hit, "diverged"] = True
        for col in (RUN_COLUMNS[:-1] if kind == "metrics" else LAYER_COLUMNS if kind == "layers" else ()):
            df.loc[hit, col] = -1 if col.startswith("rank") else np.nan
        write_table(df, nan_tables / f"{kind}.parquet", kind)
    write_measures(nan_tables)
    assert_png(render(name, nan_tables, tmp_path / f"{name}.png"), min_bytes=2_000)


def test_figures_plot_what_their_verdicts_wrote(mini_tables):
    """bias_init, iterations_to_target and relu_slowdown read the L07, L09 and L10 measures tables by the check
    names the claims write, and find rows there; no plot script imports the claims code to recompute a verdict's
    numbers (issue 10)."""
    from initstudy.claims import logistic_bias, saturation

    it, relu, bias = load_script("iterations_to_target"), load_script("relu_slowdown"), load_script("bias_init")
    assert (it.TIME_BEST, it.TIME_FIXED) == (saturation.TIME_BEST, saturation.TIME_FIXED)
    assert (relu.TIME_BEST, relu.SCORE, relu.ACTIVE, relu.CHECKS) == (
        saturation.TIME_BEST, saturation.L10_SCORE, saturation.L10_ACTIVE, saturation.L10_CHECKS
    )
    assert bias.CHECK == logistic_bias.L07_CHECK
    read = {c: read_table(mini_tables / "measures" / f"{c}.parquet", name="measures") for c in ("L07", "L09", "L10")}
    assert read["L07"]["check"].str.startswith(bias.CHECK).any()
    assert (read["L09"]["check"] == it.TIME_BEST).any() and (read["L09"]["check"] == it.TIME_FIXED).any()
    for name in (relu.TIME_BEST, relu.ACTIVE, f"{relu.CHECKS[0]}: statistic", f"{relu.CHECKS[1]}: statistic"):
        assert (read["L10"]["check"] == name).any(), name
    for script in SCRIPTS.glob("plot_*.py"):
        text = script.read_text()
        assert "from initstudy.claims" not in text and "from initstudy import claims" not in text, script.name


def test_the_theme_is_seaborns_and_most_figures_do_not_import_seaborn():
    """F.SEABORN_THEME is seaborn's whitegrid style and paper context (less the default colormap), and the
    lightness helper is seaborn's set_hls_values; importing the figures module does not import seaborn."""
    import subprocess
    import sys

    import seaborn as sns

    from initstudy import figures as F

    want = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper")}
    assert want.pop("image.cmap") == "rocket"
    assert F.SEABORN_THEME == want
    for colour in ("#4477AA", "#CCBB44", "#997700", "#222222"):
        for lightness in (0.38, 0.55, 0.72):
            assert F.with_lightness(colour, lightness) == sns.set_hls_values(colour, l=lightness)
    assert F.sns is sns
    code = "import sys, initstudy.figures; print('seaborn' in sys.modules, 'scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
