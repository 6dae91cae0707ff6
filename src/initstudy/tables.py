"""Parquet tables of the study: declared schemas, checked writes, atomic files, clear read errors.

The schemas are ``<table>.schema.yaml`` of :mod:`initstudy.schemas` (column name, type, description);
:func:`write_table` refuses a frame whose columns or dtypes differ from its schema, and writes
through a temporary file renamed into place, so a killed job never leaves a partial file under
the final name. :func:`read_table` turns a corrupted or truncated file into an error that names
the file and says how to recover; inside a Snakemake ``script:`` that error is printed as that one
message, without a Python traceback (see :func:`initstudy.rulescript.run_rule`).
"""

from __future__ import annotations

import functools
import glob
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import schemas

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
    """A table that cannot be read or written, or does not match its declared schema."""


def table_schema(name: str) -> dict:
    """The declared schema of table ``name`` (``{"columns": {col: {"type", "description"}}}``)."""
    return schemas.load(name)


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
        raise TableError(
            f"table '{name}' does not match its schema initstudy/schemas/{name}.schema.yaml: missing {missing}, unexpected {extra}"
        )
    try:
        return pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TableError(f"table '{name}' has a column of the wrong type: {exc}") from None


def atomic_path(path: Path | str) -> Path:
    """A temporary path beside ``path`` (same file system, so ``os.replace`` is atomic).

    The name keeps the target's suffix (``.x.png.k3j2.tmp.png``), so writers that pick a format
    from the extension (matplotlib's ``savefig``) work on it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes it 0600; the renamed file gets the usual mode
    finally:
        os.close(fd)
    return Path(tmp)


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def stale_temporaries(path: Path | str) -> list[Path]:
    """Temporary files of ``path`` left behind by a writer that was killed (SIGKILL skips cleanup)."""
    path = Path(path)
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.*.tmp{glob.escape(path.suffix)}"))


def write_atomic(path: Path | str, write) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path``; remove the temporary file on failure.

    Temporaries of ``path`` left by an earlier, killed writer are removed first (one job at a time
    writes a given output, so they cannot belong to a live writer). A full disk or a folder that
    cannot be written raises a one-line :class:`TableError` naming ``path``; ``path`` itself is then
    untouched (whatever it held before, or nothing).
    """
    path = Path(path)
    tmp = None
    try:
        for stale in stale_temporaries(path):
            stale.unlink(missing_ok=True)
        tmp = atomic_path(path)
        write(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(exc, OSError):
            reason = exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]
            raise TableError(f"{path}: cannot be written ({reason}); nothing was written. {_WRITE_FIX}") from None
        raise


_WRITE_FIX = "Free some disk space or make the folder writable, then rerun snakemake."


def write_table(df: pd.DataFrame, path: Path | str, name: str) -> None:
    """Check ``df`` against schema ``name`` and write it to ``path`` as Parquet, atomically.

    Every data page carries a CRC checksum, so :func:`read_table` detects a flipped bit instead of
    returning wrong numbers.
    """
    table = to_arrow(df, name)
    write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd", write_page_checksum=True))


RECOVER = "Delete it and rerun snakemake, which rebuilds it from its inputs."


def read_table(path: Path | str, columns: list[str] | None = None, name: str | None = None) -> pd.DataFrame:
    """Read a Parquet file; a missing, corrupted or truncated one raises :class:`TableError` naming it.

    Page checksums are verified, so a flipped bit is an error, not a wrong number. With ``name``,
    the file's columns and types must also match schema ``name`` (a file written by an older
    version of the pipeline is refused rather than half-read).
    """
    path = Path(path)
    try:
        schema = pq.read_schema(path)
        if name is not None:
            _check_schema(path, schema, name)
        missing = [c for c in columns or [] if c not in schema.names]
        if missing:
            raise TableError(f"{path}: has no column {', '.join(map(repr, missing))}; its columns: {', '.join(schema.names)}")
        return pq.read_table(path, columns=columns, page_checksum_verification=True).to_pandas()
    except TableError:
        raise
    except FileNotFoundError:
        raise TableError(f"{path}: missing; run snakemake to build it") from None
    except IsADirectoryError:
        raise TableError(f"{path}: is a directory, not a Parquet file. {RECOVER}") from None
    except PermissionError:
        raise TableError(f"{path}: cannot be read (permission denied)") from None
    except (pa.ArrowException, OSError, ValueError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0].replace(f"Could not open Parquet input source '{path}': ", "")
        raise TableError(f"{path}: corrupted or truncated Parquet file ({reason}). {RECOVER}") from None


def read_columns(path: Path | str, name: str | None = None) -> dict:
    """A table as ``{column: numpy array}`` (read and checked as by :func:`read_table`)."""
    return {c: v.to_numpy() for c, v in read_table(path, name=name).items()}


def _check_schema(path: Path, have: pa.Schema, name: str) -> None:
    want = arrow_schema(name)
    if list(have.names) != list(want.names) or any(have.field(c).type != want.field(c).type for c in want.names):
        raise TableError(
            f"{path}: columns or types differ from initstudy/schemas/{name}.schema.yaml (written by another version?). {RECOVER}"
        )
