"""The course's own numbers: what its notebooks print, beside our runs of the same setups.

The config's ``course`` section lists every number a notebook prints (the published value, how it
was printed, the notebook and the run coordinates that reproduce it). :func:`compare` puts each
beside

- ours with the notebook's seeds: the run drawn as the notebook draws it (``notebook_seeds``,
  seed ``-k`` in the tables), printed the way the notebook prints, and whether the printed digits
  agree;
- the notebook's own arithmetic re-run here (:func:`replay_planar`, :func:`replay_initialization`:
  ``np.dot``, ``1 / (1 + exp(-z))``, the cost from ``log``, in the notebook's order): where the
  printed digits differ from both, they depend on rounding, not on the engine;
- our seeds: median and range, and where the notebook's draw falls among them (``beats``: the
  share of our seeds it does better than, ties counted half). Beyond ``1 - tail`` it was a lucky
  draw, below ``tail`` an unlucky one.

Pure functions, no files: ``workflow/scripts/compare_course.py`` reads and writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .datasets import splits
from .linear import best_linear_accuracy

Array = np.ndarray

PRINTED = {
    "fixed6": (1.0, lambda v: f"{v:f}"),  # "Cost after iteration %i: %f"
    "percent_int": (100.0, lambda v: "%d" % v),  # 'Accuracy: %d' % percentage: truncated
    "percent": (100.0, lambda v: str(float(v))),  # "{} %".format(percentage)
    "share": (1.0, lambda v: str(float(v))),  # "Accuracy: " + str(np.mean(...))
}
"""Format name -> (factor from the metric to the printed unit, the notebook's way of printing)."""

LOWER_IS_BETTER = frozenset({"loss", "test_loss"})


def printed(value: float, fmt: str) -> str:
    """``value`` (already in printed units) as the notebook prints it; empty for NaN."""
    return "" if value is None or np.isnan(value) else PRINTED[fmt][1](value)


def beats(value: float, others: Array, metric: str) -> float:
    """Share of ``others`` that ``value`` does better than (ties count half)."""
    others = np.asarray(others, dtype=float)
    if np.isnan(value) or len(others) == 0:
        return np.nan
    better = others > value if metric in LOWER_IS_BETTER else others < value
    return float((better.sum() + 0.5 * (others == value).sum()) / len(others))


def draw_label(share: float, distinct: int, tail: float) -> str:
    """``lucky``, ``unlucky`` or ``typical`` for a notebook draw; ``same for every seed`` when the
    notebook's value and all of ours are one (``distinct`` values in all)."""
    if np.isnan(share):
        return ""
    if distinct <= 1:
        return "same for every seed"
    return "lucky" if share >= 1 - tail else "unlucky" if share <= tail else "typical"


# ---------------------------------------------------------------- the notebooks' own arithmetic


def _sigmoid(z: Array) -> Array:
    return 1 / (1 + np.exp(-z))


def replay_planar(X: Array, Y: Array, n_h: int, lr: float, seed: int, log_at: list[int]) -> dict[int, dict]:
    """*Planar data classification with one hidden layer*, as its notebook computes: one run.

    ``X (2, m)``, ``Y (1, m)``; ``np.random.seed(seed)`` then ``W1 = randn(n_h, 2) * 0.01``,
    ``W2 = randn(1, n_h) * 0.01``, zero biases; tanh, sigmoid output, full-batch gradient descent.
    Returns ``{t: {"loss", "train_acc"}}`` of the state after ``t`` steps, for ``t`` in ``log_at``.
    """
    rs = np.random.RandomState(seed)
    W1, b1 = rs.randn(n_h, X.shape[0]) * 0.01, np.zeros((n_h, 1))
    W2, b2 = rs.randn(1, n_h) * 0.01, np.zeros((1, 1))
    m, out = X.shape[1], {}
    for i in range(max(log_at) + 1):
        A1 = np.tanh(np.dot(W1, X) + b1)
        A2 = _sigmoid(np.dot(W2, A1) + b2)
        if i in log_at:
            cost = float(np.squeeze(-np.sum(np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)) / m))
            out[i] = {"loss": cost, "train_acc": float(np.mean((A2 > 0.5) == (Y > 0.5)))}
        dZ2 = A2 - Y
        dW2, db2 = (1 / m) * np.dot(dZ2, A1.T), (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1, db1 = (1 / m) * np.dot(dZ1, X.T), (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return out


def replay_initialization(X: Array, Y: Array, Xt: Array, Yt: Array, hidden: list[int], init: str, scale: float,
                          lr: float, seed: int, log_at: list[int]) -> dict[int, dict]:  # fmt: skip
    """*Initialization*, as its notebook computes: ReLU hidden layers, sigmoid output, one run.

    ``init``: ``zeros``, ``normal`` (``randn * scale``) or ``he_normal`` (``randn * sqrt(2 / fan_in)``),
    drawn after ``np.random.seed(seed)`` layer by layer, zero biases. The cost is the notebook's
    ``nansum`` of ``-log``: ``inf`` where a sigmoid saturates to exactly 0 or 1 on a wrong label.
    Returns ``{t: {"loss", "train_acc", "test_acc"}}``.
    """
    dims = [X.shape[0], *hidden, 1]
    rs = np.random.RandomState(seed)
    draw = {
        "zeros": lambda rows, cols: np.zeros((rows, cols)),
        "normal": lambda rows, cols: rs.randn(rows, cols) * scale,  # randn * 10
        "he_normal": lambda rows, cols: rs.randn(rows, cols) * np.sqrt(2.0 / cols) * scale,  # a gain of 1 is exact
    }[init]
    P = [[draw(dims[k], dims[k - 1]), np.zeros((dims[k], 1))] for k in range(1, len(dims))]

    def forward(A):
        As = [A]
        for k, (W, b) in enumerate(P):
            Z = np.dot(W, As[-1]) + b
            As.append(_sigmoid(Z) if k == len(P) - 1 else np.maximum(0, Z))
        return As

    m, out = X.shape[1], {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(max(log_at) + 1):
            As = forward(X)
            a = As[-1]
            if i in log_at:
                loss = 1.0 / m * np.nansum(np.multiply(-np.log(a), Y) + np.multiply(-np.log(1 - a), 1 - Y))
                test = forward(Xt)[-1]
                out[i] = {"loss": float(loss), "train_acc": float(np.mean((a > 0.5) == (Y > 0.5))),
                          "test_acc": float(np.mean((test > 0.5) == (Yt > 0.5)))}  # fmt: skip
            dz = 1.0 / m * (a - Y)
            for k in range(len(P) - 1, -1, -1):
                dW, db = np.dot(dz, As[k].T), np.sum(dz, axis=1, keepdims=True)
                if k:
                    dz = np.multiply(np.dot(P[k][0].T, dz), np.int64(As[k] > 0))
                P[k] = [P[k][0] - lr * dW, P[k][1] - lr * db]
    return out


# ---------------------------------------------------------------- the comparison


def _select(metrics: pd.DataFrame, experiment: str, where: dict) -> pd.DataFrame:
    df = metrics[metrics["experiment"] == experiment]
    for key, value in where.items():
        df = df[np.isclose(df[key], value)] if isinstance(value, float) else df[df[key] == value]
    return df


def _replay(kind: str, data: dict[str, Array], run: dict, hidden: list[int], log_at: list[int]) -> dict[int, dict]:
    """The notebook's arithmetic for one notebook-seeded run (``{}`` where the notebook trains no such net)."""
    X, y, Xt, yt = splits(data)
    Y, Yt = y[None, :], yt[None, :]
    seed = -int(run["seed"])
    if kind == "planar" and len(hidden) == 1 and run["activation"] == "tanh" and run["init"] == "normal":
        return replay_planar(X, Y, hidden[0], run["lr"], seed, log_at)
    if kind == "initialization" and hidden and run["activation"] == "relu" and run["init"] in ("zeros", "normal", "he_normal"):
        return replay_initialization(X, Y, Xt, Yt, hidden, run["init"], run["scale"], run["lr"], seed, log_at)
    return {}


def compare(
    course: dict, metrics: pd.DataFrame, datasets: dict[str, dict], hidden_of, replay: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The course table (one row per printed number) and the per-seed values behind it.

    ``metrics``: the metrics table; ``datasets``: ``{name: columns}`` of the datasets the course's
    runs use; ``hidden_of(experiment, width, depth)``: the hidden widths of a net.
    """
    rows, seeds_rows = [], []
    replays: dict[tuple, dict] = {}
    wanted: dict[tuple, set] = {}
    numbers = course.get("numbers") or []
    for n in numbers:  # which iterations each notebook-seeded run must replay
        sel = _select(metrics, n["experiment"], n["where"])
        for key in {
            tuple(r)
            for r in sel[sel["seed"] < 0][
                ["experiment", "dataset", "activation", "width", "depth", "init", "scale", "seed", "lr"]
            ].itertuples(index=False)
        }:
            wanted.setdefault(key, set()).add(n["iteration"])
    for i, n in enumerate(numbers):
        book = course["notebooks"][n["notebook"]]
        factor, _ = PRINTED[n["format"]]
        sel = _select(metrics, n["experiment"], n["where"])
        at = sel[sel["iteration"] == n["iteration"]]
        nb, own = at[at["seed"] < 0], at[at["seed"] >= 0]
        values = own[n["metric"]].to_numpy(float) * factor
        if nb.empty and len(own) == 1:  # a deterministic start: every seed, the notebook's too, is this run
            nb = own
        ours = float(nb[n["metric"]].iloc[0]) * factor if len(nb) else np.nan
        replayed = np.nan
        if replay and len(nb) and int(nb["seed"].iloc[0]) < 0:
            run = nb.iloc[0].to_dict()
            key = tuple(run[c] for c in ("experiment", "dataset", "activation", "width", "depth", "init", "scale", "seed", "lr"))
            if key not in replays:
                hidden = hidden_of(run["experiment"], int(run["width"]), int(run["depth"]))
                replays[key] = _replay(
                    book.get("replay", ""), datasets[run["dataset"]], run, hidden, sorted(wanted.get(key, {n["iteration"]}))
                )
            replayed = replays[key].get(n["iteration"], {}).get(n["metric"], np.nan) * factor
        share = beats(ours, values, n["metric"])
        ceiling = np.nan
        if n.get("linear_ceiling") and len(at):
            d = datasets[at["dataset"].iloc[0]]
            train = np.asarray(d["split"]) == "train"
            ceiling = best_linear_accuracy(np.c_[d["x1"], d["x2"]][train], np.asarray(d["y"])[train].astype(int)) * factor
        fmt = n["format"]
        rows.append({
            "number": i, "notebook": n["notebook"], "title": book["title"], "course": book["course"], "printed": n["printed"],
            "experiment": n["experiment"], "metric": n["metric"], "iteration": int(n["iteration"]), "format": fmt,
            "published": float(n["value"]), "published_text": printed(float(n["value"]), fmt),
            "expected": float(n["expected"]) if n.get("expected") is not None else np.nan,
            "notebook_seed": int(-nb["seed"].iloc[0]) if len(nb) and int(nb["seed"].iloc[0]) < 0 else -1,
            "ours": ours, "ours_text": printed(ours, fmt), "match": printed(ours, fmt) == printed(float(n["value"]), fmt),
            "replay": replayed, "replay_text": printed(replayed, fmt),
            "seeds_n": len(values), "seeds_median": float(np.median(values)) if len(values) else np.nan,
            "seeds_min": float(values.min()) if len(values) else np.nan, "seeds_max": float(values.max()) if len(values) else np.nan,
            "beats": share, "draw": draw_label(share, len(np.unique(np.r_[values, ours])), course.get("tail", 0.1)),
            "ceiling": ceiling, "note": n.get("note", ""),
        })  # fmt: skip
        seeds_rows += [{"number": i, "seed": int(s), "value": float(v)} for s, v in zip(own["seed"], values)]
    table = pd.DataFrame(rows, columns=COLUMNS)
    seeds = pd.DataFrame(seeds_rows, columns=["number", "seed", "value"])
    return table.astype(DTYPES), seeds.astype({"number": "int64", "seed": "int64", "value": "float64"})


COLUMNS = [
    "number", "notebook", "title", "course", "printed", "experiment", "metric", "iteration", "format",
    "published", "published_text", "expected", "notebook_seed", "ours", "ours_text", "match", "replay", "replay_text",
    "seeds_n", "seeds_median", "seeds_min", "seeds_max", "beats", "draw", "ceiling", "note",
]  # fmt: skip
"""Columns of results/course.parquet, in order (src/initstudy/schemas/course.schema.yaml)."""

DTYPES = {c: "int64" for c in ("number", "iteration", "notebook_seed", "seeds_n")} | {"match": "bool"}


# ---------------------------------------------------------------- what the report shows


def _shown(value: float, fmt: str) -> str:
    """A seed statistic in the number's unit: costs to the printed 6 decimals, accuracies to 4 digits."""
    from .formatting import fmt as number

    if value is None or np.isnan(value):
        return "—"
    return f"{value:f}" if fmt == "fixed6" else number(float(value), 4)


def report_section(records: list[dict], course: dict, config: dict, figure: dict | None) -> dict:
    """The template's ``course`` context: one table per notebook, a tally, the figure.

    ``records``: rows of results/course.parquet; ``course``: the config's course section.
    """
    books: dict[str, dict] = {}
    for r in sorted(records, key=lambda r: int(r["number"])):
        name = str(r["notebook"])
        book = books.setdefault(
            name,
            {"name": name, "title": str(r["title"]), "course": str(r["course"]), "rows": [], "seeds": set(), "experiments": []},
        )
        if str(r["experiment"]) not in book["experiments"]:
            book["experiments"].append(str(r["experiment"]))
        if int(r["notebook_seed"]) >= 0:
            book["seeds"].add(int(r["notebook_seed"]))
        fmt = str(r["format"])
        has_replay = not np.isnan(r["replay"])
        book["rows"].append({
            "printed": str(r["printed"]),
            "iteration": f"{int(r['iteration']):,}",
            "published": str(r["published_text"]),
            "expected": "" if np.isnan(r["expected"]) else printed(float(r["expected"]), fmt),
            "ours": str(r["ours_text"]) or "—",
            "match": bool(r["match"]),
            "replay": str(r["replay_text"]) if has_replay else "—",
            "replay_match": has_replay and str(r["replay_text"]) == str(r["published_text"]),
            "median": _shown(r["seeds_median"], fmt),
            "range": f"{_shown(r['seeds_min'], fmt)} – {_shown(r['seeds_max'], fmt)}" if int(r["seeds_n"]) else "—",
            "n": int(r["seeds_n"]),
            "draw": str(r["draw"]),
            "beats": "" if np.isnan(r["beats"]) or r["draw"] == "same for every seed" else f"{100 * float(r['beats']):.0f}%",
            "ceiling": "" if np.isnan(r["ceiling"]) else _shown(r["ceiling"], "percent"),
            "note": str(r["note"]),
        })  # fmt: skip
    for book in books.values():
        book["seeds"] = ", ".join(map(str, sorted(book["seeds"]))) or "—"
        book["n_seeds"] = max((row["n"] for row in book["rows"]), default=0)
    total = len(records)
    matched = sum(bool(r["match"]) for r in records)
    return {
        "notebooks": list(books.values()),
        "total": total,
        "matched": matched,
        "lucky": sum(str(r["draw"]) == "lucky" for r in records),
        "unlucky": sum(str(r["draw"]) == "unlucky" for r in records),
        "tail": f"{100 * float(course.get('tail', 0.1)):.0f}%",
        "figure": figure,
    }
