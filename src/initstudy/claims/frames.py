"""The tables a claim is judged on (:class:`Data`) and the row selections every claim shares.

Scales, bias scales and learning rates are compared with a relative tolerance (1e-9), so a grid
value written as ``1.4142`` or computed as ``sqrt(2)`` is found either way (:func:`near` is looser,
1e-3, for the edge-of-chaos grids that write sqrt 2 to four digits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..grid import COORDINATES
from .kernel import Insufficient

LN2 = math.log(2.0)
GAPS = ("gap_act", "gap_dz", "gap_dw", "gap_w", "gap_b", "gap_wout")
RUN = list(COORDINATES)  # the columns that identify a run


@dataclass(frozen=True)
class Data:
    """The tables a claim is judged on: metrics, layers, and each dataset's best linear accuracy."""

    metrics: pd.DataFrame
    layers: pd.DataFrame
    linear: pd.DataFrame  # dataset, best_linear, n_train (measures.linear_table)


def scale_mask(series: pd.Series, scales) -> pd.Series:
    """Rows whose scale is one of ``scales`` (compared with a relative tolerance of 1e-9)."""
    values = series.to_numpy(dtype=np.float64)[:, None]
    return pd.Series(
        np.isclose(values, np.asarray(scales, dtype=np.float64)[None, :], rtol=1e-9, atol=0).any(axis=1), index=series.index
    )


def near(series: pd.Series, value: float, rtol: float = 1e-3) -> pd.Series:
    """Rows whose value is ``value`` to a relative tolerance (grids write sqrt 2 as 1.4142)."""
    return pd.Series(np.isclose(series.to_numpy(dtype=np.float64), value, rtol=rtol, atol=0), index=series.index)


def select(df: pd.DataFrame, experiment, **eq) -> pd.DataFrame:
    """Rows of ``experiment`` (a name or a list) where every column equals (or is in) the given value."""
    out = df[df["experiment"].isin(as_list(experiment))]
    for col, v in eq.items():
        if v is None:
            continue
        if col in ("scale", "bias_scale", "lr"):
            out = out[scale_mask(out[col], v if isinstance(v, (list, tuple)) else [v])]
        elif isinstance(v, (list, tuple, set)):
            out = out[out[col].isin(list(v))]
        else:
            out = out[out[col] == v]
    return out


def final(df: pd.DataFrame) -> pd.DataFrame:
    """The rows at each run's last iteration."""
    return df[df["iteration"] == df["iterations"]]


def at_init(df: pd.DataFrame) -> pd.DataFrame:
    """The rows at iteration 0."""
    return df[df["iteration"] == 0]


def one_lr(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the smallest lr: at iteration 0 the lr does not matter, so one is enough."""
    return df[scale_mask(df["lr"], [df["lr"].min()])]


def require(df: pd.DataFrame, what: str) -> pd.DataFrame:
    if df.empty:
        raise Insufficient(f"no runs of {what} in the tables")
    return df


def n_runs(df: pd.DataFrame) -> int:
    return len(df[RUN].drop_duplicates()) if len(df) else 0


def present_scales(df: pd.DataFrame, wanted, what: str) -> list[float]:
    """The scales of ``wanted`` that the runs have; Insufficient if none."""
    have = [s for s in wanted if scale_mask(df["scale"], [s]).any()]
    if not have:
        raise Insufficient(f"none of the scales {list(wanted)} {what} is in the grid")
    return have


def with_linear(df: pd.DataFrame, data: Data) -> pd.DataFrame:
    """``df`` with each dataset's ``best_linear`` accuracy and ``n_train``."""
    out = df.merge(data.linear, on="dataset", how="left")
    if out["best_linear"].isna().any():
        missing = sorted(out.loc[out["best_linear"].isna(), "dataset"].unique())
        raise Insufficient(f"no dataset table for {missing}, so no best linear accuracy")
    return out


def as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def fmt_scale(s: float) -> str:
    return f"{s:g}"


def iter_text(v: float) -> str:
    return "never" if not np.isfinite(v) else f"{v:.0f}"


def never_leaves(m: pd.DataFrame, value: float, tolerance: float) -> pd.Series:
    """Per run: True if its loss stays within ``tolerance`` of ``value`` at every logged iteration."""
    return m.groupby(RUN)["loss"].agg(lambda s: bool(np.all(np.abs(s - value) < tolerance)))
