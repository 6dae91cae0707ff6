"""Load and validate a study config: JSON-schema types, defaults, and cross-references.

Errors are :class:`ConfigError` with one line per problem, each naming the file, the key path
(``experiments.shallow.scales[2]``) and the rule it breaks, ready to print without a traceback.
The work is split in three: :mod:`initstudy.safeyaml` reads a file as plain, bounded YAML;
:mod:`initstudy.schemacheck` checks it against the schema (``initstudy/schemas/config.schema.yaml``)
in plain words, refusing NaN and ``3.0`` for an integer too; :mod:`initstudy.crosschecks` checks
what the schema cannot say (datasets referenced but not defined, grids and jobs too large).

Check a config file from the shell, with the same messages and no traceback::

    python -m initstudy.config config/quick.yaml
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from . import schemas
from .crosschecks import cross_checks
from .safeyaml import ConfigError, Refused, display_path, plain, read_value, read_yaml
from .safeyaml import short as _short
from .schemacheck import describe_value, fill_defaults, schema_problems

SCHEMA_PATH = schemas.path("config")
"""The config's JSON schema, package data of :mod:`initstudy.schemas`."""


def load_schema(path: Path | str | None = None) -> dict:
    """The config's JSON schema (``path``: another schema file)."""
    return schemas.read(SCHEMA_PATH if path is None else path)


MAX_MESSAGE_LINES = 20
MAX_LINE_CHARS = 300


def _fail(lines: list[str], source: str | None) -> ConfigError:
    """One error for all ``lines``: each starts with ``source``, at most :data:`MAX_MESSAGE_LINES`
    lines of at most about :data:`MAX_LINE_CHARS` characters (20,000 mistakes give a short message)."""
    prefix = f"{source}: " if source else ""
    lines = list(dict.fromkeys(line for text in lines for line in text.splitlines()))
    shown = [line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 3] + "..." for line in lines[:MAX_MESSAGE_LINES]]
    if len(lines) > MAX_MESSAGE_LINES:
        shown.append(f"... and {len(lines) - MAX_MESSAGE_LINES} more problems")
    return ConfigError("\n".join(prefix + line for line in shown))


def validate(config: Any, schema: dict | None = None, *, source: str | None = None) -> dict:
    """Return a validated copy of ``config`` with defaults filled in, or raise :class:`ConfigError`.

    ``source`` (a file name) starts every line of the error message.
    """
    schema = schema or load_schema()
    if config is None:
        raise _fail(["the config is empty; it needs at least 'datasets' and 'experiments'"], source)
    if not isinstance(config, Mapping):
        raise _fail([f"the config must be a mapping of keys to values, not {describe_value(config)}"], source)
    try:
        config = plain(config)
    except ConfigError as exc:
        raise _fail([str(exc)], source) from None
    lines = schema_problems(config, schema)
    if lines:
        raise _fail(lines, source)
    fill_defaults(config, schema, schema)  # config is our own copy (plain)
    problems = cross_checks(config)
    if problems:
        raise _fail(problems, source)
    return config


def merge(base: dict, update: Mapping) -> dict:
    """``update`` merged into ``base`` recursively (mappings merge, everything else replaces), in place."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = plain(value)
    return base


def load(*paths: Path | str, overrides: Mapping | None = None) -> dict:
    """Read YAML config file(s), merge them (later files win, key by key) and validate (see :func:`validate`).

    ``overrides`` (Snakemake's ``--config key=value`` pairs) are merged in last.
    """
    if not paths:
        raise ConfigError("no config file given")
    data: dict = {}
    for path in paths:
        part = read_yaml(path)
        if len(paths) > 1 or overrides:
            if part is None or not isinstance(part, Mapping):
                validate(part, source=str(display_path(path)))  # raises the empty / not-a-mapping message
            merge(data, part)
        else:
            data = part
    if overrides:
        merge(data, overrides)
    sources = [str(display_path(p)) for p in paths] + (["--config"] if overrides else [])
    return validate(data, source=" + ".join(sources))


_OVERRIDE_KEY = re.compile(r"[a-zA-Z_][\w-]*\w\Z")


def parse_overrides(entries: list[str]) -> dict:
    """``KEY=VALUE`` pairs as Snakemake's ``--config`` reads them, with a one-line :class:`ConfigError`
    where Snakemake would raise a traceback (a dotted key such as ``datasets.flower.kind``)."""
    out: dict = {}
    for entry in entries:
        key, eq, value = entry.partition("=")
        if not eq:
            raise ConfigError(f"--config {_short(entry)}: write KEY=VALUE")
        if not _OVERRIDE_KEY.match(key):
            hint = ""
            if "." in key:
                head, *rest = key.split(".")
                nested = value
                for part in reversed(rest):
                    nested = f"{{{part}: {nested}}}"
                hint = f"; write {head}=\"{nested}\" (mappings merge key by key) or put it in a config file"
            raise ConfigError(
                f"--config {_short(entry)}: {_short(key)} is not a key --config accepts "
                f"(a top-level name of letters, digits, _ or -){hint}"
            )
        out[key] = _override_value(entry, value)
    return out


def _override_value(entry: str, value: str) -> Any:
    if value == "":
        return None
    for parse in (int, float, {"True": True, "False": False}.__getitem__):
        try:
            return parse(value)
        except (ValueError, KeyError):
            pass
    try:
        return read_value(value)
    except Refused as exc:
        raise ConfigError(f"--config {_short(entry)}: refused: {exc.problem}") from None
    except yaml.YAMLError:
        return value


def main(argv: list[str] | None = None) -> int:
    """``python -m initstudy.config FILE... [--config KEY=VALUE...]``: check config files (and the
    overrides Snakemake's ``--config`` would add); exit 1 with one line per problem."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(
            "usage: python -m initstudy.config CONFIG.yaml [MORE.yaml ...] [--config KEY=VALUE ...]"
            "  (files merge in order, like --configfile)"
        )
        return 0 if argv else 2
    cut = argv.index("--config") if "--config" in argv else len(argv)
    files, entries = argv[:cut], argv[cut + 1 :]
    try:
        config = load(*files, overrides=parse_overrides(entries) if entries else None)
    except ConfigError as exc:
        sys.stderr.write(f"initstudy: invalid config:\n{exc}\n")
        return 1
    from .grid import experiment_runs

    n = sum(len(experiment_runs(name, exp)) for name, exp in config["experiments"].items())
    print(f"{' + '.join(files)}{' + --config' if entries else ''}: ok ({len(config['experiments'])} experiments, {n} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
