"""Load and validate a study config: JSON-schema types, defaults, and cross-references.

Errors are :class:`ConfigError` with one line per problem, each naming the file, the key path
(``experiments.shallow.scales[2]``) and the rule it breaks, ready to print without a traceback.
Beyond the schema (workflow/schemas/config.schema.yaml) this module refuses what JSON schema
cannot see: NaN and infinite numbers, ``3.0`` where an integer is meant, duplicate keys in a
YAML mapping (YAML keeps the last one silently), datasets referenced but not defined, and
grids too large to expand.

Check a config file from the shell, with the same messages and no traceback::

    python -m initstudy.config config/quick.yaml
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
MAX_RUNS_PER_EXPERIMENT = 200_000
"""Upper bound on an experiment's grid (the product of its list lengths), checked before expansion."""
MAX_RUNS = 500_000
"""Upper bound on the runs of the whole study (the largest shipped study, config/full.yaml, has ~75,000)."""
MAX_SHARDS_PER_EXPERIMENT = 9_999
"""Training jobs of one experiment: their names are four digits (the ``shard`` wildcard, 0000-9998)."""
MAX_SHARDS = 20_000
"""Training jobs of the whole study: Snakemake plans every job before it starts one."""
MEMORY_FRACTION = 0.5
"""A training job may need at most this share of the machine's memory (as estimated by :func:`job_bytes`)."""
PERIODIC_REPEATS = 20
"""Snakemake refuses a wildcard value that ends in this many repeats of one piece (PeriodicWildcardError)."""

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


class ConfigError(ValueError):
    """A config that breaks the schema or refers to something that does not exist."""


def load_schema(path: Path | str = SCHEMA_PATH) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


# --- reading YAML ---------------------------------------------------------------------------


MAX_CONFIG_BYTES = 256_000
"""Largest config file read (the default study is 6 kB, the claims rules 21 kB): a bigger one is refused before parsing."""
MAX_NODES = 20_000
"""Most values (scalars, lists, mappings) a file may hold, counting every alias as the copy it stands
for: a "billion laughs" alias bomb is refused as soon as its expansion passes this."""
MAX_DEPTH = 20
"""Deepest nesting of lists and mappings (the schema needs 5)."""
MAX_SCALAR_CHARS = 1_000
"""Longest single value (a 5,000-digit integer is refused here, before Python's int conversion)."""
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}


class _Refused(yaml.YAMLError):
    """A YAML file that is valid YAML but not plain, bounded data: ``problem`` at ``problem_mark``."""

    def __init__(self, problem: str, mark) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _Bounded:
    """Composer bounds shared by the file loader and the ``--config`` value loader.

    Refuses a key repeated in one mapping (YAML's default keeps the last), explicit tags
    (``!!python/...``, ``!custom``), nesting deeper than :data:`MAX_DEPTH`, values longer than
    :data:`MAX_SCALAR_CHARS`, and more than :data:`MAX_NODES` values with every alias counted as
    the copy it stands for (anchors and ``<<: *merge`` keys work; an alias bomb does not).
    """

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def _count(self, n: int, mark) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise _Refused(
                f"more than {MAX_NODES} values (aliases counted as the copies they stand for); "
                "a config is a short list of settings",
                mark,
            )

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            self._count(self._sizes.get(id(node), 1), event.start_mark)
            return node
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _PLAIN_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            problem = f"the tag {_short(shown)} is not allowed: a config is plain data (no Python objects, no custom tags)"
            raise _Refused(problem, event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
            raise _Refused(f"a value of {len(event.value)} characters (at most {MAX_SCALAR_CHARS})", event.start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        before = self._nodes
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._count(1, event.start_mark)
        self._sizes[id(node)] = self._nodes - before
        return node


class _StrictLoader(_Bounded, yaml.SafeLoader):
    """SafeLoader for plain, bounded data (:class:`_Bounded`) that refuses repeated keys."""


class _ValueLoader(_Bounded, yaml.BaseLoader):
    """What Snakemake reads a ``--config`` value with (BaseLoader: every scalar a string), bounded."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor` merges may be overridden on purpose
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
            seen.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:  # unhashable key: SafeLoader reports it itself
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first given at line {first}; YAML would silently keep only the last)",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def display_path(path: Path | str) -> Path:
    """``path`` relative to the working directory when it lies below it (as the user typed it)."""
    path = Path(path)
    try:
        return path.relative_to(Path.cwd()) if path.is_absolute() else path
    except ValueError:
        return path


def read_yaml(path: Path | str) -> Any:
    """The data of one YAML file, read as plain, bounded data (see :class:`_StrictLoader`).

    An unreadable, oversized or malformed file, a YTE template (``__use_yte__``), an explicit tag
    or an alias bomb raises a one-line :class:`ConfigError` naming the file, in well under a second.
    """
    path = display_path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; a config is a short list of settings")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text (UTF-8) file: byte {exc.start} cannot be decoded") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from None
    except _Refused as exc:
        mark = exc.problem_mark
        raise ConfigError(f"{path}: refused at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except ValueError as exc:  # e.g. an integer too long for Python to convert
        raise ConfigError(f"{path}: not a valid value: {_short(str(exc))}") from None
    if isinstance(data, Mapping) and "__use_yte__" in data:
        raise ConfigError(
            f"{path}: __use_yte__: YTE templates are not allowed: a config is plain data "
            "(Snakemake evaluates a template's expressions as Python code; see the README, 'Trust')"
        )
    return data


# --- messages -------------------------------------------------------------------------------


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _describe(value: Any) -> str:
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: jsonschema.ValidationError) -> str:
    """One line: the key path and the rule broken, in plain words."""
    where = _path(error.absolute_path)
    v, val, inst = error.validator, error.validator_value, error.instance
    if v == "additionalProperties" and isinstance(inst, Mapping):
        known = list(error.schema.get("properties", {}))
        hints = []
        for k in (k for k in inst if k not in known):
            close = difflib.get_close_matches(str(k), known, n=1, cutoff=0.6)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        return f"{where}: unknown key {', '.join(hints)}; known keys: {', '.join(known)}"
    if "propertyNames" in error.schema_path:  # a name (key) of datasets or experiments
        return f"{where}: name {_short(inst)} is not allowed: {_NAME_RULE}"
    if v == "enum":
        close = difflib.get_close_matches(str(inst), [str(x) for x in val], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{where}: {_short(inst)} is not one of {', '.join(map(str, val))}{hint}"
    if v == "type":
        want = " or ".join(_TYPE_WORDS.get(t, t) for t in ([val] if isinstance(val, str) else val))
        return f"{where}: must be {want}, not {_describe(inst)}{_type_hint(val, inst)}"
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
        return f"{where}: must be {' or '.join(kinds)}, not {_describe(inst)}{_type_hint('integer', inst)}"
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


def _non_finite(data: Any, parts: tuple = ()) -> list[tuple[tuple, str]]:
    """Paths of NaN or infinite numbers (JSON schema bounds let NaN through)."""
    out = []
    if isinstance(data, float) and not math.isfinite(data):
        out.append((parts, f"{_path(parts)}: must be a finite number, not {data!r}"))
    elif isinstance(data, Mapping):
        for k, v in data.items():
            out += _non_finite(v, parts + (k,))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            out += _non_finite(v, parts + (i,))
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


# --- defaults and cross-checks --------------------------------------------------------------


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


def _grid_size(exp: dict) -> int:
    """Upper bound on the runs of an experiment (before duplicates collapse)."""
    n_inits = sum(len(exp["scales"]) if isinstance(i, str) else len(i["scales"]) for i in exp["inits"])
    n_seeds = exp["seeds"] if isinstance(exp["seeds"], int) else len(exp["seeds"])
    n = n_inits * (n_seeds + len(exp.get("notebook_seeds") or []))
    n *= len(exp["layers"]) if exp.get("layers") else len(exp["widths"]) * len(exp["depths"])
    for key in ("datasets", "activations", "bias_inits", "bias_scales", "lrs"):
        n *= len(exp[key])
    return n


def _net_checks(name: str, exp: dict) -> list[str]:
    """Nets of unequal widths must be told apart by (first width, depth); notebook draws have zero biases."""
    problems = []
    seen: dict = {}
    for i, layout in enumerate(exp.get("layers") or []):
        key = (layout[0] if layout else 0, len(layout))
        if key in seen:
            problems.append(
                f"experiments.{name}.layers[{i}]: same first width and depth as layers[{seen[key]}]; "
                "nets of one experiment are recorded by (width of the first layer, depth), so they must differ there"
            )
        seen.setdefault(key, i)
    if exp.get("notebook_seeds") and exp["bias_inits"] != ["zeros"]:
        problems.append(f"experiments.{name}.notebook_seeds: the notebooks draw zero biases; bias_inits must be [zeros]")
    return problems


def _course_checks(config: dict) -> list[str]:
    """Every printed number of ``course`` names a defined notebook and experiment."""
    course = config.get("course") or {}
    problems = []
    for i, number in enumerate(course.get("numbers") or []):
        if number["notebook"] not in course.get("notebooks", {}):
            problems.append(f"course.numbers[{i}].notebook: unknown notebook '{number['notebook']}'; defined: {', '.join(course.get('notebooks', {}))}")
        if number["experiment"] not in config["experiments"]:
            problems.append(f"course.numbers[{i}].experiment: unknown experiment '{number['experiment']}'")
    return problems


def net_extent(exp: dict) -> tuple[int, int]:
    """The widest hidden layer and the deepest net of an experiment (``layers`` or ``widths`` x ``depths``)."""
    if exp.get("layers"):
        return max((max(l) if l else 0) for l in exp["layers"]), max(len(l) for l in exp["layers"])
    return max(exp["widths"]), max(exp["depths"])


def job_bytes(exp: dict, datasets: dict, shard_size: int, dtype: str) -> int:
    """About the peak memory of the largest training job of ``exp`` (its widest, deepest cell).

    A chunk of at least 4 runs trains at once: per run and hidden layer, about 6 arrays of
    ``width x points`` (pre-activations, activations, their gradients, the test pass) and 3 of
    ``width x width`` (weights, gradients, the fast path's copy); the job also keeps every run's
    final weights (3 copies of ``width x width`` per layer, in float64) for the params table.
    """
    item = 4 if dtype == "float32" else 8
    width, depth = net_extent(exp)
    points = max(max(datasets[d]["n_train"], datasets[d]["n_test"]) for d in exp["datasets"] if d in datasets)
    layer = (width if depth else 1) * (depth or 1)
    chunk = 4 * item * layer * (6 * points + 3 * max(width, 1))
    kept = min(shard_size, _grid_size(exp)) * 8 * 3 * (max(width, 1) ** 2 * max(depth - 1, 0) + 3 * max(width, 1))
    return chunk + kept


def machine_bytes() -> int:
    """Physical memory of this machine (4 GiB if the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB"


_PERIODIC = re.compile(rf"(.+?)\1{{{PERIODIC_REPEATS - 1},}}\Z")


def _name_problems(config: dict) -> list[str]:
    problems = []
    for section in ("datasets", "experiments"):
        for name in config[section]:
            m = _PERIODIC.search(name)
            if m:
                problems.append(
                    f"{section}: name {_short(name)} is not allowed: it ends in {PERIODIC_REPEATS} or more repeats of "
                    f"{m.group(1)!r}, which Snakemake refuses in a file name (PeriodicWildcardError)"
                )
    return problems


def _cross_checks(config: dict) -> list[str]:
    problems = _name_problems(config)
    for name, ds in config["datasets"].items():
        if ds["seed"] == ds["test_seed"]:
            problems.append(
                f"datasets.{name}.test_seed: must differ from seed ({ds['seed']}), or the test set repeats the training set"
            )
    total_runs = total_shards = 0
    one_too_big = False  # an experiment over its own limit: the study's total adds nothing
    memory = machine_bytes()
    for name, ds in config["datasets"].items():
        if ds.get("factor") is not None and ds["kind"] not in ("circles", "make_circles"):
            problems.append(f"datasets.{name}.factor: only the circle kinds (circles, make_circles) take a factor, not {ds['kind']}")
    for name, exp in config["experiments"].items():
        for i, ds in enumerate(exp["datasets"]):
            if ds not in config["datasets"]:
                close = difflib.get_close_matches(ds, list(config["datasets"]), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    f"experiments.{name}.datasets[{i}]: unknown dataset '{ds}'{hint}; defined datasets: {', '.join(config['datasets'])}"
                )
        problems += _net_checks(name, exp)
        n = _grid_size(exp)
        total_runs += n
        shards = -(-n // config["shard_size"])
        total_shards += shards
        if n > MAX_RUNS_PER_EXPERIMENT:
            one_too_big = True
            problems.append(
                f"experiments.{name}: the grid has up to {n} runs, more than {MAX_RUNS_PER_EXPERIMENT}; split it into smaller experiments"
            )
        elif shards > MAX_SHARDS_PER_EXPERIMENT:
            problems.append(
                f"experiments.{name}: {n} runs in shards of shard_size {config['shard_size']} make {shards} training jobs, "
                f"more than {MAX_SHARDS_PER_EXPERIMENT}; raise shard_size"
            )
        if any(d in config["datasets"] for d in exp["datasets"]):
            need = job_bytes(exp, config["datasets"], config["shard_size"], config["dtype"])
            if need > MEMORY_FRACTION * memory:
                problems.append(
                    f"experiments.{name}: one training job would need about {_gb(need)} of memory (width {net_extent(exp)[0]}, "
                    f"depth {net_extent(exp)[1]}), more than half of this machine's {_gb(memory)}; "
                    "use smaller widths, depths, datasets or shard_size"
                )
    if total_runs > MAX_RUNS and not one_too_big:
        problems.append(f"experiments: the study has up to {total_runs} runs, more than {MAX_RUNS}; run it as several studies")
    elif total_shards > MAX_SHARDS and total_runs <= MAX_RUNS and not one_too_big:
        problems.append(
            f"experiments: {total_shards} training jobs (shard_size {config['shard_size']}), "
            f"more than {MAX_SHARDS}; raise shard_size"
        )
    return problems + _course_checks(config)


# --- entry points ---------------------------------------------------------------------------


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
        raise _fail([f"the config must be a mapping of keys to values, not {_describe(config)}"], source)
    try:
        config = _plain(config)
    except ConfigError as exc:
        raise _fail([str(exc)], source) from None
    bad_numbers = _non_finite(config)
    bad_paths = {p for p, _ in bad_numbers}
    validator = _Validator(schema)
    errors = [e for e in validator.iter_errors(config) if tuple(e.absolute_path) not in bad_paths]
    errors.sort(key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    lines = [m for _, m in bad_numbers] + [_message(e) for e in errors]
    if lines:
        raise _fail(lines, source)
    _fill_defaults(config, schema, schema)  # config is our own copy (_plain)
    problems = _cross_checks(config)
    if problems:
        raise _fail(problems, source)
    return config


def _plain(data: Any) -> Any:
    """Plain dicts and lists (Snakemake hands over OrderedDicts and immutable maps).

    Shared references (what YAML aliases load as) become copies, so at most :data:`MAX_NODES`
    values are copied, and no deeper than :data:`MAX_DEPTH`: a structure past either is refused.
    """
    left = MAX_NODES

    def copy_of(value: Any, depth: int) -> Any:
        nonlocal left
        left -= 1
        if left < 0:
            raise ConfigError(f"more than {MAX_NODES} values (aliases counted as the copies they stand for)")
        if depth > MAX_DEPTH:
            raise ConfigError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, Mapping):
            return {k: copy_of(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [copy_of(v, depth + 1) for v in value]
        return value

    return copy_of(data, 0)


def merge(base: dict, update: Mapping) -> dict:
    """``update`` merged into ``base`` recursively (mappings merge, everything else replaces), in place."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = _plain(value)
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
        return yaml.load(value, Loader=_ValueLoader)
    except _Refused as exc:
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
