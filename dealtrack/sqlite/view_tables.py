"""The SQL of view upkeep: what every folded view does to its tables, in coarse batches.

A folded view (see :mod:`dealtrack.projections.history`) keeps a *facts*
table of ``(key, position)`` pairs and rows that carry ``known_from`` and
``known_to`` commit points. The projections decide which keys to fold and
what rows come out; these methods only read and write them, a list in and a
list out, so each table still gets one ``executemany`` per batch. ``IN (...)``
lists are cut 500 values at a time by :func:`chunks`, here and nowhere else.

Table and column names come from dealtrack's own view definitions, never from
a user; values are always bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..storage import EVENT_COLUMNS, EventRow
from .batches import Connection, chunks, select_in
from .reads import SQLiteReads
from .title_tables import SQLiteTitleTables

__all__ = ["SQLiteViewTables"]


def _literal(value: Any) -> str:
    """A constant column value (a view's own, e.g. ``view = 'title'``) written into an INSERT."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _fixed_where(fixed: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """``fixed`` columns as a WHERE prefix (``"view = ? AND "``) and its parameters."""
    fixed = fixed or {}
    return "".join(f"{column} = ? AND " for column in fixed), list(fixed.values())


class SQLiteViewTables:
    """The view tables of one SQLite store (``store.views``): reads and writes named for what folds need."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.title = SQLiteTitleTables(conn)
        self.reads = SQLiteReads(conn)
        self._inserts: dict[tuple[str, tuple[str, ...], tuple[tuple[str, Any], ...]], str] = {}

    # --- facts: which positions bear on which keys ------------------------------------------

    def add_facts(self, table: str, pairs: Sequence[tuple[Any, Any]], columns: tuple[str, str] = ("key", "position")) -> None:
        """Note ``pairs`` in a two-column facts (or terms) table, leaving those already there."""
        if pairs:
            self.conn.executemany(
                f"INSERT OR IGNORE INTO {table} ({columns[0]}, {columns[1]}) VALUES (?, ?)", pairs
            )

    def keys_at(self, table: str, positions: Iterable[int], key: str = "key") -> list[Any]:
        """The keys a facts table notes at any of ``positions`` (a retraction touches its target's keys)."""
        return [row[0] for row in select_in(self.conn, f"SELECT {key} FROM {table} WHERE position IN ({{marks}})", positions)]

    def facts_of(self, table: str, keys: Iterable[Any] | None = None, key: str = "key") -> dict[Any, list[int]]:
        """``key -> positions`` (in the table's order) for those of ``keys`` that have facts; every key when None."""
        if keys is None:
            cursor: Iterable[tuple[Any, ...]] = self.conn.execute(f"SELECT {key}, position FROM {table}")
        else:
            cursor = select_in(self.conn, f"SELECT {key}, position FROM {table} WHERE {key} IN ({{marks}})", keys)
        positions: dict[Any, list[int]] = {}
        for found, position in cursor:
            positions.setdefault(found, []).append(position)
        return positions

    def values_under(self, table: str, column: str, keys: Iterable[Any], key: str = "key") -> list[Any]:
        """The ``column`` of every row of ``table`` filed under one of ``keys`` (e.g. each spelling of a party)."""
        return [row[0] for row in select_in(self.conn, f"SELECT {column} FROM {table} WHERE {key} IN ({{marks}})", keys)]

    def facts_with_events(self, table: str, key: str = "key") -> Iterator[tuple[Any, int, str, str, int]]:
        """Stream ``(key, position, type, payload, schema_version)`` for every fact, in key then position order."""
        return iter(self.conn.execute(
            f"SELECT f.{key}, e.position, e.type, e.payload, e.schema_version FROM {table} f "
            f"JOIN events e ON e.position = f.position ORDER BY f.{key}, f.position"
        ))

    def fact_keys(self, table: str, key: str = "key") -> Iterator[tuple[Any, int]]:
        """Stream ``(key, position)`` for every fact, in key then position order (the table's own order)."""
        return iter(self.conn.execute(f"SELECT {key}, position FROM {table} ORDER BY {key}, position"))

    # --- the rows of folded views -------------------------------------------------------------

    def open_rows(
        self, table: str, key: str, columns: Sequence[str], keys: Iterable[Any], fixed: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """``(handle, *columns, known_from)`` of the rows of ``keys`` still believed (``known_to`` NULL)."""
        prefix, params = _fixed_where(fixed)
        sql = (f"SELECT rowid, {', '.join(columns)}, known_from FROM {table} "
               f"WHERE {prefix}{key} IN ({{marks}}) AND known_to IS NULL")
        return select_in(self.conn, sql, keys, before=params)

    def reopen(self, table: str, key: str, keys: Iterable[Any], after: int, fixed: Mapping[str, Any] | None = None) -> None:
        """Put the rows of ``keys`` back as they stood at commit point ``after``, to be folded on from there."""
        prefix, params = _fixed_where(fixed)
        for chunk in chunks(sorted(set(keys))):
            marks = ", ".join("?" for _ in chunk)
            where = f"{prefix}{key} IN ({marks})"
            self.conn.execute(f"DELETE FROM {table} WHERE {where} AND known_from > ?", [*params, *chunk, after])
            self.conn.execute(f"UPDATE {table} SET known_to = NULL WHERE {where} AND known_to > ?", [*params, *chunk, after])

    def close_rows(self, table: str, closed: Sequence[tuple[int, Any]]) -> None:
        """End belief in stored rows: ``(known_to, handle)`` pairs, the handles :meth:`open_rows` gave."""
        if closed:
            self.conn.executemany(f"UPDATE {table} SET known_to = ? WHERE rowid = ?", closed)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], fixed: Mapping[str, Any] | None = None
    ) -> None:
        """Insert view rows (values for ``columns``, with ``fixed`` columns the same for all)."""
        if not rows:
            return
        fixed = fixed or {}
        shape = (table, tuple(columns), tuple(fixed.items()))
        sql = self._inserts.get(shape)
        if sql is None:
            names = [*fixed, *columns]
            values = [*(_literal(value) for value in fixed.values()), *("?" for _ in columns)]
            sql = self._inserts[shape] = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})"
        self.conn.executemany(sql, rows)

    def clear(self, table: str, fixed: Mapping[str, Any] | None = None) -> None:
        """Delete every row of a view's table (only those with the ``fixed`` values, when given)."""
        prefix, params = _fixed_where(fixed)
        where = f" WHERE {prefix.removesuffix(' AND ')}" if fixed else ""
        self.conn.execute(f"DELETE FROM {table}{where}", params)

    def move_commit_point(self, tables: Iterable[str], old: int, new: int) -> None:
        """Rows believed from or until position ``old`` are so from or until ``new`` (``old`` stopped being a commit point)."""
        for table in tables:
            self.conn.execute(f"UPDATE {table} SET known_from = ? WHERE known_from = ?", (new, old))
            self.conn.execute(f"UPDATE {table} SET known_to = ? WHERE known_to = ?", (new, old))

    # --- checkpoints ----------------------------------------------------------------------------

    def set_checkpoint(self, name: str, version: int, position: int) -> None:
        """Write view ``name``'s checkpoint: it is at ``version`` and has read the log up to ``position``."""
        self.conn.execute(
            "INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position",
            (name, version, position),
        )

    def advance_checkpoints(self, views: Iterable[tuple[str, int]], position: int) -> None:
        """Move the checkpoints of ``(name, version)`` views to ``position``, in one statement for all."""
        self.conn.executemany(
            "UPDATE projection_checkpoints SET position = ? WHERE name = ? AND version = ?",
            [(position, name, version) for name, version in views],
        )

    # --- the log, as folds and checks read it ------------------------------------------------------

    def retractions(self, after: int = 0) -> dict[int, int]:
        """``target position -> retracting position`` for the whole log (retractions recorded after ``after``)."""
        if after <= 0:
            return dict(self.conn.execute("SELECT target, position FROM retractions"))
        return dict(self.conn.execute("SELECT target, position FROM retractions WHERE position > ?", (after,)))

    def events_of_types(self, types: Sequence[str]) -> Iterator[tuple[int, str, str, int]]:
        """Stream ``(position, type, payload, schema_version)`` of the events of ``types``, in log order.

        When those events are a good share of the log (the title events, or the
        parties' almost all of it), the log is read straight through in position
        order (``+type``: not through the type index, which would then need a
        sort of every payload read); the index is for a few types' events.
        """
        marks = ", ".join("?" for _ in types)
        (count,) = self.conn.execute(f"SELECT count(*) FROM events WHERE type IN ({marks})", types).fetchone()
        (total,) = self.conn.execute("SELECT count(*) FROM events").fetchone()
        hint = "+" if count * 8 >= total else ""
        return iter(self.conn.execute(
            f"SELECT position, type, payload, schema_version FROM events WHERE {hint}type IN ({marks}) ORDER BY position",
            types))

    def positions_of_types(self, types: Sequence[str], after: int = 0) -> list[int]:
        """The positions after ``after`` of the events of ``types``, in log order."""
        marks = ", ".join("?" for _ in types)
        return [row[0] for row in self.conn.execute(
            f"SELECT position FROM events WHERE type IN ({marks}) AND position > ? ORDER BY position", [*types, after])]

    def rows_after(self, position: int) -> Iterator[EventRow]:
        """Stream the log's rows after ``position``, in log order."""
        cursor = self.conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE position > ? ORDER BY position", (position,))
        return (EventRow(*values) for values in cursor)
