"""Every claim's evaluator by id (:data:`EVALUATORS`), and the claims table and measures built from them.

An evaluator is a pure function ``(Data, rule) -> Outcome`` living in the module of its group of claims:

====================  =====================================================================
module                claims
====================  =====================================================================
``logistic_bias``     L01 (logistic regression from zeros), L07 (zero biases)
``symmetry``          L02, L03, L04 (symmetric units stay identical), B01 (any constant)
``width``             L05 (a symmetric net is one unit), L06 (random init breaks symmetry)
``saturation``        L08 (saturation at init), L09 (slow learning), L10 (ReLU), L11 (sigmoid output)
``scale``             L12 (0.01 for shallow nets), L13 (fan-in inits for deep ones), L14 (small is best)
``bias_only``         B02 (random biases with W = 0)
``families``          B03 (edge of chaos), B04 (init families at the same variance)
====================  =====================================================================
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import bias_only, families, logistic_bias, saturation, scale, symmetry, width
from .frames import Data
from .kernel import MEASURES, Insufficient, Outcome, clean, combine, measures, seeds_needed
from .loader import claim_experiments, rule_text

EVALUATORS: dict[str, Callable[[Data, dict], Outcome]] = {
    "L01": logistic_bias.evaluate_l01,
    "L02": symmetry.evaluate_l02,
    "L03": symmetry.evaluate_l03,
    "L04": symmetry.evaluate_l04,
    "L05": width.evaluate_l05,
    "L06": width.evaluate_l06,
    "L07": logistic_bias.evaluate_l07,
    "L08": saturation.evaluate_l08,
    "L09": saturation.evaluate_l09,
    "L10": saturation.evaluate_l10,
    "L11": saturation.evaluate_l11,
    "L12": scale.evaluate_l12,
    "L13": scale.evaluate_l13,
    "L14": scale.evaluate_l14,
    "B01": symmetry.evaluate_b01,
    "B02": bias_only.evaluate_b02,
    "B03": families.evaluate_b03,
    "B04": families.evaluate_b04,
}
"""Registry: claim id -> evaluator ``(Data, rule) -> Outcome``."""

COLUMNS = (
    "claim_id",
    "claim",
    "verdict",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
    "threshold",
    "n_runs",
    "note",
    "rule",
    "details",
)
"""Columns of results/claims.parquet (declared in src/initstudy/schemas/claims_table.schema.yaml)."""
MEASURE_COLUMNS = ("claim_id", *MEASURES)
"""Columns of results/measures/<claim>.parquet (declared in src/initstudy/schemas/measures.schema.yaml)."""
NOT_RUN = "not run"
"""The statistic of a claim none of whose experiments is in the study (its verdict is inconclusive)."""


def _undecided(record: dict, statistic: str, note: str) -> dict:
    return {
        **record,
        "verdict": "inconclusive",
        "statistic": statistic,
        "value": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "threshold": math.nan,
        "n_runs": 0,
        "note": note,
        "details": json.dumps({}),
    }


def measured_only(data: Data, experiments: list[str]) -> tuple[Data, int]:
    """``data`` without the runs that were not finite at initialisation (NaN metrics, ranks -1: see
    src/initstudy/schemas/metrics.schema.yaml), and how many of them belong to ``experiments``."""
    m, lay = data.metrics, data.layers
    nan = m["loss"].isna() if len(m) else pd.Series(False, index=m.index)
    if not nan.any():
        return data, 0
    n = int((nan & (m["iteration"] == 0) & m["experiment"].isin(experiments)).sum())
    kept = lay[lay["rank_w"] >= 0] if "rank_w" in lay else lay
    return Data(metrics=m[~nan], layers=kept, linear=data.linear), n


def judge(claim_id: str, spec: dict, data: Data) -> tuple[dict, pd.DataFrame]:
    """One row of results/claims.parquet for one claim, and the measures its checks were computed from."""
    rule = {**spec["rule"], "experiment": spec["experiment"]}
    record = {"claim_id": claim_id, "claim": spec["claim"], "rule": rule_text(spec["rule"])}
    exps = claim_experiments(spec)
    have = set(data.metrics["experiment"]) | set(data.layers["experiment"])
    missing = [e for e in exps if e not in have]
    data, unmeasured = measured_only(data, exps)
    unmeasured_note = (
        f" {unmeasured} run(s) were not finite at initialisation (no measurable state: NaN in the tables) and are left out."
        if unmeasured else ""
    )  # fmt: skip
    empty = pd.DataFrame(columns=list(MEASURE_COLUMNS))
    if len(missing) == len(exps):
        names = ", ".join(repr(e) for e in missing)
        return _undecided(
            record, NOT_RUN, f"Not run: experiment {names} is not in this study's config (or produced no runs)."
        ), empty
    try:
        if missing and not isinstance(spec["experiment"], list):
            raise Insufficient(f"experiment {missing[0]!r} is not in this study's config")
        out = EVALUATORS[claim_id](data, rule)
    except Insufficient as exc:
        return _undecided(record, "", f"Not decided: {exc}.{unmeasured_note}"), empty
    verdict = combine(out.checks)
    # the reported number is the check that decided: the first one whose verdict is the claim's
    main = next((t for t in out.checks if t.verdict == verdict), out.checks[0])
    parts = [f"{t.name}: {t.verdict}" + (f" ({t.reason})" if t.reason else "") for t in out.checks]
    note = out.note
    if len(out.checks) > 1:
        note += " Parts: " + "; ".join(parts) + "."
    elif main.reason:
        note += f" Inconclusive: {main.reason}."
    if verdict == "inconclusive":
        needs = [n for t in out.checks if (n := seeds_needed(t, rule.get("interval", {})))]
        if needs:
            note += " What would decide it: " + "; ".join(needs) + "."
    if missing:
        note += f" Experiment(s) {missing} not in this study."
    note += unmeasured_note
    details = {"checks": {t.name: t.summary() for t in out.checks}, **out.details}
    row = {
        **record,
        "verdict": verdict,
        "statistic": main.statistic,
        "value": main.value,
        "ci_low": main.ci_low,
        "ci_high": main.ci_high,
        "threshold": main.threshold,
        "n_runs": int(out.n_runs),
        "note": note.strip(),
        "details": json.dumps(clean(details), allow_nan=False),
    }
    parts = [measures(out.checks), *([out.measures] if out.measures is not None else [])]
    return row, pd.concat(parts, ignore_index=True).assign(claim_id=claim_id)[list(MEASURE_COLUMNS)]


def evaluate_claim(claim_id: str, spec: dict, data: Data) -> dict:
    """One row of results/claims.parquet for one claim (an inconclusive row when its data are missing)."""
    return judge(claim_id, spec, data)[0]


def evaluate_all(claims: dict, data: Data) -> pd.DataFrame:
    """Every claim of a validated claims file, in file order, as the claims table."""
    return evaluate_with_measures(claims, data)[0]


def evaluate_with_measures(claims: dict, data: Data) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The claims table and, per claim id, its measures table."""
    rows, tables = [], {}
    for cid, spec in claims["claims"].items():
        rows.append((res := judge(cid, spec, data))[0])
        tables[cid] = measure_frame(res[1])
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["n_runs"] = df["n_runs"].astype(np.int64)
    for c in ("value", "ci_low", "ci_high", "threshold"):
        df[c] = df[c].astype(np.float64)
    return df, tables


def measure_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A measures table with the declared column types."""
    types = {"claim_id": str, "check": str, "cell": str, "seed": np.int64, "x": np.float64, "value": np.float64}
    return df.astype(types).reset_index(drop=True)
