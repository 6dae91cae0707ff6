"""What the report shows, as plain data: numbers with their intervals, verdict badges, run grids.

Pure functions (no files, no Snakemake): ``workflow/scripts/render_report.py`` reads the claims
table, the claim specs (config/claims.yaml), the config as run and the provenance it collects,
and :func:`report_context` turns them into the one dict the Jinja template renders. Every number
the report prints passes through :func:`initstudy.formatting.fmt` (three significant digits,
``×10ⁿ`` for very small or large values), so the template never formats or types a number itself;
each experiment's grid is put in words by :mod:`initstudy.gridtext`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .claims import COLUMNS
from .formatting import fmt, interval, is_missing
from .gridtext import grid_rows, seeds_text

VERDICTS = {
    "holds": {"label": "holds", "symbol": "✓", "meaning": "the data support the claim under its decision rule"},
    "fails": {"label": "fails", "symbol": "✗", "meaning": "the data contradict the claim under its decision rule"},
    "inconclusive": {
        "label": "inconclusive",
        "symbol": "?",
        "meaning": "too little evidence, or the interval straddles the threshold",
    },
}
"""The three verdicts: label, a symbol that survives black-and-white printing, one line of meaning."""

CLAIM_COLUMNS = COLUMNS
"""Columns of results/claims.parquet that the report reads."""

_CLAIM_ID = re.compile(r"^([A-Z]+)([0-9]+)$")


class ReportError(ValueError):
    """Inputs of the report that do not fit together (a claim without spec, an unknown verdict...)."""


def claim_sort_key(claim_id: str) -> tuple:
    """Lecture claims (L01..) before the beyond-the-lecture ones (B01..), then by number."""
    m = _CLAIM_ID.match(claim_id)
    if not m:
        return (2, claim_id, 0)
    prefix, number = m.groups()
    return ({"L": 0, "B": 1}.get(prefix, 2), prefix, int(number))


def claim_specs(doc: Mapping) -> dict[str, dict]:
    """The per-claim specs of config/claims.yaml: ``{claim_id: spec}``.

    Accepts the claims either at the top level (``L01: {...}``) or under a ``claims:`` key.
    """
    if not isinstance(doc, Mapping):
        raise ReportError("config/claims.yaml: expected a mapping of claim ids to specs")
    specs = doc.get("claims", doc) if isinstance(doc.get("claims"), Mapping) else doc
    return {str(k): dict(v) for k, v in specs.items() if _CLAIM_ID.match(str(k)) and isinstance(v, Mapping)}


def figure_names(specs: Mapping[str, Mapping], extra: Iterable[str] = ("datasets",)) -> list[str]:
    """Every figure the report shows: those listed under each claim's ``figures``, then ``extra``."""
    names: list[str] = []
    for cid in sorted(specs, key=claim_sort_key):
        for name in specs[cid].get("figures") or []:
            if name not in names:
                names.append(name)
    return names + [n for n in extra if n not in names]


def spec_experiments(spec: Mapping) -> list[str]:
    """Experiment names a claim spec names (``experiment: x`` or ``experiments: [x, y]``)."""
    named = spec.get("experiments", spec.get("experiment", []))
    return [named] if isinstance(named, str) else list(named or [])


def claim_experiments(claim_id: str, spec: Mapping, config: Mapping) -> list[str]:
    """The experiments that serve a claim: named in its spec or listing it under ``claims``, in config order."""
    named = set(spec_experiments(spec))
    return [name for name, exp in config["experiments"].items() if name in named or claim_id in exp.get("claims", [])]


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _is_test(v: Any) -> bool:
    return isinstance(v, Mapping) and str(v.get("verdict")) in VERDICTS


def _detail_text(v: Any) -> str:
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {_detail_text(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_detail_text(x) for x in v)
    return fmt(v)


def _test_row(name: str, t: Mapping) -> dict:
    ci = t.get("ci") or [None, None]
    return {
        "name": str(name),
        "badge": verdict_badge(str(t["verdict"])),
        "value": fmt(t.get("value")),
        "interval": interval(*ci) if isinstance(ci, (list, tuple)) and len(ci) == 2 else _detail_text(ci),
        "threshold": fmt(t.get("threshold")),
        "n": fmt(t.get("n")),
        "reason": "" if t.get("reason") is None else str(t["reason"]),
    }


def detail_blocks(details: Any) -> dict:
    """The claims table's ``details`` (a JSON object as text), laid out for the report.

    Returns ``{"scalars": [(key, text)], "tests": [...], "tables": [...]}``: numbers and lists of
    numbers become (key, text) rows; a mapping of sub-tests (each a mapping with a ``verdict``, as
    in ``checks``) becomes ``tests``, a list of {"title", "rows"} where each row has its name,
    badge, value, interval, threshold, n and reason; a mapping of mappings becomes a ``matrix``
    table (outer keys as rows, inner keys as columns); any other mapping a two-column ``pairs`` table.
    """
    blocks: dict = {"scalars": [], "tests": [], "tables": []}
    if is_missing(details) or details == "":
        return blocks
    data = json.loads(details) if isinstance(details, str) else details
    if not isinstance(data, Mapping):
        data = {"value": data}
    for key, v in data.items():
        key = str(key)
        if _is_scalar(v) or (isinstance(v, (list, tuple)) and all(_is_scalar(x) for x in v)):
            blocks["scalars"].append((key, _detail_text(v)))
        elif _is_test(v):
            blocks["tests"].append({"title": key, "rows": [_test_row(key, v)]})
        elif isinstance(v, Mapping) and v and all(_is_test(x) for x in v.values()):
            blocks["tests"].append({"title": key, "rows": [_test_row(name, t) for name, t in v.items()]})
        elif isinstance(v, Mapping) and v and all(isinstance(x, Mapping) for x in v.values()):
            columns = list(dict.fromkeys(str(c) for x in v.values() for c in x))
            rows = [{"key": str(k), "cells": [_detail_text(x.get(c)) if c in x else "" for c in columns]} for k, x in v.items()]
            blocks["tables"].append({"title": key, "kind": "matrix", "columns": columns, "rows": rows})
        elif isinstance(v, Mapping):
            rows = [{"key": str(k), "cells": [_detail_text(x)]} for k, x in v.items()]
            blocks["tables"].append({"title": key, "kind": "pairs", "columns": [], "rows": rows})
        else:
            blocks["scalars"].append((key, _detail_text(v)))
    return blocks


def verdict_badge(verdict: str) -> dict:
    """The badge of a verdict: ``{"verdict", "label", "symbol", "meaning"}``; unknown verdicts raise."""
    if verdict not in VERDICTS:
        raise ReportError(f"unknown verdict {verdict!r}; expected one of {', '.join(VERDICTS)}")
    return {"verdict": verdict, **VERDICTS[verdict]}


def verdict_counts(verdicts: Iterable[str]) -> list[dict]:
    """How many claims got each verdict, every verdict listed (``count`` may be 0)."""
    verdicts = list(verdicts)
    return [{**verdict_badge(v), "count": verdicts.count(v)} for v in VERDICTS]


def benchmark_summary(records: Iterable[Mapping]) -> list[dict]:
    """Per rule: jobs, total and longest wall time (s), largest max RSS (MB), from benchmark records.

    A record is one benchmark file: ``{"rule", "s", "max_rss"}`` (max_rss may be missing or NaN).
    Rules come out sorted by total time, longest first.
    """
    rules: dict[str, dict] = {}
    for r in records:
        row = rules.setdefault(r["rule"], {"rule": r["rule"], "jobs": 0, "total_s": 0.0, "max_s": 0.0, "max_rss_mb": math.nan})
        s = float(r["s"])
        row["jobs"] += 1
        row["total_s"] += s
        row["max_s"] = max(row["max_s"], s)
        rss = r.get("max_rss")
        if not is_missing(rss):
            rss = float(rss)
            row["max_rss_mb"] = rss if math.isnan(row["max_rss_mb"]) else max(row["max_rss_mb"], rss)
    return sorted(rules.values(), key=lambda row: (-row["total_s"], row["rule"]))


def interval_level(interval: Any) -> str:
    """How a rule's interval is computed, for column headings: ``95%`` (bootstrap level) or ``exact``."""
    if isinstance(interval, Mapping) and interval.get("method") == "bootstrap":
        return f"{float(interval['level']):.0%}"
    return "exact"


def _row_value(row: Mapping, key: str) -> Any:
    v = row[key]
    return v.item() if hasattr(v, "item") else v


def claim_entry(
    row: Mapping, spec: Mapping, config: Mapping, *, figures: Mapping[str, Mapping], runs: Mapping[str, Mapping]
) -> dict:
    """Everything one claim's row and section show, from its claims-table row and its spec."""
    cid = str(row["claim_id"])
    names = spec_experiments(spec)
    unknown = [n for n in names if n not in config["experiments"]]  # left out by this config (checked at DAG build)
    missing_figures = [f for f in spec.get("figures") or [] if f not in figures]
    if missing_figures:
        raise ReportError(f"claim {cid}: figure(s) {missing_figures} listed in config/claims.yaml were not given to the report")
    experiments = []
    for name in claim_experiments(cid, spec, config):
        exp = config["experiments"][name]
        experiments.append(
            {"name": name, "description": exp.get("description", ""), "grid": grid_rows(name, exp), "trained": runs.get(name)}
        )
    value, lo, hi = (_row_value(row, k) for k in ("value", "ci_low", "ci_high"))
    return {
        "id": cid,
        "claim": str(row["claim"]),
        "lecture": str(spec.get("lecture", "")),
        "badge": verdict_badge(str(row["verdict"])),
        "statistic": str(row["statistic"]),
        "value": fmt(value),
        "interval": interval(lo, hi),
        "threshold": fmt(_row_value(row, "threshold")),
        "n_runs": fmt(int(_row_value(row, "n_runs"))) if not is_missing(_row_value(row, "n_runs")) else "—",
        "rule": str(row["rule"]),
        "note": "" if is_missing(row["note"]) else str(row["note"]),
        "details": detail_blocks(row["details"]),
        "experiments": experiments,
        "not_run": bool(names) and len(unknown) == len(names),
        "missing_experiments": ", ".join(unknown),
        "level": interval_level((spec.get("rule") or {}).get("interval")),
        "measures": f"results/measures/{cid}.parquet",
        "figures": [figures[f] for f in spec.get("figures") or []],
        "explanation": str(spec.get("explanation", "")),
        "history": [{k: str(h[k]) for k in ("replaced", "rule", "gave", "why")} for h in spec.get("history") or []],
    }


def dataset_rows(config: Mapping) -> list[dict]:
    """Every dataset of the config as run: its generator settings and the experiments that use it."""
    rows = []
    for name, ds in config["datasets"].items():
        used = [e for e, exp in config["experiments"].items() if name in exp["datasets"]]
        rows.append(
            {
                "name": name,
                **{k: fmt(ds[k]) if k != "kind" else ds[k] for k in ("kind", "n_train", "n_test", "noise", "seed", "test_seed")},
                "used_by": ", ".join(used),
            }
        )
    return rows


def report_context(
    claims: Iterable[Mapping],
    specs: Mapping[str, Mapping],
    config: Mapping,
    *,
    figures: Mapping[str, Mapping],
    runs: Mapping[str, Mapping],
    provenance: Mapping,
    course: Mapping | None = None,
) -> dict:
    """The template's whole context.

    ``claims``: rows of results/claims.parquet (mappings with :data:`CLAIM_COLUMNS`);
    ``specs``: :func:`claim_specs` of config/claims.yaml; ``config``: the config as run;
    ``figures``: ``{name: {"name", "src", "caption", "width", "height", "script"}}``;
    ``runs``: per experiment ``{"runs", "diverged"}`` counted in the metrics;
    ``provenance``: git, packages, machine, benchmarks, config text, generation time;
    ``course``: the section "The course's own numbers" (:func:`initstudy.course.report_section`), or None.
    """
    rows = sorted(claims, key=lambda r: claim_sort_key(str(r["claim_id"])))
    ids = [str(r["claim_id"]) for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ReportError(f"results/claims.parquet: claim id(s) {dupes} appear more than once")
    without_spec = [i for i in ids if i not in specs]
    if without_spec:
        raise ReportError(f"claim(s) {without_spec} are in results/claims.parquet but not in config/claims.yaml")
    entries = [claim_entry(r, specs[str(r["claim_id"])], config, figures=figures, runs=runs) for r in rows]
    if "datasets" not in figures:
        raise ReportError("the Methods section needs the 'datasets' figure")
    levels = sorted({e["level"] for e in entries} - {"exact"})
    return {
        "claims": entries,
        "interval_heading": f"{levels[0]} interval" if len(levels) == 1 else "interval",
        "counts": verdict_counts(e["badge"]["verdict"] for e in entries),
        "verdicts": [verdict_badge(v) for v in VERDICTS],
        "datasets": dataset_rows(config),
        "datasets_figure": figures["datasets"],
        "experiments": [
            {
                "name": name,
                "description": exp.get("description", ""),
                "claims": ", ".join(exp.get("claims", [])),
                "seeds": seeds_text(exp["seeds"], exp.get("notebook_seeds") or ()),
                "trained": runs.get(name),
            }
            for name, exp in config["experiments"].items()
        ],
        "settings": {
            "dtype": str(config["dtype"]),
            "saturation_threshold": fmt(config["saturation_threshold"]),
            "shard_size": fmt(config["shard_size"]),
        },
        "provenance": provenance,
        "course": course,
    }
