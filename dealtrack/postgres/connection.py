"""A psycopg connection that takes the SQLite backend's portable SQL: ``?`` and ``:name`` placeholders.

The view upkeep and the question-side reads (:mod:`dealtrack.sqlite.view_tables`,
``title_tables``, ``reads``) are written in SQL both engines speak, with
SQLite's placeholders. :func:`to_psycopg` rewrites those placeholders into
psycopg's (``%s``, ``%(name)s``) once per statement text, leaving string
literals and quoted names alone; what the two dialects really disagree on is
overridden in :mod:`.views` and :mod:`.store`, not patched here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, LiteralString, cast

import psycopg
from psycopg import pq

__all__ = ["Connection", "query", "to_psycopg"]

# string literals and quoted names (kept), then the placeholders and the percent signs psycopg would read
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|\?|(?<![\w:]):([A-Za-z_]\w*)|%|\bIN\s*\(\s*\)", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def to_psycopg(sql: str) -> str:
    """``sql`` with ``?`` as ``%s``, ``:name`` as ``%(name)s``, ``%`` doubled, and an empty ``IN ()`` as ``IN (NULL)``.

    SQLite takes ``x IN ()`` (never true); PostgreSQL refuses it, and ``IN (NULL)`` is never true either.
    """

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] == "'":
            return token.replace("%", "%%")
        if token[0] == '"' or token == "::":
            return token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if match.group(1) is not None:
            return f"%({match.group(1)})s"
        return "IN (NULL)"

    return _TOKENS.sub(replace, sql)


def query(sql: str) -> LiteralString:
    """``sql`` as the driver's typed ``execute`` takes it: dealtrack's own statements, whose values are always
    bound (names in them are dealtrack's view definitions), which a type checker cannot see through an f-string."""
    return cast(LiteralString, sql)  # type: ignore[redundant-cast]  # (mypy reads LiteralString as str)


class Connection:
    """The part of :class:`sqlite3.Connection` dealtrack's portable SQL uses, over one psycopg connection.

    The connection is in autocommit mode, as SQLite's is with ``isolation_level=None``:
    the stores issue ``BEGIN`` and ``COMMIT`` themselves.
    """

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._cursors = 0  # server-side cursors opened so far: each gets its own name

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> psycopg.Cursor[Any]:
        """Run one statement; the cursor iterates its rows as tuples."""
        if parameters is None:
            return self.raw.execute(query(sql))  # (with no parameters psycopg reads no placeholder in it)
        return self.raw.execute(query(to_psycopg(sql)), _bindable(parameters))

    def stream(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), size: int = 5_000) -> Iterator[Any]:
        """The rows of one statement through a server-side cursor, ``size`` at a time: a whole log read in a
        rebuild or an export is never held in memory at once (``execute`` fetches every row first)."""
        self._cursors += 1
        hold = not self.in_transaction  # outside a transaction a cursor must be WITH HOLD to outlive its statement
        with self.raw.cursor(name=f"dealtrack_stream_{self._cursors}", withhold=hold) as cursor:
            cursor.itersize = size
            cursor.execute(query(to_psycopg(sql)), _bindable(parameters))
            yield from cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters (psycopg pipelines them; one row goes without a pipeline)."""
        bound = [_bindable(row) for row in rows]
        if len(bound) == 1:
            self.raw.execute(query(to_psycopg(sql)), bound[0])
            return
        with self.raw.cursor() as cursor:
            cursor.executemany(query(to_psycopg(sql)), bound)

    @property
    def in_transaction(self) -> bool:
        """True inside a ``BEGIN`` not yet committed or rolled back (also one a failed statement left open)."""
        return not self.raw.closed and self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def _bindable(parameters: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
    """Parameters as psycopg binds them: a list or a dict (a generator or tuple of one row is made a list)."""
    if isinstance(parameters, Mapping):
        return parameters
    return list(parameters)
