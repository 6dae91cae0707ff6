"""Reusable check kinds: each turns a measure into one :class:`~initstudy.claims.kernel.Check`
(or one per cell), parametrised by the claim's rule in config/claims.yaml.

============================  ===========================================================
kind                          used by
============================  ===========================================================
:func:`bound_over_runs`       exact bounds over every run (symmetry gaps, ranks): L02-L06, B01
:func:`enough`                a count or ratio that must reach a minimum, else undecided: L04, B01
:func:`per_seed`              a statistic over seeds with its bootstrap interval: most claims
:func:`paired_cells`          a paired (same seed) difference per cell, judged per cell: L01, L07, B02, B04
:func:`share_over_settings`   share of settings whose best choice is below a limit: L14
:func:`best_choice_near`      the best choice (scale, sigma_w) near a declared value: B03
:func:`band_drops`            per choice, the paired drop from the best one above a margin (outside the band): L14, B03
:func:`flattest_near`         the choice whose per-layer growth is closest to 0, near a declared value: B03
============================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .kernel import Check, exact_check, percentile_interval, resamples, seed_check

per_seed = seed_check  # the rule's statistic over seeds of a per-seed series, with its bootstrap interval


def bound_over_runs(
    name: str, statistic: str, values, threshold: float, direction: str, n: int, min_n: int = 1, reduce: str = "max"
) -> Check:
    """The largest (``reduce="max"``) or smallest value over every run, iteration and layer against a bound (exact)."""
    arr = np.asarray(values, dtype=np.float64)
    return exact_check(name, statistic, float(arr.max() if reduce == "max" else arr.min()), threshold, direction, n, min_n)


def enough(name: str, statistic: str, value: float, minimum: float, n: int, too_few: str) -> Check:
    """A design quantity (how many constants, how long the runs) that must reach ``minimum``: below it the claim is
    undecided, not failed, and ``too_few`` says why (exact: the interval is the value)."""
    return Check(name, statistic, value, value, value, minimum, "at_least", n, reason=too_few if value < minimum else "")


def paired_cells(
    pairs: pd.DataFrame,
    by: list[str],
    diff: str,
    label: Callable[[tuple], str],
    name: str,
    statistic: str,
    rule: dict,
    threshold: float,
    direction: str,
) -> dict[str, Check]:
    """One per-seed check per cell ``by`` of the paired differences ``pairs[diff]`` (one row per seed and cell);
    combine them with :func:`~initstudy.claims.kernel.worst_of`."""
    return {
        label(key): seed_check(name, statistic, g.set_index("seed")[diff], rule, threshold, direction)
        for key, g in pairs.groupby(by)
    }


# --- the best choice, re-chosen in every resample --------------------------------------------------


def best_scales(acc: np.ndarray, loss: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Best scale per resample: highest median accuracy, then lowest median loss, then the larger scale.

    ``acc``, ``loss``: ``(B, n_seeds, n_scales)``; returns ``(B,)`` scales."""
    a = np.median(acc, axis=1)  # (B, S)
    lo = np.median(loss, axis=1)
    top = a == a.max(axis=1, keepdims=True)
    lo = np.where(top, lo, np.inf)
    rev = lo[:, ::-1]  # ties go to the larger scale (conservative for "small is best")
    return scales[len(scales) - 1 - np.argmin(rev, axis=1)]


def share_over_settings(sweeps: list[tuple], limit: float, rule: dict, name: str, statistic: str) -> tuple[Check, np.ndarray]:
    """Share of settings whose best scale is below ``limit`` against the rule's ``share``; the best scale is
    re-chosen in each resample (one generator for all settings, drawn in order). ``sweeps``: ``(key, scales,
    acc (seeds, S), loss (seeds, S))``. Returns the check and each setting's best scale."""
    seeds = min(len(s[2]) for s in sweeps)
    point = np.array([best_scales(acc[None], loss[None], sc)[0] for _, sc, acc, loss in sweeps])
    value = float(np.mean(point < limit))
    iv = rule["interval"]
    shares = np.array([])
    if iv["method"] == "bootstrap" and seeds >= 2:
        rng = np.random.default_rng(iv["seed"])
        shares = np.zeros(iv["resamples"])
        for _, sc, acc, loss in sweeps:
            idx = resamples(len(acc), iv, rng)
            shares += best_scales(acc[idx], loss[idx], sc) < limit
        shares /= len(sweeps)
    lo, hi = percentile_interval(value, shares, iv)
    return Check(name, statistic, value, lo, hi, rule["share"], "above", seeds, rule["min_seeds"]), point


def pick_best(score: np.ndarray, tie: np.ndarray, scales: np.ndarray, critical: float) -> np.ndarray:
    """Per row of ``score`` ``(..., S)``: the scale with the highest score, then the lowest ``tie``, then the one
    farthest from ``critical`` (ties go against the claim)."""
    far = np.abs(np.log10(scales / critical))
    s2, t2 = np.reshape(score, (-1, len(scales))), np.reshape(tie, (-1, len(scales)))
    best = np.array([scales[np.lexsort((-far, t, -s))[0]] for s, t in zip(s2, t2)])
    return best.reshape(np.shape(score)[:-1])


def best_choice_near(name: str, statistic: str, point: float, boot: np.ndarray, rule: dict, margin: float, n: int) -> Check:
    """``point`` = log10(best choice / declared value), within +-``margin``; ``boot``: the same re-chosen per resample."""
    lo, hi = percentile_interval(point, boot if n >= 2 else [], rule["interval"])
    return Check(name, statistic, point, lo, hi, margin, "within", n, rule["min_seeds"])


# --- a band of near-best choices, and the flattest growth ------------------------------------------


def band_drops(acc: pd.DataFrame, rule: dict, margin: float, what: str) -> tuple[float, dict[float, Check]]:
    """The best column of ``acc`` (seeds x choices, e.g. stds; highest median) and, per other choice, a check that
    the per-seed drop from the best (paired by seed) is above ``margin``: that choice is outside the band of
    near-best ones. A choice stays in the band unless its drop's interval lies wholly above the margin."""
    best = acc.median().idxmax()
    return float(best), {
        float(c): seed_check(
            f"{what} {c:g} is outside the band",
            f"drop from the best {what} ({best:g}) to {what} {c:g}, paired by seed",
            acc[best] - acc[c],
            rule,
            margin,
            "above",
        )
        for c in acc.columns
        if c != best
    }


def in_band(best: float, drops: dict[float, Check], margin: float) -> list[float]:
    """The band: the best choice and every choice whose drop is not shown to exceed ``margin``."""
    return sorted([best, *(c for c, t in drops.items() if not t.ci_low > margin)])


def flattest_near(
    growth: np.ndarray, scales: np.ndarray, critical: float, rule: dict, margin: float, name: str, statistic: str
) -> tuple[Check, float]:
    """``growth (seeds, S)``: a per-layer log growth per seed and choice. The choice whose median |growth| is
    smallest (ties: farthest from ``critical``) must lie within ``margin`` decades of ``critical``; the choice is
    re-made in every bootstrap resample of the seeds. Returns the check and the chosen value."""

    def pick(med: np.ndarray) -> np.ndarray:
        return pick_best(-np.abs(med), np.zeros_like(med), scales, critical)

    best = float(pick(np.median(growth, axis=0)))
    idx = resamples(len(growth), rule["interval"])
    boot = np.log10(pick(np.median(growth[idx], axis=1)) / critical) if len(idx) else np.array([])
    return best_choice_near(name, statistic, float(np.log10(best / critical)), boot, rule, margin, len(growth)), best
