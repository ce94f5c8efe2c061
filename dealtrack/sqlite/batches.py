"""Cutting ``IN (...)`` lists into SQLite-sized pieces: the one place it is done."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

__all__ = ["CHUNK", "Connection", "chunks", "kept_cursor", "select_in"]


class Rows(Protocol):
    """What a statement gives back: rows to iterate or fetch (a :class:`sqlite3.Cursor`, a psycopg cursor)."""

    def __iter__(self) -> Iterator[Any]: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The connection the views' portable SQL runs on: :class:`sqlite3.Connection`, or
    :class:`dealtrack.postgres.connection.Connection` (which takes the same ``?`` and ``:name`` placeholders)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Rows: ...
    def executemany(self, sql: str, parameters: Iterable[Any], /) -> object: ...


def kept_cursor(conn: Connection) -> Callable[..., Rows]:
    """``execute`` on one cursor kept for ``conn`` (a SQLite connection; any other's own ``execute``).

    ``conn.execute`` makes a new cursor for each statement, which costs about as much as a short look-up
    itself. The kept cursor serves only statements whose rows are read in full before the next one runs on it.
    """
    if isinstance(conn, sqlite3.Connection):
        return conn.cursor().execute
    return conn.execute


#: At most this many values in one ``IN (...)`` list (SQLite's default limit on bound values is far above it).
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``values`` in pieces of at most ``size``, in order."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    conn: Connection, sql: str, values: Iterable[Any], *, before: Sequence[Any] = (), repeat: int = 1
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` over the distinct ``values`` in sorted order, 500 at a time.

    ``sql`` holds ``{marks}`` where each ``IN`` list goes (``repeat`` of them, each bound to the
    same piece); ``before`` are the parameters that come ahead of the first list.
    """
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks(sorted(set(values))):
        marks = ", ".join("?" for _ in chunk)
        rows.extend(conn.execute(sql.format(marks=marks), [*before, *list(chunk) * repeat]))  # no Python step per row
    return rows
