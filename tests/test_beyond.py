"""Beyond the lecture (B01-B04): the arithmetic behind each answer, checked on the real engine; every B
figure script on a miniature study; and the configs, rules, figures and captions that must agree.

The claim rules themselves (holds / fails / inconclusive) are tested with the lecture's in
tests/test_claims.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from initstudy import config as cfg
from initstudy.catalog import FIGURES
from initstudy.claims import load_claims
from initstudy.datasets import make_dataset
from initstudy.grid import shards
from initstudy.metrics import gap_rows
from initstudy.mlp import ACTIVATIONS, forward_backward
from initstudy.tables import read_table, write_table
from initstudy.train import init_params, run_shard
from test_figures import load_script, write_measures

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
CAPTIONS = ROOT / "workflow" / "report" / "captions"
B_FIGURES = ("constant_inits", "bias_only", "edge_of_chaos", "glorot_histograms", "init_families")
B_EXPERIMENTS = ("bias_only", "edge_signal", "edge_train", "families", "glorot")
PNG = b"\x89PNG\r\n\x1a\n"


def flower(n=80):
    d = make_dataset("flower", n_train=n, n_test=20, noise=0.2, seed=1, test_seed=2)
    train = d["split"] == "train"
    return np.stack([d["x1"][train], d["x2"][train]]), d["y"][train].astype(float)


def run(init="zeros", scale=0.0, bias_init="normal", bias_scale=1.0, seed=0):
    return {"init": init, "scale": scale, "bias_init": bias_init, "bias_scale": bias_scale, "seed": seed}


def descend(W, b, X, y, act, steps, lr=1.2):
    """Plain full-batch gradient descent, as the engine does it (in place); returns the last pass."""
    for _ in range(steps):
        P = forward_backward(W, b, X, y, ACTIVATIONS[act])
        for Wl, bl, dW, db in zip(W, b, P.dW, P.db):
            Wl -= lr * dW
            bl -= lr * db
    return forward_backward(W, b, X, y, ACTIVATIONS[act])


def sv_ratio(W1: np.ndarray) -> np.ndarray:
    s = np.linalg.svd(W1, compute_uv=False)  # (R, 2)
    return s[:, 1] / s[:, 0]


# --- B01: zero is a special case of a constant ----------------------------------------------------


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_zero_init_is_a_stationary_point_on_balanced_classes(act):
    X, y = flower(400)  # the study's size: the mean output error sums to exactly 0 (80 points leave 1e-17)
    assert y.mean() == 0.5
    W, b = init_params([run(bias_init="zeros", bias_scale=0.0)], 2, 4, 1)
    P = descend(W, b, X, y, act, 0)
    assert all(np.all(g == 0) for g in P.dW + P.db)  # every gradient exactly 0: the net never moves


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("c", [0.1, 0.5, 2.0])
def test_any_constant_stays_exactly_symmetric_but_learns(act, c):
    X, y = flower()
    W, b = init_params([run("constant", c, "zeros", 0.0)], 2, 4, 1)
    start = forward_backward(W, b, X, y, ACTIVATIONS[act])
    P = descend(W, b, X, y, act, 200)
    assert gap_rows(W[0])[0] == 0.0 and gap_rows(P.A[0])[0] == 0.0 and gap_rows(P.dW[0])[0] == 0.0
    assert np.ptp(W[1]) == 0.0  # outgoing weights equal too

    def loss(Q):
        return float(np.mean(np.logaddexp(0, Q.Z[-1]) - y * Q.Z[-1]))

    assert loss(P) < loss(start) - 1e-3  # unlike zero init, a constant init does learn


# --- B02: random biases with W = 0 -----------------------------------------------------------------


def test_with_zero_output_bias_random_hidden_biases_are_stuck_too():
    """Balanced classes, W = 0, b1 random, b2 = 0: the mean output error is 0, so nothing moves."""
    X, y = flower(400)
    W, b = init_params([run()], 2, 4, 1)
    b[1][:] = 0.0
    P = descend(W, b, X, y, "tanh", 0)
    assert all(np.all(g == 0) for g in P.dW + P.db)


def test_tanh_w1_is_zero_then_rank_one_then_rank_two():
    X, y = flower()
    runs = [run(seed=s, bias_scale=bs) for s in range(4) for bs in (0.01, 1.0)]
    W, b = init_params(runs, 2, 4, 1)
    descend(W, b, X, y, "tanh", 1)
    assert np.all(W[0] == 0)  # step 1 moves only the output layer: dW1 is proportional to W2 = 0
    assert np.ptp(W[1], axis=(1, 2)).min() > 0  # ... whose entries already differ (through g(b1))
    descend(W, b, X, y, "tanh", 1)
    assert gap_rows(W[0]).min() > 0 and sv_ratio(W[0]).max() < 1e-12  # rows differ, but all proportional
    descend(W, b, X, y, "tanh", 1)
    assert sv_ratio(W[0]).min() > 1e-12  # g'(z) now varies with x per unit: rank 2 (round-off is ~1e-16)


def test_relu_units_stay_positive_multiples_of_each_other():
    """relu is positively homogeneous: with W = 0 every live unit's parameters stay its bias times a
    common vector, so W1 keeps rank 1 up to round-off; a unit with a negative bias never moves."""
    X, y = flower()
    runs = [run(seed=s) for s in range(6)]
    W, b = init_params(runs, 2, 4, 1)
    b0 = b[0].copy()
    descend(W, b, X, y, "relu", 300)
    assert sv_ratio(W[0]).max() < 1e-12
    dead = b0[:, :, 0] < 0
    assert dead.any() and np.all(W[0][dead] == 0) and np.all(b[0][dead] == b0[dead])
    lam = b0[:, :, 0]
    for r in range(len(runs)):
        live = ~dead[r]
        if live.sum() < 2:
            continue
        scaled = np.concatenate([W[0][r, live], b[0][r, live], W[1][r, 0, live][:, None]], axis=1) / lam[r, live][:, None]
        assert np.abs(scaled - scaled[0]).max() < 1e-9 * np.abs(scaled).max()


# --- B04: a Gaussian and an orthogonal matrix at the same per-entry variance ---------------------------


def test_orthogonal_and_lecun_share_the_per_entry_variance_of_a_square_layer():
    from initstudy.inits import INITS

    rng = np.random.default_rng(0)
    q = np.stack([INITS["orthogonal"](rng, (64, 64), 1.0) for _ in range(20)])
    g = np.stack([INITS["lecun_normal"](rng, (64, 64), 1.0) for _ in range(20)])
    assert q.var() == pytest.approx(1 / 64, rel=0.02) and g.var() == pytest.approx(1 / 64, rel=0.05)
    np.testing.assert_allclose(np.linalg.svd(q, compute_uv=False), 1.0, atol=1e-12)  # every length kept


@pytest.mark.parametrize("shape", [(8, 2), (16, 3), (1, 8), (2, 8), (8, 8)])
def test_orthogonal_has_lecun_variance_in_tall_wide_and_square_layers(shape):
    """A tall orthogonal layer (8x2) used to have entry variance 1/8, not LeCun's 1/2 (a fan_in of 2)."""
    from initstudy.inits import INITS

    rng = np.random.default_rng(1)
    gain = 1.4142
    q = np.stack([INITS["orthogonal"](rng, shape, gain) for _ in range(4000)])
    assert (q**2).mean() == pytest.approx(gain**2 / shape[1], rel=0.03)
    rows, cols = shape
    gram = q[0].T @ q[0] if rows >= cols else q[0] @ q[0].T  # still orthogonal, up to one factor
    np.testing.assert_allclose(gram, gram[0, 0] * np.eye(min(rows, cols)), atol=1e-12)


# --- figures on a miniature study ------------------------------------------------------------------

MINI = {
    "dtype": "float64",
    "shard_size": 1000,
    "datasets": {"flower": {"kind": "flower", "n_train": 80, "n_test": 40, "seed": 1, "test_seed": 2}},
    "experiments": {
        "symmetry": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [1, 4],
                     "inits": ["zeros", {"scheme": "constant", "scales": [0.5]}, {"scheme": "normal", "scales": [0.01]}],
                     "seeds": 2, "iterations": 40, "log_points": 4},
        "long": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [4],
                 "inits": ["zeros", {"scheme": "constant", "scales": [0.5, 2.0]}], "iterations": 120, "log_points": 5},
        "bias_only": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [4],
                      "inits": ["zeros", {"scheme": "normal", "scales": [0.01]}], "bias_inits": ["zeros", "normal"],
                      "bias_scales": [0.1, 1.0], "seeds": 3, "iterations": 30, "log_points": 8},
        "edge_signal": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [4], "depths": [6],
                        "inits": [{"scheme": "lecun_normal", "scales": [0.5, 1.0, 1.4142, 2.0]},
                                  {"scheme": "orthogonal", "scales": [1.0, 1.4142]}],
                        "seeds": 3, "lrs": [0.3], "iterations": 1, "log_points": 1},
        "edge_train": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [4], "depths": [2, 4],
                       "inits": [{"scheme": "lecun_normal", "scales": [0.5, 1.0, 1.4142]},
                                 {"scheme": "orthogonal", "scales": [1.0, 1.4142]}],
                       "seeds": 2, "lrs": [0.3], "iterations": 20, "log_points": 3},
        "deep_families": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [4], "depths": [2, 4],
                          "inits": [{"scheme": "lecun_normal", "scales": [1.0, 1.4142135623730951]},
                                    {"scheme": "orthogonal", "scales": [1.0, 1.4142135623730951]}],
                          "seeds": 2, "lrs": [0.1, 0.3], "iterations": 20, "log_points": 3},
        "families": {"datasets": ["flower"], "activations": ["tanh", "relu"], "widths": [3], "inits": ["normal", "uniform"],
                     "scales": [0.01, 1.0], "seeds": 3, "iterations": 20, "log_points": 3},
        "glorot": {"datasets": ["flower"], "activations": ["tanh"], "widths": [8], "depths": [4],
                   "inits": [{"scheme": "normal", "scales": [0.01, 1.0]}, {"scheme": "xavier_normal", "scales": [1.0]}],
                   "seeds": 2, "lrs": [0.3], "iterations": 1, "log_points": 1},
    },
}  # fmt: skip


def render(name: str, tables: Path, out: Path) -> Path:
    """Call ``plot_<name>.main`` the way its rule does (defaults for the rule's parameters)."""
    main = load_script(name).main
    m, lay, par = (str(tables / f"{t}.parquet") for t in ("metrics", "layers", "params"))
    ds = str(tables / "datasets" / "flower.parquet")
    measures = {c: str(tables / "measures" / f"{c}.parquet") for c in ("B03", "B04")}
    calls = {
        "constant_inits": lambda: main(m, [ds], str(out), dataset="flower", width=4),
        "bias_only": lambda: main(lay, m, par, str(out), metric="test_acc", reference=("normal", 0.01), reference_bias="zeros"),
        "edge_of_chaos": lambda: main(lay, measures["B03"], str(out), critical={"tanh": 1.0, "relu": math.sqrt(2)}, factor=1.2),
        "glorot_histograms": lambda: main(lay, ds, str(out)),
        "init_families": lambda: main(measures["B04"], str(out), margin=0.03),
    }
    calls[name]()
    return out


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("beyond")
    config = cfg.validate(MINI)
    d = config["datasets"]["flower"]
    cols = make_dataset(d["kind"], d["n_train"], d["n_test"], d["noise"], d["seed"], d["test_seed"])
    (root / "datasets").mkdir()
    write_table(pd.DataFrame(cols), root / "datasets" / "flower.parquet", "dataset")
    data = {"flower": {c: np.asarray(v) for c, v in cols.items()}}
    parts = {"metrics": [], "layers": [], "params": []}
    for shard in shards(config):
        exp = config["experiments"][shard.experiment]
        out = run_shard([dict(r) for r in shard.runs], data, iterations=exp["iterations"], log_points=exp["log_points"])
        for kind, c in zip(parts, out):
            parts[kind].append(pd.DataFrame(c))
    for kind, frames in parts.items():
        write_table(pd.concat(frames, ignore_index=True), root / f"{kind}.parquet", kind)
    write_measures(root)
    return root


def assert_png(path: Path, min_bytes: int) -> None:
    blob = path.read_bytes()
    assert blob[:8] == PNG and len(blob) > min_bytes, f"{path.name}: {len(blob)} bytes"


@pytest.mark.parametrize("name", B_FIGURES)
def test_every_b_figure_renders(name, mini, tmp_path):
    assert_png(render(name, mini, tmp_path / f"{name}.png"), 20_000)


@pytest.mark.parametrize("name", B_FIGURES)
def test_b_figures_survive_missing_experiments(name, mini, tmp_path):
    partial = tmp_path / "partial"
    (partial / "datasets").mkdir(parents=True)
    (partial / "datasets" / "flower.parquet").write_bytes((mini / "datasets" / "flower.parquet").read_bytes())
    keep = "symmetry" if name == "init_families" else "families"  # an experiment the figure does not draw
    for kind in ("metrics", "layers", "params"):
        df = read_table(mini / f"{kind}.parquet")
        write_table(df[df["experiment"] == keep].reset_index(drop=True), partial / f"{kind}.parquet", kind)
    write_measures(partial)
    assert_png(render(name, partial, tmp_path / f"{name}.png"), 2_000)


def test_glorot_histograms_recompute_the_logged_init(mini):
    """The figure redraws the initial weights from each run's key: the same activations the training job saw."""
    mod = load_script("glorot_histograms")
    lay = read_table(mini / "layers.parquet")
    lay = lay[(lay["experiment"] == "glorot") & (lay["iteration"] == 0)]
    X, _ = flower(80)
    from initstudy.grid import COORDINATES

    for _, rows in lay.groupby(["init", "scale"]):
        runs = [dict(zip(COORDINATES, k)) for k in rows[list(COORDINATES)].drop_duplicates().itertuples(index=False)]
        A = mod.activations(runs, X)
        for r, spec in enumerate(runs):
            logged = rows[rows["seed"] == spec["seed"]].set_index("layer")["act_std"]
            np.testing.assert_allclose([a[r].std() for a in A], logged.sort_index().to_numpy(), rtol=1e-9)


def test_b_figures_plot_what_their_verdicts_wrote(mini):
    """edge_of_chaos and init_families read B03's and B04's measures tables (the check names the claims write),
    and find rows there: the figure and the verdict cannot drift apart."""
    from initstudy.claims import families

    edge, fam = load_script("edge_of_chaos"), load_script("init_families")
    assert (edge.GROWTH, edge.FLAT, edge.TRAIN, edge.RATIO) == (families.B03_GROWTH, families.B03_FLAT,
                                                                families.B03_TRAIN, families.B03_RATIO)  # fmt: skip
    assert (fam.DIFF, fam.STD, fam.TRAINED) == (families.B04_DIFF, families.B04_STD, families.B04_TRAINED)
    b03 = read_table(mini / "measures" / "B03.parquet", name="measures")
    b04 = read_table(mini / "measures" / "B04.parquet", name="measures")
    for name in (edge.GROWTH, edge.FLAT, edge.TRAIN):
        assert (b03["check"] == name).any(), name
    for name in (fam.DIFF, fam.STD, fam.TRAINED):
        assert (b04["check"] == name).any(), name


# --- configs, rules, figures and captions agree ---------------------------------------------------


@pytest.mark.parametrize("config", ["config.yaml", "quick.yaml"])
def test_configs_run_every_b_experiment(config):
    c = cfg.load(ROOT / "config" / config)
    rules = load_claims(ROOT / "config" / "claims.yaml")
    for cid in ("B01", "B02", "B03", "B04"):
        exps = rules["claims"][cid]["experiment"]
        for e in [exps] if isinstance(exps, str) else exps:
            assert e in c["experiments"], f"{config}: {cid} needs experiment {e}"
            assert cid in c["experiments"][e]["claims"], f"{config}: experiment {e} should list {cid}"
    constants = {
        s for e in ("symmetry", "long") for i in c["experiments"][e]["inits"] if isinstance(i, dict) and i["scheme"] == "constant"
        for s in i["scales"]
    }  # fmt: skip
    assert len(constants) >= rules["claims"]["B01"]["rule"]["min_constants"]


def test_edge_experiments_hold_the_critical_values():
    """B03 and B04 compare at sigma_w = 1 (tanh) and sqrt 2 (relu): both must be in the sigma_w grids."""
    c = cfg.load(ROOT / "config" / "config.yaml")
    rules = load_claims(ROOT / "config" / "claims.yaml")["claims"]
    b04 = rules["B04"]["rule"]
    for name in (b04["signal_experiment"], b04["train_experiment"]):
        scales = {i["scheme"]: i["scales"] for i in c["experiments"][name]["inits"]}
        for crit in b04["deep_scales"].values():
            for scheme in b04["deep_inits"]:
                assert any(math.isclose(s, crit, rel_tol=1e-3) for s in scales[scheme]), (name, scheme, crit)
    b03 = rules["B03"]["rule"]
    for name in (b03["signal_experiment"], b03["train_experiment"]):
        scales = {i["scheme"]: i["scales"] for i in c["experiments"][name]["inits"]}
        for crit in b03["critical"].values():
            assert any(math.isclose(s, crit, rel_tol=1e-3) for s in scales[b03["init"]]), (name, crit)


def test_every_b_figure_has_a_rule_a_script_and_a_caption():
    smk = (ROOT / "workflow" / "rules" / "figures.smk").read_text()
    rules = load_claims(ROOT / "config" / "claims.yaml")["claims"]
    listed = {f for cid in ("B01", "B02", "B03", "B04") for f in rules[cid]["figures"]}
    assert set(B_FIGURES) <= listed
    for name in B_FIGURES:
        assert re.search(rf"^rule plot_{name}:", smk, re.MULTILINE), name
        assert (SCRIPTS / f"plot_{name}.py").exists() and (CAPTIONS / f"{name}.rst").exists(), name
        assert name in FIGURES  # the figure list: rule targets follow from it
