"""Cutting ``IN (...)`` lists into SQLite-sized pieces: the one place it is done."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = ["CHUNK", "chunks", "select_in"]

#: At most this many values in one ``IN (...)`` list (SQLite's default limit on bound values is far above it).
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``values`` in pieces of at most ``size``, in order."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(
    conn: sqlite3.Connection, sql: str, values: Iterable[Any], *, before: Sequence[Any] = (), repeat: int = 1
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
