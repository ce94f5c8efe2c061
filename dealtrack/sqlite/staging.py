"""A scratch SQLite database for joining CSV tables by a shared key, larger than memory.

The Patent Assignment Dataset comes as several CSV tables joined by ``rf_id``;
:mod:`dealtrack.importers.dataset` copies each one here, keeping each row's
line number, and walks them back in key order. The database lives in a
temporary folder and is gone when the block ends.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

__all__ = ["Staging", "staging"]


class Staging:
    """Tables of ``(line, columns...)`` rows, each read back in order of its integer ``key`` column, then line."""

    def __init__(self, conn: sqlite3.Connection, key: str) -> None:
        self.conn = conn
        self.key = key

    def create(self, table: str, columns: Sequence[str]) -> None:
        """A new table of text ``columns`` (one of them the key) after the row's line number."""
        self.conn.execute(f"CREATE TABLE {table} (line INTEGER, {', '.join(f'{c} TEXT' for c in columns)})")

    def insert(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Add ``(line, *values)`` rows, in the column order of :meth:`create`."""
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            self.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def index(self, table: str) -> None:
        """Index ``table`` by key and line, once it is loaded (faster than keeping the index up while loading)."""
        self.conn.execute(f"CREATE INDEX {table}_{self.key} ON {table} (CAST({self.key} AS INTEGER), line)")

    def count(self, table: str) -> int:
        """How many rows ``table`` holds."""
        (found,) = self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        return int(found)

    def rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """``(key, *columns)`` of every row, in key order, rows of one key in file order."""
        return iter(self.conn.execute(
            f"SELECT CAST({self.key} AS INTEGER), {', '.join(columns)} FROM {table} "
            f"ORDER BY CAST({self.key} AS INTEGER), line"
        ))

    def by_key(self, table: str, columns: Sequence[str]) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        """``(key, rows)`` of ``table``, in key order (rows in file order, without the key)."""
        for key, rows in groupby(self.rows(table, columns), key=lambda row: row[0]):
            yield key, [row[1:] for row in rows]


@contextmanager
def staging(key: str, prefix: str = "dealtrack-staging-") -> Iterator[Staging]:
    """A fresh scratch database in a temporary folder, removed at the end of the block."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        conn = sqlite3.connect(Path(scratch) / "staging.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")  # scratch data: nothing to recover after a crash
            conn.execute("PRAGMA synchronous=OFF")
            yield Staging(conn, key)
        finally:
            conn.close()
