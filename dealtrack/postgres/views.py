"""The views' SQL on PostgreSQL: the SQLite backend's portable statements, but for the two that are SQLite's own.

:class:`dealtrack.sqlite.view_tables.SQLiteViewTables` (and its ``title`` and
``reads``) is written in SQL both engines speak; these subclasses replace
``INSERT OR IGNORE`` (PostgreSQL: ``ON CONFLICT DO NOTHING``) and SQLite's
``+column`` planner hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sqlite.view_tables import SQLiteViewTables

__all__ = ["PostgresViewTables"]


class PostgresViewTables(SQLiteViewTables):
    """The view tables of one PostgreSQL store (``store.views``)."""

    def add_facts(self, table: str, pairs: Sequence[tuple[Any, Any]], columns: tuple[str, str] = ("key", "position")) -> None:
        """Note ``pairs`` in a two-column facts (or terms) table, leaving those already there."""
        if pairs:
            self.conn.executemany(
                f"INSERT INTO {table} ({columns[0]}, {columns[1]}) VALUES (?, ?) ON CONFLICT DO NOTHING", pairs
            )

    def stream_events(self, stream: str, types: Sequence[str]) -> list[tuple[int, str, str, str]]:
        """``(position, type, effective_start, effective_end)`` of the unretracted events of ``stream`` with ``types``."""
        marks = ", ".join("?" for _ in types)
        return self.conn.execute(
            "SELECT e.position, e.type, e.effective_start, e.effective_end FROM events e "
            "LEFT JOIN retractions r ON r.target = e.position "
            f"WHERE e.stream = ? AND e.type IN ({marks}) AND r.target IS NULL ORDER BY e.position",
            [stream, *types],
        ).fetchall()
