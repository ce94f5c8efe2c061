"""The views' SQL on PostgreSQL: the SQLite backend's portable statements, but for the two that are SQLite's own.

:class:`dealtrack.sqlite.view_tables.SQLiteViewTables` (and its ``title`` and
``reads``) is written in SQL both engines speak; these subclasses replace
``INSERT OR IGNORE`` (PostgreSQL: ``ON CONFLICT DO NOTHING``), SQLite's
``+column`` planner hint and its JSON functions, and read the whole-log streams
a rebuild makes through server-side cursors (psycopg would otherwise fetch each
whole result first).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..sqlite.reads import SQLiteReads
from ..sqlite.view_tables import SQLiteViewTables
from ..storage import EVENT_COLUMNS, EventRow
from .connection import Connection

__all__ = ["PostgresReads", "PostgresViewTables"]


class PostgresReads(SQLiteReads):
    """The questions' reads on PostgreSQL: SQLite's, with PostgreSQL's JSON operators where a payload is read."""

    BY_INVENTORS = "({e}.type = 'PatentsAssigned' AND CAST({e}.payload AS jsonb) -> 'by_inventors' = CAST('true' AS jsonb))"


class PostgresViewTables(SQLiteViewTables):
    """The view tables of one PostgreSQL store (``store.views``)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.pg = conn
        self.reads = PostgresReads(conn)

    def facts_with_events(self, table: str, key: str = "key") -> Iterator[tuple[Any, int, str, str, int]]:
        """Stream ``(key, position, type, payload, schema_version)`` for every fact, in key then position order."""
        return self.pg.stream(
            f"SELECT f.{key}, e.position, e.type, e.payload, e.schema_version FROM {table} f "
            f"JOIN events e ON e.position = f.position ORDER BY f.{key}, f.position"
        )

    def fact_keys(self, table: str, key: str = "key") -> Iterator[tuple[Any, int]]:
        """Stream ``(key, position)`` for every fact, in key then position order."""
        return self.pg.stream(f"SELECT {key}, position FROM {table} ORDER BY {key}, position")

    def events_of_types(self, types: Sequence[str]) -> Iterator[tuple[int, str, str, int]]:
        """Stream ``(position, type, payload, schema_version)`` of the events of ``types``, in log order."""
        marks = ", ".join("?" for _ in types)
        return self.pg.stream(
            f"SELECT position, type, payload, schema_version FROM events WHERE type IN ({marks}) ORDER BY position", types)

    def rows_after(self, position: int) -> Iterator[EventRow]:
        """Stream the log's rows after ``position``, in log order."""
        cursor = self.pg.stream(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE position > ? ORDER BY position", (position,))
        return (EventRow(*values) for values in cursor)

    def add_facts(self, table: str, pairs: Sequence[tuple[Any, Any]], columns: tuple[str, str] = ("key", "position")) -> None:
        """Note ``pairs`` in a two-column facts (or terms) table, leaving those already there."""
        if pairs:
            self.conn.executemany(
                f"INSERT INTO {table} ({columns[0]}, {columns[1]}) VALUES (?, ?) ON CONFLICT DO NOTHING", pairs
            )
