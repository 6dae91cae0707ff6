"""A config checked against its JSON schema, every problem in one line of plain words.

Beyond JSON schema: an integer is an ``int`` (never ``3.0``), a pattern's ``$`` is the very end of
the string (Python's ``$`` also matches before a final newline), NaN and infinite numbers are
refused, and an unknown key or value names the closest known one.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Mapping
from typing import Any

import jsonschema

from .safeyaml import short as _short

_TYPE_WORDS = {
    "object": "a mapping (key: value)",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


_NAME_RULE = "names must match ^[a-z][a-z0-9_]*$ (a lower-case letter, then lower-case letters, digits or underscores; at most 40 characters)"
_PATTERN_RULES = {
    "^[a-z][a-z0-9_]*$": _NAME_RULE,
    "^(L(0[1-9]|1[0-4])|B0[1-4])$": "claim ids are L01..L14 or B01..B04",
    "^[^<>&\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff]*$": (
        "plain text on one line: no <, > or &, no control, invisible or direction-changing characters "
        "(tab and newline included; it is shown in the HTML report)"
    ),
}
"""The rule behind each pattern of the schema, in words."""


def key_path(parts) -> str:
    """``experiments.shallow.scales[2]``: the key path of a value, as the user would write it."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def describe_value(value: Any) -> str:
    """A value as the user wrote it, with its kind: ``the string '4'``, ``the number 3.0``."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def unknown_keys(error: jsonschema.ValidationError) -> str:
    """The line for keys a mapping may not have (``additionalProperties``), each with the closest known key."""
    known = list(error.schema.get("properties", {}))
    hints = []
    for k in (k for k in error.instance if k not in known):
        close = difflib.get_close_matches(str(k), known, n=1, cutoff=0.6)
        hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return f"{key_path(error.absolute_path)}: unknown key {', '.join(hints)}; known keys: {', '.join(known)}"


def _message(error: jsonschema.ValidationError) -> str:
    """One line: the key path and the rule broken, in plain words."""
    where = key_path(error.absolute_path)
    v, val, inst = error.validator, error.validator_value, error.instance
    if v == "additionalProperties" and isinstance(inst, Mapping):
        return unknown_keys(error)
    if "propertyNames" in error.schema_path:  # a name (key) of datasets or experiments
        return f"{where}: name {_short(inst)} is not allowed: {_NAME_RULE}"
    if v == "enum":
        close = difflib.get_close_matches(str(inst), [str(x) for x in val], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{where}: {_short(inst)} is not one of {', '.join(map(str, val))}{hint}"
    if v == "type":
        want = " or ".join(_TYPE_WORDS.get(t, t) for t in ([val] if isinstance(val, str) else val))
        return f"{where}: must be {want}, not {describe_value(inst)}{_type_hint(val, inst)}"
    if v == "required":
        missing = [k for k in val if not (isinstance(inst, Mapping) and k in inst)]
        return f"{where}: missing required key {', '.join(repr(k) for k in missing)}"
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "greater than",
        "exclusiveMaximum": "less than",
    }
    if v in bounds:
        return f"{where}: must be {bounds[v]} {val}, not {inst!r}"
    if v == "pattern":
        return f"{where}: {_short(inst)} is not allowed: {_PATTERN_RULES.get(val, f'must match {val}')}"
    if v == "minItems":
        return f"{where}: must list at least {val} item{'s' if val != 1 else ''}, not {len(inst)}"
    if v == "uniqueItems":
        repeated = [x for i, x in enumerate(inst) if x in inst[:i]]
        return f"{where}: items must be distinct; repeated: {_short(repeated)}"
    if v == "minProperties":
        return f"{where}: must define at least {val} entr{'ies' if val != 1 else 'y'}, not {len(inst)}"
    if v == "maxLength":
        return f"{where}: at most {val} characters, not {len(inst)}"
    if v == "oneOf":
        # Report the branch of the right type ("-1 is not > 0"), not "must be a list" from the others.
        branches: dict = {}
        for e in error.context or []:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        top_type = [next((e for e in errs if e.validator == "type" and not e.relative_path), None) for errs in branches.values()]
        fitting = [errs for errs, t in zip(branches.values(), top_type) if t is None]
        if fitting:
            return "\n".join(_message(e) for errs in fitting for e in errs)
        kinds = [_TYPE_WORDS.get(t.validator_value, str(t.validator_value)) for t in top_type if t is not None]
        return f"{where}: must be {' or '.join(kinds)}, not {describe_value(inst)}{_type_hint('integer', inst)}"
    return f"{where}: {error.message}"


def _type_hint(want: Any, inst: Any) -> str:
    """A hint for the two classic YAML surprises: ``4.0`` for an integer, ``1e-3`` read as text."""
    wants = [want] if isinstance(want, str) else list(want)
    if "integer" in wants and isinstance(inst, float) and inst.is_integer():
        return " (write it without a decimal point)"
    if ("number" in wants or "integer" in wants) and isinstance(inst, str):
        try:
            x = float(inst)
        except ValueError:
            return ""
        if math.isfinite(x) and "e" in inst.lower():  # YAML 1.1 floats need a dot and a signed exponent
            mant, _, expo = inst.lower().partition("e")
            mant = mant if "." in mant else f"{mant}.0"
            expo = expo if expo[:1] in "+-" else f"+{expo}"
            return f" (YAML reads {inst} as text: write {mant}e{expo} or {x!r})"
    return ""


def non_finite(data: Any, parts: tuple = ()) -> list[tuple[tuple, float]]:
    """Key paths (tuples of keys and indices) and values of the NaN and infinite numbers in ``data``
    (JSON schema's bounds let NaN through)."""
    out = []
    if isinstance(data, float) and not math.isfinite(data):
        out.append((parts, data))
    elif isinstance(data, Mapping):
        for k, v in data.items():
            out += non_finite(v, parts + (k,))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            out += non_finite(v, parts + (i,))
    return out


def _is_integer(checker, instance) -> bool:
    """Integers only: JSON schema would accept 3.0, which breaks range() and seed lists."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _pattern(validator, pattern: str, instance, schema):
    """``pattern`` with ``$`` at its end read as the very end of the string: Python's ``$`` also
    matches before a final newline, so ``"flower\\n"`` would pass ``^[a-z]+$``."""
    if validator.is_type(instance, "string"):
        anchored = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
        if not re.search(anchored, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def schema_problems(config: Any, schema: dict) -> list[str]:
    """One line per value of ``config`` that breaks ``schema`` (NaN and infinite numbers first), sorted by key path."""
    bad_numbers = non_finite(config)
    bad_paths = {p for p, _ in bad_numbers}
    errors = [e for e in _Validator(schema).iter_errors(config) if tuple(e.absolute_path) not in bad_paths]
    errors.sort(key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    lines = [f"{key_path(p)}: must be a finite number, not {x!r}" for p, x in bad_numbers]
    return lines + [_message(e) for e in errors]


def fill_defaults(instance: Any, schema: dict, root: dict) -> None:
    """Fill schema defaults into mappings, recursively (after validation passed)."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].split("/")[-1]]
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            fill_defaults(instance[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                fill_defaults(value, extra, root)
