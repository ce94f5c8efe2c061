"""The Ledger: open a log, append events, and ask it questions as of any date."""

from __future__ import annotations

import os
from contextlib import contextmanager
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs
import orjson

from . import codec, tables
from .answers import Anchor, Basis, VerifyReport
from .checks import Checker, stream_of
from .errors import ConcurrencyError, DealtrackError, InvalidEvent, LedgerBusy, LedgerFileError
from .events import EVENT_TYPES, Appended, Event, EventRetracted, Recorded, Skipped
from .integrity import head_anchor, verify_log
from .parquet import export as write_parquet, prepare as prepare_parquet
from .projections.runner import catch_up, rebuild_all, refresh
from .questions import Questions
from .store import EventRow, Store, chain_hash, format_instant, is_lock_error, new_event_id, parse_instant_column
from .values import DateLike

__all__ = ["Ledger", "LedgerView"]


class Ledger(Questions):
    """An append-only log of patent deals in one SQLite file, and the questions it answers.

    Open one with :meth:`Ledger.open`; use it as a context manager to close it.
    """

    def __init__(self, store: Store, path: str | None) -> None:
        self._store = store
        self.path = path

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, synchronous: str = "NORMAL") -> Ledger:
        """Open or create the ledger at ``path``; ``None`` keeps it in memory.

        File ledgers use WAL with ``synchronous=NORMAL``: a power cut may lose
        the last commits but never corrupts the file. Pass ``"FULL"`` to make
        every append durable before it returns, at some cost in speed.
        """
        store = None
        try:
            store = Store.open(path, synchronous=synchronous)
            catch_up(store)
        except sqlite3.Error as exc:
            if store is not None:
                store.close()
            if is_lock_error(exc):
                raise LedgerBusy(f"{path} is locked by another program ({exc}); try again when it lets go") from None
            raise LedgerFileError(f"cannot open {path}: {exc}") from None
        return cls(store, None if path is None else os.fspath(path))

    def close(self) -> None:
        """Catch the views up (so the file browses up to date in ``sqlite3`` or Datasette) and close it.

        The ledger cannot be used afterwards. Should the catch-up fail (another
        writer holds the file, say), the views catch up on the next open instead.
        """
        try:
            if self.path is not None:  # an in-memory ledger is gone with its connection
                refresh(self._store)
        except (DealtrackError, sqlite3.Error):
            pass
        finally:
            self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ledger {self.path or ':memory:'} events={len(self)}>"

    def __len__(self) -> int:
        return self._store.head()[0]

    def counts(self) -> dict[str, int]:
        """How many events of each type the log holds (retracted ones included), by type name."""
        return self._store.type_counts()

    def _summary(self) -> tuple[list[dict[str, Any]], list[str], str]:
        last = self._store.head()[2]
        title = f"dealtrack ledger {self.path or '(in memory)'}: {len(self)} events"
        title += f", last recorded {last}" if last else ""
        return [{"event type": name, "events": n} for name, n in self.counts().items()], ["event type", "events"], title

    def _repr_html_(self) -> str:
        return tables.html_table(*self._summary())

    def __str__(self) -> str:
        return tables.text_table(*self._summary())

    @property
    def db(self) -> Any:
        """The file as a :class:`sqlite_utils.Database`, for your own read-only queries (views caught up first)."""
        refresh(self._store)
        return self._store.db

    # --- writing ------------------------------------------------------------------------

    def append(
        self,
        *events: Event,
        metadata: dict[str, Any] | None = None,
        expected_position: int | None = None,
    ) -> Appended:
        """Append ``events`` atomically (all or none) and return their envelopes.

        Events are checked in order, so a later one may refer to an earlier one.
        An event whose ``natural_key`` is already in the log (or earlier in this
        call) is left out and listed in the result's ``skipped``.
        ``metadata`` (a JSON-ready dict, e.g. who imported what) is stored with each.
        With ``expected_position``, raise :class:`ConcurrencyError` and write
        nothing unless the log still ends there.
        """
        for event in events:
            if not isinstance(event, Event) or EVENT_TYPES.get(type(event).__name__) is not type(event):
                raise InvalidEvent("events", event, "expected dealtrack events, e.g. PatentsAssigned(...)")
        if expected_position is not None and (
            isinstance(expected_position, bool) or not isinstance(expected_position, int) or expected_position < 0
        ):
            raise InvalidEvent("expected_position", expected_position, "expected a position (a whole number >= 0)")
        meta = _metadata_json(metadata)
        store = self._store
        with store.transaction():
            position, previous_hash, _ = store.head()
            if expected_position is not None and expected_position != position:
                raise ConcurrencyError(expected_position, position)
            if not events:
                return Appended()
            fresh, skipped = _new_keys(store, events)
            moment = store.next_instant()
            recorded_at = format_instant(moment)
            checker = Checker(store)
            rows: list[EventRow] = []
            recorded: list[Recorded] = []
            retractions: list[tuple[int, int]] = []
            for event in fresh:
                position += 1
                event_id = new_event_id(moment)
                target = checker.check(position, event_id, event)
                if target is not None:
                    retractions.append((target, position))
                row = _row(position, event_id, recorded_at, event, meta)
                row = attrs.evolve(row, hash=chain_hash(previous_hash, row))
                previous_hash = row.hash
                rows.append(row)
                recorded.append(Recorded(position, event_id, moment, event))
            if rows:
                store.insert_events(rows)
                store.insert_retractions(retractions)
        return Appended(recorded, skipped)

    def _restore(self, envelopes: Sequence[codec.Envelope]) -> tuple[Appended, tuple[int, InvalidEvent] | None]:
        """Append logged events keeping their event ids, recorded times, payloads and metadata.

        Checked like any append and hash-chained onto this log; an event id
        already in the log is skipped (``Skipped.natural_key`` is then the id).
        Recorded times must not go back before the log's last one. The events
        before the first one refused are appended in one transaction; returns
        them, and the refused one's index in ``envelopes`` with the error.
        Used by :func:`dealtrack.importers.import_jsonl`.
        """
        store = self._store
        with store.transaction():
            position, previous_hash, last = store.head()
            present = store.positions_of(e.event_id for e in envelopes)
            checker = Checker(store)
            rows: list[EventRow] = []
            recorded: list[Recorded] = []
            retractions: list[tuple[int, int]] = []
            skipped: list[Skipped] = []
            refused: tuple[int, InvalidEvent] | None = None
            for index, envelope in enumerate(envelopes):
                if envelope.event_id in present:
                    skipped.append(Skipped(envelope.event, envelope.event_id, present[envelope.event_id]))
                    continue
                stamp = format_instant(envelope.recorded_at)
                try:
                    if last is not None and stamp < last:
                        raise InvalidEvent("recorded_at", stamp, f"is before the log's last recorded time ({last})")
                    target = checker.check(position + 1, envelope.event_id, envelope.event)
                except InvalidEvent as error:
                    refused = (index, error)
                    break
                position += 1
                if target is not None:
                    retractions.append((target, position))
                row = attrs.evolve(_row(position, envelope.event_id, stamp, envelope.event, envelope.metadata),
                                   payload=envelope.payload, schema_version=envelope.schema_version)
                row = attrs.evolve(row, hash=chain_hash(previous_hash, row))
                previous_hash, last = row.hash, stamp
                present[envelope.event_id] = position
                rows.append(row)
                recorded.append(Recorded(position, envelope.event_id, parse_instant_column(stamp), envelope.event))
            if rows:
                store.insert_events(rows)
                store.insert_retractions(retractions)
        return Appended(recorded, skipped), refused

    def retract(self, event_id: str, reason: str) -> Recorded:
        """Append an :class:`EventRetracted` for ``event_id``; answers known after it ignore the event."""
        return self.append(EventRetracted(target=event_id, reason=reason))[0]

    def correct(self, event_id: str, replacement: Event, reason: str) -> Appended:
        """Retract ``event_id`` and append ``replacement`` in one transaction; return both envelopes.

        The replacement may carry the retracted event's ``natural_key``: it takes its place.
        """
        if not isinstance(replacement, Event) or isinstance(replacement, EventRetracted):
            raise InvalidEvent("replacement", replacement, "expected the corrected event, e.g. PatentsAssigned(...)")
        return self.append(EventRetracted(target=event_id, reason=reason), replacement)

    def refresh(self) -> int:
        """Catch the views up with the log now; return how many events were new to them.

        Appends write only the log; the views (ownership, portfolios, licences,
        bans, anomalies) catch up here, at the end of a :meth:`bulk` block, on
        open, and before any question that finds them behind. Answers never
        depend on whether you call it: call it to pay the catch-up when it suits you.
        """
        return refresh(self._store)

    @contextmanager
    def bulk(self) -> Iterator[Ledger]:
        """Append many events, then catch the views up once, at the end of the block.

        Every ``append`` inside is still its own atomic append, with its own
        recorded time, checks and envelopes; only the views wait. When the block
        brings most of the log, the views are rebuilt from it in one pass, which
        is several times faster than catching them up append by append. Should
        the block end with an error, what was appended stays, and the views
        catch up at the next question or open.
        """
        yield self
        self.refresh()

    def rebuild(self) -> None:
        """Recompute every view from the log (answers do not change; this proves it or repairs a view)."""
        rebuild_all(self._store)

    def view(self, known_at: datetime | str | None = None, registry_at: DateLike | None = None) -> LedgerView:
        """A read-only view pinned to one basis: its answers never change as later events are appended."""
        return LedgerView(self._store, self._basis(known_at, registry_at))

    def plot_timeline(
        self,
        patents: str | Sequence[str] | None = None,
        party: str | None = None,
        path: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> Any:
        """Draw ownership spans and licence/ban bands (see :func:`dealtrack.timeline.plot_timeline`)."""
        from .timeline import plot_timeline  # matplotlib is an optional extra: load it only when asked

        return plot_timeline(self, patents=patents, party=party, path=path, **options)

    def verify(self, anchor: Anchor | str | None = None) -> VerifyReport:
        """Check the whole log (positions, hash chain, stored columns, views in step); truthy when sound.

        With ``anchor`` (an earlier :meth:`head`), also prove the log still extends it.
        """
        return verify_log(self._store, anchor)

    def head(self) -> Anchor:
        """The log's last position and hash: keep it elsewhere; ``verify(anchor=...)`` proves nothing before it changed."""
        return head_anchor(self._store)

    def export_jsonl(self, path: str | os.PathLike[str]) -> int:
        """Write the whole log to ``path`` as JSON Lines (one event and its envelope a line); return the count.

        ``dealtrack.importers.import_jsonl`` reads it back into another ledger
        with the same event ids and recorded times. The file appears whole or not at all.
        """
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise InvalidEvent("path", path, "expected a file path")
        target = os.fspath(path)
        partial = f"{target}.partial"
        count = 0
        try:
            with open(partial, "wb") as out:
                for row in self._store.rows():
                    out.write(codec.envelope_line(row.position, row.event_id, row.recorded_at, row.type,
                                                  row.schema_version, row.payload, row.metadata))
                    count += 1
            os.replace(partial, target)
        except OSError as error:
            raise DealtrackError(f"cannot write {target}: {error}") from None
        return count

    def export_parquet(self, directory: str | os.PathLike[str]) -> dict[str, int]:
        """Write the log and every view as Parquet files into ``directory``; return table name -> rows written.

        ``events.parquet`` holds the log (payloads as JSON text, ``retracted_by``
        from the retractions) and ``<table>.parquet`` each view table, all read
        in one transaction, with the views caught up first. ``directory`` must be
        new or empty: the files are written beside it and renamed into place, so
        they appear whole or not at all. Needs the ``parquet`` extra (pyarrow).
        """
        target = prepare_parquet(directory)  # a missing pyarrow or an occupied folder fails before any work
        self.refresh()
        return write_parquet(self._store, target)


class LedgerView(Questions):
    """A ledger's questions pinned to :attr:`basis`; a question may look further back, never past it."""

    def __init__(self, store: Store, basis: Basis) -> None:
        self._store = store
        self.basis = basis

    def __repr__(self) -> str:
        return f"<LedgerView position={self.basis.position} registry_at={self.basis.registry_at}>"

    def _basis(self, known_at: datetime | str | None, registry_at: DateLike | None) -> Basis:
        asked = super()._basis(known_at, registry_at)
        position = min(asked.position, self.basis.position)
        registries = [day for day in (asked.registry_at, self.basis.registry_at) if day is not None]
        return Basis(position, asked.known_at or self.basis.known_at, min(registries) if registries else None)


def _metadata_json(metadata: dict[str, Any] | None) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidEvent("metadata", metadata, "expected a dict of JSON values")
    try:
        return orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise InvalidEvent("metadata", metadata, f"not JSON-serialisable: {exc}") from None


def _new_keys(store: Store, events: Sequence[Event]) -> tuple[list[Event], list[Skipped]]:
    """Split ``events`` into those to write and those whose natural key the log (or this call) already has.

    A key held by an event that this same call retracts is free again: that is a correction.
    """
    known = store.natural_keys(e.natural_key for e in events if e.natural_key is not None)
    if known:
        retracted = {store.position_of(e.target) for e in events if isinstance(e, EventRetracted)}
        known = {key: position for key, position in known.items() if position not in retracted}
    fresh: list[Event] = []
    skipped: list[Skipped] = []
    position = store.head()[0]
    for event in events:
        key = event.natural_key
        if key is not None and key in known:
            skipped.append(Skipped(event, key, known[key]))
            continue
        fresh.append(event)
        if key is not None:
            known[key] = position + len(fresh)
    return fresh, skipped


def _row(position: int, event_id: str, recorded_at: str, event: Event, metadata: str | None) -> EventRow:
    effective = event.effective
    return EventRow(
        position=position,
        event_id=event_id,
        type=event.type,
        schema_version=codec.SCHEMA_VERSIONS[event.type],
        effective_start=None if effective is None else effective.start.isoformat(),
        effective_end=None if effective is None else effective.end.isoformat(),
        registry_recorded=None if event.registry_recorded is None else event.registry_recorded.isoformat(),
        deal=event.deal,
        stream=stream_of(event),
        recorded_at=recorded_at,
        payload=codec.dumps(event),
        metadata=metadata,
        natural_key=event.natural_key,
        hash="",
    )


