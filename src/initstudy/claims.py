"""Verdicts on the lecture's claims (L01-L14) and the questions beyond it (B01-B04), computed from the metric
tables by declared rules.

A rule is data (``config/claims.yaml``, schema ``workflow/schemas/claims.schema.yaml``): the
metric, the statistic over seeds, the threshold or equivalence margin and the interval method.
Each claim has an evaluator in :data:`EVALUATORS`, a pure function
``(Data, rule) -> Outcome`` that runs one or more *checks*; :func:`evaluate_claim` turns the
outcome into one record with the columns of ``results/claims.parquet``.

Verdicts are three-valued. A check **holds** when its whole interval lies on the claimed side of
the threshold, **fails** when its whole interval lies on the other side, and is
**inconclusive** when the interval straddles the threshold or there are fewer seeds (or runs)
than the rule's declared minimum. A claim fails if any of its checks fails, holds if all hold,
and is inconclusive otherwise; the first check is the claim's deciding number.

Intervals are percentile bootstraps over seeds: seeds are resampled with replacement, the rule's
statistic (median, mean, ...) recomputed, a fixed generator seed and number of resamples, so a
verdict is reproducible to the last digit. Quantities that involve no randomness (the symmetry
gaps and ranks of symmetric inits, whose seeds collapse to one run) are exact: their interval is
the value itself. Runs of different scales, init families or learning rates with the same seed
share their random draws (see :mod:`initstudy.train`), so differences taken per seed are paired.

Simplifications chosen on purpose: a "best learning rate" (or best scale) is chosen from the
medians over all seeds; where the best scale itself is the claim (L14) it is re-chosen in every
bootstrap resample.
"""

from __future__ import annotations

import difflib
import json
import math
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import yaml

from .config import ConfigError, read_yaml
from .grid import COORDINATES
from .linear import best_linear_accuracy

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "claims.schema.yaml"

VERDICTS = ("holds", "fails", "inconclusive")
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
"""Columns of results/claims.parquet (declared in workflow/schemas/claims_table.schema.yaml)."""

LN2 = math.log(2.0)
GAPS = ("gap_act", "gap_dz", "gap_dw", "gap_w", "gap_b", "gap_wout")
RUN = list(COORDINATES)  # the columns that identify a run
STATISTICS: dict[str, Callable[..., np.ndarray]] = {"mean": np.mean, "median": np.median, "min": np.min, "max": np.max}
"""Registry: statistic over seeds -> numpy reduction (called with ``axis``)."""

DIRECTIONS = {
    "above": "above",
    "at_least": "at least",
    "below": "below",
    "at_most": "at most",
    "within": "within +-",
}
"""Which side of the threshold a test claims (``within``: inside ``[-margin, margin]``)."""


class ClaimsConfigError(ValueError):
    """A claims file that breaks its schema (each line names the key path)."""


class Insufficient(Exception):
    """The tables lack what a test needs (an experiment, a scale, a setting): the test is inconclusive."""


# ---------------------------------------------------------------------------------------------
# Loading the rules


def load_claims(path: Path | str, schema_path: Path | str = SCHEMA_PATH) -> dict:
    """Read and validate ``config/claims.yaml``; raise :class:`ClaimsConfigError` naming each bad key."""
    try:
        data = read_yaml(path)  # refuses repeated keys; YAML anchors and merge keys work
    except ConfigError as exc:
        raise ClaimsConfigError(str(exc)) from None
    try:
        return validate_claims(data, schema_path)
    except ClaimsConfigError as exc:
        raise ClaimsConfigError("\n".join(f"{path}: {line}" for line in str(exc).splitlines())) from None


def _key_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _schema_message(error: jsonschema.ValidationError) -> str:
    """One line naming the key path and what is wrong there."""
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        hints = [
            f"'{k}'" + (f" (did you mean '{c[0]}'?)" if (c := difflib.get_close_matches(str(k), known, n=1)) else "")
            for k in extra
        ]
        return f"{where}: unknown key {', '.join(hints)}; known keys: {', '.join(known)}"
    if error.validator == "oneOf" and error.context:
        return f"{where}: {jsonschema.exceptions.best_match(error.context).message}"
    return f"{where}: {error.message}"


def validate_claims(data, schema_path: Path | str = SCHEMA_PATH) -> dict:
    """Check the claims rules against their schema, then that every claim has an evaluator and a rule text."""
    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ClaimsConfigError("(top level): the claims file must be a mapping with a 'claims' key")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        raise ClaimsConfigError("\n".join(dict.fromkeys(_schema_message(e) for e in errors)))
    problems = []
    for cid, spec in data["claims"].items():
        if cid not in EVALUATORS:
            problems.append(f"claims.{cid}: no evaluator for this claim id (known: {', '.join(EVALUATORS)})")
            continue
        try:
            rule_text(spec["rule"])
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(f"claims.{cid}.rule.text: cannot fill in the template ({exc!r}); use {{key}} for keys of rule")
    if problems:
        raise ClaimsConfigError("\n".join(problems))
    return data


def _describe(value) -> str:
    if isinstance(value, dict) and value.get("method") == "bootstrap":
        level, n, seed = value["level"], value["resamples"], value["seed"]
        return f"{level:.0%} percentile bootstrap over seeds ({n} resamples, generator seed {seed})"
    if isinstance(value, dict) and value.get("method") == "exact":
        return "exact (no randomness: the value itself)"
    if isinstance(value, list):
        return ", ".join(_describe(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_describe(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rule_text(rule: dict) -> str:
    """The rule in words: its ``text`` template with ``{key}`` filled from the rule's values."""
    fields = {name for _, name, _, _ in string.Formatter().parse(rule["text"]) if name}
    return rule["text"].format(**{k: _describe(rule[k]) for k in fields})


# ---------------------------------------------------------------------------------------------
# Tests and verdicts


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
            "value": _num(self.value),
            "ci": [_num(self.ci_low), _num(self.ci_high)],
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


def bootstrap(values: np.ndarray, statistic: str, interval: dict) -> tuple[float, float, float]:
    """Statistic of per-seed ``values`` and its percentile bootstrap interval (resampling seeds)."""
    values = np.asarray(values, dtype=np.float64)
    stat = STATISTICS[statistic]
    point = float(stat(values))
    if interval["method"] == "exact" or len(values) < 2:
        return point, point, point
    rng = np.random.default_rng(interval["seed"])
    idx = rng.integers(0, len(values), (interval["resamples"], len(values)))
    stats = stat(values[idx], axis=1)
    a = (1.0 - interval["level"]) / 2.0
    lo, hi = np.quantile(stats, [a, 1.0 - a])
    return point, float(lo), float(hi)


def seed_check(name: str, statistic: str, per_seed: pd.Series, rule: dict, threshold: float, direction: str) -> Check:
    """A test of the rule's statistic over seeds of ``per_seed`` (NaN seeds dropped), bootstrap interval."""
    v = per_seed.dropna().to_numpy(dtype=np.float64)
    if len(v) == 0:
        return missing_check(name, statistic, threshold, direction, "no seed has the runs this test compares")
    value, lo, hi = bootstrap(v, rule["statistic"], rule["interval"])
    return Check(
        name, f"{rule['statistic']} over seeds of {statistic}", value, lo, hi, threshold, direction, len(v), rule["min_seeds"]
    )


def exact_check(name: str, statistic: str, value: float, threshold: float, direction: str, n: int, min_n: int = 1) -> Check:
    """A test of a quantity without randomness: the interval is the value itself."""
    return Check(name, statistic, float(value), float(value), float(value), threshold, direction, n, min_n)


def missing_check(name: str, statistic: str, threshold: float, direction: str, reason: str) -> Check:
    return Check(name, statistic, math.nan, math.nan, math.nan, threshold, direction, 0, 1, reason=reason)


def combine(checks: list[Check]) -> str:
    verdicts = {t.verdict for t in checks}
    return "fails" if "fails" in verdicts else "holds" if verdicts == {"holds"} else "inconclusive"


@dataclass
class Outcome:
    """What an evaluator returns: its checks (the first whose verdict is the claim's gives the reported number), a note, details."""

    checks: list[Check]
    n_runs: int
    note: str = ""
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Data:
    """The tables a claim is judged on: metrics, layers, and each dataset's best linear accuracy."""

    metrics: pd.DataFrame
    layers: pd.DataFrame
    linear: pd.DataFrame  # dataset, best_linear, n_train


def linear_table(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Best linear training accuracy of each dataset (``x1, x2, y, split`` tables, by name)."""
    rows = []
    for name, df in sorted(datasets.items()):
        train = df[df["split"] == "train"]
        X = train[["x1", "x2"]].to_numpy(dtype=np.float64)
        rows.append({"dataset": name, "best_linear": best_linear_accuracy(X, train["y"].to_numpy()), "n_train": len(train)})
    return pd.DataFrame(rows, columns=["dataset", "best_linear", "n_train"])


# ---------------------------------------------------------------------------------------------
# Selecting rows


def _num(x) -> float | str | None:
    """A number for the details JSON: rounded, NaN as null, infinities as "inf" / "-inf"."""
    x = float(x)
    return None if math.isnan(x) else float(f"{x:.6g}") + 0.0 if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def _clean(obj):
    """``obj`` with numpy scalars, NaN and infinities made JSON-safe and every key a string."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _num(obj)
    return obj


def scale_mask(series: pd.Series, scales) -> pd.Series:
    """Rows whose scale is one of ``scales`` (compared with a relative tolerance of 1e-9)."""
    values = series.to_numpy(dtype=np.float64)[:, None]
    return pd.Series(
        np.isclose(values, np.asarray(scales, dtype=np.float64)[None, :], rtol=1e-9, atol=0).any(axis=1), index=series.index
    )


def select(df: pd.DataFrame, experiment, **eq) -> pd.DataFrame:
    """Rows of ``experiment`` (a name or a list) where every column equals (or is in) the given value."""
    exps = [experiment] if isinstance(experiment, str) else list(experiment)
    out = df[df["experiment"].isin(exps)]
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
    return df[df["iteration"] == df["iterations"]]


def at_init(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["iteration"] == 0]


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
    out = df.merge(data.linear, on="dataset", how="left")
    if out["best_linear"].isna().any():
        missing = sorted(out.loc[out["best_linear"].isna(), "dataset"].unique())
        raise Insufficient(f"no dataset table for {missing}, so no best linear accuracy")
    return out


def _fmt_scale(s: float) -> str:
    return f"{s:g}"


# ---------------------------------------------------------------------------------------------
# Shared measurements


def best_lrs(fin: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group ``by``: the lr with the highest median final train accuracy (then lowest median loss, smallest lr)."""
    med = fin.groupby([*by, "lr"], as_index=False).agg(acc=("train_acc", "median"), loss=("loss", "median"))
    med = med.sort_values([*by, "acc", "loss", "lr"], ascending=[True] * len(by) + [False, True, True], kind="stable")
    return med.groupby(by, as_index=False).first()[[*by, "lr"]]


def time_to_target(m: pd.DataFrame, target: float) -> pd.DataFrame:
    """One row per run: ``T`` = first logged iteration with train accuracy >= target (inf if never)."""
    runs = m[RUN].drop_duplicates()
    hit = m[m["train_acc"] >= target].groupby(RUN, as_index=False)["iteration"].min().rename(columns={"iteration": "T"})
    out = runs.merge(hit, on=RUN, how="left")
    out["T"] = out["T"].astype(np.float64).fillna(np.inf)
    fin = final(m)[[*RUN, "train_acc", "loss"]]
    return out.merge(fin, on=RUN, how="left")


def _order_score(t_large: np.ndarray, t_ref: np.ndarray) -> np.ndarray:
    """1 if the large scale reaches the target later, 0.5 at the same logged iteration, 0 earlier; NaN if neither does."""
    score = np.where(t_large > t_ref, 1.0, np.where(t_large == t_ref, 0.5, 0.0))
    return np.where(np.isinf(t_large) & np.isinf(t_ref), np.nan, score)


def choose_lr_by_time(tt: pd.DataFrame) -> pd.DataFrame:
    """Per (activation, scale): the lr with the smallest median time to target (then highest median final accuracy)."""
    med = tt.groupby(["activation", "scale", "lr"], as_index=False).agg(T=("T", "median"), acc=("train_acc", "median"))
    med = med.sort_values(["activation", "scale", "T", "acc", "lr"], ascending=[True, True, True, False, True], kind="stable")
    return med.groupby(["activation", "scale"], as_index=False).first()[["activation", "scale", "lr"]]


def slowdown(tt: pd.DataFrame, activations: list[str], ref: float, large: list[float], lrs: pd.DataFrame) -> pd.Series:
    """Per seed: the mean order score of every (activation, large scale) against the reference scale, at the given lrs."""
    chosen = tt.merge(lrs, on=["activation", "scale", "lr"])
    chosen = chosen[chosen["activation"].isin(activations)]
    ref_t = chosen[scale_mask(chosen["scale"], [ref])][["activation", "seed", "T"]]
    big = chosen[scale_mask(chosen["scale"], large)][["activation", "seed", "scale", "T"]]
    pairs = big.merge(ref_t, on=["activation", "seed"], suffixes=("", "_ref"))
    if pairs.empty:
        return pd.Series(dtype=np.float64)
    pairs["score"] = _order_score(pairs["T"].to_numpy(), pairs["T_ref"].to_numpy())
    return pairs.groupby("seed")["score"].mean().dropna()


def fixed_lrs(tt: pd.DataFrame, lr: float) -> pd.DataFrame:
    keys = tt[["activation", "scale"]].drop_duplicates()
    if not scale_mask(tt["lr"], [lr]).any():
        raise Insufficient(f"the fixed learning rate {lr:g} is not in the grid")
    return keys.assign(lr=float(tt.loc[scale_mask(tt["lr"], [lr]), "lr"].iloc[0]))


def median_times(tt: pd.DataFrame, lrs: pd.DataFrame) -> dict:
    """Median iterations to target per activation and scale at the given lrs (None = never)."""
    med = tt.merge(lrs, on=["activation", "scale", "lr"]).groupby(["activation", "scale"])["T"].median()
    out: dict = {}
    for (act, s), t in med.items():
        out.setdefault(act, {})[_fmt_scale(s)] = None if np.isinf(t) else float(t)
    return out


def slower_from(times: dict[str, float | None], ref: float) -> str:
    """The smallest scale above ``ref`` whose median time exceeds the reference's (never counts as slower)."""
    t = {float(k): (math.inf if v is None else v) for k, v in times.items()}
    if ref not in t:
        return "n/a"
    above = [s for s in sorted(t) if s > ref and t[s] > t[ref]]
    return _fmt_scale(above[0]) if above else "never (in this grid)"


# ---------------------------------------------------------------------------------------------
# Evaluators, one per claim


def evaluate_l01(data: Data, rule: dict) -> Outcome:
    """Logistic regression: zero init ends at the loss of random init (equivalence per dataset), and learns."""
    m = require(select(data.metrics, rule["experiment"], depth=0), "logistic regression")
    fin = final(m)
    ref = require(fin[fin["init"] == rule["reference_init"]], f"init {rule['reference_init']}")
    other = require(fin[fin["init"].isin(rule["compare_inits"])], f"inits {rule['compare_inits']}")
    metric = rule["metric"]
    keys = ["dataset", "lr"]
    pairs = other.merge(ref[[*keys, metric]], on=keys, suffixes=("", "_ref"))
    pairs["d"] = pairs[f"{metric}_ref"] - pairs[metric]
    cells = {}
    for (ds, init, s, _lr), g in pairs.groupby(["dataset", "init", "scale", "lr"]):
        cells[f"{ds}, {init} {_fmt_scale(s)}"] = seed_check(
            "final loss of zero init minus random init",
            f"final {metric} (zero init) - final {metric} (random init), per seed",
            g.set_index("seed")["d"],
            rule,
            rule["margin"],
            "within",
        )
    equiv = worst_of(cells)
    start = at_init(m[m["init"] == rule["reference_init"]]).set_index("dataset")[metric]
    end = ref.set_index("dataset")[metric]
    drop = (start - end).reindex(end.index)
    learns = exact_check(
        "zero init learns: its loss falls on every dataset",
        f"smallest fall of the {metric} from iteration 0 (zero init)",
        float(drop.min()),
        0.0,
        "above",
        len(drop),
    )
    details = {
        "ln 2": LN2,
        "final loss, zero init": {k: round(float(v), 6) for k, v in end.items()},
        "loss fall from ln 2, zero init": {k: round(float(v), 6) for k, v in drop.items()},
        "largest |mean difference| by dataset": {k: _num(max(abs(t.ci_low), abs(t.ci_high))) for k, t in cells.items()},
        "diverged runs": int(fin["diverged"].sum()),
    }
    worst = max(cells.items(), key=lambda kv: abs(kv[1].value) if np.isfinite(kv[1].value) else -1)
    note = (
        f"Zero init's final loss is within {abs(worst[1].value):.2g} of random init's on average "
        f"in the farthest cell ({worst[0]}); "
        f"its loss falls from ln 2 by {drop.min():.3g} to {drop.max():.3g} nats over the datasets."
    )
    return Outcome([equiv, learns], n_runs(fin), note, details)


def _symmetric_gaps(data: Data, rule: dict, experiment: str | list) -> tuple[pd.DataFrame, int]:
    lay = require(select(data.layers, experiment, init=rule["inits"]), f"{rule['inits']} init in {experiment}")
    wide = lay[lay["width"] >= rule["min_width"]]
    return wide, n_runs(wide)


def _gap_outcome(
    wide: pd.DataFrame, nr: int, rule: dict, name: str, extra: list[Check] | None = None, note_extra: str = ""
) -> Outcome:
    metrics = rule["metrics"]
    if wide.empty:
        test = missing_check(
            name,
            f"largest of {', '.join(metrics)}",
            rule["tolerance"],
            "at_most",
            f"no symmetric-init runs of width >= {rule['min_width']}",
        )
        return Outcome([test], 0, test.reason)
    largest = float(wide[metrics].to_numpy().max())
    test = exact_check(
        name,
        f"largest of {', '.join(metrics)} over every run, logged iteration and layer",
        largest,
        rule["tolerance"],
        "at_most",
        nr,
        rule["min_runs"],
    )
    per = wide.groupby(["init", "activation"])[metrics].max().max(axis=1)
    details = {
        "largest gap by init and activation": {f"{i}, {a}": float(v) for (i, a), v in per.items()},
        "largest gap by metric": {k: float(wide[k].max()) for k in metrics},
        "widths": sorted(int(w) for w in wide["width"].unique()),
        "activations": sorted(wide["activation"].unique()),
        "logged iterations per run": int(wide.groupby(RUN)["iteration"].nunique().min()),
        "last iteration": int(wide["iteration"].max()),
    }
    note = (
        f"Largest gap {largest:.3g} over {nr} runs (widths {details['widths']}, {', '.join(details['activations'])}), "
        f"{details['logged iterations per run']} logged iterations each, up to iteration {details['last iteration']}."
    )
    return Outcome([test, *(extra or [])], nr, note + note_extra, details)


def evaluate_l02(data: Data, rule: dict) -> Outcome:
    """Zero (and constant) init: the hidden activations of all units are identical at every logged iteration."""
    wide, nr = _symmetric_gaps(data, rule, rule["experiment"])
    return _gap_outcome(wide, nr, rule, "hidden units compute the same activation")


def evaluate_l03(data: Data, rule: dict) -> Outcome:
    """Zero (and constant) init: dz, dW rows, W rows, b and outgoing weights stay identical across units."""
    wide, nr = _symmetric_gaps(data, rule, rule["experiment"])
    return _gap_outcome(wide, nr, rule, "backprop and updates keep the units identical")


def evaluate_l04(data: Data, rule: dict) -> Outcome:
    """Long runs (>= min_budget_ratio x the reference experiment's budget): every gap still 0 at the end."""
    wide, nr = _symmetric_gaps(data, rule, rule["experiment"])
    budget = int(wide["iterations"].min()) if len(wide) else 0
    ref = select(data.metrics, rule["budget_reference"])
    extra, note = [], ""
    if ref.empty:
        extra.append(
            missing_check(
                "the runs are long",
                "budget / reference budget",
                rule["min_budget_ratio"],
                "at_least",
                f"experiment '{rule['budget_reference']}' (the reference budget) is not in the tables",
            )
        )
    elif budget:
        ratio = budget / int(ref["iterations"].max())
        short = (
            f"the runs are only {ratio:.3g} x the reference budget, too short to test 'however long'"
            if ratio < rule["min_budget_ratio"]
            else ""
        )
        extra.append(
            Check(
                "the runs are long",
                f"budget of the long runs / budget of '{rule['budget_reference']}'",
                ratio,
                ratio,
                ratio,
                rule["min_budget_ratio"],
                "at_least",
                nr,
                reason=short,
            )
        )
        note = f" The long runs had {budget} iterations, {ratio:.3g} x the '{rule['budget_reference']}' budget."
    out = _gap_outcome(wide, nr, rule, "the units stay identical however long they train", extra, note)
    if len(wide):
        last = wide[wide["iteration"] == wide["iterations"]]
        out.details["largest gap at the last iteration"] = float(last[rule["metrics"]].to_numpy().max())
    return out


def evaluate_l05(data: Data, rule: dict) -> Outcome:
    """Symmetric init: rank <= 1, accuracy independent of width and never above the best linear classifier;
    random init of width >= min_width_random beats the best linear classifier on every non-linear dataset."""
    exp = rule["experiment"]
    m = with_linear(require(select(data.metrics, exp), exp), data)
    sym = require(m[m["init"].isin(rule["symmetric_inits"])], f"symmetric inits {rule['symmetric_inits']}")
    lay = select(data.layers, exp, init=rule["symmetric_inits"])
    pts = rule["linear_tolerance_points"]
    excess = (sym["train_acc"] - sym["best_linear"]) * sym["n_train"]
    ceiling = exact_check(
        "symmetric nets never beat the best linear classifier",
        "most training points a symmetric-init net gets right beyond the best linear classifier (any logged iteration)",
        float(excess.max()),
        pts,
        "at_most",
        n_runs(sym),
        rule["min_runs"],
    )
    ranks = float(lay[rule["rank_metrics"]].to_numpy().max()) if len(lay) else math.nan
    rank = (
        exact_check(
            "hidden layer of rank at most 1",
            f"largest {' / '.join(rule['rank_metrics'])}",
            ranks,
            rule["max_rank"],
            "at_most",
            n_runs(lay),
            rule["min_runs"],
        )
        if len(lay)
        else missing_check("hidden layer of rank at most 1", "largest rank", rule["max_rank"], "at_most", "no layer rows")
    )
    fin = final(sym)
    spread = fin.groupby(["dataset", "activation", "init", "scale"]).agg(
        lo=("train_acc", "min"), hi=("train_acc", "max"), widths=("width", "nunique")
    )
    spread = spread[spread["widths"] >= 2]
    width_test = (
        exact_check(
            "final accuracy independent of width",
            "largest spread of final train accuracy across widths (symmetric init)",
            float((spread["hi"] - spread["lo"]).max()),
            rule["width_margin"],
            "at_most",
            n_runs(fin),
            rule["min_runs"],
        )
        if len(spread)
        else missing_check(
            "final accuracy independent of width",
            "spread across widths",
            rule["width_margin"],
            "at_most",
            "fewer than two widths in the grid",
        )
    )
    rnd = final(
        m[
            (m["init"] == rule["random_init"])
            & (m["width"] >= rule["min_width_random"])
            & (m["best_linear"] < rule["nonlinear_below"])
        ]
    )
    if rnd.empty:
        beats = missing_check(
            "random init beats the best linear classifier",
            "points beyond the best linear classifier",
            pts,
            "above",
            f"no {rule['random_init']}-init runs of width >= {rule['min_width_random']} on a dataset whose best linear "
            f"accuracy is below {rule['nonlinear_below']}",
        )
    else:
        rnd = rnd.assign(pts=(rnd["train_acc"] - rnd["best_linear"]) * rnd["n_train"])
        per_seed = rnd.groupby(["seed", "dataset"])["pts"].max().groupby("seed").min()
        beats = seed_check(
            "random init of width >= {} beats the best linear classifier on every non-linear dataset".format(
                rule["min_width_random"]
            ),
            "training points beyond the best linear classifier (best activation and width, worst non-linear dataset)",
            per_seed,
            rule,
            pts,
            "above",
        )
    zero = sym[sym["init"] == "zeros"]
    stuck = zero.groupby(RUN)["loss"].agg(lambda s: bool(np.all(np.abs(s - LN2) < 1e-12)))
    details = {
        "best linear accuracy": {r.dataset: r.best_linear for r in data.linear.itertuples()},
        "final accuracy by width (symmetric)": {
            f"{d}, {a}, {i}": {str(w): float(v) for w, v in g.groupby("width")["train_acc"].max().items()}
            for (d, a, i), g in fin.groupby(["dataset", "activation", "init"])
        },
    }
    if len(rnd):
        details["best random-init accuracy by dataset (median over seeds)"] = {
            d: float(g.groupby(["activation", "width"])["train_acc"].median().max()) for d, g in rnd.groupby("dataset")
        }
    most = float(excess.max())
    where = f"{-most:.0f} training points fewer than" if most <= 0 else f"{most:.0f} training points more than"
    note = (
        f"The best symmetric-init net, at its best logged iteration, gets {where} the best linear classifier "
        f"({n_runs(sym)} runs); {int(stuck.sum())} of {len(stuck)} zero-init runs never leave loss ln 2 "
        "(on balanced data every gradient vanishes at the all-zero point)."
    )
    if len(spread) and float((spread["hi"] - spread["lo"]).max()) > rule["width_margin"]:
        d, a, i, sc = (spread["hi"] - spread["lo"]).idxmax()
        by_w = fin[(fin["dataset"] == d) & (fin["activation"] == a) & (fin["init"] == i) & (fin["scale"] == sc)]
        by_w = by_w.groupby("width")["train_acc"].median()
        note += (
            f" Final accuracy does change with width after a fixed budget ({d}, {a}, {i} {sc:g}: {by_w.iloc[0]:.3g} at "
            f"width {by_w.index[0]}, {by_w.min():.3g} at width {by_w.idxmin()}): a symmetric net of width w is one unit "
            "whose output weight counts w times, so at a fixed learning rate its effective step grows with w, and wide "
            "symmetric nets overshoot. What they can represent (one unit, hence a linear boundary) does not change: "
            "the lecture's point stands, its 'same accuracy at any width' reading does not."
        )
    return Outcome([ceiling, rank, width_test, beats], n_runs(m), note, details)


def evaluate_l06(data: Data, rule: dict) -> Outcome:
    """Random init (randn x 0.01): units differ from iteration 0 on, and the net beats the best linear classifier."""
    exp = rule["experiment"]
    lay = require(select(data.layers, exp, init=rule["init"], scale=rule["scale"]), f"{rule['init']} {rule['scale']} init")
    lay = lay[lay["width"] >= 2]
    gap = exact_check(
        "units differ from iteration 0 on",
        f"smallest {rule['gap_metric']} over every run (width >= 2) and logged iteration",
        float(lay[rule["gap_metric"]].min()) if len(lay) else math.nan,
        rule["tolerance"],
        "above",
        n_runs(lay),
        rule["min_runs"],
    )
    m = select(data.metrics, exp, init=rule["init"], scale=rule["scale"], dataset=rule["dataset"], activation=rule["activations"])
    fin = final(m[m["width"] >= rule["min_width"]])
    if fin.empty:
        acc = missing_check(
            "accuracy well above the best linear classifier",
            "accuracy - best linear",
            rule["margin"],
            "above",
            f"no runs on dataset '{rule['dataset']}' with {rule['activations']} of width >= {rule['min_width']}",
        )
    else:
        fin = with_linear(fin, data)
        per_seed = (fin["train_acc"] - fin["best_linear"]).groupby(fin["seed"]).min()
        acc = seed_check(
            "accuracy well above the best linear classifier",
            f"final train accuracy on {rule['dataset']} minus its best linear accuracy (worst width)",
            per_seed,
            rule,
            rule["margin"],
            "above",
        )
    details = {"smallest gap at iteration 0": float(at_init(lay)[rule["gap_metric"]].min()) if len(lay) else None}
    if len(fin):
        bl = float(fin["best_linear"].iloc[0])
        details["best linear accuracy"] = bl
        details["median final accuracy by width"] = {
            str(w): float(v) for w, v in fin.groupby("width")["train_acc"].median().items()
        }
        note = (
            f"On {rule['dataset']} the random-init nets reach a median {fin['train_acc'].median():.3f} against "
            f"{bl:.3f} for the best linear classifier; the smallest unit gap is {gap.value:.3g}."
        )
    else:
        note = f"The smallest unit gap is {gap.value:.3g}."
    return Outcome([acc, gap], n_runs(fin) + n_runs(lay), note, details)


def evaluate_l07(data: Data, rule: dict) -> Outcome:
    """b = 0 vs b random (W random): final accuracy equivalent within a margin, paired by seed, per cell."""
    exp = rule["experiment"]
    fin = final(require(select(data.metrics, exp, init=rule["init"]), exp))
    zero = require(fin[fin["bias_init"] == "zeros"], "zero biases")
    rnd = require(fin[fin["bias_init"] == rule["random_bias"]], f"{rule['random_bias']} biases")
    keys = ["dataset", "activation", "width", "depth", "init", "scale", "lr", "seed"]
    metric = rule["metric"]
    pairs = rnd.merge(zero[[*keys, metric]], on=keys, suffixes=("", "_zero"))
    if pairs.empty:
        raise Insufficient("no seed has both a zero-bias and a random-bias run")
    pairs["d"] = pairs[f"{metric}_zero"] - pairs[metric]
    cells = {}
    for (ds, act, bs), g in pairs.groupby(["dataset", "activation", "bias_scale"]):
        cells[f"{ds}, {act}, b std {_fmt_scale(bs)}"] = seed_check(
            "b = 0 and b random give equivalent accuracy",
            f"final {metric} (b = 0) - final {metric} (b random), paired by seed",
            g.set_index("seed")["d"],
            rule,
            rule["margin"],
            "within",
        )
    test = worst_of(cells)
    details = {
        "mean difference by cell": {k: t.summary() for k, t in cells.items()},
        f"median final {metric}, b = 0": float(zero[metric].median()),
        f"median final {metric}, b random": float(rnd[metric].median()),
    }
    means = {k: t.value for k, t in cells.items()}
    note = (
        f"Mean paired difference (b = 0 minus b random) in final {metric}: "
        + ", ".join(f"{k}: {v:+.3f}" for k, v in means.items())
        + f"; margin +-{rule['margin']:g}."
    )
    return Outcome([test], n_runs(pairs) + n_runs(zero), note, details)


def _cross_50(curve: pd.Series) -> str:
    """Scale (log-interpolated) where a rising curve first reaches 0.5."""
    s = curve.sort_index()
    x, y = np.log10(s.index.to_numpy(dtype=np.float64)), s.to_numpy()
    for i in range(1, len(y)):
        if y[i - 1] < 0.5 <= y[i]:
            return f"{10 ** (x[i - 1] + (0.5 - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1])):.3g}"
    return "above the grid" if (y < 0.5).all() else "below the grid"


def evaluate_l08(data: Data, rule: dict) -> Outcome:
    """At init: tanh/sigmoid saturation near 0 at small scales, near 1 at large ones, rising with scale."""
    exp = rule["experiment"]
    lay = require(at_init(select(data.layers, exp, init="normal", activation=rule["activations"], layer=1)), exp)
    lay = lay[scale_mask(lay["lr"], [lay["lr"].min()])]  # the init does not depend on lr: one lr is enough
    large = present_scales(lay, rule["large_scales"], "called large")
    small = present_scales(lay, rule["small_scales"], "called small")
    sat = rule["metric"]
    big = lay[scale_mask(lay["scale"], large)].groupby("seed")[sat].min()
    tiny = lay[scale_mask(lay["scale"], small)].groupby("seed")[sat].max()
    t_large = seed_check(
        f"units saturated at scales {', '.join(map(_fmt_scale, large))}",
        f"smallest {sat} at iteration 0 over {', '.join(rule['activations'])} and those scales",
        big,
        rule,
        rule["large_min"],
        "at_least",
    )
    t_small = seed_check(
        f"units not saturated at scales {', '.join(map(_fmt_scale, small))}",
        f"largest {sat} at iteration 0 over {', '.join(rule['activations'])} and those scales",
        tiny,
        rule,
        rule["small_max"],
        "at_most",
    )
    med = lay.groupby(["activation", "scale"])[sat].median()
    drops = [float(g.droplevel(0).sort_index().diff().min()) for _, g in med.groupby(level=0) if len(g) > 1]
    mono = exact_check(
        "saturation rises with scale",
        f"largest fall of the median {sat} from one scale to the next",
        max(0.0, -min([*drops, 0.0])),
        rule["monotone_tolerance"],
        "at_most",
        n_runs(lay),
    )
    table = lay.groupby(["activation", "scale"]).agg(
        sat=(sat, "median"), dg=("mean_dg", "median"), grad=("grad_norm_w", "median")
    )
    details = {
        f"median at iteration 0, {a}": {
            _fmt_scale(s): {"saturation": r.sat, "mean g'(z)": r.dg, "grad norm W1": r.grad} for (_, s), r in g.iterrows()
        }
        for a, g in table.groupby(level=0)
    }
    cross = {a: _cross_50(g.droplevel(0)) for a, g in med.groupby(level=0)}
    details["scale where saturation crosses 50%"] = cross
    note = "Median saturation crosses 50% at scale " + ", ".join(f"{v} ({a})" for a, v in cross.items()) + "."
    return Outcome([t_large, t_small, mono], n_runs(lay), note, details)


def _slowdown_parts(data: Data, rule: dict, activations: list[str]):
    exp = rule["experiment"]
    m = require(select(data.metrics, exp, init="normal", depth=1), exp)
    ref = rule["reference_scale"]
    present_scales(m, [ref], "used as reference")
    large = present_scales(m, rule["large_scales"], "called large")
    tt = time_to_target(m, rule["target_accuracy"])
    return m, tt, ref, large


def evaluate_l09(data: Data, rule: dict) -> Outcome:
    """tanh/sigmoid: nets at large scales reach the target accuracy later than at the reference scale (fixed and best lr)."""
    m, tt, ref, large = _slowdown_parts(data, rule, rule["activations"])
    tt = tt[tt["activation"].isin(rule["activations"])]
    require(tt, f"activations {rule['activations']}")
    best = choose_lr_by_time(tt)
    scales = ", ".join(map(_fmt_scale, large))
    name = f"later to {rule['target_accuracy']:g} train accuracy at scales {scales} than at {_fmt_scale(ref)}"
    stat = "order score (1 later, 0.5 same logged iteration, 0 earlier; neither reaching it is left out)"
    t_best = seed_check(
        name + " (each scale at its best lr)",
        stat,
        slowdown(tt, rule["activations"], ref, large, best),
        rule,
        rule["threshold"],
        "above",
    )
    try:
        fixed = fixed_lrs(tt, rule["fixed_lr"])
        t_fixed = seed_check(
            name + f" (lr {rule['fixed_lr']:g})",
            stat,
            slowdown(tt, rule["activations"], ref, large, fixed),
            rule,
            rule["threshold"],
            "above",
        )
        times_fixed = median_times(tt, fixed)
    except Insufficient as exc:
        t_fixed = missing_check(name + f" (lr {rule['fixed_lr']:g})", stat, rule["threshold"], "above", str(exc))
        times_fixed = {}
    times_best = median_times(tt, best)
    details = {
        f"median iterations to {rule['target_accuracy']:g}, lr {rule['fixed_lr']:g}": times_fixed,
        f"median iterations to {rule['target_accuracy']:g}, best lr": times_best,
        "best lr": {f"{r.activation}, {_fmt_scale(r.scale)}": r.lr for r in best.itertuples()},
        "diverged runs": int(final(m[m["activation"].isin(rule["activations"])])["diverged"].sum()),
    }
    parts = []
    for act in rule["activations"]:
        if act in times_best:
            f = slower_from(times_fixed.get(act, {}), ref) if times_fixed else "n/a"
            parts.append(
                f"{act}: from scale {f} at lr {rule['fixed_lr']:g}, from {slower_from(times_best[act], ref)} at the best lr"
            )
            small = [s for s in times_best[act] if float(s) < ref]
            if small:
                tref = times_best[act].get(_fmt_scale(ref))
                slow = [s for s in small if (times_best[act][s] or math.inf) > (tref or math.inf)]
                if slow:
                    parts.append(f"{act} is also slower at the smaller scale(s) {', '.join(slow)}")
    note = (
        f"Median time to {rule['target_accuracy']:g} train accuracy is longer than at {_fmt_scale(ref)}: "
        + "; ".join(parts)
        + "."
    )
    return Outcome([t_best, t_fixed], n_runs(final(m[m["activation"].isin(rule["activations"])])), note, details)


def _score_text(scores: pd.Series) -> str:
    return (
        f"{scores.mean():.2f} ({len(scores)} seeds)" if len(scores) else "undefined (no seed reached the target at either scale)"
    )


def evaluate_l10(data: Data, rule: dict) -> Outcome:
    """relu: the active share and mean g'(z) at init do not move with scale, and relu slows down less than tanh/sigmoid."""
    exp = rule["experiment"]
    act = rule["activation"]
    lay = require(at_init(select(data.layers, exp, init="normal", activation=act, layer=1)), f"{act} in {exp}")
    lay = lay[scale_mask(lay["lr"], [lay["lr"].min()])]
    ref = rule["reference_scale"]
    present_scales(lay, [ref], "used as reference")
    active = lay.assign(active=1.0 - lay["saturation"])
    base = active[scale_mask(active["scale"], [ref])].set_index("seed")[["active", "mean_dg"]]
    dev = active.merge(base, left_on="seed", right_index=True, suffixes=("", "_ref"))
    dev["dev"] = np.maximum((dev["active"] - dev["active_ref"]).abs(), (dev["mean_dg"] - dev["mean_dg_ref"]).abs())
    t_flat = seed_check(
        f"{act} active share and mean g'(z) at init do not change with scale",
        f"largest change of the active share or mean g'(z) at iteration 0 from scale {_fmt_scale(ref)}",
        dev.groupby("seed")["dev"].max(),
        rule,
        rule["flat_margin"],
        "below",
    )
    m, tt, ref, large = _slowdown_parts(data, rule, [act, *rule["compare_activations"]])
    best = choose_lr_by_time(tt)
    cmp_scores = slowdown(tt, rule["compare_activations"], ref, large, best)
    own = slowdown(tt, [act], ref, large, best)
    diff = (cmp_scores - own).dropna()
    t_cmp = seed_check(
        f"{act} slows down less than {', '.join(rule['compare_activations'])} at large scales",
        f"order score of {', '.join(rule['compare_activations'])} minus that of {act} (L09's score, each scale at its best lr)",
        diff,
        rule,
        0.0,
        "above",
    )
    times = median_times(tt, best)
    details = {
        "median active share at init by scale": {
            _fmt_scale(s): float(v) for s, v in active.groupby("scale")["active"].median().items()
        },
        f"median iterations to {rule['target_accuracy']:g}, best lr": times,
        f"mean order score, {act}": _num(own.mean()) if len(own) else None,
        f"mean order score, {', '.join(rule['compare_activations'])}": _num(cmp_scores.mean()) if len(cmp_scores) else None,
    }
    never = {a: sum(v is None for v in t.values()) for a, t in times.items()}
    others = ", ".join(rule["compare_activations"])
    note = (
        f"{act}'s active share at init moves by at most {dev['dev'].max():.3g} across scales; its mean slow-down score is "
        f"{_score_text(own)} against {_score_text(cmp_scores)} for {others}"
        " (1: always later at large scales, 0.5: no difference). "
        f"Scales whose median run never reached {rule['target_accuracy']:g}: "
        + ", ".join(f"{a} {n}" for a, n in never.items())
        + "."
    )
    return Outcome([t_cmp, t_flat], n_runs(final(m)), note, details)


def evaluate_l11(data: Data, rule: dict) -> Outcome:
    """relu hidden + sigmoid output: output saturation and initial loss grow with scale; final accuracy worse at large scales."""
    exp = rule["experiment"]
    act = rule["activation"]
    m = require(select(data.metrics, exp, init="normal", activation=act, depth=1), f"{act} in {exp}")
    moderate = present_scales(m, rule["moderate_scales"], "called moderate")
    large = present_scales(m, rule["large_scales"], "called large")
    init = at_init(m)
    init = init[scale_mask(init["lr"], [init["lr"].min()])]

    def gap(df: pd.DataFrame, col: str) -> pd.Series:
        hi = df[scale_mask(df["scale"], large)].groupby("seed")[col].mean()
        lo = df[scale_mask(df["scale"], moderate)].groupby("seed")[col].mean()
        return hi - lo

    def gap_down(df: pd.DataFrame, col: str) -> pd.Series:
        return -gap(df, col)

    sc = "scales " + ", ".join(map(_fmt_scale, large)) + " vs " + ", ".join(map(_fmt_scale, moderate))
    t_sat = seed_check(
        "output saturated at init at large scales",
        f"mean out_saturation at iteration 0, {sc}",
        gap(init, "out_saturation"),
        rule,
        rule["saturation_rise"],
        "above",
    )
    t_loss = seed_check(
        "larger initial loss at large scales",
        f"mean loss at iteration 0, {sc}",
        gap(init, "loss"),
        rule,
        rule["loss_rise"],
        "above",
    )
    fin = final(m)
    metric = rule["metric"]
    best = best_lrs(fin, ["scale"])
    fin_best = fin.merge(best, on=["scale", "lr"])
    t_best = seed_check(
        "worse final accuracy at large scales (each scale at its best lr)",
        f"mean final {metric}, {sc} (moderate minus large)",
        gap_down(fin_best, metric),
        rule,
        rule["quality_drop"],
        "above",
    )
    try:
        fixed = fixed_lrs(fin, rule["fixed_lr"])
        fin_fixed = fin.merge(fixed[["scale", "lr"]].drop_duplicates(), on=["scale", "lr"])
        t_fixed = seed_check(
            f"worse final accuracy at large scales (lr {rule['fixed_lr']:g})",
            f"mean final {metric}, {sc} (moderate minus large)",
            gap_down(fin_fixed, metric),
            rule,
            rule["quality_drop"],
            "above",
        )
    except Insufficient as exc:
        t_fixed = missing_check(
            f"worse final accuracy at large scales (lr {rule['fixed_lr']:g})", metric, rule["quality_drop"], "above", str(exc)
        )
    by_scale = init.groupby("scale").agg(sat=("out_saturation", "median"), loss=("loss", "median"))
    acc = fin_best.groupby("scale")[metric].median()
    details = {
        "median at iteration 0 by scale": {
            _fmt_scale(s): {"out_saturation": r.sat, "loss": r.loss} for s, r in by_scale.iterrows()
        },
        f"median final {metric} by scale (best lr)": {_fmt_scale(s): float(v) for s, v in acc.items()},
        "best lr by scale": {_fmt_scale(r.scale): r.lr for r in best.itertuples()},
        "diverged runs": int(fin["diverged"].sum()),
    }
    note = (
        f"With {act} hidden units the output starts saturated on a median {by_scale['sat'].iloc[-1]:.0%} of points at scale "
        f"{_fmt_scale(by_scale.index[-1])} (initial loss {by_scale['loss'].iloc[-1]:.3g}); "
        f"best-lr median final {metric} by scale: " + ", ".join(f"{_fmt_scale(s)}: {v:.3f}" for s, v in acc.items()) + "."
    )
    return Outcome([t_best, t_fixed, t_sat, t_loss], n_runs(fin), note, details)


def evaluate_l12(data: Data, rule: dict) -> Outcome:
    """tanh, one hidden layer: final accuracy at the reference scale within a margin of the best scale's."""
    exp = rule["experiment"]
    act = rule["activation"]
    m = require(select(data.metrics, exp, init="normal", activation=act, depth=1), f"{act} in {exp}")
    ref = rule["reference_scale"]
    present_scales(m, [ref], "used as reference")
    fin = final(m)
    metric = rule["metric"]
    best = best_lrs(fin, ["scale"])
    fb = fin.merge(best, on=["scale", "lr"])
    med = fb.groupby("scale").agg(acc=(metric, "median"), loss=("test_loss", "median")).reset_index()
    med = med.sort_values(["acc", "loss", "scale"], ascending=[False, True, False], kind="stable")
    top = float(med["scale"].iloc[0])
    a = fb[scale_mask(fb["scale"], [top])].set_index("seed")[metric]
    b = fb[scale_mask(fb["scale"], [ref])].set_index("seed")[metric]
    test = seed_check(
        f"{_fmt_scale(ref)} within {rule['margin']:g} of the best scale",
        f"final {metric} at the best scale ({_fmt_scale(top)}) minus at {_fmt_scale(ref)}, paired by seed (best lr each)",
        (a - b),
        rule,
        rule["margin"],
        "below",
    )
    curve = fb.groupby("scale")[metric].median()
    details = {
        f"median final {metric} by scale (best lr)": {_fmt_scale(s): float(v) for s, v in curve.items()},
        "best scale": top,
        "best lr by scale": {_fmt_scale(r.scale): r.lr for r in best.itertuples()},
        "diverged runs": int(fin["diverged"].sum()),
    }
    good = [s for s, v in curve.items() if v >= curve.max() - rule["margin"]]
    at_ref = float(curve[np.isclose(curve.index.to_numpy(dtype=np.float64), ref, rtol=1e-9, atol=0)].iloc[0])
    note = (
        f"Best scale {_fmt_scale(top)} (median {curve.max():.3f}); {_fmt_scale(ref)} reaches a median {at_ref:.3f}. "
        f"Scales within {rule['margin']:g} of the best median: {_fmt_scale(min(good))} to {_fmt_scale(max(good))}."
    )
    return Outcome([test], n_runs(fin), note, details)


def _log10_ratio(a: pd.DataFrame, b: pd.DataFrame, layer: int, col: str) -> pd.Series:
    """Per seed: log10 of ``col`` at ``layer`` in runs ``a`` over runs ``b`` (0 floored at 1e-300)."""

    def get(d: pd.DataFrame) -> pd.Series:
        return np.log10(np.maximum(d[d["layer"] == layer].set_index("seed")[col], 1e-300))

    return get(a) - get(b)


def evaluate_l13(data: Data, rule: dict) -> Outcome:
    """Deep nets: with 0.01 the signal vanishes and training fails; a fan-in-scaled init keeps the signal and trains."""
    exp = rule["experiment"]
    ref_init, ref_scale = rule["reference_init"], rule["reference_scale"]
    lay0 = at_init(select(data.layers, exp))
    m = require(select(data.metrics, exp), exp)
    deep_depths = sorted(d for d in m["depth"].unique() if d >= rule["min_depth"])
    if not deep_depths:
        raise Insufficient(f"no depth >= {rule['min_depth']} in the grid")
    fin = final(m)
    is_ref = (fin["init"] == ref_init) & scale_mask(fin["scale"], [ref_scale])
    rows_sig, rows_acc = [], []
    for act, fan in rule["fan_in_inits"].items():
        for depth in deep_depths:
            r = fin[is_ref & (fin["activation"] == act) & (fin["depth"] == depth)].set_index("seed")[rule["metric"]]
            f = fin[(fin["init"] == fan) & (fin["activation"] == act) & (fin["depth"] == depth)].set_index("seed")[rule["metric"]]
            if len(r) and len(f):
                rows_acc.append((f - r).rename(f"{act}, depth {depth}"))
            lr_ = lay0[(lay0["activation"] == act) & (lay0["depth"] == depth)]
            ref_l = lr_[(lr_["init"] == ref_init) & scale_mask(lr_["scale"], [ref_scale])]
            fan_l = lr_[lr_["init"] == fan]
            if len(ref_l) and len(fan_l):
                ratio_a = _log10_ratio(ref_l, fan_l, depth, "act_std")  # signal reaching the last hidden layer
                ratio_g = _log10_ratio(ref_l, fan_l, 1, "grad_norm_w")  # gradient reaching the first
                rows_sig.append(np.maximum(ratio_a, ratio_g).rename(f"{act}, depth {depth}"))
    if not rows_acc:
        raise Insufficient(f"no pair of {ref_init} {ref_scale:g} and fan-in-scaled runs at depth >= {rule['min_depth']}")
    acc_cells = pd.concat(rows_acc, axis=1)
    t_acc = seed_check(
        "a fan-in-scaled init trains deep nets that 0.01 does not",
        f"final {rule['metric']} of the fan-in-scaled init minus {ref_init} {ref_scale:g} "
        f"(worst activation and depth >= {rule['min_depth']})",
        acc_cells.min(axis=1, skipna=False),
        rule,
        rule["accuracy_gain"],
        "above",
    )
    if rows_sig:
        sig_cells = pd.concat(rows_sig, axis=1)
        t_sig = seed_check(
            "the signal vanishes with 0.01",
            f"log10 of last-layer activation std and first-layer gradient norm at init, "
            f"{ref_scale:g} over fan-in-scaled (largest)",
            sig_cells.max(axis=1, skipna=False),
            rule,
            rule["signal_log10_ratio"],
            "below",
        )
    else:
        t_sig = missing_check(
            "the signal vanishes with 0.01", "log10 ratio", rule["signal_log10_ratio"], "below", "no layer rows at init"
        )
    med = fin.groupby(["activation", "init", "depth"])[rule["metric"]].median()
    details = {
        f"median final {rule['metric']}": {
            f"{a}, {i}": {str(d): float(v) for d, v in g.droplevel([0, 1]).items()} for (a, i), g in med.groupby(level=[0, 1])
        }
    }
    if rows_sig:
        details["median log10 signal ratio"] = {k: float(v) for k, v in sig_cells.median().items()}
    stalls = []
    for act in rule["fan_in_inits"]:
        r = med.get((act, ref_init))
        if r is not None:
            bad = [int(d) for d, v in r.items() if v < rule["chance_plus"]]
            stalls.append(f"{act}: {'from depth ' + str(min(bad)) if bad else 'at no depth in the grid'}")
    pairing = ", ".join(f"{fan} for {act}" for act, fan in rule["fan_in_inits"].items())
    note = (
        f"With {ref_init} {ref_scale:g} the median final {rule['metric']} is below {rule['chance_plus']:g} ("
        + "; ".join(stalls)
        + f"). Compared with {pairing}."
    )
    return Outcome([t_acc, t_sig], n_runs(fin), note, details)


def _best_scales(acc: np.ndarray, loss: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Best scale per resample: highest median accuracy, then lowest median loss, then the larger scale.

    ``acc``, ``loss``: ``(B, n_seeds, n_scales)``; returns ``(B,)`` scales."""
    a = np.median(acc, axis=1)  # (B, S)
    lo = np.median(loss, axis=1)
    top = a == a.max(axis=1, keepdims=True)
    lo = np.where(top, lo, np.inf)
    rev = lo[:, ::-1]  # ties go to the larger scale (conservative for "small is best")
    return scales[len(scales) - 1 - np.argmin(rev, axis=1)]


def evaluate_l14(data: Data, rule: dict) -> Outcome:
    """Per (experiment, dataset, activation, width, depth) with a scale sweep: the best scale is below the limit, usually."""
    exps = rule["experiment"] if isinstance(rule["experiment"], list) else [rule["experiment"]]
    fin = final(select(data.metrics, exps, init=rule["init"]))
    have = [e for e in exps if (fin["experiment"] == e).any()]
    if not have:
        raise Insufficient(f"none of the experiments {exps} is in the tables")
    setting = ["experiment", "dataset", "activation", "width", "depth"]
    metric = rule["metric"]
    lrs = best_lrs(fin, [*setting, "scale"])
    fb = fin.merge(lrs, on=[*setting, "scale", "lr"])
    sweeps, skipped = [], []
    for key, g in fb.groupby(setting):
        scales = np.sort(g["scale"].unique())
        if len(scales) < rule["min_scales"]:
            skipped.append(", ".join(map(str, key)))
            continue
        acc = g.pivot_table(index="seed", columns="scale", values=metric).reindex(columns=scales)
        loss = g.pivot_table(index="seed", columns="scale", values="test_loss").reindex(columns=scales)
        ok = acc.notna().all(axis=1) & loss.notna().all(axis=1)
        sweeps.append((key, scales, acc[ok].to_numpy(), loss[ok].to_numpy()))
    if not sweeps:
        raise Insufficient(
            f"no setting has {rule['min_scales']} or more {rule['init']} scales" + (f" (skipped: {skipped})" if skipped else "")
        )
    seeds = min(len(s[2]) for s in sweeps)
    limit = rule["scale_limit"]
    point = np.array([_best_scales(acc[None], loss[None], sc)[0] for _, sc, acc, loss in sweeps])
    value = float(np.mean(point < limit))
    iv = rule["interval"]
    if iv["method"] == "bootstrap" and seeds >= 2:
        rng = np.random.default_rng(iv["seed"])
        shares = np.zeros(iv["resamples"])
        for _, sc, acc, loss in sweeps:
            idx = rng.integers(0, len(acc), (iv["resamples"], len(acc)))
            shares += _best_scales(acc[idx], loss[idx], sc) < limit
        shares /= len(sweeps)
        a = (1.0 - iv["level"]) / 2.0
        lo, hi = (float(v) for v in np.quantile(shares, [a, 1.0 - a]))
    else:
        lo = hi = value
    test = Check(
        f"the best scale is below {limit:g} in most settings",
        f"share of settings whose best scale (highest median final {metric}, each scale at its best lr) is below {limit:g}",
        value,
        lo,
        hi,
        rule["share"],
        "above",
        seeds,
        rule["min_seeds"],
    )
    best = {", ".join(map(str, k)): float(p) for (k, *_), p in zip(sweeps, point, strict=True)}
    details = {
        "best scale by setting": best,
        "settings without a scale sweep": skipped,
        "diverged runs": int(fb["diverged"].sum()),
    }
    note = (
        "Best scale by setting: "
        + "; ".join(f"{k}: {_fmt_scale(v)}" for k, v in best.items())
        + "."
        + (f" {len(skipped)} setting(s) without a sweep of {rule['min_scales']}+ scales are left out." if skipped else "")
    )
    return Outcome([test], n_runs(fb), note, details)


# ---------------------------------------------------------------------------------------------
# Beyond the lecture (B01-B04): questions the lecture does not ask, judged the same way

N_INPUTS = 2  # every dataset is 2-D, so W1 (width x 2) has rank at most 2


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _near(series: pd.Series, value: float, rtol: float = 1e-3) -> pd.Series:
    """Rows whose value is ``value`` to a relative tolerance (grids write sqrt 2 as 1.4142)."""
    return pd.Series(np.isclose(series.to_numpy(dtype=np.float64), value, rtol=rtol, atol=0), index=series.index)


def _first_at(lay: pd.DataFrame, hit: pd.Series) -> pd.Series:
    """Per run (index: RUN columns): the first logged iteration where ``hit`` is true; inf if never."""
    runs = lay[RUN].drop_duplicates().set_index(RUN).index
    first = lay[hit].groupby(RUN)["iteration"].min()
    return first.reindex(runs).astype(np.float64).fillna(np.inf)


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
    )
    out.verdict = combine(list(tests.values()))
    if out.verdict != "inconclusive":
        out.reason = ""
    elif not out.reason:
        out.reason = "; ".join(f"{k}: {t.reason}" for k, t in tests.items() if t.verdict == "inconclusive")
    return out


def _iter_text(v: float) -> str:
    return "never" if not np.isfinite(v) else f"{v:.0f}"


def evaluate_b01(data: Data, rule: dict) -> Outcome:
    """Non-zero constant inits: every symmetry gap stays 0 and the hidden layer keeps rank <= 1, like zero init."""
    exps = _as_list(rule["experiment"])
    lay = select(data.layers, exps, init=rule["inits"])
    wide = require(lay[lay["width"] >= rule["min_width"]], f"{rule['inits']} runs of width >= {rule['min_width']}")
    nr = n_runs(wide)
    metrics = rule["metrics"]
    largest = float(wide[metrics].to_numpy().max())
    t_gap = exact_check(
        "every symmetry gap stays 0 with a constant init",
        f"largest of {', '.join(metrics)} over every constant-init run (width >= {rule['min_width']}), "
        "logged iteration and layer",
        largest,
        rule["tolerance"],
        "at_most",
        nr,
        rule["min_runs"],
    )
    rank = float(wide[rule["rank_metrics"]].to_numpy().max())
    t_rank = exact_check(
        "the hidden layer keeps rank at most 1",
        f"largest {' / '.join(rule['rank_metrics'])} of the constant-init runs",
        rank,
        rule["max_rank"],
        "at_most",
        nr,
        rule["min_runs"],
    )
    constants = sorted({float(s) for s in wide["scale"]})
    few = len(constants) < rule["min_constants"]
    t_many = Check(
        "several different constants",
        "number of distinct constant values",
        len(constants),
        len(constants),
        len(constants),
        rule["min_constants"],
        "at_least",
        len(constants),
        reason=f"only {len(constants)} constant(s) in the grid: too few to speak for any constant" if few else "",
    )
    per = wide.groupby(["experiment", "scale", "activation"])[metrics].max().max(axis=1)
    details: dict = {
        "largest gap by experiment, constant and activation": {
            f"{e}, {_fmt_scale(s)}, {a}": float(v) for (e, s, a), v in per.items()
        },
        "constants": constants,
        "widths": sorted(int(w) for w in wide["width"].unique()),
        "last iteration": int(wide["iteration"].max()),
    }
    m = select(data.metrics, exps)
    zero = m[m["init"] == rule["compare_init"]]
    const = m[m["init"].isin(rule["inits"])]
    note_zero = ""
    if len(zero):
        stuck = zero.groupby(RUN)["loss"].agg(lambda s: bool(np.all(np.abs(s - LN2) < 1e-12)))
        zlay = select(data.layers, exps, init=rule["compare_init"])
        zlay = zlay[zlay["width"] >= rule["min_width"]]
        details[f"{rule['compare_init']} init: runs that never leave loss ln 2"] = f"{int(stuck.sum())} of {len(stuck)}"
        if len(zlay):
            details[f"{rule['compare_init']} init: largest gap"] = float(zlay[metrics].to_numpy().max())
        note_zero = (
            f" Zero is only the special case: {int(stuck.sum())} of {len(stuck)} zero-init runs never leave loss ln 2 "
            "(on balanced classes the all-zero start is a stationary point where every gradient is exactly 0)"
        )
    if len(const):
        start = at_init(const).set_index(RUN)["loss"]
        end = final(const).set_index(RUN)["loss"]
        fall = (start - end).dropna()
        by = fall.groupby(level=["activation"]).median()
        details["median loss fall from iteration 0, constant inits, by activation"] = {a: float(v) for a, v in by.items()}
        note_zero += (
            ("; " if note_zero else " ")
            + f"constant-init runs do learn (median loss fall {float(fall.median()):.3g} nats; "
            + ", ".join(f"{a} {v:.3g}" for a, v in by.items())
            + f"), but only a function of rank {rank:.0f}: every unit stays a copy of the others"
        )
    note = (
        f"Constants {', '.join(map(_fmt_scale, constants))} in {', '.join(sorted(set(wide['experiment'])))}: "
        f"largest gap {largest:.3g} over {nr} runs (widths {details['widths']}), up to iteration "
        f"{details['last iteration']:,}; largest rank {rank:.0f}." + (note_zero + "." if note_zero else "")
    )
    return Outcome([t_gap, t_rank, t_many], nr, note, details)


def evaluate_b02(data: Data, rule: dict) -> Outcome:
    """W = 0 with random biases: does W1 reach full rank, and does the net end as well as from the lecture's init?"""
    exp = rule["experiment"]
    acts = rule["activations"]
    lay = select(data.layers, exp, layer=1, activation=acts)
    lay = lay[lay["width"] >= 2]
    zw = require(lay[(lay["init"] == rule["init"]) & (lay["bias_init"] == rule["bias_init"])], "W = 0 with random biases")
    tol = rule["tolerance"]
    full = np.minimum(zw["width"], N_INPUTS)
    t_gap = _first_at(zw, zw["gap_w"] > tol)
    t_rank = _first_at(zw, zw["rank_w"] >= full)
    end = final(zw).set_index(RUN)
    reached = (end["rank_w"] >= np.minimum(end.index.get_level_values("width"), N_INPUTS)).astype(np.float64)
    rank_cells = {}
    for act in acts:
        r = reached[reached.index.get_level_values("activation") == act]
        if len(r) == 0:
            continue
        rank_cells[act] = seed_check(
            "W1 reaches full rank",
            f"share of runs whose W1 has rank {N_INPUTS} at the last iteration (per seed, over bias scales)",
            r.groupby(level="seed").mean(),
            rule,
            rule["min_share"],
            "at_least",
        )
    if not rank_cells:
        raise Insufficient(f"no W = 0 runs with activations {acts}")
    t_full = worst_of(rank_cells)
    metric = rule["metric"]
    fin = final(select(data.metrics, exp, activation=acts))
    zero_m = fin[(fin["init"] == rule["init"]) & (fin["bias_init"] == rule["bias_init"])]
    rnd = fin[(fin["init"] == rule["reference_init"]) & scale_mask(fin["scale"], [rule["reference_scale"]])]
    ref_m = rnd[rnd["bias_init"] == rule["reference_bias"]]
    keys = ["dataset", "activation", "width", "depth", "seed", "lr"]
    pairs = zero_m.merge(ref_m[[*keys, metric]], on=keys, suffixes=("", "_ref"))
    ref_name = f"W {rule['reference_init']} {_fmt_scale(rule['reference_scale'])}, b {rule['reference_bias']}"
    acc_cells = {}
    for (act, bs), g in pairs.groupby(["activation", "bias_scale"]):
        acc_cells[f"{act}, b std {_fmt_scale(bs)}"] = seed_check(
            "ends as well as the lecture's init",
            f"final {metric} (W = 0, random b) minus final {metric} ({ref_name}), paired by seed",
            g.set_index("seed")[metric] - g.set_index("seed")[f"{metric}_ref"],
            rule,
            -rule["margin"],
            "above",
        )
    t_acc = (
        worst_of(acc_cells)
        if acc_cells
        else missing_check(
            "ends as well as the lecture's init", metric, -rule["margin"], "above", f"no {ref_name} runs to compare with"
        )
    )
    cell = ["activation", "bias_scale"]
    times = pd.DataFrame({"t_gap": t_gap, "t_rank": t_rank}).reset_index()
    tt = times.groupby(cell).agg(
        t_gap=("t_gap", "median"), t_rank=("t_rank", "median"), never=("t_rank", lambda s: float(np.isinf(s).mean()))
    )
    sat0 = at_init(zw).groupby("activation")["saturation"].median()
    sat1 = final(zw).groupby("activation")["saturation"].median()
    med = pairs.groupby(cell).agg(zero=(metric, "median"), ref=(f"{metric}_ref", "median")) if len(pairs) else pd.DataFrame()
    same_b = rnd[rnd["bias_init"] == rule["bias_init"]].groupby(cell)[metric].median()
    details: dict = {
        "median first iteration with gap_w > 0": {f"{a}, b std {_fmt_scale(s)}": r["t_gap"] for (a, s), r in tt.iterrows()},
        f"median first iteration with rank_w = {N_INPUTS}": {
            f"{a}, b std {_fmt_scale(s)}": r["t_rank"] for (a, s), r in tt.iterrows()
        },
        f"share of runs never reaching rank {N_INPUTS}": {
            f"{a}, b std {_fmt_scale(s)}": r["never"] for (a, s), r in tt.iterrows()
        },
        "median saturated or inactive share of hidden units at init": {a: float(v) for a, v in sat0.items()},
        "median saturated or inactive share at the last iteration": {a: float(v) for a, v in sat1.items()},
    }
    if len(med):
        details[f"median final {metric}: W = 0 vs {ref_name}"] = {
            f"{a}, b std {_fmt_scale(s)}": {"W = 0": r.zero, ref_name: r.ref} for (a, s), r in med.iterrows()
        }
    if len(same_b):
        details[f"median final {metric}: random W with the same random biases"] = {
            f"{a}, b std {_fmt_scale(s)}": float(v) for (a, s), v in same_b.items()
        }
    parts = []
    for act in acts:
        g = times[times["activation"] == act]
        if g.empty:
            continue
        share = float(np.isfinite(g["t_rank"]).mean())
        reach = (
            f"at iteration {_iter_text(g['t_rank'].median())} (median) in {share:.0%} of runs"
            if share >= 0.5
            else f"in only {share:.0%} of runs"
        )
        text = (
            f"{act}: gap_w leaves 0 at iteration {_iter_text(g['t_gap'].median())} (median), W1 reaches rank {N_INPUTS} {reach}"
        )
        if act in sat0.index and sat0[act] > 0:
            text += f"; a median {sat0[act]:.0%} of its units start saturated or inactive ({sat1[act]:.0%} at the end)"
        if len(med) and act in med.index.get_level_values(0):
            mm = med.loc[act]
            text += (
                f"; median final {metric} {float(mm['zero'].min()):.3f}-{float(mm['zero'].max()):.3f} against "
                f"{float(mm['ref'].iloc[0]):.3f} from the lecture's init"
            )
        parts.append(text)
    note = (
        "; ".join(parts) + ". Mechanism: with W1 = 0 and W2 = 0 the first update moves only the output layer (dW1 is "
        "proportional to W2 = 0; dW2 is g(b1) times the mean output error, so W2's entries differ through b1); the "
        "next update gives dW1 rows W2_i g'(b1_i) times one common vector (rank 1); rank 2 needs the per-unit factors "
        "g'(z) to vary with x differently for each unit. A positively homogeneous unit (relu) never gets there: a unit "
        "with b < 0 has z = b < 0 for every input and never receives a gradient, and the live units stay positive "
        "multiples of one another, all parameters scaled by their bias, so W1 keeps rank 1 in exact arithmetic (a "
        "rank of 2, if logged, is round-off at the rank tolerance). On balanced classes the random output bias b2 is "
        "what starts it: with b2 = 0 the mean output error is 0 and W = 0 is a stationary point."
    )
    return Outcome([t_full, t_acc], n_runs(zw) + n_runs(ref_m), note, details)


def _signal_table(lay: pd.DataFrame, init: str, act: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


def _pick_best(score: np.ndarray, tie: np.ndarray, scales: np.ndarray, critical: float) -> np.ndarray:
    """Per row of ``score`` ``(..., S)``: the scale with the highest score, then the lowest ``tie``, then the one
    farthest from ``critical`` (ties go against the claim)."""
    far = np.abs(np.log10(scales / critical))
    s2, t2 = np.reshape(score, (-1, len(scales))), np.reshape(tie, (-1, len(scales)))
    best = np.array([scales[np.lexsort((-far, t, -s))[0]] for s, t in zip(s2, t2)])
    return best.reshape(np.shape(score)[:-1])


def _choice_check(name: str, statistic: str, point: float, boot: np.ndarray, rule: dict, margin: float, n: int) -> Check:
    iv = rule["interval"]
    if iv["method"] == "bootstrap" and len(boot) and n >= 2:
        a = (1.0 - iv["level"]) / 2.0
        lo, hi = (float(v) for v in np.quantile(boot, [a, 1.0 - a]))
    else:
        lo = hi = point
    return Check(name, statistic, point, lo, hi, margin, "within", n, rule["min_seeds"])


def _resamples(n: int, rule: dict) -> np.ndarray:
    iv = rule["interval"]
    if iv["method"] != "bootstrap" or n < 2:
        return np.zeros((0, n), dtype=np.int64)
    return np.random.default_rng(iv["seed"]).integers(0, n, (iv["resamples"], n))


def evaluate_b03(data: Data, rule: dict) -> Outcome:
    """Edge of chaos: the weight std whose signal reaches the most depth, and the one that trains the deepest net best,
    lie within a factor of the mean-field critical value (tanh 1, relu sqrt 2)."""
    init, factor = rule["init"], rule["factor"]
    margin = float(np.log10(factor))
    sig_lay = at_init(select(data.layers, rule["signal_experiment"], init=init))
    fin = final(select(data.metrics, rule["train_experiment"], init=init))
    sig_cells, train_cells, details = {}, {}, {}
    reaches: dict[str, dict] = {}
    best_train: dict[str, tuple[int, float]] = {}
    nr = 0
    for act, critical in rule["critical"].items():
        name_s = f"signal reaches the most depth near sigma_w = {critical:.4g}"
        stat_s = (
            f"log10(best sigma_w / {critical:.4g}); best = most layers before the activation std (from layer 1) or the "
            f"weight-gradient norm (from the last layer) changes by more than {rule['reach_log10']:g} decade(s)"
        )
        try:
            require(sig_lay[sig_lay["activation"] == act], f"{init} {act} runs in {rule['signal_experiment']}")
            scales, seeds, fwd, bwd = _signal_table(sig_lay, init, act)
            reach, at = signal_reach(np.median(fwd, axis=0), np.median(bwd, axis=0), rule["reach_log10"])
            best = float(_pick_best(reach, at, scales, critical))
            idx = _resamples(len(seeds), rule)
            boot = np.array([])
            if len(idx):
                r_b, a_b = signal_reach(np.median(fwd[idx], axis=1), np.median(bwd[idx], axis=1), rule["reach_log10"])
                boot = np.log10(_pick_best(r_b, a_b, scales, critical) / critical)
            sig_cells[act] = _choice_check(name_s, stat_s, float(np.log10(best / critical)), boot, rule, margin, len(seeds))
            reaches[act] = {_fmt_scale(s): int(v) for s, v in zip(scales, reach)}
            details[f"{act}: layers the signal reaches (of {fwd.shape[-1]}), by sigma_w"] = reaches[act]
            details[f"{act}: median log10 change over {fwd.shape[-1]} layers (forward, backward), by sigma_w"] = {
                _fmt_scale(s): [float(f), float(b)]
                for s, f, b in zip(scales, np.median(fwd, axis=0)[:, -1], np.median(bwd, axis=0)[:, -1])
            }
            details[f"{act}: best sigma_w for signal"] = best
        except Insufficient as exc:
            sig_cells[act] = missing_check(name_s, stat_s, margin, "within", str(exc))
        name_t = f"the deepest net trains best near sigma_w = {critical:.4g}"
        stat_t = f"log10(best sigma_w / {critical:.4g}); best = highest median final {rule['metric']} at the deepest depth"
        f = fin[fin["activation"] == act]
        if f.empty:
            train_cells[act] = missing_check(name_t, stat_t, margin, "within", f"no trained {init} {act} runs")
            continue
        nr += n_runs(f)
        depth = int(f["depth"].max())
        acc = f[f["depth"] == depth].pivot_table(index="seed", columns="scale", values=rule["metric"]).dropna()
        scales_t = acc.columns.to_numpy(dtype=np.float64)
        med = acc.median().to_numpy()
        table = f.groupby(["depth", "scale"])[rule["metric"]].median()
        details[f"{act}: median final {rule['metric']} by depth and sigma_w"] = {
            str(d): {_fmt_scale(s): float(v) for s, v in g.droplevel(0).items()} for d, g in table.groupby(level=0)
        }
        if len(acc) == 0 or med.max() < rule["chance_plus"]:
            train_cells[act] = missing_check(
                name_t,
                stat_t,
                margin,
                "within",
                f"no sigma_w trains {act} at depth {depth} (median below {rule['chance_plus']:g})",
            )
            continue
        best_t = float(_pick_best(med, np.zeros_like(med), scales_t, critical))
        v = acc.to_numpy()
        idx = _resamples(len(v), rule)
        boot = np.array([])
        if len(idx):
            mb = np.median(v[idx], axis=1)
            boot = np.log10(_pick_best(mb, np.zeros_like(mb), scales_t, critical) / critical)
        train_cells[act] = _choice_check(
            name_t + f" (depth {depth})", stat_t, float(np.log10(best_t / critical)), boot, rule, margin, len(v)
        )
        details[f"{act}: best sigma_w at depth {depth}"] = best_t
        best_train[act] = (depth, best_t)
    t_sig, t_train = worst_of(sig_cells), worst_of(train_cells)
    nr += n_runs(sig_lay)
    parts = []
    for act, critical in rule["critical"].items():
        bits = []
        if act in reaches:
            r = reaches[act]
            bits.append(
                f"signal reaches the most layers at sigma_w = {_fmt_scale(details[f'{act}: best sigma_w for signal'])} "
                "(layers reached by sigma_w: " + ", ".join(f"{k}: {v}" for k, v in r.items()) + ")"
            )
        if act in best_train:
            depth, best_t = best_train[act]
            bits.append(f"the depth-{depth} net trains best at sigma_w = {_fmt_scale(best_t)}")
        if bits:
            parts.append(f"{act} (critical {critical:.4g}): " + "; ".join(bits))
    note = (
        "; ".join(parts)
        + ". Mean-field theory puts the edge of chaos of a zero-bias net at sigma_w = 1 (tanh) and sqrt 2 (relu, He); "
        "for tanh the critical point has no finite signal length (the activation std decays like a power of depth "
        "there), so the best finite-depth sigma_w can sit a little above 1."
    )
    return Outcome([t_sig, t_train], nr, note, details)


def evaluate_b04(data: Data, rule: dict) -> Outcome:
    """Same variance, different family: Gaussian vs uniform (shallow) and orthogonal vs Gaussian (deep) are equivalent."""
    metric, margin = rule["metric"], rule["margin"]
    a_fam, b_fam = rule["shallow_inits"]
    fin = final(select(data.metrics, rule["shallow_experiment"], init=[a_fam, b_fam]))
    keys = ["dataset", "activation", "width", "depth", "scale", "bias_init", "bias_scale", "seed", "lr"]
    pairs = fin[fin["init"] == a_fam].merge(fin[fin["init"] == b_fam][[*keys, metric]], on=keys, suffixes=("", "_b"))
    pairs = pairs.assign(d=pairs[metric] - pairs[f"{metric}_b"])
    stat = f"final {metric} ({a_fam} minus {b_fam}, same std, paired by seed)"
    pooled, cells = {}, {}
    for act, g in pairs.groupby("activation"):
        wide = g.pivot_table(index="seed", columns="scale", values="d").dropna()
        pooled[act] = seed_check(
            f"{a_fam} and {b_fam} equivalent over the scale sweep",
            f"{stat}, each seed's mean over the {wide.shape[1]} scales",
            wide.mean(axis=1),
            rule,
            margin,
            "within",
        )
        for s, gs in g.groupby("scale"):
            cells[(act, float(s))] = seed_check("per scale", stat, gs.set_index("seed")["d"], rule, margin, "within")
    if pooled:
        t_pool = worst_of(pooled)
        n_diff = sum(c.verdict == "fails" for c in cells.values())
        t_scale = exact_check(
            f"no single scale shows {a_fam} and {b_fam} apart",
            f"(activation, scale) cells whose interval lies wholly outside +-{margin:g}",
            n_diff,
            0,
            "at_most",
            len(cells),
        )
    else:
        t_pool = missing_check(
            f"{a_fam} and {b_fam} equivalent over the scale sweep", stat, margin, "within", "no paired shallow runs"
        )
        t_scale = missing_check(f"no single scale shows {a_fam} and {b_fam} apart", stat, 0, "at_most", "no paired shallow runs")
    a_deep, b_deep = rule["deep_inits"]
    lay = at_init(select(data.layers, rule["signal_experiment"], init=[a_deep, b_deep]))
    fin_d = final(select(data.metrics, rule["train_experiment"], init=[a_deep, b_deep]))
    sig_cells, acc_cells, details = {}, {}, {}
    for act, s in rule["deep_scales"].items():
        sub = lay[(lay["activation"] == act) & _near(lay["scale"], s)]
        if len(sub):
            depth = int(sub["depth"].max())
            sub = sub[sub["depth"] == depth]
            std = sub.pivot_table(index="seed", columns=["init", "layer"], values="act_std")
            ratio = {
                i: np.log10(np.maximum(std[(i, depth)], 1e-300) / np.maximum(std[(i, 1)], 1e-300))
                for i in (a_deep, b_deep)
                if (i, depth) in std
            }
            if len(ratio) == 2:
                sig_cells[act] = seed_check(
                    f"{a_deep} and {b_deep} keep the same signal through {depth} layers",
                    f"log10 of the activation std at layer {depth} over layer 1 at init, {a_deep} minus {b_deep} (scale {s:.4g})",
                    (ratio[a_deep] - ratio[b_deep]),
                    rule,
                    float(np.log10(rule["signal_factor"])),
                    "within",
                )
                details[f"{act}: median log10 std change over {depth} layers at init"] = {
                    i: float(r.median()) for i, r in ratio.items()
                }
                per_layer = sub.groupby(["init", "layer"])["act_std"].median()
                details[f"{act}: median activation std by layer at init"] = {
                    i: {str(k): float(v) for k, v in g.droplevel(0).items()} for i, g in per_layer.groupby(level=0)
                }
        f = fin_d[(fin_d["activation"] == act) & _near(fin_d["scale"], s)]
        if len(f):
            depth = int(f["depth"].max())
            acc = f[f["depth"] == depth].pivot_table(index="seed", columns="init", values=rule["deep_metric"])
            if {a_deep, b_deep} <= set(acc.columns):
                acc_cells[act] = seed_check(
                    f"{a_deep} and {b_deep} train the depth-{depth} net equally well",
                    f"final {rule['deep_metric']} at depth {depth}, {a_deep} minus {b_deep} (scale {s:.4g}), paired by seed",
                    acc[a_deep] - acc[b_deep],
                    rule,
                    rule["deep_margin"],
                    "within",
                )
                details[f"{act}: median final {rule['deep_metric']} at depth {depth}"] = {
                    i: float(acc[i].median()) for i in (a_deep, b_deep)
                }
    t_sig = (
        worst_of(sig_cells)
        if sig_cells
        else missing_check("deep signal", "log10 ratio", float(np.log10(rule["signal_factor"])), "within", "no deep runs at init")
    )
    t_acc = (
        worst_of(acc_cells)
        if acc_cells
        else missing_check("deep accuracy", rule["deep_metric"], rule["deep_margin"], "within", "no trained deep runs")
    )
    if cells:
        details[f"mean paired difference by activation and scale ({a_fam} minus {b_fam})"] = {
            f"{a}, {_fmt_scale(s)}": c.summary() for (a, s), c in cells.items()
        }
    counts = pd.Series([c.verdict for c in cells.values()]).value_counts().to_dict() if cells else {}
    shallow = (
        f"Shallow ({a_fam} vs {b_fam}, same std): mean paired difference over the sweep "
        + ", ".join(f"{a} {t.value:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]" for a, t in pooled.items())
        + f" (margin +-{margin:g}); per scale {counts.get('holds', 0)} cell(s) equivalent, "
        f"{counts.get('inconclusive', 0)} undecided, {counts.get('fails', 0)} apart"
        if pooled
        else "No shallow pairs"
    )
    deep = [
        f"{a}: log10 std change {a_deep} minus {b_deep} {t.value:+.2f} [{t.ci_low:+.2f}, {t.ci_high:+.2f}]"
        for a, t in sig_cells.items()
    ]
    deep += [f"{a}: final accuracy difference {t.value:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]" for a, t in acc_cells.items()]
    note = (
        shallow
        + ". Deep ("
        + f"{a_deep} vs {b_deep} at the same per-entry variance in the square layers): "
        + ("; ".join(deep) if deep else "no runs")
        + ". The first layer (2 inputs) is not square: there the orthogonal rows have unit norm, so its entries have "
        "variance 1/width instead of sigma_w^2/2; the signal is therefore compared from layer 1 on."
    )
    nr = n_runs(pairs) + n_runs(lay) + n_runs(fin_d)
    return Outcome([t_pool, t_scale, t_sig, t_acc], nr, note, details)


EVALUATORS: dict[str, Callable[[Data, dict], Outcome]] = {
    "L01": evaluate_l01,
    "L02": evaluate_l02,
    "L03": evaluate_l03,
    "L04": evaluate_l04,
    "L05": evaluate_l05,
    "L06": evaluate_l06,
    "L07": evaluate_l07,
    "L08": evaluate_l08,
    "L09": evaluate_l09,
    "L10": evaluate_l10,
    "L11": evaluate_l11,
    "L12": evaluate_l12,
    "L13": evaluate_l13,
    "L14": evaluate_l14,
    "B01": evaluate_b01,
    "B02": evaluate_b02,
    "B03": evaluate_b03,
    "B04": evaluate_b04,
}
"""Registry: claim id -> evaluator ``(Data, rule) -> Outcome``."""


# ---------------------------------------------------------------------------------------------
# Records


def _experiments(spec: dict) -> list[str]:
    e = spec["experiment"]
    return [e] if isinstance(e, str) else list(e)


def measured_only(data: Data, experiments: list[str]) -> tuple[Data, int]:
    """``data`` without the runs that were not finite at initialisation (NaN metrics, ranks -1: see
    workflow/schemas/metrics.schema.yaml), and how many of them belong to ``experiments``."""
    m, lay = data.metrics, data.layers
    nan = m["loss"].isna() if len(m) else pd.Series(False, index=m.index)
    if not nan.any():
        return data, 0
    n = int((nan & (m["iteration"] == 0) & m["experiment"].isin(experiments)).sum())
    kept = lay[lay["rank_w"] >= 0] if "rank_w" in lay else lay
    return Data(metrics=m[~nan], layers=kept, linear=data.linear), n


def evaluate_claim(claim_id: str, spec: dict, data: Data) -> dict:
    """One row of results/claims.parquet for one claim (an inconclusive row when its data are missing)."""
    rule = {**spec["rule"], "experiment": spec["experiment"]}
    record = {"claim_id": claim_id, "claim": spec["claim"], "rule": rule_text(spec["rule"])}
    exps = _experiments(spec)
    data, unmeasured = measured_only(data, exps)
    unmeasured_note = (
        f" {unmeasured} run(s) were not finite at initialisation (no measurable state: NaN in the tables) and are left out."
        if unmeasured else ""
    )  # fmt: skip
    have = set(data.metrics["experiment"]) | set(data.layers["experiment"])
    missing = [e for e in exps if e not in have]
    try:
        if len(missing) == len(exps):
            raise Insufficient(
                f"experiment {', '.join(repr(e) for e in missing)} is not in this study's config (or produced no runs)"
            )
        if missing and not isinstance(spec["experiment"], list):
            raise Insufficient(f"experiment {missing[0]!r} is not in this study's config")
        out = EVALUATORS[claim_id](data, rule)
    except Insufficient as exc:
        return {
            **record,
            "verdict": "inconclusive",
            "statistic": "",
            "value": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "threshold": math.nan,
            "n_runs": 0,
            "note": f"Not decided: {exc}.{unmeasured_note}",
            "details": json.dumps({}),
        }
    verdict = combine(out.checks)
    # the reported number is the check that decided: the first one whose verdict is the claim's
    main = next((t for t in out.checks if t.verdict == verdict), out.checks[0])
    parts = [f"{t.name}: {t.verdict}" + (f" ({t.reason})" if t.reason else "") for t in out.checks]
    note = out.note
    if len(out.checks) > 1:
        note += " Parts: " + "; ".join(parts) + "."
    elif main.reason:
        note += f" Inconclusive: {main.reason}."
    if missing:
        note += f" Experiment(s) {missing} not in this study."
    note += unmeasured_note
    details = {"checks": {t.name: t.summary() for t in out.checks}, **out.details}
    return {
        **record,
        "verdict": verdict,
        "statistic": main.statistic,
        "value": main.value,
        "ci_low": main.ci_low,
        "ci_high": main.ci_high,
        "threshold": main.threshold,
        "n_runs": int(out.n_runs),
        "note": note.strip(),
        "details": json.dumps(_clean(details), allow_nan=False),
    }


def evaluate_all(claims: dict, data: Data) -> pd.DataFrame:
    """Every claim of a validated claims file, in file order, as the claims table."""
    rows = [evaluate_claim(cid, spec, data) for cid, spec in claims["claims"].items()]
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["n_runs"] = df["n_runs"].astype(np.int64)
    for c in ("value", "ci_low", "ci_high", "threshold"):
        df[c] = df[c].astype(np.float64)
    return df
