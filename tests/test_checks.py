"""Every check kind on its own: data on which it holds, data on which it fails, data that leave it undecided.

A check that cannot fail is a bug (the old L10 active-share check passed its claim tests and still could not
fail), so each kind is fed numbers that must give `fails`, independently of any claim.
"""

import math

import numpy as np
import pandas as pd
import pytest

from initstudy.claims import checks as K
from initstudy.claims.kernel import seeds_needed

BOOT = {"method": "bootstrap", "level": 0.95, "resamples": 2000, "seed": 1}
RULE = {"statistic": "mean", "min_seeds": 3, "interval": BOOT}


def test_bound_over_runs_holds_and_fails():
    assert K.bound_over_runs("gap", "largest gap", [0.0, 1e-15, 0.0], 1e-12, "at_most", 3).verdict == "holds"
    assert K.bound_over_runs("gap", "largest gap", [0.0, 1e-3, 0.0], 1e-12, "at_most", 3).verdict == "fails"
    assert K.bound_over_runs("gap", "smallest gap", [0.2, 0.0], 1e-12, "above", 2, reduce="min").verdict == "fails"
    assert K.bound_over_runs("gap", "largest gap", [0.0], 1e-12, "at_most", 1, min_n=2).verdict == "inconclusive"


def test_per_seed_holds_fails_and_needs_seeds():
    rng = np.random.default_rng(0)
    above = pd.Series(0.5 + 0.01 * rng.standard_normal(10))
    assert K.per_seed("x", "s", above, RULE, 0.1, "above").verdict == "holds"
    assert K.per_seed("x", "s", above, RULE, 0.9, "above").verdict == "fails"
    straddle = pd.Series([0.5, -0.3, 0.4, -0.2, 0.3, 0.0])  # mean 0.117, wide interval
    t = K.per_seed("x", "s", straddle, RULE, 0.1, "above")
    assert t.verdict == "inconclusive"
    assert "seeds" in seeds_needed(t, BOOT) or "no number of seeds" in seeds_needed(t, BOOT)
    assert K.per_seed("x", "s", above[:2], RULE, 0.1, "above").verdict == "inconclusive"  # fewer than min_seeds


def test_paired_cells_fails_when_one_cell_is_apart():
    rows = [dict(cell=c, seed=s, d=(0.2 if c == "b" else 0.0) + 0.001 * s) for c in "ab" for s in range(8)]
    cells = K.paired_cells(pd.DataFrame(rows), ["cell"], "d", lambda k: k[0], "equal", "diff", RULE, 0.05, "within")
    assert cells["a"].verdict == "holds" and cells["b"].verdict == "fails"


def test_share_over_settings_fails_when_large_scales_win():
    scales = np.array([0.01, 1.0, 100.0])
    seeds = 6
    small = (("s",), scales, np.tile([0.9, 0.5, 0.5], (seeds, 1)), np.ones((seeds, 3)))
    large = (("l",), scales, np.tile([0.5, 0.5, 0.9], (seeds, 1)), np.ones((seeds, 3)))
    rule = {**RULE, "share": 0.5}
    assert K.share_over_settings([small, small], 1.0, rule, "n", "s")[0].verdict == "holds"
    assert K.share_over_settings([large, large], 1.0, rule, "n", "s")[0].verdict == "fails"


def test_best_choice_near_fails_far_from_the_value():
    margin = math.log10(1.2)
    assert K.best_choice_near("n", "s", 0.0, np.zeros(100), RULE, margin, 10).verdict == "holds"
    assert K.best_choice_near("n", "s", 0.3, np.full(100, 0.3), RULE, margin, 10).verdict == "fails"
    mixed = np.r_[np.zeros(50), np.full(50, 0.3)]
    assert K.best_choice_near("n", "s", 0.0, mixed, RULE, margin, 10).verdict == "inconclusive"


def test_seeds_needed_scales_with_the_spread():
    rng = np.random.default_rng(3)
    noisy = pd.Series(0.05 + 0.3 * rng.standard_normal(5))
    t = K.per_seed("x", "s", noisy, RULE, 0.0, "above")
    assert t.verdict == "inconclusive"
    text = seeds_needed(t, BOOT)
    n = int(text.split("about ")[1].split(" seeds")[0])
    sd, gap = float(noisy.std(ddof=1)), abs(float(noisy.mean()))
    assert n == math.ceil((1.959963984540054 * sd / gap) ** 2)
    assert seeds_needed(K.per_seed("x", "s", pd.Series([1.0, 1.1, 0.9]), RULE, 0.0, "above"), BOOT) == ""  # decided


def test_band_drops_and_in_band():
    rng = np.random.default_rng(2)
    acc = pd.DataFrame({0.1: 0.9 + 0.005 * rng.standard_normal(8), 0.3: 0.895 + 0.005 * rng.standard_normal(8),
                        1.0: 0.6 + 0.005 * rng.standard_normal(8)})  # fmt: skip
    best, drops = K.band_drops(acc, {**RULE, "statistic": "median"}, 0.02, "std")
    assert best == 0.1
    assert drops[1.0].verdict == "holds"  # clearly worse: outside the band
    assert drops[0.3].verdict == "fails"  # within the margin: inside the band, so 'outside' fails
    assert K.in_band(best, drops, 0.02) == [0.1, 0.3]


def test_flattest_near_picks_the_zero_crossing_and_fails_away_from_it():
    scales = np.array([0.8, 1.0, 1.2, 1.5, 2.0])
    rng = np.random.default_rng(4)
    growth = np.log10(scales / 1.0)[None, :] + 0.002 * rng.standard_normal((10, 5))  # crosses 0 at 1.0
    t, best = K.flattest_near(growth, scales, 1.0, RULE, np.log10(1.2), "n", "s")
    assert best == 1.0 and t.verdict == "holds"
    t, best = K.flattest_near(growth - np.log10(1.5), scales, 1.0, RULE, np.log10(1.2), "n", "s")
    assert best == 1.5 and t.verdict == "fails"


def test_seeds_needed_when_too_few_seeds_have_values():
    t = K.per_seed("x", "s", pd.Series([0.5, 0.6]), RULE, 0.0, "above")
    assert t.verdict == "inconclusive" and "only 2 seed(s)" in seeds_needed(t, BOOT)
