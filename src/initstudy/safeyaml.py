"""Read a config file as plain, bounded YAML data, and the error every config check raises.

:func:`read_yaml` refuses, with a one-line :class:`ConfigError` naming the file, in well under a
second: a file over :data:`MAX_CONFIG_BYTES`, a key repeated in one mapping, explicit tags
(``!!python/...``), YTE templates (``__use_yte__``), nesting deeper than :data:`MAX_DEPTH`, values
longer than :data:`MAX_SCALAR_CHARS`, and more than :data:`MAX_NODES` values with every alias
counted as the copy it stands for (an alias bomb).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

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


class ConfigError(ValueError):
    """A config that cannot be read, breaks the schema or refers to something that does not exist."""


def short(value: Any) -> str:
    """``repr(value)``, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Refused(yaml.YAMLError):
    """A YAML file that is valid YAML but not plain, bounded data: ``problem`` at ``problem_mark``."""

    def __init__(self, problem: str, mark) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _Bounded:
    """Composer bounds shared by the file loader and the ``--config`` value loader.

    Refuses explicit tags (``!!python/...``, ``!custom``), nesting deeper than :data:`MAX_DEPTH`,
    values longer than :data:`MAX_SCALAR_CHARS`, and more than :data:`MAX_NODES` values with every
    alias counted as the copy it stands for (anchors and ``<<: *merge`` keys work; an alias bomb does not).
    """

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._start_bounds()

    def _start_bounds(self) -> None:
        self._nodes = 0
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def _count(self, n: int, mark) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise Refused(
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
            problem = f"the tag {short(shown)} is not allowed: a config is plain data (no Python objects, no custom tags)"
            raise Refused(problem, event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
            raise Refused(f"a value of {len(event.value)} characters (at most {MAX_SCALAR_CHARS})", event.start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Refused(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        before = self._nodes
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._count(1, event.start_mark)
        self._sizes[id(node)] = self._nodes - before
        return node


class _StrictLoader(_Bounded, yaml.SafeLoader):
    """SafeLoader for plain, bounded data (:class:`_Bounded`) that refuses repeated keys."""


if getattr(yaml, "__with_libyaml__", False):

    class _FastStrictLoader(_Bounded, yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """:class:`_StrictLoader` on libyaml's scanner and parser (C, ~5x faster: a no-op rerun reads the
        config and claims files every time). The composer, where every bound is checked, stays the
        Python one of PyYAML (tested to give what :class:`_StrictLoader` gives, and the same refusals)."""

        def __init__(self, stream) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_bounds()

else:  # pragma: no cover - PyYAML without libyaml
    _FastStrictLoader = _StrictLoader


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


for _loader in {_StrictLoader, _FastStrictLoader}:
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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
        data = yaml.load(text, Loader=_FastStrictLoader)  # SafeLoader's constructor, bounded composer
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from None
    except Refused as exc:
        mark = exc.problem_mark
        raise ConfigError(f"{path}: refused at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if getattr(exc, "problem", None) == "exceeded maximum nesting depth" and mark:  # libyaml's own bound (1,000)
            raise ConfigError(f"{path}: refused at line {mark.line + 1}, column {mark.column + 1}: nested deeper than {MAX_DEPTH} levels") from None
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except ValueError as exc:  # e.g. an integer too long for Python to convert
        raise ConfigError(f"{path}: not a valid value: {short(str(exc))}") from None
    if isinstance(data, Mapping) and "__use_yte__" in data:
        raise ConfigError(
            f"{path}: __use_yte__: YTE templates are not allowed: a config is plain data "
            "(Snakemake evaluates a template's expressions as Python code; see the README, 'Trust')"
        )
    return data


def read_value(text: str) -> Any:
    """A ``--config`` value as Snakemake reads it (every scalar a string), bounded like a file:
    :class:`Refused` where a file would be refused, another :class:`yaml.YAMLError` where it is not YAML."""
    return yaml.load(text, Loader=_ValueLoader)


def plain(data: Any) -> Any:
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
