"""Parquet tables of the study: declared schemas, checked writes, atomic files, clear read errors.

The schemas live in ``workflow/schemas/<table>.schema.yaml`` (column name, type, description);
:func:`write_table` refuses a frame whose columns or dtypes differ from its schema, and writes
through a temporary file renamed into place, so a killed job never leaves a partial file under
the final name. :func:`read_table` turns a corrupted or truncated file into an error that names
the file and says how to recover.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"

_PA_TYPES = {
    "string": pa.string(),
    "float64": pa.float64(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "int8": pa.int8(),
    "bool": pa.bool_(),
    "list_float64": pa.list_(pa.float64()),
}


class TableError(RuntimeError):
    """A table that cannot be read, or does not match its declared schema."""


def table_schema(name: str) -> dict:
    """The declared schema of table ``name`` (``{"columns": {col: {"type", "description"}}}``)."""
    with open(SCHEMA_DIR / f"{name}.schema.yaml") as fh:
        return yaml.safe_load(fh)


def arrow_schema(name: str) -> pa.Schema:
    cols = table_schema(name)["columns"]
    return pa.schema([(c, _PA_TYPES[spec["type"]]) for c, spec in cols.items()])


def to_arrow(df: pd.DataFrame, name: str) -> pa.Table:
    """``df`` as an Arrow table of the declared schema (same columns, same order, exact types)."""
    schema = arrow_schema(name)
    want, have = list(schema.names), list(df.columns)
    if want != have:
        missing = [c for c in want if c not in have]
        extra = [c for c in have if c not in want]
        raise TableError(f"table '{name}' does not match workflow/schemas/{name}.schema.yaml: missing {missing}, unexpected {extra}")
    try:
        return pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TableError(f"table '{name}' has a column of the wrong type: {exc}") from None


def atomic_path(path: Path | str):
    """A temporary path beside ``path`` (same file system, so ``os.replace`` is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def write_atomic(path: Path | str, write) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path``; remove the temporary file on failure."""
    tmp = atomic_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_table(df: pd.DataFrame, path: Path | str, name: str) -> None:
    """Check ``df`` against schema ``name`` and write it to ``path`` as Parquet, atomically."""
    table = to_arrow(df, name)
    write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def read_table(path: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file; a corrupted or truncated one raises :class:`TableError` naming it."""
    path = Path(path)
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except FileNotFoundError:
        raise TableError(f"{path}: missing; run snakemake to build it") from None
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise TableError(
            f"{path}: corrupted or truncated Parquet file ({exc}). Delete it and rerun snakemake, which rebuilds it from its inputs."
        ) from None
