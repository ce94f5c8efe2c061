"""The Ledger: open a log, append events, and ask it questions as of any date."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs
import orjson

from . import codec
from .answers import Anomaly, Portfolio, VerifyReport
from .checks import Checker, stream_of
from .errors import DealtrackError, InvalidEvent
from .events import Event, EventRetracted, Recorded
from .integrity import verify_log
from .projections import ownership
from .projections.history import live_at
from .projections.reader import LogReader
from .projections.runner import apply_all, catch_up, rebuild_all
from .projections.title import Aliases, renamed_names
from .store import EventRow, Store, chain_hash, format_instant, new_event_id, parse_instant_column
from .values import DateLike, Period, normalize_patent, parse_instant, parse_party, parse_period

__all__ = ["Ledger"]


class Ledger:
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
        try:
            store = Store.open(path, synchronous=synchronous)
        except sqlite3.Error as exc:
            raise DealtrackError(f"cannot open {path}: {exc}") from None
        catch_up(store)
        return cls(store, None if path is None else os.fspath(path))

    def close(self) -> None:
        """Close the file; the ledger cannot be used afterwards."""
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ledger {self.path or ':memory:'} events={len(self)}>"

    def __len__(self) -> int:
        return self._store.head()[0]

    @property
    def db(self) -> Any:
        """The file as a :class:`sqlite_utils.Database`, for your own read-only queries."""
        return self._store.db

    # --- writing ------------------------------------------------------------------------

    def append(self, *events: Event, metadata: dict[str, Any] | None = None) -> list[Recorded]:
        """Append ``events`` atomically (all or none) and return their envelopes.

        Events are checked in order, so a later one may refer to an earlier one.
        ``metadata`` (a JSON-ready dict, e.g. who imported what) is stored with each.
        """
        for event in events:
            if not isinstance(event, Event):
                raise InvalidEvent("events", event, "expected dealtrack events, e.g. PatentsAssigned(...)")
        if not events:
            return []
        meta = _metadata_json(metadata)
        store = self._store
        with store.transaction():
            position, previous_hash, _ = store.head()
            moment = store.next_instant()
            recorded_at = format_instant(moment)
            checker = Checker(store)
            rows: list[EventRow] = []
            recorded: list[Recorded] = []
            retractions: list[tuple[int, int]] = []
            for event in events:
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
            store.insert_events(rows)
            store.insert_retractions(retractions)
            apply_all(store, [(r.position, r.event) for r in recorded])
        return recorded

    def retract(self, event_id: str, reason: str) -> Recorded:
        """Append an :class:`EventRetracted` for ``event_id``; answers known after it ignore the event."""
        return self.append(EventRetracted(target=event_id, reason=reason))[0]

    def rebuild(self) -> None:
        """Recompute every view from the log (answers do not change; this proves it or repairs a view)."""
        rebuild_all(self._store)

    # --- reading the log -------------------------------------------------------------------

    def events(
        self,
        *,
        types: str | Sequence[str] | None = None,
        deal: str | None = None,
        after: int = 0,
        known_at: datetime | str | None = None,
    ) -> Iterator[Recorded]:
        """The log in position order, optionally only some ``types``, one ``deal``, positions ``after`` N."""
        clauses: list[str] = ["position > ?", "position <= ?"]
        params: list[Any] = [after, self._known(known_at)]
        if types is not None:
            names = [types] if isinstance(types, str) else list(types)
            for name in names:
                if name not in codec.SCHEMA_VERSIONS:
                    raise InvalidEvent("types", name, f"not an event type; known: {', '.join(codec.SCHEMA_VERSIONS)}")
            clauses.append(f"type IN ({', '.join('?' for _ in names)})")
            params.extend(names)
        if deal is not None:
            clauses.append("deal = ?")
            params.append(deal)
        for row in self._store.rows(" AND ".join(clauses), params):
            yield _recorded(row)

    def get(self, event_id: str) -> Recorded:
        """The envelope of one event by its id."""
        position = self._store.position_of(event_id)
        if position is None:
            raise InvalidEvent("event_id", event_id, "no event with this id is recorded")
        return _recorded(self._store.rows_at([position])[0])

    # --- questions -----------------------------------------------------------------------

    def owners_of(self, patent: str, on: DateLike, known_at: datetime | str | None = None) -> frozenset[str]:
        """Who held title to ``patent`` on ``on`` (a period: anyone who held it at some moment in it)."""
        period = parse_period(on, "on")
        known = self._known(known_at)
        return ownership.owners(self._store.conn, normalize_patent(patent), period.start, period.stop, known)

    def portfolio(self, party: str, on: DateLike, known_at: datetime | str | None = None) -> Portfolio:
        """What ``party`` held on ``on``: listed patents plus undisclosed ones counted from deals."""
        name = parse_party(party, "party")
        period = parse_period(on, "on")
        known = self._known(known_at)
        names = self._names_of(name, period, known)
        patents, undisclosed = ownership.holdings(self._store.conn, names, period.start, period.stop, known)
        return Portfolio(party=name, on=period, patents=patents, undisclosed=undisclosed)

    def anomalies(self, known_at: datetime | str | None = None) -> list[Anomaly]:
        """Everything odd in the record as known at ``known_at``: chain-of-title gaps and the like."""
        cursor = self._store.conn.execute(
            "SELECT a.kind, a.subject, a.position, e.event_id, a.message FROM anomalies a "
            f"JOIN events e ON e.position = a.position WHERE {ownership.KNOWN.replace('known_', 'a.known_')} "
            "ORDER BY a.position, a.subject",
            {"known": self._known(known_at)},
        )
        return [Anomaly(*row) for row in cursor]

    def verify(self) -> VerifyReport:
        """Check the whole log (positions, hash chain, stored columns, views in step); truthy when sound."""
        return verify_log(self._store)

    # --- helpers ----------------------------------------------------------------------------

    def _known(self, known_at: datetime | str | None) -> int:
        """The last position believed at ``known_at`` (everything when None)."""
        if known_at is None:
            return self._store.head()[0]
        return self._store.position_at(parse_instant(known_at, "known_at"))

    def _names_of(self, party: str, period: Period, known: int) -> list[str]:
        """The names ``party`` went by during ``period``, following renames and mergers."""
        log = LogReader(self._store)
        renames = sorted(live_at(log.renames(), log.retracted(), known), key=lambda f: (f[1].effective.start, f[0]))  # type: ignore[union-attr]
        aliases = Aliases()
        names = []
        for _, event in renames:
            assert event.effective is not None
            if event.effective.start > period.start and aliases.canonical(party) not in names:
                names.append(aliases.canonical(party))
            if event.effective.start >= period.stop:
                break
            pair = renamed_names(event)
            assert pair is not None
            aliases.move(*pair)
        if aliases.canonical(party) not in names:
            names.append(aliases.canonical(party))
        return names


def _metadata_json(metadata: dict[str, Any] | None) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise InvalidEvent("metadata", metadata, "expected a dict of JSON values")
    try:
        return orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise InvalidEvent("metadata", metadata, f"not JSON-serialisable: {exc}") from None


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
        hash="",
    )


def _recorded(row: EventRow) -> Recorded:
    return Recorded(
        row.position,
        row.event_id,
        parse_instant_column(row.recorded_at),
        codec.loads(row.type, row.payload, row.schema_version),
    )
