"""A view kept per key: events are grouped by key, and each key's rows come from a pure fold.

Licences (by licence id), bans (by ban id) and security interests (by patent)
are all such views. An append re-folds only the keys its events touch (a
retraction touches its target's keys), and every row carries the log positions
between which it was believed, as in :mod:`.history`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ..events import Event, EventRetracted
from ..store import Store
from .history import Fact, believed_rows
from .reader import LogReader

__all__ = ["KeyedView"]


@attrs.frozen
class KeyedView:
    """A view named ``table`` whose rows for a key are ``fold(key, live facts)``."""

    name: str
    version: int
    table: str
    columns: dict[str, type]  # the fold's row columns, in order; the first is the key
    types: tuple[str, ...]  # the event types that bear on the view
    keys: Callable[[Event], Iterable[str]]
    fold: Callable[[str, list[Fact]], Iterable[tuple[Any, ...]]]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def facts_table(self) -> str:
        return f"{self.table}_facts"

    @property
    def key_column(self) -> str:
        return next(iter(self.columns))

    def create(self, store: Store) -> None:
        store.ensure_view_table(
            self.table, {**self.columns, "known_from": int, "known_to": int}, None,
            [(self.key_column, "known_to"), *self.indexes],
        )
        store.ensure_view_table(self.facts_table, {"key": str, "position": int}, ("key", "position"), [("position",)])

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        conn = log.store.conn
        pairs = [(key, position) for position, event in batch for key in self.keys(event)]
        conn.executemany(f"INSERT OR IGNORE INTO {self.facts_table} (key, position) VALUES (?, ?)", pairs)
        touched = {key for key, _ in pairs}
        for _, event in batch:
            if isinstance(event, EventRetracted):
                target = log.store.position_of(event.target)
                cursor = conn.execute(f"SELECT key FROM {self.facts_table} WHERE position = ?", (target,))
                touched.update(row[0] for row in cursor)
        for key in sorted(touched):
            self._refresh(log, key)

    def rebuild(self, log: LogReader) -> None:
        conn = log.store.conn
        conn.execute(f"DELETE FROM {self.table}")
        conn.execute(f"DELETE FROM {self.facts_table}")
        marks = ", ".join("?" for _ in self.types)
        positions = [row.position for row in log.store.rows(f"type IN ({marks})", self.types)]
        pairs = [(key, position) for position, event in log.facts(positions) for key in self.keys(event)]
        conn.executemany(f"INSERT OR IGNORE INTO {self.facts_table} (key, position) VALUES (?, ?)", pairs)
        for key in sorted({key for key, _ in pairs}):
            self._refresh(log, key)

    def refold(
        self, log: LogReader, visible: Callable[[list[Fact]], list[Fact]], keys: Iterable[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """The rows of ``keys`` (every key when None) folded afresh from the facts ``visible`` keeps."""
        conn = log.store.conn
        if keys is None:
            cursor = conn.execute(f"SELECT key, position FROM {self.facts_table}")
        else:
            wanted = sorted(set(keys))
            marks = ", ".join("?" for _ in wanted)
            cursor = conn.execute(f"SELECT key, position FROM {self.facts_table} WHERE key IN ({marks})", wanted)
        positions: dict[str, list[int]] = {}
        for key, position in cursor:
            positions.setdefault(key, []).append(position)
        return [row for key, found in sorted(positions.items()) for row in self.fold(key, visible(log.facts(found)))]

    def _refresh(self, log: LogReader, key: str) -> None:
        conn = log.store.conn
        positions = [row[0] for row in conn.execute(f"SELECT position FROM {self.facts_table} WHERE key = ?", (key,))]
        rows = believed_rows(log.facts(positions), log.retracted(), lambda live: list(self.fold(key, live)))
        conn.execute(f"DELETE FROM {self.table} WHERE {self.key_column} = ?", (key,))
        names = [*self.columns, "known_from", "known_to"]
        conn.executemany(
            f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [(*row, since, until) for row, since, until in rows],
        )
