"""What storage must do for dealtrack, named apart from any one backend: the storage contract.

dealtrack keeps an append-only log of events and, beside it, materialised
views with a checkpoint each. This module says what a backend provides for
that, as :class:`typing.Protocol` classes over one frozen record
(:class:`EventRow`); it holds no SQL and imports no database driver.
:class:`dealtrack.sqlite.store.Store` (SQLite) is today's one backend.

A backend keeps these promises, and ``tests/contract/`` checks them:

- positions start at 1 and go up by one with no gaps; a batch lands whole or
  not at all (inside :meth:`Storage.transaction`);
- each row's ``hash`` chains over the previous row's (:func:`chain_hash`,
  starting from :data:`GENESIS_HASH`), and the store itself refuses to change
  or delete a stored row;
- ``recorded_at`` is fixed-width UTC text that never decreases along the log,
  so one recorded time is one run of positions (a *commit point* ends each run);
- every view's checkpoint (name -> (version, position)) is written in the
  same transaction as the view's rows.

The views' upkeep goes through :class:`ViewTables` (``storage.views``) and the
ownership view's look-ups through :class:`TitleTables` (``storage.views.title``),
the questions' reads through :class:`Reads` (``storage.views.reads``):
a *folded* view keeps a facts table of ``(key, position)`` pairs and rows that
carry ``known_from``/``known_to`` commit points; a stored row is named by an
opaque *handle* (SQLite: its rowid). Table and column names passed to them are
dealtrack's own view definitions, never a user's.

Some read methods still take a ``where``/``order`` text that dealtrack (never a
user) writes in SQL; they are the part of the contract a second backend would
first have to replace with named filters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

import attrs
import orjson

__all__ = [
    "EVENT_COLUMNS", "GENESIS_HASH", "EventRow", "LogStorage", "Reads", "Storage", "TitleTables", "ViewStorage", "ViewTables",
    "chain_hash", "hash_values",
]

GENESIS_HASH = "0" * 64  # the hash "before" position 1


@attrs.frozen
class EventRow:
    """One event as stored (payload still JSON text): the record every backend reads and writes."""

    position: int
    event_id: str
    type: str
    schema_version: int
    effective_start: str | None
    effective_end: str | None
    registry_recorded: str | None
    deal: str | None
    stream: str | None
    recorded_at: str
    payload: str
    metadata: str | None
    natural_key: str | None
    hash: str

    def chained_hash(self, previous: str) -> str:
        """The hash this row must carry when ``previous`` is the hash before it."""
        return chain_hash(previous, self)


EVENT_COLUMNS = [f.name for f in attrs.fields(EventRow)]
# natural_key came in ledger format 2; it is left out of the hash so format-1 files keep their chain.
# It is still protected: verify() checks it against the (hashed) payload.
_HASHED_COLUMNS = [name for name in EVENT_COLUMNS if name not in ("hash", "natural_key")]


def chain_hash(previous: str, row: Any) -> str:
    """SHA-256 over the previous hash and the row's canonical bytes (the same in every backend)."""
    return hash_values(previous, [getattr(row, name) for name in _HASHED_COLUMNS])


def hash_values(previous: str, values: list[Any]) -> str:
    """:func:`chain_hash` of a row given as its hashed columns' values, in column order (no row built)."""
    return hashlib.sha256(previous.encode() + orjson.dumps(values)).hexdigest()


@runtime_checkable
class LogStorage(Protocol):
    """The append-only log: write batches of rows, read them back by position, id, key and time."""

    memo: dict[str, Any]
    """Decoded log facts kept per connection (positions never change); cleared when a transaction rolls back."""

    # --- the head -------------------------------------------------------------------------

    def head(self) -> tuple[int, str, str | None]:
        """``(position, hash, recorded_at)`` of the last event (``(0, GENESIS_HASH, None)`` when empty)."""
        ...

    def next_instant(self, last: str | None = None) -> datetime:
        """The recorded time for a new append: now, but always after the log's last one."""
        ...

    # --- writing (inside :meth:`Storage.transaction`) ----------------------------------------

    def insert_events(self, rows: Sequence[EventRow]) -> None:
        """Insert a non-empty batch of rows and move the head to its last one."""
        ...

    def insert_event_values(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """:meth:`insert_events` of rows given as tuples of their columns in :data:`EVENT_COLUMNS` order."""
        ...

    def insert_retractions(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Note ``(target position, retracting position)`` pairs."""
        ...

    # --- reading -----------------------------------------------------------------------------

    def rows(self, where: str = "", params: Sequence[Any] = (), order: str = "position") -> Iterator[EventRow]:
        """Stream rows in ``order``, optionally filtered by ``where`` (a fragment dealtrack writes, never a user)."""
        ...

    def payloads(
        self, where: str = "", params: Sequence[Any] = (), order: str = "position"
    ) -> Iterator[tuple[int, str, str, int]]:
        """Stream ``(position, type, payload, schema_version)``, filtered as :meth:`rows` is."""
        ...

    def payloads_at(self, positions: Iterable[int]) -> list[tuple[int, str, str, int]]:
        """``(position, type, payload, schema_version)`` at the given positions, in position order."""
        ...

    def rows_at(self, positions: Iterable[int]) -> list[EventRow]:
        """The rows at the given positions, in position order."""
        ...

    def positions_of(self, event_ids: Iterable[str]) -> dict[str, int]:
        """``event_id -> position`` for those of ``event_ids`` that are in the log."""
        ...

    def position_of(self, event_id: str) -> int | None:
        """The position of the event with ``event_id``, or None when the log has none."""
        ...

    def retractions_of(self, targets: Iterable[int]) -> dict[int, int]:
        """``target position -> retracting position`` for those of ``targets`` that are retracted."""
        ...

    def stream_events_of(self, streams: Iterable[str]) -> dict[str, list[tuple[int, str, str | None, str | None]]]:
        """``stream -> [(position, type, effective_start, effective_end)]`` of the unretracted events of each of
        ``streams`` (every one of them a key, perhaps with no events), in log order."""
        ...

    def retracted_by(self, target: int) -> int | None:
        """The position of the event retracting ``target``, or None."""
        ...

    def natural_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """``natural key -> position`` of the latest event carrying it, for those of ``keys`` the log has."""
        ...

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before ``moment`` (0 when none was)."""
        ...

    def commit_points(self) -> list[int]:
        """The last position of each recorded time, in log order."""
        ...

    def commit_span(self, position: int) -> tuple[int, int]:
        """The first and last positions recorded at the same time as ``position``."""
        ...

    def commit_point(self, position: int) -> int:
        """The last position recorded at the same time as ``position``."""
        ...

    def type_counts(self) -> dict[str, int]:
        """``type -> number of events`` in the log, most frequent first."""
        ...

    def recorded_under(self, ref: str) -> list[tuple[str, str, str]]:
        """``(natural key, event_id, type)`` of the events an importer keyed by register record ``ref``."""
        ...


@runtime_checkable
class TitleTables(Protocol):
    """The ownership view's own look-ups: who touched which patents, and which numbers name one property."""

    def patents_of_parties(self, names: Iterable[str]) -> set[str]:
        """The patents any of ``names`` ever held, or that an event naming them bears on."""
        ...

    def deals_of_owners(self, names: Iterable[str]) -> set[int]:
        """The positions of the deals whose undisclosed patents any of ``names`` ever held."""
        ...

    def indexed_patents(self, numbers: Iterable[str]) -> set[str]:
        """Those of ``numbers`` that have title facts under their own number."""
        ...

    def fact_positions(self, patents: Iterable[str]) -> list[int]:
        """The positions of the title facts of ``patents``, each once, in order."""
        ...

    def forget(self, patents: Iterable[str]) -> None:
        """Delete every title fact, party, holding and title anomaly of ``patents``."""
        ...

    def properties_of(self, numbers: Iterable[str]) -> dict[str, str]:
        """``number -> property id``: a linked application's (smallest) grant, else the number itself."""
        ...

    def linked_grants(self, numbers: Iterable[str]) -> set[str]:
        """The grants any of ``numbers`` (applications) are linked to now."""
        ...

    def numbers_of(self, patent: str) -> list[str]:
        """Every number of the property ``patent`` names: its id first, then its applications and their other grants."""
        ...

    def has_links(self) -> bool:
        """True when any application is linked to a grant (else every number is its own property)."""
        ...

    def split_applications(self, known: int) -> list[tuple[str, list[str], int]]:
        """``(application, grants, last link's position)`` for applications linked to several grants by ``known``."""
        ...

    def add_links(self, links: Sequence[tuple[str, str, int]]) -> None:
        """Note ``(application, grant, position)`` links."""
        ...

    def drop_link(self, position: int) -> None:
        """Forget the link recorded at ``position`` (it was retracted)."""
        ...

    def linked_twice(self, applications: Iterable[str]) -> set[str]:
        """Those of ``applications`` linked to more than one grant."""
        ...


@runtime_checkable
class Reads(Protocol):
    """The question side's reads of the views (and the log), each on a basis position ``known``; ``columns`` are a
    view's own column names, in view order."""

    def licences_on(
        self,
        columns: Sequence[str],
        numbers: Iterable[str],
        licensors: Iterable[str],
        start: date,
        stop: date,
        known: int,
        licensees: Iterable[str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """``licences`` rows in ``[start, stop)`` listing any of ``numbers`` or of ``licensors``' portfolio, by start and id."""
        ...

    def bans_against(
        self, columns: Sequence[str], parties: Iterable[str], start: date, stop: date, known: int,
        territory: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """``bans`` rows in force in ``[start, stop)`` of the bans against any of ``parties``, by ban and start (with
        ``territory``, a superset of those that may be in force there)."""
        ...

    def licence_rows(self, columns: Sequence[str], start: date, stop: date, known: int) -> list[tuple[Any, ...]]:
        """``licences`` rows live at some moment of ``[start, stop)``, by start and id."""
        ...

    def ban_rows(self, columns: Sequence[str], start: date, stop: date, known: int) -> list[tuple[Any, ...]]:
        """``bans`` rows in force at some moment of ``[start, stop)``, by ban and start."""
        ...

    def lien_rows(self, columns: Sequence[str], patent: str, start: date, stop: date, known: int) -> list[tuple[Any, ...]]:
        """``security_interests`` lien rows on ``patent`` live at some moment of ``[start, stop)``, by start."""
        ...

    def security_notes(self, columns: Sequence[str], known: int) -> list[tuple[Any, ...]]:
        """``security_interests`` rows that are no lien (releases and assignments matching none, or several)."""
        ...

    def term_rows(self, columns: Sequence[str], numbers: Sequence[str], known: int) -> list[tuple[Any, ...]]:
        """``patent_terms`` rows of any of ``numbers``, 500 numbers at a time."""
        ...

    def term_history(self, numbers: Sequence[str]) -> list[tuple[str, str, int, int | None]]:
        """``(patent, valid_from, known_from, known_to)`` of every ``patent_terms`` row of any of ``numbers``, on every basis."""
        ...

    def owner_rows(self, patent: str, start: date, stop: date, known: int) -> list[tuple[str, int]]:
        """``(owner, position)`` of each ``ownership`` row of ``patent`` that meets ``[start, stop)``."""
        ...

    def owner_history(self, patent: str, known: int) -> list[tuple[str, str, str | None]]:
        """``(owner, valid_from, valid_to)`` of every ``ownership`` row of ``patent``, at any valid time."""
        ...

    def holdings(self, names: Sequence[str], start: date, stop: date, known: int) -> tuple[list[tuple[str, int]], dict[int, int]]:
        """``([(patent, position)], {deal position: undisclosed count})`` held by any of ``names`` in ``[start, stop)``."""
        ...

    def held_patents(self, names: Sequence[str], start: date, stop: date, known: int) -> tuple[frozenset[str], dict[int, int]]:
        """:meth:`holdings` without the positions: ``(patents, {deal position: undisclosed count})``."""
        ...

    def patents_naming(self, names: Iterable[str]) -> list[str]:
        """The patents whose title events name any of ``names``, each once."""
        ...

    def undisclosed_deals_of(self, names: Iterable[str]) -> list[int]:
        """The positions of the deals whose undisclosed patents any of ``names`` held, each once."""
        ...

    def title_positions(self, patent: str) -> list[int]:
        """The positions of the title facts filed under ``patent`` (one number)."""
        ...

    def title_patents(self) -> list[str]:
        """Every number with title facts, each once."""
        ...

    def has_title_facts(self, numbers: Sequence[str], known: int) -> bool:
        """True when a title fact at or before ``known`` is filed under any of ``numbers``."""
        ...

    def hides_title(self, patent: str, known: int, registry: date, stop: date) -> bool:
        """True when a title fact of ``patent`` or a rename known by ``known`` bears on days before ``stop`` (dated
        before it, or on a chain with an inventors' assignment) but is not registered by ``registry``."""
        ...

    def anomaly_rows(self, known: int) -> list[tuple[str, str, int, str, str | None]]:
        """``(kind, subject, position, message, related as JSON)`` of every stored title anomaly."""
        ...

    def register_rows(self, known: int, registry: date | None = None) -> list[tuple[str, int, str]]:
        """``(subject, position, message)`` of the unread register records (on the register by ``registry``, if given)."""
        ...

    def names_party(self, name: str) -> bool:
        """True when the views name ``name`` as a title party, licensor, licensee or party banned."""
        ...

    def party_mentions(self) -> set[str]:
        """Every party name the views know: title holders, licensors, licensees and parties banned."""
        ...

    def spellings_under(self, keys: Iterable[str]) -> list[str]:
        """Every spelling the views' ``party_names`` file under one of ``keys`` (party keys)."""
        ...

    def party_names(self) -> list[tuple[str, str]]:
        """``(key, spelling)`` of every party name in the log, by key and spelling."""
        ...

    def key_positions(self, facts_table: str, key: str) -> list[int]:
        """The positions a keyed view's facts table notes for ``key``."""
        ...

    def deal_positions(self, deal: str, known: int) -> list[int]:
        """The positions (up to ``known``) of the assignments that report the deal ``deal``."""
        ...

    def assignment_positions(self, start: date, end: date, known: int) -> list[int]:
        """The positions (up to ``known``) of the assignments whose effective date starts in ``[start, end]``."""
        ...

    def unlisted_deal_positions(self, known: int) -> list[int]:
        """The positions (up to ``known``) of the assignments that moved patents they did not list."""
        ...

    def repeated_deals(self, known: int) -> list[str]:
        """Deal ids more than one assignment (up to ``known``) reports, in order."""
        ...


@runtime_checkable
class ViewTables(Protocol):
    """What folded views do to their tables, in coarse batches (lists in, lists out), plus the log reads they need."""

    title: TitleTables
    """The ownership view's own look-ups."""

    reads: Reads
    """The question side's reads."""

    # --- facts: which positions bear on which keys ---------------------------------------------

    def add_facts(self, table: str, pairs: Sequence[tuple[Any, Any]], columns: tuple[str, str] = ("key", "position")) -> None:
        """Note ``pairs`` in a two-column facts (or terms) table, leaving those already there."""
        ...

    def keys_at(self, table: str, positions: Iterable[int], key: str = "key") -> list[Any]:
        """The keys a facts table notes at any of ``positions``."""
        ...

    def facts_of(self, table: str, keys: Iterable[Any] | None = None, key: str = "key") -> dict[Any, list[int]]:
        """``key -> positions`` for those of ``keys`` that have facts (every key when None)."""
        ...

    def values_under(self, table: str, column: str, keys: Iterable[Any], key: str = "key") -> list[Any]:
        """The ``column`` of every row of ``table`` filed under one of ``keys`` (e.g. each spelling of a party)."""
        ...

    def facts_with_events(self, table: str, key: str = "key") -> Iterator[tuple[Any, int, str, str, int]]:
        """Stream ``(key, position, type, payload, schema_version)`` for every fact, in key then position order."""
        ...

    # --- the rows of folded views ----------------------------------------------------------------

    def open_rows(
        self, table: str, key: str, columns: Sequence[str], keys: Iterable[Any], fixed: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """``(handle, *columns, known_from)`` of the rows of ``keys`` still believed."""
        ...

    def reopen(self, table: str, key: str, keys: Iterable[Any], after: int, fixed: Mapping[str, Any] | None = None) -> None:
        """Put the rows of ``keys`` back as they stood at commit point ``after``."""
        ...

    def close_rows(self, table: str, closed: Sequence[tuple[int, Any]]) -> None:
        """End belief in stored rows, given ``(known_to, handle)`` pairs."""
        ...

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], fixed: Mapping[str, Any] | None = None
    ) -> None:
        """Insert view rows (values for ``columns``; ``fixed`` columns the same for every row)."""
        ...

    def clear(self, table: str, fixed: Mapping[str, Any] | None = None) -> None:
        """Delete every row of a view's table (only those with the ``fixed`` values, when given)."""
        ...

    def move_commit_point(self, tables: Iterable[str], old: int, new: int) -> None:
        """Rows believed from or until position ``old`` are so from or until ``new`` instead."""
        ...

    # --- checkpoints -------------------------------------------------------------------------------

    def set_checkpoint(self, name: str, version: int, position: int) -> None:
        """Write view ``name``'s checkpoint: at ``version``, the log read up to ``position``."""
        ...

    def advance_checkpoints(self, views: Iterable[tuple[str, int]], position: int) -> None:
        """Move the checkpoints of the ``(name, version)`` views to ``position``."""
        ...

    # --- the log, as folds and checks read it ----------------------------------------------------

    def retractions(self, after: int = 0) -> dict[int, int]:
        """``target position -> retracting position`` for the whole log (retractions recorded after ``after``)."""
        ...

    def events_of_types(self, types: Sequence[str]) -> Iterator[tuple[int, str, str, int]]:
        """Stream ``(position, type, payload, schema_version)`` of the events of ``types``, in log order."""
        ...

    def positions_of_types(self, types: Sequence[str], after: int = 0) -> list[int]:
        """The positions after ``after`` of the events of ``types``, in log order."""
        ...

    def rows_after(self, position: int) -> Iterator[EventRow]:
        """Stream the log's rows after ``position``, in log order."""
        ...


@runtime_checkable
class ViewStorage(Protocol):
    """The materialised views beside the log, and the checkpoint that says how far each has read."""

    views: ViewTables
    """The views' tables: upkeep, checkpoints and the log reads folds need."""

    def ensure_view_table(
        self,
        name: str,
        columns: dict[str, type],
        pk: str | tuple[str, ...] | None = None,
        indexes: Iterable[Sequence[str]] = (),
        *,
        without_rowid: bool = False,
    ) -> None:
        """Create a view's table, or re-create it empty when its columns changed; add missing indexes."""
        ...

    def load_then_index(self) -> AbstractContextManager[None]:
        """Inside a transaction: view tables ensured in the block get their secondary indexes only at its end
        (a rebuild loads them first). A backend may simply yield."""
        ...

    def checkpoints(self) -> dict[str, tuple[int, int]]:
        """``view name -> (version, position)`` for every view that has a checkpoint."""
        ...

    def views_position(self) -> tuple[int, int | None]:
        """``(head position, the position every view has reached)``; None when the views disagree."""
        ...


@runtime_checkable
class Storage(LogStorage, ViewStorage, Protocol):
    """One open ledger: its log, its views, and the transactions that keep them in step."""

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction, taken at once: everything written inside lands, or none of it."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every read inside sees the store as it stood at the first one."""
        ...

    def close(self) -> None:
        """Let go of the storage; the object cannot be used afterwards."""
        ...
