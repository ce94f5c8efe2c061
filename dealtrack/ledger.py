"""The Ledger: open a log, append events, and ask it questions as of any date."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import attrs
import orjson

from . import codec
from .answers import Anomaly, Ban, Encumbrance, Licence, Portfolio, Standing, VerifyReport
from .checks import Checker, stream_of
from .errors import ConcurrencyError, DealtrackError, InvalidEvent
from .events import Appended, BanLifted, BanModified, Event, EventRetracted, Recorded, Skipped
from .integrity import verify_log
from .projections import numbers, ownership, rights
from .projections.history import KNOWN, Fact, live_at, valid_order
from .projections.reader import LogReader
from .projections.runner import apply_all, catch_up, rebuild_all
from .projections.title import Aliases, renamed_names
from .store import EventRow, Store, chain_hash, format_instant, new_event_id, parse_instant_column
from .values import (
    ONE_DAY,
    DateLike,
    Period,
    normalize_patent,
    parse_instant,
    parse_party,
    parse_period,
    parse_territory,
)

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
            if not isinstance(event, Event):
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
                apply_all(store, [(r.position, r.event) for r in recorded])
        return Appended(recorded, skipped)

    def export_jsonl(self, path: str | os.PathLike[str]) -> int:
        """Write the whole log to ``path`` as JSON Lines (one event and its envelope a line); return the count.

        ``dealtrack.importers.import_jsonl`` reads it back into another ledger
        with the same event ids and recorded times. The file appears whole or not at all.
        """
        target = os.fspath(path)
        partial = f"{target}.partial"
        count = 0
        with open(partial, "wb") as out:
            for row in self._store.rows():
                out.write(codec.envelope_line(row.position, row.event_id, row.recorded_at, row.type,
                                              row.schema_version, row.payload, row.metadata))
                count += 1
        os.replace(partial, target)
        return count

    def _restore(self, envelopes: Sequence[codec.Envelope]) -> Appended:
        """Append logged events keeping their event ids, recorded times, payloads and metadata (all or none).

        Checked like any append and hash-chained onto this log; an event id
        already in the log is skipped (``Skipped.natural_key`` is then the id).
        Recorded times must not go back before the log's last one.
        Used by :func:`dealtrack.importers.import_jsonl`.
        """
        store = self._store
        with store.transaction():
            position, previous_hash, last = store.head()
            present = store.existing_event_ids(e.event_id for e in envelopes)
            checker = Checker(store)
            rows: list[EventRow] = []
            recorded: list[Recorded] = []
            retractions: list[tuple[int, int]] = []
            skipped: list[Skipped] = []
            for envelope in envelopes:
                if envelope.event_id in present:
                    skipped.append(Skipped(envelope.event, envelope.event_id, present[envelope.event_id]))
                    continue
                stamp = format_instant(envelope.recorded_at)
                if last is not None and stamp < last:
                    raise InvalidEvent("recorded_at", stamp, f"is before the log's last recorded time ({last})")
                position += 1
                target = checker.check(position, envelope.event_id, envelope.event)
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
                apply_all(store, [(r.position, r.event) for r in recorded])
        return Appended(recorded, skipped)

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
        return ownership.owners(self._store.conn, self._patent_id(patent), period.start, period.stop, known)

    def portfolio(self, party: str, on: DateLike, known_at: datetime | str | None = None) -> Portfolio:
        """What ``party`` held on ``on``: listed patents plus undisclosed ones counted from deals."""
        name = parse_party(party, "party")
        period = parse_period(on, "on")
        known = self._known(known_at)
        names = self._names_of(name, period, known)
        patents, undisclosed = ownership.holdings(self._store.conn, names, period.start, period.stop, known)
        return Portfolio(party=name, on=period, patents=patents, undisclosed=undisclosed)

    def licensees_of(
        self,
        patent: str,
        on: DateLike,
        territory: str | None = None,
        known_at: datetime | str | None = None,
    ) -> frozenset[str]:
        """Who held a live licence covering ``patent`` on ``on`` (in ``territory``, if given)."""
        period, known = parse_period(on, "on"), self._known(known_at)
        patent_id = self._patent_id(patent)
        where = None if territory is None else parse_territory(territory)
        aliases = self._aliases_at(period.end, known)
        return frozenset(
            aliases.canonical(licence.licensee)
            for licence in self._licences_covering(patent_id, period, known)
            if licence.covers(where)
        )

    def is_licensed(
        self,
        party: str,
        patent: str,
        on: DateLike,
        territory: str,
        known_at: datetime | str | None = None,
    ) -> bool:
        """True when ``party`` owns ``patent`` or holds a live licence covering it in ``territory``."""
        period, known = parse_period(on, "on"), self._known(known_at)
        names = set(self._names_of(parse_party(party, "party"), period, known))
        if self.owners_of(patent, period, known_at) & names:
            return True
        return bool(self.licensees_of(patent, period, parse_territory(territory), known_at) & names)

    def active_bans(
        self,
        *,
        against: str | None = None,
        on: DateLike,
        territory: str | None = None,
        product: str | None = None,
        known_at: datetime | str | None = None,
    ) -> list[Ban]:
        """Sales bans in force on ``on``; with ``product=``, a ban exempting that product is left out."""
        period, known = parse_period(on, "on"), self._known(known_at)
        where = None if territory is None else parse_territory(territory)
        names = None if against is None else set(self._names_of(parse_party(against, "against"), period, known))
        if product is not None and (not isinstance(product, str) or not product.strip()):
            raise InvalidEvent("product", product, "a product is a non-empty string")
        aliases = self._aliases_at(period.end, known)
        found = []
        for _, ban in rights.bans_during(self._store.conn, period.start, period.stop, known):
            parties = tuple(dict.fromkeys(aliases.canonical(name) for name in ban.against))
            if names is not None and not names & (set(parties) | set(ban.against)):
                continue
            if where is not None and where not in ban.territory and "WORLD" not in ban.territory:
                continue
            if product is not None and (
                (ban.products is not None and product not in ban.products) or product in ban.exempt_products
            ):
                continue
            found.append(attrs.evolve(ban, against=parties))
        return found

    def encumbrances(self, patent: str, on: DateLike, known_at: datetime | str | None = None) -> list[Encumbrance]:
        """Live security interests on ``patent`` and the licences covering it, on ``on``."""
        period, known = parse_period(on, "on"), self._known(known_at)
        patent_id = self._patent_id(patent)
        found = rights.security_interests_on(self._store.conn, patent_id, period.start, period.stop, known)
        found += [
            Encumbrance("licence", patent_id, holder=licence.licensee, grantor=licence.licensor,
                        reference=licence.licence_id, valid_from=licence.valid_from, valid_to=licence.valid_to)
            for licence in self._licences_covering(patent_id, period, known)
        ]
        return found

    def standing(
        self,
        party: str,
        on: DateLike,
        territory: str | None = None,
        known_at: datetime | str | None = None,
    ) -> Standing:
        """One report of ``party``'s position: holdings, licences in and out, and bans against it."""
        period, known = parse_period(on, "on"), self._known(known_at)
        name = parse_party(party, "party")
        where = None if territory is None else parse_territory(territory)
        names = set(self._names_of(name, period, known))
        aliases = self._aliases_at(period.end, known)
        licences = [
            licence
            for licence in rights.licences_during(self._store.conn, period.start, period.stop, known)
            if licence.covers(where)
        ]
        return Standing(
            party=name,
            on=period,
            territory=where,
            portfolio=self.portfolio(name, period, known_at),
            licences_in=tuple(lic for lic in licences if aliases.canonical(lic.licensee) in names),
            licences_out=tuple(lic for lic in licences if aliases.canonical(lic.licensor) in names),
            bans=tuple(self.active_bans(against=name, on=period, territory=where, known_at=known_at)),
        )

    def anomalies(self, known_at: datetime | str | None = None) -> list[Anomaly]:
        """Everything odd in the record as known at ``known_at``: title gaps, clashing licences and the like."""
        known = self._known(known_at)
        found = [
            (row[0], row[1], row[2], row[3])
            for row in self._store.conn.execute(
                "SELECT kind, subject, position, message FROM anomalies "
                f"WHERE {KNOWN} ORDER BY position, subject",
                {"known": known},
            )
        ]
        found += self._rights_anomalies(known)
        ids = dict(self._store.conn.execute(
            f"SELECT position, event_id FROM events WHERE position IN ({', '.join(str(f[2]) for f in found) or 'NULL'})"
        ))
        return [Anomaly(kind, subject, position, ids[position], message)
                for kind, subject, position, message in sorted(found, key=lambda f: (f[2], f[1]))]

    def verify(self) -> VerifyReport:
        """Check the whole log (positions, hash chain, stored columns, views in step); truthy when sound."""
        return verify_log(self._store)

    # --- helpers ----------------------------------------------------------------------------

    def _patent_id(self, patent: str) -> str:
        """The id the views keep ``patent`` under: any spelling, and an application's grant number once linked."""
        return numbers.property_of(self._store.conn, normalize_patent(patent))

    def _known(self, known_at: datetime | str | None) -> int:
        """The last position believed at ``known_at`` (everything when None)."""
        if known_at is None:
            return self._store.head()[0]
        return self._store.position_at(parse_instant(known_at, "known_at"))

    def _aliases_at(self, day: date, known: int, renames: list[Fact] | None = None) -> Aliases:
        """Party names as the renames and mergers in effect on ``day`` (as known at ``known``) left them.

        Pass ``renames`` (from :meth:`_renames`) when asking for many days, to read them once.
        """
        aliases = Aliases()
        for _, event in self._renames(known) if renames is None else renames:
            assert event.effective is not None
            if event.effective.start > day:
                break
            aliases.move(*(renamed_names(event) or ()))
        return aliases

    def _renames(self, known: int) -> list[Fact]:
        """The renames and mergers believed at ``known``, in valid-time order."""
        log = LogReader(self._store)
        return sorted(live_at(log.renames(), log.retracted(), known), key=valid_order)

    def _licences_covering(self, patent: str, period: Period, known: int) -> list[Licence]:
        """Licences live in ``period`` that cover ``patent``: listed, or in the licensor's portfolio then."""
        covering = []
        renames = self._renames(known)
        names = set(numbers.numbers_of(self._store.conn, patent))  # a licence may list any number of the property
        for licence in rights.licences_during(self._store.conn, period.start, period.stop, known):
            if licence.patents is not None:
                if not names.isdisjoint(licence.patents):
                    covering.append(licence)
                continue
            start = licence.valid_from
            holders = ownership.owners(self._store.conn, patent, start, start + ONE_DAY, known)
            if self._aliases_at(start, known, renames).canonical(licence.licensor) in holders:
                covering.append(licence)
        return covering

    def _rights_anomalies(self, known: int) -> list[tuple[str, str, int, str]]:
        """Exclusive licences that clash, licences on patents the licensor did not hold, ban changes before bans."""
        conn = self._store.conn
        found: list[tuple[str, str, int, str]] = []
        licences = rights.licences_during(conn, date.min, date.max, known)
        positions = rights.licence_positions(conn, known)
        renames = self._renames(known)
        exclusive = [lic for lic in licences if lic.exclusive]
        for i, first in enumerate(exclusive):
            for second in exclusive[i + 1:]:
                if _licences_clash(first, second):
                    later = max(positions[first.licence_id], positions[second.licence_id])
                    found.append(("exclusive_overlap", f"{first.licence_id} / {second.licence_id}", later,
                                  f"exclusive licences {first.licence_id} and {second.licence_id} overlap "
                                  "in patents, territory, field and time"))
        for licence in licences:
            for patent in licence.patents or ():
                day = licence.valid_from
                holders = ownership.owners(conn, patent, day, day + ONE_DAY, known)
                licensor = self._aliases_at(day, known, renames).canonical(licence.licensor)
                if holders and licensor not in holders:
                    found.append(("licence_without_title", patent, positions[licence.licence_id],
                                  f"{licence.licensor} licensed {patent} on {day} ({licence.licence_id}), "
                                  f"but the known holder then was {' and '.join(sorted(holders))}"))
        starts = rights.ban_starts(conn, known)
        retracted = LogReader(self._store).retracted()
        for row in self._store.rows("type IN ('BanModified', 'BanLifted') AND position <= ?", [known]):
            if retracted.get(row.position, known + 1) <= known:
                continue
            change = codec.loads(row.type, row.payload, row.schema_version)
            assert isinstance(change, (BanModified, BanLifted)) and change.effective is not None
            start = starts.get(change.ban_id)
            if start is not None and change.effective.start < start:
                found.append(("ban_change_before_ban", change.ban_id, row.position,
                              f"{change.type} of {change.ban_id} is dated {change.effective}, "
                              f"before the ban took effect ({start})"))
        return found

    def _names_of(self, party: str, period: Period, known: int) -> list[str]:
        """The names ``party`` went by during ``period``, following renames and mergers."""
        aliases = Aliases()
        names = []
        for _, event in self._renames(known):
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


def _new_keys(store: Store, events: Sequence[Event]) -> tuple[list[Event], list[Skipped]]:
    """Split ``events`` into those to write and those whose natural key the log (or this call) already has."""
    known = store.natural_keys(e.natural_key for e in events if e.natural_key is not None)
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


def _recorded(row: EventRow) -> Recorded:
    return Recorded(
        row.position,
        row.event_id,
        parse_instant_column(row.recorded_at),
        codec.loads(row.type, row.payload, row.schema_version),
    )


def _licences_clash(first: Licence, second: Licence) -> bool:
    """Two licences overlap in time, territory, field of use and patents."""
    if first.licence_id == second.licence_id:
        return False
    if (first.valid_to is not None and first.valid_to <= second.valid_from) or (
        second.valid_to is not None and second.valid_to <= first.valid_from
    ):
        return False
    places = set(first.territory) & set(second.territory)
    if not places and "WORLD" not in first.territory and "WORLD" not in second.territory:
        return False
    if first.field is not None and second.field is not None and first.field != second.field:
        return False
    if first.patents is None or second.patents is None:
        return first.licensor == second.licensor
    return bool(set(first.patents) & set(second.patents))
