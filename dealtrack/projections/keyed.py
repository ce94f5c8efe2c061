"""A view kept per key: events are grouped by key, and each key's rows come from a pure fold.

Licences (by licence id), bans (by ban id) and security interests (by patent)
are all such views. An append folds only the keys its events touch (a
retraction touches its target's keys), and only at its own positions: every
row carries the log positions between which it was believed, as in
:mod:`.history`, so rows already closed never change.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .. import codec
from ..events import Event
from ..sqlite.store import Store
from .history import Fact, advance
from .reader import LogReader
from .title import renamed_names

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
    # With ``renamed``, the fold also gets the renames and mergers linked to the party names its terms hold
    # (``terms`` must then give those names): a rename refolds the keys that name either of its parties.
    renamed: bool = False
    # For a rebuild: ``keys`` read off a stored event's fields (:func:`.codec.stored_fields`), so that the events
    # of the view's types that bear on no key (most registrations give no term) are never built.
    stored_keys: Callable[[str, Mapping[str, Any]], Iterable[str]] | None = None

    @property
    def facts_table(self) -> str:
        return f"{self.table}_facts"

    @property
    def terms_table(self) -> str:
        return f"{self.table}_terms"

    def _index_terms(self, store: Store, batch: Iterable[Fact]) -> None:
        if self.terms is not None:
            pairs = [(term, key) for _, event in batch for key in self.keys(event) for term in self.terms(event)]
            store.views.add_facts(self.terms_table, pairs, ("term", "key"))

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
        views = log.store.views
        pairs = [(key, position) for position, event in batch for key in self.keys(event)]
        if pairs:  # most appends touch no licence or ban: then there is nothing to write
            views.add_facts(self.facts_table, pairs)
            self._index_terms(log.store, batch)
        touched = {key for key, _ in pairs}
        targets = list(log.targets(batch).values())
        if targets:
            touched.update(views.keys_at(self.facts_table, targets))
        if self.renamed:  # a rename (or the retraction of one) refolds the keys that name its parties
            moved = [event for _, event in batch if renamed_names(event) is not None]
            moved += [event for _, event in log.facts(targets) if renamed_names(event) is not None]
            if moved:
                names = log.rename_groups().linked(name for event in moved for name in renamed_names(event) or ())
                touched.update(views.values_under(self.terms_table, "key", names, key="term"))
        if touched:
            self._refresh(log, sorted(touched), log.after)

    def rebuild(self, log: LogReader) -> None:
        """Recompute the view from the log, streaming one key at a time."""
        views = log.store.views
        views.clear(self.table)
        views.clear(self.facts_table)
        if self.terms is not None:
            views.clear(self.terms_table)
        pairs: list[tuple[str, int]] = []
        terms: list[tuple[str, str]] = []  # (term, key): what _index_terms notes, a batch at a time
        lean = self.stored_keys if self.terms is None else None
        types = self.types
        noted = log.noted_keys.pop(self.name, None)
        if noted is not None and lean is not None:  # another view's rebuild read these types' keys on its way
            views.add_facts(self.facts_table, noted[1])
            types = tuple(type_name for type_name in types if type_name not in noted[0])
        for position, type_name, payload, version in views.events_of_types(types) if types else ():
            if lean is not None:
                pairs.extend((key, position) for key in lean(type_name, codec.stored_fields(type_name, payload, version)))
            else:
                event = log.decoded(position, type_name, payload, version)
                keys = list(self.keys(event))
                pairs.extend((key, position) for key in keys)
                if self.terms is not None and keys:
                    named = list(self.terms(event))
                    terms.extend((term, key) for key in keys for term in named)
            if len(pairs) >= 5_000:
                views.add_facts(self.facts_table, pairs)
                pairs = []
                if terms:
                    views.add_facts(self.terms_table, terms, ("term", "key"))
                    terms = []
        views.add_facts(self.facts_table, pairs)
        if terms:
            views.add_facts(self.terms_table, terms, ("term", "key"))
        retracted = log.retracted()
        rows: list[tuple[Any, ...]] = []
        for key, group in itertools.groupby(views.facts_with_events(self.facts_table), key=lambda row: row[0]):
            facts = self._with_renames(log, [(position, log.decoded(position, t, payload, v))
                                             for _, position, t, payload, v in group])
            _, new = advance(facts, retracted, self._fold_of(key), {}, 0, log.fold_point)
            rows.extend((*row, since, until) for row, since, until in new)
            if len(rows) >= 10_000:
                views.insert_rows(self.table, self._stored_columns, rows)
                rows = []
        views.insert_rows(self.table, self._stored_columns, rows)

    @property
    def _stored_columns(self) -> tuple[str, ...]:
        return (*self.columns, "known_from", "known_to")

    def _with_renames(self, log: LogReader, facts: list[Fact]) -> list[Fact]:
        """``facts``, and (for a ``renamed`` view) every rename or merger linked to the names they hold."""
        if not self.renamed or self.terms is None:
            return facts
        names = {name for _, event in facts for name in self.terms(event)}
        return sorted([*facts, *log.rename_groups().renames_of(names)], key=lambda fact: fact[0])

    def _fold_of(self, key: str) -> Callable[[list[Fact]], list[tuple[Any, ...]]]:
        return lambda live: list(self.fold(key, live))

    def refold(
        self, log: LogReader, visible: Callable[[list[Fact]], list[Fact]], keys: Iterable[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """The rows of ``keys`` (every key when None) folded afresh from the facts ``visible`` keeps."""
        positions = log.store.views.facts_of(self.facts_table, keys)
        return [row for key, found in sorted(positions.items())
                for row in self.fold(key, visible(self._with_renames(log, log.facts(found))))]

    def fold_facts(
        self, log: LogReader, key: str, facts: list[Fact], visible: Callable[[list[Fact]], list[Fact]]
    ) -> list[tuple[Any, ...]]:
        """The rows of ``key`` folded from ``facts`` (its facts, in position order), as ``visible`` keeps them."""
        return list(self.fold(key, visible(self._with_renames(log, facts))))

    def _refresh(self, log: LogReader, keys: Sequence[str], after: int) -> None:
        """Carry each key's rows forward over the positions after ``after``."""
        views = log.store.views
        if log.reopened:  # fold these keys again from the last commit point before the batch
            views.reopen(self.table, self.key_column, keys, after)
        found = views.facts_of(self.facts_table, keys)
        positions: dict[str, list[int]] = {key: found.get(key, []) for key in keys}
        believed: dict[str, dict[tuple[Any, ...], tuple[int, Any]]] = {key: {} for key in keys}
        for rowid, *row, since in views.open_rows(self.table, self.key_column, list(self.columns), keys):
            believed[row[0]][tuple(row)] = (since, rowid)
        decoded = dict(log.facts(pos for found in positions.values() for pos in found))
        by_key = {key: self._with_renames(log, [(pos, decoded[pos]) for pos in positions[key]]) for key in keys}
        retracted = log.retracted_among({pos for facts in by_key.values() for pos, _ in facts})
        closed: list[tuple[int, int]] = []
        rows: list[tuple[Any, ...]] = []
        for key in keys:
            facts = by_key[key]
            ended, new = advance(facts, retracted, self._fold_of(key), believed[key], after, log.fold_point)
            closed.extend((until, rowid) for rowid, until in ended)
            rows.extend((*row, since, until) for row, since, until in new)
        views.close_rows(self.table, closed)
        views.insert_rows(self.table, self._stored_columns, rows)
