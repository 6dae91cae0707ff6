"""Measures the checks are computed on: the best linear classifier, best learning rates, time to a
target accuracy and the slow-down score, and the signal table of deep nets at init.

Simplification chosen on purpose: a "best learning rate" (or best scale) is chosen from the
medians over all seeds; where the best choice itself is the claim (L14, B03) it is re-chosen in
every bootstrap resample (see :mod:`initstudy.claims.checks`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..linear import best_linear_accuracy
from .frames import RUN, final, fmt_scale, scale_mask
from .kernel import Insufficient, table_rows


def linear_table(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Best linear training accuracy of each dataset (``x1, x2, y, split`` tables, by name)."""
    rows = []
    for name, df in sorted(datasets.items()):
        train = df[df["split"] == "train"]
        X = train[["x1", "x2"]].to_numpy(dtype=np.float64)
        rows.append({"dataset": name, "best_linear": best_linear_accuracy(X, train["y"].to_numpy()), "n_train": len(train)})
    return pd.DataFrame(rows, columns=["dataset", "best_linear", "n_train"])


# --- learning rates and time to target -------------------------------------------------------------


def best_lrs(fin: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group ``by``: the lr with the highest median final train accuracy (then lowest median loss, smallest lr)."""
    med = fin.groupby([*by, "lr"], as_index=False).agg(acc=("train_acc", "median"), loss=("loss", "median"))
    med = med.sort_values([*by, "acc", "loss", "lr"], ascending=[True] * len(by) + [False, True, True], kind="stable")
    return med.groupby(by, as_index=False).first()[[*by, "lr"]]


def at_best_lr(fin: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The final rows of each group ``by`` at its best lr, and the chosen lrs."""
    lrs = best_lrs(fin, by)
    return fin.merge(lrs, on=[*by, "lr"]), lrs


def fixed_lrs(tt: pd.DataFrame, lr: float) -> pd.DataFrame:
    """Every (activation, scale) at the one learning rate ``lr`` (Insufficient if the grid lacks it)."""
    keys = tt[["activation", "scale"]].drop_duplicates()
    if not scale_mask(tt["lr"], [lr]).any():
        raise Insufficient(f"the fixed learning rate {lr:g} is not in the grid")
    return keys.assign(lr=float(tt.loc[scale_mask(tt["lr"], [lr]), "lr"].iloc[0]))


def time_to_target(m: pd.DataFrame, target: float) -> pd.DataFrame:
    """One row per run: ``T`` = first logged iteration with train accuracy >= target (inf if never)."""
    runs = m[RUN].drop_duplicates()
    hit = m[m["train_acc"] >= target].groupby(RUN, as_index=False)["iteration"].min().rename(columns={"iteration": "T"})
    out = runs.merge(hit, on=RUN, how="left")
    out["T"] = out["T"].astype(np.float64).fillna(np.inf)
    fin = final(m)[[*RUN, "train_acc", "loss"]]
    return out.merge(fin, on=RUN, how="left")


def choose_lr_by_time(tt: pd.DataFrame) -> pd.DataFrame:
    """Per (activation, scale): the lr with the smallest median time to target (then highest median final accuracy)."""
    med = tt.groupby(["activation", "scale", "lr"], as_index=False).agg(T=("T", "median"), acc=("train_acc", "median"))
    med = med.sort_values(["activation", "scale", "T", "acc", "lr"], ascending=[True, True, True, False, True], kind="stable")
    return med.groupby(["activation", "scale"], as_index=False).first()[["activation", "scale", "lr"]]


def order_score(t_large: np.ndarray, t_ref: np.ndarray) -> np.ndarray:
    """1 if the large scale reaches the target later, 0.5 at the same logged iteration, 0 earlier; NaN if neither does."""
    score = np.where(t_large > t_ref, 1.0, np.where(t_large == t_ref, 0.5, 0.0))
    return np.where(np.isinf(t_large) & np.isinf(t_ref), np.nan, score)


def slowdown(tt: pd.DataFrame, activations: list[str], ref: float, large: list[float], lrs: pd.DataFrame) -> pd.Series:
    """Per seed: the mean order score of every (activation, large scale) against the reference scale, at the given lrs."""
    chosen = tt.merge(lrs, on=["activation", "scale", "lr"])
    chosen = chosen[chosen["activation"].isin(activations)]
    ref_t = chosen[scale_mask(chosen["scale"], [ref])][["activation", "seed", "T"]]
    big = chosen[scale_mask(chosen["scale"], large)][["activation", "seed", "scale", "T"]]
    pairs = big.merge(ref_t, on=["activation", "seed"], suffixes=("", "_ref"))
    if pairs.empty:
        return pd.Series(dtype=np.float64)
    pairs["score"] = order_score(pairs["T"].to_numpy(), pairs["T_ref"].to_numpy())
    return pairs.groupby("seed")["score"].mean().dropna()


def time_rows(tt: pd.DataFrame, lrs: pd.DataFrame, check: str) -> pd.DataFrame:
    """Iterations to target of every run at the given lrs as measure rows (cell: activation, x: scale, inf: never),
    and the lrs themselves (``<check>: lr``, seed -1): what a figure of time to target draws."""
    runs = tt.merge(lrs, on=["activation", "scale", "lr"])
    return pd.concat([table_rows(check, runs, "T", cell="activation", x="scale", seed="seed"),
                      table_rows(f"{check}: lr", lrs, "lr", cell="activation", x="scale")], ignore_index=True)  # fmt: skip


def median_times(tt: pd.DataFrame, lrs: pd.DataFrame) -> dict:
    """Median iterations to target per activation and scale at the given lrs (None = never)."""
    med = tt.merge(lrs, on=["activation", "scale", "lr"]).groupby(["activation", "scale"])["T"].median()
    out: dict = {}
    for (act, s), t in med.items():
        out.setdefault(act, {})[fmt_scale(s)] = None if np.isinf(t) else float(t)
    return out


def slower_from(times: dict[str, float | None], ref: float) -> str:
    """The smallest scale above ``ref`` whose median time exceeds the reference's (never counts as slower)."""
    t = {float(k): (math.inf if v is None else v) for k, v in times.items()}
    if ref not in t:
        return "n/a"
    above = [s for s in sorted(t) if s > ref and t[s] > t[ref]]
    return fmt_scale(above[0]) if above else "never (in this grid)"


def first_at(lay: pd.DataFrame, hit: pd.Series) -> pd.Series:
    """Per run (index: RUN columns): the first logged iteration where ``hit`` is true; inf if never."""
    runs = lay[RUN].drop_duplicates().set_index(RUN).index
    first = lay[hit].groupby(RUN)["iteration"].min()
    return first.reindex(runs).astype(np.float64).fillna(np.inf)


def cross_50(curve: pd.Series) -> str:
    """Scale (log-interpolated) where a rising curve first reaches 0.5."""
    s = curve.sort_index()
    x, y = np.log10(s.index.to_numpy(dtype=np.float64)), s.to_numpy()
    for i in range(1, len(y)):
        if y[i - 1] < 0.5 <= y[i]:
            return f"{10 ** (x[i - 1] + (0.5 - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1])):.3g}"
    return "above the grid" if (y < 0.5).all() else "below the grid"


# --- signal through depth at init ----------------------------------------------------------------


def log10_ratio(a: pd.DataFrame, b: pd.DataFrame, layer: int, col: str) -> pd.Series:
    """Per seed: log10 of ``col`` at ``layer`` in runs ``a`` over runs ``b`` (0 floored at 1e-300)."""

    def get(d: pd.DataFrame) -> pd.Series:
        return np.log10(np.maximum(d[d["layer"] == layer].set_index("seed")[col], 1e-300))

    return get(a) - get(b)


def signal_table(lay: pd.DataFrame, init: str, act: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deepest net of ``init``/``act`` at iteration 0: scales ``(S,)``, seeds, and per (seed, scale, D) the log10
    change of the activation std from layer 1 to layer D (forward) and of the weight-gradient norm from the last
    layer L down to layer L - D + 1 (backward), D = 1..L."""
    d = lay[(lay["init"] == init) & (lay["activation"] == act)]
    depth = int(d["depth"].max())
    d = d[d["depth"] == depth]
    act_std = d.pivot_table(index=["seed", "scale"], columns="layer", values="act_std")
    grad = d.pivot_table(index=["seed", "scale"], columns="layer", values="grad_norm_w")
    scales = np.sort(d["scale"].unique())
    seeds = [s for s in sorted(d["seed"].unique()) if all((s, c) in act_std.index for c in scales)]
    if not seeds:
        raise Insufficient(f"no seed has every {init} scale for {act}")
    idx = pd.MultiIndex.from_product([seeds, scales])
    a = np.log10(np.maximum(act_std.reindex(idx).to_numpy(), 1e-300)).reshape(len(seeds), len(scales), depth)
    g = np.log10(np.maximum(grad.reindex(idx).to_numpy(), 1e-300)).reshape(len(seeds), len(scales), depth)
    fwd = a - a[:, :, :1]
    bwd = g[:, :, ::-1] - g[:, :, -1:]  # D-th entry: layer L - D + 1 relative to layer L
    return scales, np.asarray(seeds), fwd, bwd


def signal_reach(fwd: np.ndarray, bwd: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Depth the signal reaches: layers before the first where forward or backward change exceeds ``limit`` decades.

    ``fwd``, ``bwd``: ``(..., S, D)``; returns ``reach (..., S)`` and the worst change at that depth ``(..., S)``."""
    worst = np.maximum(np.abs(fwd), np.abs(bwd))
    out = worst > limit
    reach = np.where(out.any(axis=-1), out.argmax(axis=-1), worst.shape[-1])  # layers 1..reach are within
    at = np.take_along_axis(worst, np.maximum(reach - 1, 0)[..., None], axis=-1)[..., 0]
    return reach, at


def signal_measures(scales: np.ndarray, fwd: np.ndarray, bwd: np.ndarray, reach: np.ndarray, activation: str) -> pd.DataFrame:
    """The signal table as rows (activation, scale, layers reached, median log10 change at the last layer, both ways)."""
    return pd.DataFrame(
        {
            "activation": activation,
            "scale": scales.astype(np.float64),
            "reach": reach.astype(np.float64),
            "forward_log10": np.median(fwd, axis=0)[:, -1],
            "backward_log10": np.median(bwd, axis=0)[:, -1],
        }
    )


def growth_table(lay: pd.DataFrame, init: str, act: str, column: str = "dz_rms") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deepest net of ``init``/``act`` at iteration 0: scales ``(S,)``, seeds, and per (seed, scale) the per-layer
    log10 growth of ``column`` going backward (from the last hidden layer L down to layer 1, divided by L - 1):
    0 when the backward signal neither grows nor shrinks (mean-field chi_1 = 1)."""
    d = lay[(lay["init"] == init) & (lay["activation"] == act)]
    depth = int(d["depth"].max())
    d = d[(d["depth"] == depth) & d["layer"].isin([1, depth])]
    if depth < 2:
        raise Insufficient(f"{init} {act}: a net of at least 2 layers is needed for a per-layer growth")
    t = d.pivot_table(index=["seed", "scale"], columns="layer", values=column)
    scales = np.sort(d["scale"].unique())
    seeds = [s for s in sorted(d["seed"].unique()) if all((s, c) in t.index for c in scales)]
    if not seeds:
        raise Insufficient(f"no seed has every {init} scale for {act}")
    idx = pd.MultiIndex.from_product([seeds, scales])
    v = np.log10(np.maximum(t.reindex(idx).to_numpy(), 1e-300)).reshape(len(seeds), len(scales), 2)
    return scales, np.asarray(seeds), (v[:, :, 0] - v[:, :, 1]) / (depth - 1)
