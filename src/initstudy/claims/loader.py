"""The one reader of ``config/claims.yaml``: schema, finite numbers, claim ids, rule texts, and the experiments
of the study's config, all checked before any job runs.

Every entry point goes through :func:`load_claims` (the Snakefile at DAG-build time, the figure rules, the
report, the claims step), so ``snakemake -n`` refuses a bad claims file with one line per problem naming
the key, and nothing else parses the file. A claim whose experiments the config leaves out is not an error:
it is reported as not run (:func:`not_run`).
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping
from pathlib import Path

import jsonschema

from .. import schemas
from ..catalog import FIGURES
from ..safeyaml import ConfigError, display_path, read_yaml
from ..schemacheck import key_path as _key_path  # the config checker's key paths: experiments.x.scales[0]
from ..schemacheck import non_finite, unknown_keys
from .frames import as_list

SCHEMA_PATH = schemas.path("claims")
EXPERIMENT_REFS = (
    "budget_reference", "signal_experiment", "train_experiment", "shallow_experiment", "slowdown_experiment",
    "active_experiment", "width_experiment",
)  # fmt: skip
"""Rule keys that name an experiment besides the claim's own ``experiment``."""


class ClaimsConfigError(ConfigError):
    """A claims file that breaks its schema or does not fit the config (each line names the key path)."""


def load_claims(path: Path | str, config: Mapping | None = None, schema_path: Path | str = SCHEMA_PATH) -> dict:
    """Read and validate ``config/claims.yaml`` (against ``config``, the study's, when given);
    raise :class:`ClaimsConfigError` with one line per bad key."""
    try:
        data = read_yaml(path)  # refuses repeated keys; YAML anchors and merge keys work
    except ConfigError as exc:
        raise ClaimsConfigError(str(exc)) from None
    try:
        validate_claims(data, schema_path)
        if config is not None:
            check_experiments(data, config)
    except ClaimsConfigError as exc:
        raise ClaimsConfigError("\n".join(f"{display_path(path)}: {line}" for line in str(exc).splitlines())) from None
    return data


def _schema_message(error: jsonschema.ValidationError) -> str:
    """One line naming the key path and what is wrong there."""
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return unknown_keys(error)
    if error.validator == "oneOf" and error.context:
        # the branch the value meant (its `method` matches): report what is wrong inside it
        branches: dict = {}
        for e in error.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        meant = [errs for errs in branches.values() if not any(e.validator == "const" for e in errs)]
        if len(meant) == 1:
            return _schema_message(min(meant[0], key=lambda e: e.validator == "additionalProperties"))
        return f"{where}: {jsonschema.exceptions.best_match(error.context).message}"
    return f"{where}: {error.message}"


def _merge_shared(lines: list[str]) -> list[str]:
    """One line per problem: a value shared through a YAML anchor is wrong at every key that uses it, so the
    first key is named and the others counted."""
    groups: dict[str, list[str]] = {}
    for line in lines:
        where, _, what = line.partition(": ")
        groups.setdefault(what, []).append(where)
    out = []
    for what, places in groups.items():
        more = f" (also at {len(places) - 1} key(s) sharing it: {', '.join(places[1:4])}{', ...' if len(places) > 4 else ''})"
        out.append(f"{places[0]}: {what}" + (more if len(places) > 1 else ""))
    return out


def validate_claims(data, schema_path: Path | str = SCHEMA_PATH) -> dict:
    """Check the claims rules against their schema, then that every claim has an evaluator and a rule text."""
    from .evaluate import EVALUATORS  # the registry imports every claim module

    schema = schemas.read(schema_path)
    if not isinstance(data, dict):
        raise ClaimsConfigError(f"(top level): the claims file must be a mapping with a 'claims' key, not {type(data).__name__}")
    problems = [f"{_key_path(p)}: {x!r} is not a finite number" for p, x in non_finite(data)]
    if problems:
        raise ClaimsConfigError("\n".join(_merge_shared(problems)))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        raise ClaimsConfigError("\n".join(_merge_shared(list(dict.fromkeys(_schema_message(e) for e in errors)))))
    for cid, spec in data["claims"].items():
        for i, name in enumerate(spec["figures"]):
            if name not in FIGURES:
                hint = difflib.get_close_matches(name, list(FIGURES), n=1)
                problems.append(
                    f"claims.{cid}.figures[{i}]: unknown figure {name!r}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else f"; known: {', '.join(FIGURES)}")
                )
        if cid not in EVALUATORS:
            problems.append(f"claims.{cid}: no evaluator for this claim id (known: {', '.join(EVALUATORS)})")
            continue
        try:
            rule_text(spec["rule"])
        except KeyError as exc:
            problems.append(f"claims.{cid}.rule.text: {{{exc.args[0]}}} is not a key of the rule; use {{key}} for keys of rule")
        except (IndexError, ValueError) as exc:
            problems.append(f"claims.{cid}.rule.text: cannot fill in the template ({exc}); use {{key}} for keys of rule")
    if problems:
        raise ClaimsConfigError("\n".join(problems))
    return data


def claim_experiments(spec: Mapping) -> list[str]:
    """The experiment(s) whose runs decide a claim."""
    return as_list(spec["experiment"])


def not_run(spec: Mapping, config: Mapping) -> bool:
    """True when the config has none of the claim's experiments: the claim is reported as not run."""
    return not any(e in config["experiments"] for e in claim_experiments(spec))


def check_experiments(data: Mapping, config: Mapping) -> None:
    """Every experiment a claim names is one the config has, or one it leaves out on purpose (then the claim
    is not run); a name no claim's ``experiment`` uses and the config lacks is a typo."""
    exps = config["experiments"]
    known = {e for spec in data["claims"].values() for e in claim_experiments(spec)}
    problems = []
    for cid, spec in data["claims"].items():
        serving = [e for e, exp in exps.items() if cid in (exp.get("claims") or [])]
        named = claim_experiments(spec)
        if not any(e in exps for e in named) and serving:
            problems.append(
                f"claims.{cid}.experiment: {', '.join(map(repr, named))} is not an experiment of the config, "
                f"but the config's experiment(s) {', '.join(map(repr, serving))} serve {cid}"
            )
        for key in EXPERIMENT_REFS:
            ref = spec["rule"].get(key)
            if ref is not None and ref not in exps and ref not in known:
                hint = difflib.get_close_matches(ref, list(exps), n=1)
                problems.append(
                    f"claims.{cid}.rule.{key}: {ref!r} is not an experiment of the config"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                )
    if problems:
        raise ClaimsConfigError("\n".join(problems))


def describe(value) -> str:
    """A rule value in words (intervals spelled out, numbers in ``%g``)."""
    if isinstance(value, dict) and value.get("method") == "bootstrap":
        level, n, seed = value["level"], value["resamples"], value["seed"]
        return f"{level:.0%} percentile bootstrap over seeds ({n} resamples, generator seed {seed})"
    if isinstance(value, dict) and value.get("method") == "exact":
        return "exact (no randomness: the value itself)"
    if isinstance(value, list):
        return ", ".join(describe(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {describe(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rule_text(rule: dict) -> str:
    """The rule in words: its ``text`` template with ``{key}`` filled from the rule's values."""
    fields = {name for _, name, _, _ in string.Formatter().parse(rule["text"]) if name}
    return rule["text"].format(**{k: describe(rule[k]) for k in fields})
