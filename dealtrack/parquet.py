"""The log and every view as Parquet files, for columnar tools (DuckDB, Polars, pandas, Spark).

:func:`export` writes one file per table into a folder: ``events.parquet``
(the log, with ``retracted_by``) and ``<view table>.parquet`` for each view
table. Everything is read in one read transaction, so the files are one state
of the ledger, and streamed in record batches, so memory stays bounded however
large the ledger. The files are written into a hidden sibling folder that is
renamed into place at the end: the folder appears whole or not at all.

Types: ISO-date columns (``valid_from``, ``valid_to``, ``effective_start``, ...)
become Arrow ``date32``, ``recorded_at`` a UTC timestamp, the JSON list columns
(``licences.patents``, ``bans.territory``, ...) ``list<string>`` (``anomalies.related``
``list<int64>``); every other column keeps its SQLite type (integers and text).
The payload and metadata of events stay JSON text.

pyarrow is an optional extra: ``pip install "dealtrack[parquet]"``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from .errors import DealtrackError, InvalidEvent, MissingExtra
from .storage import EVENT_COLUMNS
from .sqlite.store import Store

__all__ = ["BATCH_ROWS", "DATE_COLUMNS", "LIST_COLUMNS", "ROW_GROUP_ROWS", "export", "prepare"]

BATCH_ROWS = 8_192  # rows read from SQLite and turned into Arrow at a time (Python rows are large)
ROW_GROUP_ROWS = 65_536  # rows per Parquet row group, held as compact Arrow batches until written

#: Columns that hold ISO dates (in the log and in every view that has them).
DATE_COLUMNS = frozenset({"valid_from", "valid_to", "effective_start", "effective_end", "registry_recorded"})
#: Columns that hold transaction times (fixed-width UTC ISO text).
INSTANT_COLUMNS = frozenset({"recorded_at"})
#: ``(table, column) -> element type`` of the columns that hold JSON lists.
LIST_COLUMNS: dict[tuple[str, str], str] = {
    ("licences", "patents"): "string",
    ("licences", "territory"): "string",
    ("bans", "against"): "string",
    ("bans", "territory"): "string",
    ("bans", "products"): "string",
    ("bans", "patents"): "string",
    ("bans", "exempt_products"): "string",
    ("anomalies", "related"): "int64",
}
_LOG_COLUMNS: list[tuple[str, str]] = [
    *((name, "INTEGER" if name in ("position", "schema_version") else "TEXT") for name in EVENT_COLUMNS),
    ("retracted_by", "INTEGER"),
]


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingExtra("export_parquet()", "pyarrow", "parquet") from None
    return pyarrow, pyarrow.parquet


def prepare(directory: str | os.PathLike[str]) -> Path:
    """Check that pyarrow is installed and that ``directory`` can be written; return it as a path.

    ``directory`` must not exist, or be an empty folder (which the export then
    replaces): an export never overwrites or mixes with files already there.
    """
    if not isinstance(directory, (str, os.PathLike)) or not os.fspath(directory):
        raise InvalidEvent("directory", directory, "expected a folder path")
    _pyarrow()
    target = Path(os.fspath(directory))
    _refuse_occupied(target)
    return target


def export(
    store: Store,
    directory: str | os.PathLike[str],
    batch_size: int = BATCH_ROWS,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> dict[str, int]:
    """Write the log and every view table of ``store`` into ``directory``; return table name -> rows written.

    Call it with the views caught up. The log is written up to the position the
    views have reached in the same read transaction, so the files agree with
    each other even while another process appends.
    """
    target = prepare(directory)
    for name, rows in (("batch_size", batch_size), ("row_group_rows", row_group_rows)):
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise InvalidEvent(name, rows, "expected a whole number of rows >= 1")
    pa, _ = _pyarrow()
    staging = target.parent / f".{target.name}.{secrets.token_hex(4)}.partial"
    try:
        staging.mkdir()
    except OSError as error:  # e.g. no parent folder, or no right to write there
        raise DealtrackError(f"cannot write Parquet files to {target}: {error}") from None
    try:
        written: dict[str, int] = {}
        with store.snapshot():
            _, reached = store.views_position()
            if reached is None:
                raise DealtrackError("the views are not at one position of the log; run ledger.refresh() and retry")
            metadata = {"dealtrack.position": str(reached)}
            written["events"] = write_table(
                staging / "events.parquet", schema_of(pa, "events", _LOG_COLUMNS, metadata),
                store.event_batches(reached, batch_size), row_group_rows,
            )
            for name in store.view_tables():
                schema = schema_of(pa, name, store.table_columns(name), metadata)
                batches = store.table_batches(name, batch_size)
                written[name] = write_table(staging / f"{name}.parquet", schema, batches, row_group_rows)
        _sync(staging)
        _move_into_place(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise DealtrackError(f"cannot write Parquet files to {target}: {error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _sync(target.parent)
    return written


def schema_of(pa: Any, table: str, columns: Sequence[tuple[str, str]], metadata: dict[str, str]) -> Any:
    """The Arrow schema of ``table`` from its ``(column, declared SQL type)`` pairs."""
    return pa.schema([pa.field(name, _arrow_type(pa, table, name, declared)) for name, declared in columns],
                     metadata=metadata)


def _arrow_type(pa: Any, table: str, column: str, declared: str) -> Any:
    element = LIST_COLUMNS.get((table, column))
    if element is not None:
        return pa.list_(pa.int64() if element == "int64" else pa.string())
    if column in DATE_COLUMNS:
        return pa.date32()
    if column in INSTANT_COLUMNS:
        return pa.timestamp("us", tz="UTC")
    if "INT" in declared:
        return pa.int64()
    if declared in ("REAL", "FLOAT", "DOUBLE"):
        return pa.float64()
    return pa.string()


def write_table(
    path: Path, schema: Any, batches: Iterable[list[tuple[Any, ...]]], row_group_rows: int = ROW_GROUP_ROWS
) -> int:
    """Write ``batches`` of SQLite rows to ``path`` as one Parquet file of ``schema``; return the row count.

    Each batch becomes Arrow at once (so few Python rows live at a time); the Arrow
    batches are written out as a row group whenever ``row_group_rows`` have gathered.
    """
    pa, pq = _pyarrow()
    count = 0
    pending: list[Any] = []
    with open(path, "wb") as out:
        with pq.ParquetWriter(out, schema, compression="zstd") as writer:

            def flush() -> None:
                table = pa.Table.from_batches(pending, schema=schema)
                writer.write_table(table, row_group_size=max(table.num_rows, 1))
                pending.clear()

            for rows in batches:
                pending.append(record_batch(pa, schema, rows))
                count += len(rows)
                if sum(batch.num_rows for batch in pending) >= row_group_rows:
                    flush()
            if pending:
                flush()
        out.flush()
        os.fsync(out.fileno())
    return count


def record_batch(pa: Any, schema: Any, rows: list[tuple[Any, ...]]) -> Any:
    """One Arrow record batch of ``schema`` from SQLite rows (one value per column, in schema order)."""
    columns = list(zip(*rows)) if rows else [() for _ in schema]
    return pa.record_batch([_column(pa, field.type, values) for field, values in zip(schema, columns)], schema=schema)


def _column(pa: Any, kind: Any, values: Sequence[Any]) -> Any:
    if pa.types.is_list(kind):
        return pa.array(list(_lists(values)), type=kind)
    if pa.types.is_date32(kind) or pa.types.is_timestamp(kind):
        return pa.array(values, type=pa.string()).cast(kind)  # ISO text, as dealtrack writes it
    return pa.array(values, type=kind)


def _lists(values: Iterable[str | None]) -> Iterator[list[Any] | None]:
    for value in values:
        yield None if value is None else orjson.loads(value)


def _sync(folder: Path) -> None:
    """Make a folder's entries durable (where the platform lets a folder be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _refuse_occupied(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        if any(target.iterdir()):
            raise DealtrackError(f"{target} already holds files; export into a new or empty folder")
    elif target.exists() or target.is_symlink():
        raise DealtrackError(f"{target} exists and is not a folder; export into a new or empty folder")


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished folder to ``target`` in one step (an empty folder there is replaced)."""
    if os.name == "nt" and target.is_dir():  # Windows renames onto no existing folder, even an empty one
        target.rmdir()
    try:
        os.replace(staging, target)
    except OSError as error:  # e.g. someone put files into the target meanwhile
        raise DealtrackError(f"cannot move the finished export into {target}: {error.strerror or error}") from None
