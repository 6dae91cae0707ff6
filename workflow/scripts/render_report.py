"""Rule render_report: the study's self-contained HTML report (report/index.html).

Reads the claims table, the claim specs, the config as run, the metrics (runs per experiment),
the figures (embedded as base64 data URIs) and their captions, collects provenance (git commit,
package versions, per-rule runtimes from the benchmark files, the machine) and renders the Jinja
template with autoescape on and StrictUndefined: a missing key fails the job instead of leaving a
hole, and every string from config or data is escaped.
"""

import base64
import datetime as dt
import importlib.metadata as md
import logging
import os
import platform
import re
import struct
import subprocess
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd
import yaml
from markupsafe import Markup

from initstudy import report as R
from initstudy.claims import load_claims
from initstudy.rulescript import run_rule
from initstudy.tables import read_table, write_atomic

log = logging.getLogger("render_report")

MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
FALLBACK_PACKAGES = (
    "snakemake",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "jinja2",
    "jsonschema",
    "pyyaml",
    "pygments",
)


# ---------------------------------------------------------------- figures and captions


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from a PNG's IHDR chunk, or None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def data_uri(path: Path) -> tuple[str, tuple[int, int] | None]:
    data = path.read_bytes()
    mime = MIME.get(path.suffix.lower())
    if mime is None:
        raise R.ReportError(f"{path}: cannot embed a figure of type {path.suffix!r} (expected {', '.join(MIME)})")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", png_size(data)


def caption_html(text: str, config: dict) -> Markup:
    """A caption (.rst, optionally Jinja-templated like Snakemake's report captions) as safe HTML.

    docutils escapes the text; raw HTML and file inclusion directives are disabled.
    """
    if "{{" in text or "{%" in text:
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        text = env.from_string(text).render(snakemake=SimpleNamespace(config=config, wildcards={}, params={}))
    from docutils.core import publish_parts

    settings = {
        "raw_enabled": False,
        "file_insertion_enabled": False,
        "report_level": 4,
        "halt_level": 4,
        "doctitle_xform": False,
        "initial_header_level": 4,
        "embed_stylesheet": False,
    }
    body = publish_parts(text, writer="html5", settings_overrides=settings)["body"]
    return Markup(body.strip())


def load_figures(figures: list[str], captions: list[str], config: dict) -> dict[str, dict]:
    """``{name: {"name", "src", "width", "height", "caption", "script"}}``; each figure needs its caption."""
    caption_paths = {Path(c).stem: Path(c) for c in captions}
    out = {}
    for f in figures:
        path = Path(f)
        name = path.stem
        if name not in caption_paths:
            raise R.ReportError(f"figure {name}: no caption workflow/report/captions/{name}.rst")
        src, size = data_uri(path)
        width, height = size or (None, None)
        out[name] = {
            "name": name,
            "src": src,
            "width": width,
            "height": height,
            "file": str(path),
            "caption": caption_html(caption_paths[name].read_text(), config),
            "script": f"workflow/scripts/plot_{name}.py",
        }
    return out


# ---------------------------------------------------------------- provenance


def git_info(repo: Path | str = ".") -> dict:
    """Commit and dirtiness of the working tree, or ``{"commit": None, "error": why}`` outside git."""

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30, check=False)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            why = head.stderr.strip().splitlines()
            why = (
                "not a git repository" if "not a git repository" in head.stderr else (why[-1] if why else "git rev-parse failed")
            )
            return {"commit": None, "short": None, "dirty": None, "changed": [], "error": why}
        status = git("status", "--porcelain", "--untracked-files=normal")
        date = git("show", "-s", "--format=%cI", "HEAD")
    except FileNotFoundError:
        return {"commit": None, "short": None, "dirty": None, "changed": [], "error": "git is not installed"}
    except subprocess.TimeoutExpired:
        return {"commit": None, "short": None, "dirty": None, "changed": [], "error": "git timed out"}
    commit = head.stdout.strip()
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    return {
        "commit": commit,
        "short": commit[:12],
        "dirty": bool(changed),
        "changed": changed,
        "date": date.stdout.strip(),
        "error": None,
    }


def package_versions(distribution: str = "initstudy") -> list[dict]:
    """The pinned dependencies of ``distribution`` with the versions installed (``ok``: they agree)."""
    try:
        requirements = md.requires(distribution) or []
    except md.PackageNotFoundError:
        requirements = list(FALLBACK_PACKAGES)
    rows = []
    for req in requirements:
        if "extra ==" in req:
            continue
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(?:==\s*([^;,\s]+))?", req)
        if not m:
            continue
        name, pinned = m.group(1), m.group(2)
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = None
        rows.append(
            {
                "name": name,
                "pinned": pinned or "",
                "installed": installed or "not installed",
                "ok": pinned is None or pinned == installed,
            }
        )
    return rows


def machine_info() -> dict:
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "machine": platform.machine(),
        "cpus": os.cpu_count() or 0,
    }


def read_benchmarks(directory: Path | str) -> list[dict]:
    """One record per Snakemake benchmark file under ``directory``; the rule is its first path part."""
    directory = Path(directory)
    records = []
    for path in sorted(directory.rglob("*.tsv")) if directory.is_dir() else []:
        rel = path.relative_to(directory)
        rule = rel.parts[0] if len(rel.parts) > 1 else path.stem
        try:
            table = pd.read_csv(path, sep="\t", na_values=["-", "NA"])
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            log.warning("skipping unreadable benchmark file %s: %s", path, exc)
            continue
        if table.empty or "s" not in table:
            continue
        rss = table["max_rss"].mean() if "max_rss" in table else None
        records.append({"rule": rule, "s": float(table["s"].mean()), "max_rss": None if pd.isna(rss) else float(rss)})
    return records


def runs_per_experiment(metrics: Path | str) -> dict[str, dict]:
    """Runs trained per experiment and how many of them diverged, from their final logged iteration."""
    df = read_table(metrics, columns=["experiment", "iteration", "iterations", "diverged"])
    final = df[df["iteration"] == df["iterations"]]
    out = {}
    for name, group in final.groupby("experiment", sort=False):
        out[str(name)] = {"runs": R.fmt(len(group)), "diverged": R.fmt(int(group["diverged"].sum()))}
    return out


def trained_on(metrics: Path | str) -> list[dict]:
    """What stepped the runs (backend and device, from each training job), with run counts."""
    df = read_table(metrics, columns=["iteration", "trained_on"])
    counts = df[df["iteration"] == 0]["trained_on"].value_counts(sort=False)
    return [{"name": str(name), "runs": R.fmt(int(n))} for name, n in sorted(counts.items())]


def provenance(
    config_text: str, benchmarks_dir: Path | str, repo: Path | str = ".", trained: list[dict] | None = None, configfiles: list[str] = ()
) -> dict:
    now = dt.datetime.now(dt.UTC)
    if "SOURCE_DATE_EPOCH" in os.environ:  # reproducible builds: https://reproducible-builds.org/specs/source-date-epoch/
        now = dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.UTC)
    summary = R.benchmark_summary(read_benchmarks(benchmarks_dir))
    benchmarks = [
        {
            "rule": b["rule"],
            "jobs": R.fmt(b["jobs"]),
            "total_s": R.fmt(b["total_s"]),
            "max_s": R.fmt(b["max_s"]),
            "max_rss_mb": R.fmt(b["max_rss_mb"]),
        }
        for b in summary
    ]
    total = {"jobs": R.fmt(sum(b["jobs"] for b in summary)), "total_s": R.fmt(sum(b["total_s"] for b in summary))}
    return {
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_info(repo),
        "packages": package_versions(),
        "machine": machine_info(),
        "benchmarks": benchmarks,
        "benchmarks_total": total,
        "config_text": config_text,
        "backend": str((yaml.safe_load(config_text) or {}).get("backend", "numpy")),
        "trained_on": trained or [],
        "configfiles": list(configfiles),
    }


# ---------------------------------------------------------------- rendering


def environment(template_dir: Path | str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(template: Path | str, context: dict) -> str:
    template = Path(template)
    return environment(template.parent).get_template(template.name).render(**context)


def main(
    claims: str,
    claims_spec: str,
    config: str,
    metrics: str,
    template: str,
    figures: list[str],
    captions: list[str],
    output: str,
    *,
    benchmarks_dir: str,
    repo: str = ".",
    course: str | None = None,
    configfiles: list[str] = (),
) -> None:
    table = read_table(claims)
    missing = [c for c in R.CLAIM_COLUMNS if c not in table.columns]
    if missing:
        raise R.ReportError(f"{claims}: missing column(s) {missing}")
    specs = load_claims(claims_spec)["claims"]
    config_text = Path(config).read_text()
    cfg = yaml.safe_load(config_text)
    figs = load_figures(list(figures), list(captions), cfg)
    section = None
    if course is not None:  # the section "The course's own numbers" (results/course.parquet)
        from initstudy.course import report_section

        records = read_table(course, name="course").to_dict("records")
        section = report_section(records, cfg.get("course") or {}, cfg, figs.get("course")) if records else None
    context = R.report_context(
        table.to_dict("records"),
        specs,
        cfg,
        figures=figs,
        runs=runs_per_experiment(metrics),
        provenance=provenance(config_text, benchmarks_dir, repo, trained_on(metrics), configfiles),
        course=section,
    )
    html = render(template, context)
    write_atomic(output, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    log.info("wrote %s (%d claims, %d figures, %.1f MB)", output, len(context["claims"]), len(figs), len(html) / 1e6)


if "snakemake" in globals():
    sm = snakemake  # noqa: F821
    i = sm.input
    run_rule(
        sm,
        main,
        i.claims,
        i.claims_spec,
        i.config,
        i.metrics,
        i.template,
        list(i.figures),
        list(i.captions),
        sm.output[0],
        benchmarks_dir=sm.params.benchmarks_dir,
        course=i.course,
        configfiles=list(sm.params.configfiles),
    )
