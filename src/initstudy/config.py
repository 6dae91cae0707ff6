"""Load and validate a study config: JSON-schema types, defaults, and cross-references.

Errors are :class:`ConfigError` with one line per problem, each naming the key path
(``experiments.shallow.scales[2]``) and the rule it breaks, ready to print without a traceback.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A config that breaks the schema or refers to something that does not exist."""


def load_schema(path: Path | str = SCHEMA_PATH) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _known_keys(schema: dict, error: jsonschema.ValidationError) -> list[str]:
    props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    return list(props)


def _message(error: jsonschema.ValidationError, root_schema: dict) -> str:
    where = _path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = _known_keys(root_schema, error)
        extra = [k for k in error.instance if k not in known]
        hints = []
        for k in extra:
            close = difflib.get_close_matches(str(k), known, n=1)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        return f"{where}: unknown key {', '.join(hints)}; known keys: {', '.join(known)}"
    if error.validator == "propertyNames":
        return f"{where}: name {error.instance!r} is not allowed: names must match ^[a-z][a-z0-9_]*$ (lower case, digits, underscores; at most 40 characters)"
    if error.validator == "enum":
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in error.validator_value], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{where}: {error.instance!r} is not one of {list(error.validator_value)}{hint}"
    if error.validator == "oneOf" and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return f"{where}: {best.message}"
    return f"{where}: {error.message}"


def _fill_defaults(instance: Any, schema: dict, root: dict) -> None:
    """Fill schema defaults into mappings, recursively (after validation passed)."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra, root)


def _cross_checks(config: dict) -> list[str]:
    problems = []
    for name, ds in config["datasets"].items():
        if ds["seed"] == ds["test_seed"]:
            problems.append(f"datasets.{name}.test_seed: must differ from seed ({ds['seed']}), or the test set repeats the training set")
    for name, exp in config["experiments"].items():
        for i, ds in enumerate(exp["datasets"]):
            if ds not in config["datasets"]:
                close = difflib.get_close_matches(ds, list(config["datasets"]), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"experiments.{name}.datasets[{i}]: unknown dataset '{ds}'{hint}; defined datasets: {', '.join(config['datasets'])}")
    return problems


def validate(config: Any, schema: dict | None = None) -> dict:
    """Return a validated copy of ``config`` with defaults filled in, or raise :class:`ConfigError`."""
    schema = schema or load_schema()
    if config is None:
        raise ConfigError("(top level): the config is empty; it needs at least 'datasets' and 'experiments'")
    if not isinstance(config, dict):
        raise ConfigError(f"(top level): the config must be a mapping of keys to values, not a {type(config).__name__}")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        raise ConfigError("\n".join(dict.fromkeys(_message(e, schema) for e in errors)))
    config = copy.deepcopy(config)
    _fill_defaults(config, schema, schema)
    problems = _cross_checks(config)
    if problems:
        raise ConfigError("\n".join(problems))
    return config


def load(path: Path | str) -> dict:
    """Read a YAML config file and validate it (see :func:`validate`)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return validate(data)
