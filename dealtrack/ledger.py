"""The Ledger: open a log, append events, and ask it questions as of any date."""

from __future__ import annotations

import os
from contextlib import contextmanager, suppress
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson

from . import codec, idempotency, limits, tables
from .answers import Anchor, Basis, VerifyReport
from .checks import Checker, stream_of
from .errors import ConcurrencyError, DealtrackError, InvalidEvent, LedgerBusy, LedgerFileError, LedgerReadOnly
from .events import EVENT_TYPES, Appended, Event, EventRetracted, Recorded, Skipped
from .sqlite import trust
from .sqlite.guard import typed_errors
from .integrity import head_anchor, verify_log
from .parquet import export as write_parquet, prepare as prepare_parquet
from .projections.runner import catch_up, is_behind, rebuild_all, refresh, views_behind
from .projections.tail import appended as append_to_tail
from .questions import Questions
from .storage import hash_values
from .sqlite.store import Store, StorageError, format_instant, is_lock_error, new_event_ids, parse_instant_column
from .values import DateLike

__all__ = ["Ledger", "LedgerView"]


def _writable(path: str | os.PathLike[str]) -> bool:
    """Whether dealtrack may write ``path`` (a WAL ledger also writes files beside it, in its folder)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return False
    return os.access(folder, os.W_OK)


class Ledger(Questions):
    """An append-only log of patent deals in one SQLite file (or a PostgreSQL schema), and the questions it answers.

    Open one with :meth:`Ledger.open`; use it as a context manager to close it.
    """

    def __init__(self, store: Store, path: str | None) -> None:
        self._store = store
        self.path = path

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        synchronous: str = "NORMAL",
        readonly: bool = False,
        schema: str | None = None,
    ) -> Ledger:
        """Open or create the ledger at ``path``; ``None`` keeps it in memory.

        ``path`` may also be a PostgreSQL URL (``"postgresql://user@host:5432/dbname"``,
        any libpq URL; the ``postgres`` extra): the same ledger in a database that
        writers on several machines share, in ``schema`` (one ledger per schema;
        by default the first of the connection's ``search_path``, normally ``public``).

        File ledgers use WAL with ``synchronous=NORMAL``: a power cut may lose
        the last commits but never corrupts the file. Pass ``"FULL"`` to make
        every append durable before it returns, at some cost in speed.
        With ``readonly=True`` (automatic when the file or its folder is not
        writable) every question is answered and nothing is written to the file.
        A file holding triggers, views or indexes dealtrack did not create is
        refused with :class:`LedgerFileError` before any of them can run.
        """
        if not isinstance(readonly, bool):
            raise InvalidEvent("readonly", readonly, "expected True or False")
        if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
            return cls._open_postgres(path, schema=schema, readonly=readonly)
        if schema is not None:
            raise InvalidEvent("schema", schema, "only a PostgreSQL ledger has schemas; a SQLite file is one ledger")
        path = limits.check_path(path)
        readonly = readonly or (path is not None and not _writable(path))
        store = None
        try:
            store = Store.open(path, synchronous=synchronous, readonly=readonly, inspect=trust.refuse_foreign_objects)
            if store.readonly and is_behind(store):
                store = store.copied_to_memory()  # its views are caught up in memory, never in the file
            catch_up(store)
        except StorageError as exc:
            if store is not None:
                store.close()
            if is_lock_error(exc):
                raise LedgerBusy(f"{path} is locked by another program ({exc}); try again when it lets go") from None
            raise LedgerFileError(f"cannot open {path}: {exc}") from None
        except BaseException:
            if store is not None:  # closed, so that no -wal/-shm file is left beside a file refused
                store.close()
            raise
        return cls(store, None if path is None else os.fspath(path))

    @classmethod
    def _open_postgres(cls, url: str, *, schema: str | None, readonly: bool) -> Ledger:
        try:
            from .postgres.store import PostgresStore, redact
        except ImportError as exc:
            raise LedgerFileError(f"a PostgreSQL ledger needs psycopg: pip install 'dealtrack[postgres]' ({exc})") from None
        store: Store = PostgresStore.open_url(url, schema=schema, readonly=readonly)
        try:
            if store.readonly and is_behind(store):
                store = store.copied_to_memory()  # its views are caught up in memory, never in the database
            catch_up(store)
        except BaseException as exc:
            store.close()
            if PostgresStore.is_lock_error(exc):
                raise LedgerBusy(f"{redact(url)} is locked by another writer; try again when it lets go") from None
            raise
        return cls(store, redact(url))

    def close(self) -> None:
        """Catch the views up (so the file browses up to date in ``sqlite3`` or Datasette) and close it.

        The ledger cannot be used afterwards. Should the catch-up fail (another
        writer holds the file, say), the views catch up on the next open instead.
        """
        try:
            if self.path is not None and not self._store.readonly:  # (in memory: gone with its connection)
                refresh(self._store)
        except (DealtrackError, self._store.Error):
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
        if self._store.dialect != "sqlite":
            raise DealtrackError("Ledger.db is a SQLite file's; query a PostgreSQL ledger with psycopg or psql")
        self.refresh()
        return self._store.db

    # --- writing ------------------------------------------------------------------------

    def append(
        self,
        *events: Event,
        metadata: dict[str, Any] | None = None,
        expected_position: int | None = None,
        idempotency_key: str | None = None,
    ) -> Appended:
        """Append ``events`` atomically (all or none) and return their envelopes.

        Events are checked in order, so a later one may refer to an earlier one.
        An event whose ``natural_key`` is already in the log (or earlier in this
        call) is left out and listed in the result's ``skipped``.
        ``metadata`` (a JSON-ready dict, e.g. who imported what) is stored with each.
        With ``expected_position``, raise :class:`ConcurrencyError` and write
        nothing unless the log still ends there.
        With ``idempotency_key`` (the caller's name for this call), a retry of
        the same events with the same key writes nothing and returns the first
        call's envelopes; other events with a used key raise :class:`IdempotencyConflict`.
        """
        self._refuse_if_readonly()
        if len(events) > limits.MAX_EVENTS_PER_APPEND:
            raise InvalidEvent("events", f"<{len(events)} events>", f"more than {limits.MAX_EVENTS_PER_APPEND} in one append")
        for event in events:
            if not isinstance(event, Event) or EVENT_TYPES.get(type(event).__name__) is not type(event):
                raise InvalidEvent("events", event, "expected dealtrack events, e.g. PatentsAssigned(...)")
            limits.check_event(event)
        key = None if idempotency_key is None else limits.check_key(idempotency_key, "idempotency_key")
        if expected_position is not None and (
            isinstance(expected_position, bool) or not isinstance(expected_position, int) or expected_position < 0
        ):
            raise InvalidEvent("expected_position", expected_position, "expected a position (a whole number >= 0)")
        meta = _metadata_json(metadata)
        store = self._store
        changes = store.change_count()
        with store.transaction():
            position, previous_hash, last = store.head()
            if key is not None:
                digest = idempotency.digest(events, meta)
                earlier = idempotency.replay(store, key, digest)
                if earlier is not None:
                    return earlier
            if expected_position is not None and expected_position != position:
                raise ConcurrencyError(expected_position, position)
            if not events:
                return Appended()
            fresh, skipped = _new_keys(store, events, position)
            moment = store.next_instant(last)
            recorded_at = format_instant(moment)
            checker = Checker(store)
            checker.read_streams(fresh)
            rows: list[tuple[Any, ...]] = []
            recorded: list[Recorded] = []
            retractions: list[tuple[int, int]] = []
            for event, event_id in zip(fresh, new_event_ids(moment, len(fresh))):
                position += 1
                target = checker.check(position, event_id, event)
                if target is not None:
                    retractions.append((target, position))
                row = _row(position, event_id, recorded_at, event, meta, previous_hash)
                previous_hash = row[-1]
                rows.append(row)
                recorded.append(Recorded(position, event_id, moment, event))
            if rows:
                store.insert_event_values(rows)
                store.insert_retractions(retractions)
            if key is not None:
                store.remember_append(key, digest, [r.position for r in recorded])
        if recorded:  # the next question finds the views behind by these events: hand them to the tail it folds
            store.appended_to(recorded[-1].position, changes)
            append_to_tail(store, recorded, recorded_at)
        return Appended(recorded, skipped)

    def _atomic(self) -> Any:
        """A transaction that appends inside it join: all of them land or none (e.g. an import's
        record and its retraction)."""
        self._refuse_if_readonly()
        return self._store.transaction()

    def _catch_up(self) -> None:
        """Catch the views up before a question (see :meth:`refresh`)."""
        self.refresh()

    def _refuse_if_readonly(self) -> None:
        if self._store.readonly:
            raise LedgerReadOnly(f"{self.path or 'this ledger'} was opened read-only (readonly=True, or the file or "
                                 "its folder is not writable): nothing was written")

    def _restore(self, envelopes: Sequence[codec.Envelope]) -> tuple[Appended, tuple[int, InvalidEvent] | None]:
        """Append logged events keeping their event ids, recorded times, payloads and metadata.

        Checked like any append and hash-chained onto this log; an event id
        already in the log is skipped (``Skipped.natural_key`` is then the id).
        Recorded times must not go back before the log's last one. The events
        before the first one refused are appended in one transaction; returns
        them, and the refused one's index in ``envelopes`` with the error.
        Used by :func:`dealtrack.importers.import_jsonl`.
        """
        self._refuse_if_readonly()
        store = self._store
        with store.transaction():
            position, previous_hash, last = store.head()
            present = store.positions_of(e.event_id for e in envelopes)
            checker = Checker(store)
            checker.read_streams(e.event for e in envelopes)
            rows: list[tuple[Any, ...]] = []
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
                    limits.check_recorded_at(envelope.recorded_at)
                    limits.check_event(envelope.event)
                    if last is not None and stamp < last:
                        raise InvalidEvent("recorded_at", stamp, f"is before the log's last recorded time ({last})")
                    target = checker.check(position + 1, envelope.event_id, envelope.event)
                except InvalidEvent as error:
                    refused = (index, error)
                    break
                position += 1
                if target is not None:
                    retractions.append((target, position))
                row = _row(position, envelope.event_id, stamp, envelope.event, envelope.metadata, previous_hash,
                           (envelope.payload, envelope.schema_version))
                previous_hash, last = row[-1], stamp
                present[envelope.event_id] = position
                rows.append(row)
                recorded.append(Recorded(position, envelope.event_id, parse_instant_column(stamp), envelope.event))
            if rows:
                store.insert_event_values(rows)
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
        open, and before any question that finds them behind (unless they trail by a
        short tail of events the question can fold itself). Answers never depend on
        whether you call it: call it to pay the catch-up when it suits you.
        """
        store = self._store
        if not store.readonly:
            return refresh(store)
        head, views = store.views_position()
        if views == head:
            return 0
        self._store = store.copied_to_memory()  # a read-only ledger catches up in a copy in memory, never the file
        catch_up(self._store)
        return head - (views or 0)

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
        """Recompute every view from the log and restore the log's triggers (answers do not change; this
        proves it or repairs a view)."""
        self._refuse_if_readonly()
        with self._store.transaction():
            self._store.ensure_triggers(repair=True)
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

    def verify(self, anchor: Anchor | str | None = None, *, full: bool = True) -> VerifyReport:
        """Check the whole log (positions, hash chain, stored columns, views in step); truthy when sound.

        With ``anchor`` (an earlier :meth:`head`), also prove the log still extends it.
        Also checks the log's triggers, SQL the file holds that dealtrack did not
        make, and SQLite's ``integrity_check``; ``full`` (the default) recounts
        every view from the log, ``full=False`` skips that for speed. Views
        that trail the log together (appends not yet caught up) are caught up
        first; a read-only ledger's are compared with a recount of the log as
        far as they have read it. Views out of step with each other are
        reported, not repaired.
        """
        if not isinstance(full, bool):
            raise InvalidEvent("full", full, "expected True or False")
        store = self._store
        if not store.readonly:
            head, views = store.views_position()
            if views is not None and views != head:
                with suppress(DealtrackError):  # a log that cannot be folded is what the checks below report
                    refresh(store)
        return verify_log(store, anchor, full)

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
        if views_behind(self._store):
            self._catch_up()  # (in memory, for a read-only ledger)
        return write_parquet(self._store, target)


class LedgerView(Questions):
    """A ledger's questions pinned to :attr:`basis`; a question may look further back, never past it."""

    _at_current = False  # (every question's basis goes through _basis: it is pinned to ``basis``)

    def __init__(self, store: Store, basis: Basis) -> None:
        self._store = store
        self.basis = basis

    def __repr__(self) -> str:
        return f"<LedgerView position={self.basis.position} registry_at={self.basis.registry_at}>"

    def _basis(self, known_at: datetime | str | None, registry_at: DateLike | None, head: int | None = None) -> Basis:
        asked = super()._basis(known_at, registry_at, head)
        position = min(asked.position, self.basis.position)
        registries = [day for day in (asked.registry_at, self.basis.registry_at) if day is not None]
        return Basis(position, asked.known_at or self.basis.known_at, min(registries) if registries else None)


def _metadata_json(metadata: dict[str, Any] | None) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidEvent("metadata", metadata, "expected a dict of JSON values")
    limits.check_value(metadata, "metadata")
    try:
        return orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise InvalidEvent("metadata", metadata, f"not JSON-serialisable: {exc}") from None


def _new_keys(store: Store, events: Sequence[Event], head: int) -> tuple[list[Event], list[Skipped]]:
    """Split ``events`` into those to write and those whose natural key the log (ending at ``head``) or this call
    already has.

    A key held by an event that this same call retracts is free again: that is a correction.
    """
    known = store.natural_keys(e.natural_key for e in events if e.natural_key is not None)
    if known:
        retracted = {store.position_of(e.target) for e in events if isinstance(e, EventRetracted)}
        known = {key: position for key, position in known.items() if position not in retracted}
    fresh: list[Event] = []
    skipped: list[Skipped] = []
    for event in events:
        key = event.natural_key
        if key is not None and key in known:
            skipped.append(Skipped(event, key, known[key]))
            continue
        fresh.append(event)
        if key is not None:
            known[key] = head + len(fresh)
    return fresh, skipped


def _row(
    position: int,
    event_id: str,
    recorded_at: str,
    event: Event,
    metadata: str | None,
    previous_hash: str,
    stored: tuple[str, int] | None = None,
) -> tuple[Any, ...]:
    """The row ``event`` is stored as, hash-chained onto ``previous_hash``: its columns in ``EVENT_COLUMNS`` order,
    the tuple the store inserts (its last column the hash).

    ``stored``: the ``(payload, schema_version)`` a restored event was logged with, kept as they were.
    """
    effective = event.effective
    payload, version = stored if stored is not None else (codec.dumps(event), codec.SCHEMA_VERSIONS[event.type])
    registry = event.registry_recorded
    values: list[Any] = [  # the hashed columns, in the order of EventRow (all but natural_key and hash)
        position,
        event_id,
        event.type,
        version,
        None if effective is None else effective.start.isoformat(),
        None if effective is None else effective.end.isoformat(),
        None if registry is None else registry.isoformat(),
        event.deal,
        stream_of(event),
        recorded_at,
        payload,
        metadata,
    ]
    return (*values, event.natural_key, hash_values(previous_hash, values))


typed_errors(Ledger)
typed_errors(LedgerView)
