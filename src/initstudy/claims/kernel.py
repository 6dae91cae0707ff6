"""The verdict kernel: a :class:`Check`, its three-valued :func:`decide`, the one percentile interval,
and :func:`worst_of` (several cells judged as one).

A check **holds** when its whole interval lies on the side of the threshold its claim predicts,
**fails** when the whole interval lies on the other side, and is **inconclusive** when the
interval straddles the threshold or there are fewer seeds (or runs) than the rule's minimum.
A claim fails if any of its checks fails, holds if all hold, and is inconclusive otherwise.

Intervals are percentile bootstraps over seeds with a fixed generator seed and number of
resamples (reproducible to the last digit); quantities without randomness are exact (the
interval is the value itself).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

VERDICTS = ("holds", "fails", "inconclusive")
STATISTICS: dict[str, Callable[..., np.ndarray]] = {"mean": np.mean, "median": np.median, "min": np.min, "max": np.max}
"""Registry: statistic over seeds -> numpy reduction (called with ``axis``)."""

DIRECTIONS = {
    "above": "above",
    "at_least": "at least",
    "below": "below",
    "at_most": "at most",
    "within": "within +-",
}
"""Which side of the threshold a check claims (``within``: inside ``[-margin, margin]``)."""


class Insufficient(Exception):
    """The tables lack what a check needs (an experiment, a scale, a setting): the claim is inconclusive."""


@dataclass
class Check:
    """One decision: a statistic, its interval, a threshold and the side the claim says it is on."""

    name: str
    statistic: str
    value: float
    ci_low: float
    ci_high: float
    threshold: float
    direction: str
    n: int
    min_n: int = 1
    reason: str = ""
    samples: pd.Series | None = field(default=None, repr=False, compare=False)  # per-seed values, when it has them
    cells: dict | None = field(default=None, repr=False, compare=False)  # the checks it stands for (worst_of)
    verdict: str = field(init=False)

    def __post_init__(self):
        if self.reason:
            self.verdict = "inconclusive"
        elif self.n < self.min_n:
            self.verdict = "inconclusive"
            self.reason = f"{self.n} seeds or runs, fewer than the {self.min_n} the rule requires"
        else:
            self.verdict = decide(self.ci_low, self.ci_high, self.threshold, self.direction)
            if self.verdict == "inconclusive":
                self.reason = f"the interval [{self.ci_low:.4g}, {self.ci_high:.4g}] straddles {self.threshold:g}"

    def summary(self) -> dict:
        out = {
            "verdict": self.verdict,
            "value": num(self.value),
            "ci": [num(self.ci_low), num(self.ci_high)],
            "threshold": self.threshold,
            "n": self.n,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


def decide(lo: float, hi: float, threshold: float, direction: str) -> str:
    """Three-valued verdict of an interval ``[lo, hi]`` against a threshold (or margin, for ``within``)."""
    if math.isnan(lo) or math.isnan(hi):
        return "inconclusive"
    t = threshold
    if direction == "above":
        return "holds" if lo > t else "fails" if hi <= t else "inconclusive"
    if direction == "at_least":
        return "holds" if lo >= t else "fails" if hi < t else "inconclusive"
    if direction == "below":
        return "holds" if hi < t else "fails" if lo >= t else "inconclusive"
    if direction == "at_most":
        return "holds" if hi <= t else "fails" if lo > t else "inconclusive"
    if direction == "within":
        return "holds" if -t < lo and hi < t else "fails" if lo >= t or hi <= -t else "inconclusive"
    raise ValueError(f"unknown direction {direction!r}; known: {list(DIRECTIONS)}")


def combine(checks: list[Check]) -> str:
    verdicts = {t.verdict for t in checks}
    return "fails" if "fails" in verdicts else "holds" if verdicts == {"holds"} else "inconclusive"


# --- the one interval ----------------------------------------------------------------------------


def resamples(n: int, interval: dict, rng: np.random.Generator | None = None) -> np.ndarray:
    """Bootstrap resamples of ``n`` seeds, ``(resamples, n)`` indices; none for an exact interval or one seed.

    ``rng``: a generator shared by several draws (one per setting); by default a fresh one seeded by the rule."""
    if interval["method"] != "bootstrap" or n < 2:
        return np.zeros((0, n), dtype=np.int64)
    rng = np.random.default_rng(interval["seed"]) if rng is None else rng
    return rng.integers(0, n, (interval["resamples"], n))


def percentile_interval(point: float, stats: np.ndarray, interval: dict) -> tuple[float, float]:
    """The percentile interval of the resampled ``stats`` at the rule's level; ``(point, point)`` without resamples."""
    stats = np.asarray(stats)
    if interval["method"] != "bootstrap" or stats.size == 0:
        return point, point
    a = (1.0 - interval["level"]) / 2.0
    lo, hi = np.quantile(stats, [a, 1.0 - a])
    return float(lo), float(hi)


def bootstrap(values: np.ndarray, statistic: str, interval: dict) -> tuple[float, float, float]:
    """Statistic of per-seed ``values`` and its percentile bootstrap interval (resampling seeds)."""
    values = np.asarray(values, dtype=np.float64)
    stat = STATISTICS[statistic]
    point = float(stat(values))
    idx = resamples(len(values), interval)
    lo, hi = percentile_interval(point, stat(values[idx], axis=1) if len(idx) else [], interval)
    return point, lo, hi


# --- checks from numbers -------------------------------------------------------------------------


def seed_check(name: str, statistic: str, per_seed: pd.Series, rule: dict, threshold: float, direction: str) -> Check:
    """The rule's statistic over seeds of ``per_seed`` (NaN seeds dropped), with its bootstrap interval."""
    v = per_seed.dropna().to_numpy(dtype=np.float64)
    if len(v) == 0:
        return missing_check(name, statistic, threshold, direction, "no seed has the runs this test compares")
    value, lo, hi = bootstrap(v, rule["statistic"], rule["interval"])
    statistic = f"{rule['statistic']} over seeds of {statistic}"
    return Check(name, statistic, value, lo, hi, threshold, direction, len(v), rule["min_seeds"], samples=per_seed.dropna())


def exact_check(name: str, statistic: str, value: float, threshold: float, direction: str, n: int, min_n: int = 1) -> Check:
    """A check of a quantity without randomness: the interval is the value itself."""
    return Check(name, statistic, float(value), float(value), float(value), threshold, direction, n, min_n)


def missing_check(name: str, statistic: str, threshold: float, direction: str, reason: str) -> Check:
    """An inconclusive check: the tables lack what it needs (``reason`` says what)."""
    return Check(name, statistic, math.nan, math.nan, math.nan, threshold, direction, 0, 1, reason=reason)


# --- what would decide an inconclusive check ------------------------------------------------------


def _claim_side(t: Check) -> bool:
    """Whether the point value lies on the side of the threshold the claim predicts."""
    v, thr = t.value, t.threshold
    return {"above": v > thr, "at_least": v >= thr, "below": v < thr, "at_most": v <= thr}.get(t.direction, abs(v) < thr)


def seeds_needed(check: Check, interval: dict) -> str:
    """For an inconclusive check: about how many seeds would put its interval clear of the threshold, from the
    observed spread of its per-seed values (normal approximation; a median needs pi/2 times the seeds of a mean),
    and which way it would then go. For several cells, the cell that needs the most. Empty when decided."""
    found = []
    for cell, t in (check.cells or {"": check}).items():
        if t.verdict != "inconclusive":
            continue
        where = f"{cell}: " if cell else ""
        if t.samples is not None and t.n < t.min_n:
            found.append((math.inf, f"{where}only {t.n} seed(s) have the values this check compares ({t.min_n} needed): more "
                                    "seeds, or more iterations where runs never reach the target"))  # fmt: skip
            continue
        if t.samples is None or len(t.samples) < 2 or not math.isfinite(t.value):
            why = t.reason or "no per-seed values"
            found.append((math.inf, f"{where}{why} (more seeds cannot help; more runs or iterations might)"))
            continue
        gap = abs(abs(t.value) - t.threshold) if t.direction == "within" else abs(t.value - t.threshold)
        sd = float(np.std(np.asarray(t.samples, dtype=np.float64), ddof=1))
        if gap == 0 or sd == 0:
            on = f"{where}the statistic ({t.value:.3g}) sits on the threshold ({t.threshold:g})"
            found.append((math.inf, f"{on}: no number of seeds decides it"))
            continue
        z = statistics.NormalDist().inv_cdf(0.5 + interval.get("level", 0.95) / 2)
        eff = math.pi / 2 if t.statistic.startswith("median") else 1.0
        n = max(math.ceil(eff * (z * sd / gap) ** 2), len(t.samples) + 1)
        way = "hold" if _claim_side(t) else "fail"
        now = f"now {len(t.samples)}, sd {sd:.3g}"
        found.append((n, f"{where}about {n} seeds ({now}) would make it {way}, if the statistic stays at {t.value:.3g}"))
    found.sort(key=lambda f: -f[0])  # the cell that needs the most first, at most four named
    return "; ".join(text for _, text in found[:4]) + (f"; and {len(found) - 4} more" if len(found) > 4 else "")


# --- several cells as one ------------------------------------------------------------------------

_SEVERITY = {"fails": 0, "inconclusive": 1, "holds": 2}


def _slack(t: Check) -> float:
    """How far a check's interval lies inside the side its claim predicts (negative: outside; -inf: undecided)."""
    if not (np.isfinite(t.ci_low) and np.isfinite(t.ci_high)):
        return -math.inf
    if t.direction in ("above", "at_least"):
        return t.ci_low - t.threshold
    if t.direction in ("below", "at_most"):
        return t.threshold - t.ci_high
    return t.threshold - max(abs(t.ci_low), abs(t.ci_high))


def worst_of(tests: dict[str, Check]) -> Check:
    """One check standing for several cells: the combined verdict and the numbers of the cell that is worst for the
    claim (a failing cell first, then the one with the least room inside its threshold), for any direction."""
    cell, worst = min(tests.items(), key=lambda kv: (_SEVERITY[kv[1].verdict], _slack(kv[1])))
    out = Check(
        f"{worst.name} (worst cell: {cell})",
        worst.statistic,
        worst.value,
        worst.ci_low,
        worst.ci_high,
        worst.threshold,
        worst.direction,
        worst.n,
        worst.min_n,
        reason=worst.reason,
        cells=tests,
    )
    out.verdict = combine(list(tests.values()))
    if out.verdict != "inconclusive":
        out.reason = ""
    elif not out.reason:
        out.reason = "; ".join(f"{k}: {t.reason}" for k, t in tests.items() if t.verdict == "inconclusive")
    return out


@dataclass
class Outcome:
    """What a claim returns: its checks (the first whose verdict is the claim's gives the reported number), a note,
    details, and the measures (tables) its checks were computed from."""

    checks: list[Check]
    n_runs: int
    note: str = ""
    details: dict = field(default_factory=dict)
    measures: pd.DataFrame | None = None


MEASURES = ("check", "cell", "seed", "x", "value")
"""Columns of a claim's measures (and of :attr:`Outcome.measures`, the extra tables a claim adds)."""


def measure_rows(check: str, values: pd.Series, cell: str = "", x=math.nan, seed: int = -1) -> pd.DataFrame:
    """Extra measure rows: one per entry of ``values``; ``cell``, ``x`` or ``seed`` may be a callable of its index."""
    pick = lambda v, k: v(k) if callable(v) else v  # noqa: E731
    rows = [(check, str(pick(cell, k)), int(pick(seed, k)), float(pick(x, k)), float(v)) for k, v in values.items()]
    return pd.DataFrame(rows, columns=list(MEASURES))


def table_rows(check: str, df: pd.DataFrame, value: str, cell: str | None = None, x: str | None = None,
               seed: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Extra measure rows from a long table, one per row of ``df``: ``value``, ``cell``, ``x`` and ``seed`` name its
    columns (without one: an empty cell, x NaN, seed -1)."""
    n = len(df)
    return pd.DataFrame(
        {
            "check": [check] * n,
            "cell": df[cell].astype(str).tolist() if cell else [""] * n,
            "seed": df[seed].to_numpy(dtype=np.int64) if seed else np.full(n, -1, dtype=np.int64),
            "x": df[x].to_numpy(dtype=np.float64) if x else np.full(n, np.nan),
            "value": df[value].to_numpy(dtype=np.float64),
        },
        columns=list(MEASURES),
    )


SUMMARY = ("statistic", "interval low", "interval high")
"""The parts of a check's summary that :func:`summary_rows` writes as measure rows (``<name>: <part>``)."""


def summary_rows(name: str, cells: dict, cell=str, x=math.nan) -> pd.DataFrame:
    """Each cell's statistic and interval as measure rows named ``<name>: statistic`` / ``interval low`` /
    ``interval high`` (seed -1), so a figure draws the verdict's own point and interval; ``cell`` and ``x`` may be
    callables of the cell key."""
    pick = lambda v, k: v(k) if callable(v) else v  # noqa: E731
    rows = [
        (f"{name}: {part}", str(pick(cell, k)), -1, float(pick(x, k)), float(v))
        for k, t in cells.items()
        for part, v in zip(SUMMARY, (t.value, t.ci_low, t.ci_high))
    ]
    return pd.DataFrame(rows, columns=list(MEASURES))


def _seed(s) -> int:
    return int(s) if isinstance(s, (int, np.integer)) else -1


def measures(checks: list[Check]) -> pd.DataFrame:
    """What the checks were computed from, one row per value: ``check``, ``cell`` (empty for a one-cell check),
    ``seed`` (-1 for an exact value), ``x`` (NaN) and ``value`` (results/measures/<claim>.parquet, less claim_id)."""
    rows = []
    for c in checks:
        for cell, t in (c.cells or {"": c}).items():
            if t.samples is not None:
                rows += [(c.name, str(cell), _seed(s), math.nan, float(v)) for s, v in t.samples.items()]
            elif not math.isnan(t.value):
                rows.append((c.name, str(cell), -1, math.nan, float(t.value)))
    return pd.DataFrame(rows, columns=list(MEASURES))


def num(x) -> float | str | None:
    """A number for the details JSON: rounded, NaN as null, infinities as "inf" / "-inf"."""
    x = float(x)
    return None if math.isnan(x) else float(f"{x:.6g}") + 0.0 if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def clean(obj):
    """``obj`` with numpy scalars, NaN and infinities made JSON-safe and every key a string."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return num(obj)
    return obj
