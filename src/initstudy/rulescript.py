"""Run a workflow script's ``main`` inside its Snakemake rule: log records (and Python warnings) go to the
rule's log, and an error the study anticipates (a bad table, config or report input) ends the job with one
line naming the file and the fix, not a traceback. Any other error is a bug and keeps its traceback.

Every script under workflow/scripts/ ends with::

    if "snakemake" in globals():
        run_rule(snakemake, main, snakemake.input.metrics, snakemake.output[0], lr=snakemake.params.lr)

or, where ``main`` names its arguments as the rule names its inputs and params (every figure script)::

    if "snakemake" in globals():
        run_script(snakemake, main)  # noqa: F821
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .config import ConfigError
from .tables import TableError

FORMAT = "%(asctime)s %(name)s: %(message)s"


def expected_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause and fix (each message names the file or key): reported in one line."""
    from .report import ReportError

    return (TableError, ConfigError, ReportError)


def log_to(path: str | None) -> None:
    """Send this process's log records and Python warnings (e.g. matplotlib's) to ``path`` (a rule's log)."""
    if path:
        logging.basicConfig(filename=str(path), level=logging.INFO, format=FORMAT, force=True)
        logging.captureWarnings(True)


def run_rule(sm: Any, main: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``main(*args, **kwargs)`` as the script of the Snakemake job ``sm``, logging to its first log file."""
    log_to(sm.log[0] if len(sm.log) else None)
    try:
        return main(*args, **kwargs)
    except expected_errors() as exc:
        if len(sm.log):  # without a log file, logging would print the line a second time
            logging.getLogger(sm.rule).error("%s", exc)
        sys.stderr.write(f"initstudy: {exc}\n")
        raise SystemExit(1) from None


def _plain(value: Any) -> Any:
    """A rule's input or param as plain Python: mappings as dicts, lists as tuples (a path stays a string)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def run_script(sm: Any, main: Callable[..., Any]) -> Any:
    """``main(<named inputs>, output=<first output>, <params>)``, every argument by the name the rule gives it."""
    kwargs = {name: _plain(value) for name, value in sm.input.items()}
    kwargs["output"] = sm.output[0]
    kwargs.update({name: _plain(value) for name, value in sm.params.items()})
    return run_rule(sm, main, **kwargs)
