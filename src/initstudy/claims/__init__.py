"""Verdicts on the lecture's claims (L01-L14) and the questions beyond it (B01-B04), computed from the metric
tables by declared rules (``config/claims.yaml``, schema ``src/initstudy/schemas/claims.schema.yaml``).

Where things live (a newcomer's map):

- :mod:`~initstudy.claims.kernel`: :class:`Check`, the three-valued :func:`decide`, the one percentile
  interval, :func:`worst_of`.
- :mod:`~initstudy.claims.checks`: the reusable check kinds (a bound over runs, a per-seed statistic, a
  paired equivalence per cell, a share over settings, the best choice near a value, a design quantity that
  must reach a minimum).
- :mod:`~initstudy.claims.measures`: what checks are computed on (best linear classifier, best lrs,
  time to target, signal through depth).
- :mod:`~initstudy.claims.frames`: the tables (:class:`Data`) and row selections.
- :mod:`~initstudy.claims.loader`: the one reader and validator of ``config/claims.yaml``.
- :mod:`~initstudy.claims.evaluate`: the registry of claims (:data:`EVALUATORS`, which module holds each
  claim) and the claims and measures tables.
"""

from .checks import best_scales, pick_best
from .evaluate import (
    COLUMNS,
    EVALUATORS,
    MEASURE_COLUMNS,
    NOT_RUN,
    evaluate_all,
    evaluate_claim,
    evaluate_with_measures,
    judge,
)
from .frames import GAPS, LN2, RUN, Data, final, scale_mask, select
from .kernel import (
    DIRECTIONS,
    STATISTICS,
    VERDICTS,
    Check,
    Insufficient,
    Outcome,
    bootstrap,
    combine,
    decide,
    exact_check,
    missing_check,
    percentile_interval,
    resamples,
    seed_check,
    worst_of,
)
from .loader import ClaimsConfigError, check_experiments, load_claims, not_run, rule_text, validate_claims
from .measures import best_lrs, choose_lr_by_time, linear_table, order_score, signal_reach, signal_table, slowdown, time_to_target

__all__ = [
    "COLUMNS", "DIRECTIONS", "EVALUATORS", "GAPS", "LN2", "MEASURE_COLUMNS", "NOT_RUN", "RUN", "STATISTICS", "VERDICTS",
    "Check", "ClaimsConfigError", "Data", "Insufficient", "Outcome", "best_lrs", "best_scales", "bootstrap",
    "check_experiments", "choose_lr_by_time", "combine", "decide", "evaluate_all", "evaluate_claim", "evaluate_with_measures", "exact_check",
    "final", "judge", "linear_table", "load_claims", "missing_check", "not_run", "order_score",
    "percentile_interval", "pick_best", "resamples", "rule_text", "scale_mask", "seed_check", "select", "signal_reach",
    "signal_table", "slowdown", "time_to_target", "validate_claims", "worst_of",
]  # fmt: skip
