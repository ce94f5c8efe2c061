"""What storage must do for dealtrack, named apart from any one backend: the storage contract.

dealtrack keeps an append-only log of events and, beside it, materialised
views with a checkpoint each. This module says what a backend provides for
that, as :class:`typing.Protocol` classes over one frozen record
(:class:`EventRow`); it holds no SQL and imports no database driver.
:class:`dealtrack.store.Store` (SQLite) is today's one backend.

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

Some read methods still take a ``where``/``order`` text that dealtrack (never a
user) writes in SQL; they are the part of the contract a second backend would
first have to replace with named filters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs
import orjson

__all__ = ["EVENT_COLUMNS", "GENESIS_HASH", "EventRow", "LogStorage", "Storage", "ViewStorage", "chain_hash"]

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
    canonical = orjson.dumps([getattr(row, name) for name in _HASHED_COLUMNS])
    return hashlib.sha256(previous.encode() + canonical).hexdigest()


@runtime_checkable
class LogStorage(Protocol):
    """The append-only log: write batches of rows, read them back by position, id, key and time."""

    memo: dict[str, Any]
    """Decoded log facts kept per connection (positions never change); cleared when a transaction rolls back."""

    # --- the head -------------------------------------------------------------------------

    def head(self) -> tuple[int, str, str | None]:
        """``(position, hash, recorded_at)`` of the last event (``(0, GENESIS_HASH, None)`` when empty)."""
        ...

    def next_instant(self) -> datetime:
        """The recorded time for a new append: now, but always after the log's last one."""
        ...

    # --- writing (inside :meth:`Storage.transaction`) ----------------------------------------

    def insert_events(self, rows: Sequence[EventRow]) -> None:
        """Insert a non-empty batch of rows and move the head to its last one."""
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
class ViewStorage(Protocol):
    """The materialised views beside the log, and the checkpoint that says how far each has read."""

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
