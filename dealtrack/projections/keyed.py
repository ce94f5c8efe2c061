"""A view kept per key: events are grouped by key, and each key's rows come from a pure fold.

Licences (by licence id), bans (by ban id) and security interests (by patent)
are all such views. An append folds only the keys its events touch (a
retraction touches its target's keys), and only at its own positions: every
row carries the log positions between which it was believed, as in
:mod:`.history`, so rows already closed never change.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from .. import codec
from ..events import Event
from ..store import Store
from .history import Fact, advance, reopen
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
    # Look-up terms an event names (e.g. the patents a licence lists), kept in ``{table}_terms(term, key)``
    # so a question can find the few keys about one term; a superset (retracted facts keep their terms).
    terms: Callable[[Event], Iterable[str]] | None = None

    @property
    def facts_table(self) -> str:
        return f"{self.table}_facts"

    @property
    def terms_table(self) -> str:
        return f"{self.table}_terms"

    def _index_terms(self, conn: Any, batch: Iterable[Fact]) -> None:
        if self.terms is not None:
            pairs = [(term, key) for _, event in batch for key in self.keys(event) for term in self.terms(event)]
            if pairs:
                conn.executemany(f"INSERT OR IGNORE INTO {self.terms_table} (term, key) VALUES (?, ?)", pairs)

    @property
    def folded(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def key_column(self) -> str:
        return next(iter(self.columns))

    def create(self, store: Store) -> None:
        store.ensure_view_table(
            self.table, {**self.columns, "known_from": int, "known_to": int}, None,
            [(self.key_column, "known_to"), *self.indexes],
        )
        store.ensure_view_table(
            self.facts_table, {"key": str, "position": int}, ("key", "position"), [("position",)], without_rowid=True
        )
        if self.terms is not None:
            store.ensure_view_table(self.terms_table, {"term": str, "key": str}, ("term", "key"), without_rowid=True)

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        conn = log.store.conn
        pairs = [(key, position) for position, event in batch for key in self.keys(event)]
        if pairs:  # most appends touch no licence or ban: then there is nothing to write
            conn.executemany(f"INSERT OR IGNORE INTO {self.facts_table} (key, position) VALUES (?, ?)", pairs)
            self._index_terms(conn, batch)
        touched = {key for key, _ in pairs}
        targets = list(log.targets(batch).values())
        if targets:
            marks = ", ".join("?" for _ in targets)
            cursor = conn.execute(f"SELECT key FROM {self.facts_table} WHERE position IN ({marks})", targets)
            touched.update(row[0] for row in cursor)
        if touched:
            self._refresh(log, sorted(touched), log.after)

    def rebuild(self, log: LogReader) -> None:
        """Recompute the view from the log, streaming one key at a time."""
        conn = log.store.conn
        conn.execute(f"DELETE FROM {self.table}")
        conn.execute(f"DELETE FROM {self.facts_table}")
        if self.terms is not None:
            conn.execute(f"DELETE FROM {self.terms_table}")
        marks = ", ".join("?" for _ in self.types)
        pairs = []
        for position, type_name, payload, version in log.store.payloads(f"type IN ({marks})", self.types):
            event = codec.decode_stored(type_name, payload, version)
            pairs.extend((key, position) for key in self.keys(event))
            self._index_terms(conn, [(position, event)])
            if len(pairs) >= 5_000:
                conn.executemany(f"INSERT OR IGNORE INTO {self.facts_table} (key, position) VALUES (?, ?)", pairs)
                pairs = []
        conn.executemany(f"INSERT OR IGNORE INTO {self.facts_table} (key, position) VALUES (?, ?)", pairs)
        retracted = log.retracted()
        cursor = conn.execute(
            f"SELECT f.key, e.position, e.type, e.payload, e.schema_version FROM {self.facts_table} f "
            "JOIN events e ON e.position = f.position ORDER BY f.key, f.position"
        )
        rows: list[tuple[Any, ...]] = []
        for key, group in itertools.groupby(cursor, key=lambda row: row[0]):
            facts = [(position, codec.decode_stored(t, payload, v)) for _, position, t, payload, v in group]
            _, new = advance(facts, retracted, self._fold_of(key), {}, 0, log.fold_point)
            rows.extend((*row, since, until) for row, since, until in new)
            if len(rows) >= 10_000:
                conn.executemany(self._insert, rows)
                rows = []
        conn.executemany(self._insert, rows)

    @property
    def _insert(self) -> str:
        names = [*self.columns, "known_from", "known_to"]
        return f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"

    def _fold_of(self, key: str) -> Callable[[list[Fact]], list[tuple[Any, ...]]]:
        return lambda live: list(self.fold(key, live))

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

    def _refresh(self, log: LogReader, keys: Sequence[str], after: int) -> None:
        """Carry each key's rows forward over the positions after ``after``."""
        conn = log.store.conn
        positions: dict[str, list[int]] = {key: [] for key in keys}
        believed: dict[str, dict[tuple[Any, ...], tuple[int, Any]]] = {key: {} for key in keys}
        columns = ", ".join(self.columns)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            if log.reopened:  # fold these keys again from the last commit point before the batch
                reopen(conn, self.table, f"{self.key_column} IN ({marks})", chunk, after)
            for key, position in conn.execute(f"SELECT key, position FROM {self.facts_table} WHERE key IN ({marks})", chunk):
                positions[key].append(position)
            for rowid, *row, since in conn.execute(
                f"SELECT rowid, {columns}, known_from FROM {self.table} "
                f"WHERE {self.key_column} IN ({marks}) AND known_to IS NULL", chunk
            ):
                believed[row[0]][tuple(row)] = (since, rowid)
        decoded = dict(log.facts(pos for found in positions.values() for pos in found))
        retracted = log.retracted_among(decoded)
        closed: list[tuple[int, int]] = []
        rows: list[tuple[Any, ...]] = []
        for key in keys:
            facts = [(pos, decoded[pos]) for pos in positions[key]]
            ended, new = advance(facts, retracted, self._fold_of(key), believed[key], after, log.fold_point)
            closed.extend((until, rowid) for rowid, until in ended)
            rows.extend((*row, since, until) for row, since, until in new)
        if closed:
            conn.executemany(f"UPDATE {self.table} SET known_to = ? WHERE rowid = ?", closed)
        if rows:
            conn.executemany(self._insert, rows)
