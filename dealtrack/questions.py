"""The questions a ledger answers, on any basis: valid time ``on``, ``known_at`` and ``registry_at``.

:class:`Questions` is shared by :class:`~dealtrack.ledger.Ledger` (which
answers on the basis each call asks for) and :class:`~dealtrack.ledger.LedgerView`
(pinned to one basis). Every question reads the views through a
:class:`~dealtrack.projections.reading.Reading` of that basis.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, TypeVar, cast


from . import codec
from .answers import (
    Anomalies,
    Anomaly,
    Ban,
    Bans,
    Basis,
    Encumbrance,
    Encumbrances,
    EventLog,
    Explanation,
    Licence,
    Licences,
    OwnersByPatent,
    Licensees,
    Parties,
    Party,
    Portfolio,
    Span,
    Standing,
    TitleChain,
    Transfer,
    Transfers,
)
from .errors import InvalidEvent, LedgerReadOnly
from .events import BanLifted, BanModified, PatentsAssigned, Recorded
from .parties import party_key
from .projections.history import Fact
from .projections.reading import Reading, RefoldedReading, StoredReading
from .projections.rights import BANS, LICENCES, as_list, ban_from_row, licence_from_row
from .projections.runner import refresh
from .projections.tail import read_tail, tail_reading
from .projections.title import Aliases, renamed_names, title_spans
from .sqlite.store import Store, parse_instant_column
from .values import (
    ONE_DAY,
    DateLike,
    Period,
    normalize_patent,
    parse_instant,
    parse_party,
    parse_period,
    parse_territory,
    storable,
)

__all__ = ["Questions"]

Instant = datetime | str | None
Day = DateLike | None


_Q = TypeVar("_Q", bound=Callable[..., Any])

#: At most this many basis positions keep a reading between questions (then they start again).
_KEPT_READINGS = 64

#: The one-day periods questions asked about (a Period is immutable): ``date -> Period``, at most 20,000 days.
_DAYS: dict[date, Period] = {}


#: The territories questions asked about, as given -> :func:`~dealtrack.values.parse_territory` of it (at most 1,000).
_TERRITORIES: dict[str, str] = {}


def _territory(value: str) -> str:
    """:func:`~dealtrack.values.parse_territory` of a question's ``territory`` (a valid one kept)."""
    found = _TERRITORIES.get(value) if type(value) is str else None
    if found is None:
        found = parse_territory(value)
        if type(value) is str:
            if len(_TERRITORIES) >= 1_000:
                _TERRITORIES.clear()
            _TERRITORIES[value] = found
    return found


def _on(value: DateLike) -> Period:
    """:func:`~dealtrack.values.parse_period` of a question's ``on`` (a plain date's period kept)."""
    if type(value) is not date:  # (a datetime counts as its day: parsed)
        return parse_period(value, "on")
    found = _DAYS.get(value)
    if found is None:
        if len(_DAYS) >= 20_000:
            _DAYS.clear()
        found = _DAYS[value] = parse_period(value, "on")
    return found


def _one_read(question: _Q) -> _Q:
    """Run ``question`` in one read transaction (:meth:`~dealtrack.sqlite.store.Store.begin_question_read`)."""

    @functools.wraps(question)
    def in_one_read(self: Questions, *args: Any, **kwargs: Any) -> Any:
        store = self._store
        if not store.begin_question_read():
            return question(self, *args, **kwargs)
        try:
            return question(self, *args, **kwargs)
        finally:
            store.end_question_read()

    return cast(_Q, in_one_read)


class Questions:
    """Who owned, licensed or was barred from what, on ``on``, as known at ``known_at``,
    as the register showed it on ``registry_at``."""

    _store: Store
    #: a question at current knowledge with no registry date is asked on the head (False: the basis may be pinned)
    _at_current = True

    # --- the basis ------------------------------------------------------------------------

    def _basis(self, known_at: Instant, registry_at: Day, head: int | None = None) -> Basis:
        """The basis a question asks for (everything recorded so far, when both are None).

        ``head``: the log's head position, when the caller has just read it.
        """
        moment = None if known_at is None else self._moment(known_at)
        if moment is not None:
            position = self._position_at(moment, head)
        else:
            position = self._store.head()[0] if head is None else head
        registry = None if registry_at is None else parse_period(registry_at, "registry_at").end
        return Basis(position, moment, registry)

    def _moment(self, known_at: Instant) -> datetime:
        """``known_at`` parsed (:func:`~dealtrack.values.parse_instant`): the same text always names the same
        moment, so a text is parsed once per connection (a question asked again at the same ``known_at``)."""
        if type(known_at) is not str:
            return parse_instant(known_at, "known_at")
        kept: dict[str, datetime] = self._store.memo.setdefault("moments", {})
        found = kept.get(known_at)
        if found is None:
            found = parse_instant(known_at, "known_at")  # (bad text raises, and is not kept)
            if len(kept) >= 10_000:
                kept.clear()
            kept[known_at] = found
        return found

    def _position_at(self, moment: datetime, head: int | None) -> int:
        """The last position recorded by ``moment``: kept per head (recorded times never decrease along the
        log, so only an append can change it), a look-up for each new ``known_at``."""
        if head is None:
            return self._store.position_at(moment)
        kept: tuple[int, dict[datetime, int]] | None = self._store.memo.get("position_at")
        if kept is None or kept[0] != head or len(kept[1]) > 10_000:
            kept = self._store.memo["position_at"] = (head, {})
        found = kept[1].get(moment)
        if found is None:
            found = kept[1][moment] = self._store.position_at(moment)
        return found

    def _catch_up(self) -> None:
        """Catch the views up with the log, before a question that found them behind."""
        if self._store.readonly:
            raise LedgerReadOnly("another program appended to this ledger since it was opened read-only, and "
                                 "its views cannot catch up in a read-only file: open it again")
        refresh(self._store)

    def _reading(self, known_at: Instant, registry_at: Day) -> Reading:
        # one read says where the log and the views stand; the head it gives is the basis of a question
        # at current knowledge, and keys what the reading may keep between questions (store.memo)
        head, views = self._store.views_position()
        key = self._store.views_key
        if views == head and known_at is None and registry_at is None and self._at_current:
            return self._stored_reading(head, head, key)  # (the basis is the head: nothing to parse or pin)
        if views != head:  # appends write only the log: the views catch up before they answer ...
            # ... unless they trail it by a short tail of events that touch only their own keys: those keys are
            # folded at question time, and nothing is written (at current knowledge, on no registry date)
            if known_at is None and registry_at is None and views is not None:
                basis = self._basis(None, None, head)  # (a view of the ledger may be pinned to an earlier one)
                tail = read_tail(self._store, head, views) if basis == Basis(head, None, None) else None
                if tail is not None:
                    return tail_reading(self._store, head, tail)
            self._store.end_question_read()  # (the catch-up writes: the question's read transaction ends first)
            self._catch_up()
            head, key = self._store.head()[0], None
        basis = self._basis(known_at, registry_at, head)
        if basis.registry_at is None:
            return self._stored_reading(basis.position, head, key)
        return RefoldedReading(self._store, basis.position, basis.registry_at, head)

    def _stored_reading(self, position: int, head: int, key: tuple[int, int] | None) -> StoredReading:
        """The stored views read at ``position``: one reading kept per basis position between questions while
        :meth:`~dealtrack.sqlite.store.Store.views_position` finds the same key (nothing written to the file since,
        by this connection or any other), so its log facts (renames, retractions) and objects are not made again.

        What a question read of the view rows is not kept from one question to the next (:meth:`StoredReading.next_question`).
        """
        store = self._store
        if key is None:  # (``key``: what views_position() just said it holds under; None when it kept nothing)
            return StoredReading(store, position, head)
        kept: tuple[tuple[int, int], int, dict[int, StoredReading]] | None = store.memo.get("readings")
        if kept is None or kept[0] != key or kept[1] != head or len(kept[2]) >= _KEPT_READINGS:
            kept = store.memo["readings"] = (key, head, {})
        reading = kept[2].get(position)
        if reading is None:
            reading = kept[2][position] = StoredReading(store, position, head)
        else:
            reading.next_question()
        return reading

    # --- the log -------------------------------------------------------------------------------

    def events(
        self,
        *,
        types: str | Sequence[str] | None = None,
        deal: str | None = None,
        after: int = 0,
        known_at: Instant = None,
        registry_at: Day = None,
    ) -> EventLog:
        """The log in position order, optionally only some ``types``, one ``deal``, positions ``after`` N.

        With ``registry_at``, only events a register showed by then (and retractions).
        Read lazily; ``.to_rows()`` / ``.to_frame()`` turn what is left of it into a table.
        """
        if isinstance(after, bool) or not isinstance(after, int) or not -(2**63) <= after < 2**63:
            raise InvalidEvent("after", after, "expected a position (a whole number)")
        if deal is not None:
            if not isinstance(deal, str):
                raise InvalidEvent("deal", deal, "expected a deal id (a string)")
            storable(deal, "deal")
        basis = self._basis(known_at, registry_at)
        clauses: list[str] = ["position <= ?"]  # the pages start after ``after``
        params: list[Any] = [basis.position]
        if basis.registry_at is not None:
            clauses.append("(effective_start IS NULL OR COALESCE(registry_recorded, effective_start) <= ?)")
            params.append(basis.registry_at.isoformat())
        if types is not None:
            if not isinstance(types, (str, list, tuple, set, frozenset)):
                raise InvalidEvent("types", types, "expected an event type name or a list of them")
            names = [types] if isinstance(types, str) else list(types)
            for name in names:
                if not isinstance(name, str) or name not in codec.SCHEMA_VERSIONS:
                    raise InvalidEvent("types", name, f"not an event type; known: {', '.join(codec.SCHEMA_VERSIONS)}")
            clauses.append(f"type IN ({', '.join('?' for _ in names)})")
            params.extend(names)
        if deal is not None:
            clauses.append("deal = ?")
            params.append(deal)
        return EventLog(recorded_from_row(row) for row in self._store.rows_in_pages(" AND ".join(clauses), params, after=after))

    def get(self, event_id: str) -> Recorded:
        """The envelope of one event by its id."""
        position = self._store.position_of(event_id) if isinstance(event_id, str) else None
        if position is None or position > self._basis(None, None).position:
            raise InvalidEvent("event_id", event_id, "no event with this id is recorded")
        return recorded_from_row(self._store.rows_at([position])[0])

    # --- ownership -------------------------------------------------------------------------------

    @_one_read
    def owners_of(self, patent: str, on: DateLike, known_at: Instant = None, registry_at: Day = None) -> frozenset[str]:
        """Who held title to ``patent`` on ``on`` (a period: anyone who held it at some moment in it)."""
        period, reading = _on(on), self._reading(known_at, registry_at)
        return reading.owners(reading.patent_id(patent), period.start, period.stop)

    def owners_of_many(
        self, patents: Iterable[str], on: DateLike, known_at: Instant = None, registry_at: Day = None
    ) -> OwnersByPatent:
        """:meth:`owners_of` for each of ``patents`` on one basis, read once: a mapping patent id -> owners.

        Keys are the normalised ids, in the order asked (a patent asked twice
        appears once). The result has ``to_rows()``, ``to_frame()`` and shows
        as a table in Jupyter. Added in 0.2.
        """
        if isinstance(patents, str):
            raise InvalidEvent("patents", patents, "expected a list of patent ids, not one string")
        period, basis = parse_period(on, "on"), self._basis(known_at, registry_at)
        reading = self._reading(known_at, registry_at)
        found: dict[str, frozenset[str]] = {}
        for patent in patents:
            patent_id = normalize_patent(patent)
            if patent_id not in found:
                found[patent_id] = reading.owners(reading.patent_id(patent_id), period.start, period.stop)
        return OwnersByPatent(found, period, basis.known_at, basis.registry_at)

    @_one_read
    def portfolio(
        self, party: str, on: DateLike, known_at: Instant = None, registry_at: Day = None, live_only: bool = False
    ) -> Portfolio:
        """What ``party`` held on ``on``: listed patents plus undisclosed ones counted from deals.

        With ``live_only``, patents that had expired or lapsed by the start of ``on`` are left out
        (undisclosed ones cannot be told apart, so they stay).
        """
        name, period = parse_party(party, "party"), _on(on)
        if not isinstance(live_only, bool):
            raise InvalidEvent("live_only", live_only, "expected True or False")
        reading = self._reading(known_at, registry_at)
        held, blocks = reading.held_patents(_names_of(reading, name, period), period.start, period.stop)
        undisclosed = _undisclosed(reading, blocks) if blocks else 0
        if undisclosed:  # unlisted patents it sold on out of its blocks
            undisclosed = max(0, undisclosed - _sold_unlisted(reading, _names_of(reading, name, period), period))
        if live_only:
            ends = reading.patent_ends(held)
            held = frozenset(p for p in held if p not in ends or ends[p] > period.start)
        return Portfolio(party=name, on=period, patents=held, undisclosed=undisclosed)

    def parties(self, search: str | None = None, on: DateLike | None = None, known_at: Instant = None) -> Parties:
        """The parties whose names match ``search`` (any part of a spelling or of its key; None = all).

        Each with its normalised key (:func:`dealtrack.parties.party_key`), every spelling the log
        recorded for it, and the patents it held on ``on`` (default: today), in all and per spelling;
        most patents first. A way to find the spelling variants of one company.

        .. versionadded:: 0.15
        """
        period = parse_period(date.today() if on is None else on, "on")
        if search is not None and (not isinstance(search, str) or not search.strip()):
            raise InvalidEvent("search", search, "expected some text to look for, or None")
        reading = self._reading(known_at, None)
        needle = None if search is None else (" ".join(search.upper().split()), party_key(search))
        by_key: dict[str, list[str]] = {}
        for key, name in reading.party_names():
            if needle is None or needle[0] in " ".join(name.upper().split()) or needle[1] in key:
                by_key.setdefault(key, []).append(name)
        found = []
        for key, names in by_key.items():
            held, _ = reading.holdings(names, period.start, period.stop)
            per_name = {name: len({p for p, _ in reading.holdings([name], period.start, period.stop)[0]}) for name in names}
            ordered = sorted(names, key=lambda n: (-per_name[n], n))
            found.append(Party(key, tuple(ordered), len({p for p, _ in held}), tuple(per_name[n] for n in ordered)))
        return Parties(sorted(found, key=lambda party: (-party.patents, party.key)))

    def transfers(
        self, start: DateLike, end: DateLike, party: str | None = None, known_at: Instant = None
    ) -> Transfers:
        """Every change of title with a valid date from ``start`` to ``end`` (both included), by date.

        One row per listed patent whose title it changed: ``patent``, ``assignor``, ``assignee``,
        ``effective``, ``event_id`` (patents a deal did not list have no row; a transfer recorded again,
        or reported twice, is listed once). With ``party``, only transfers to or from it
        (under any of its spellings and names). Renames and mergers change names, not title: not listed.

        .. versionadded:: 0.15
        """
        first, last = parse_period(start, "start").start, parse_period(end, "end").end
        if last < first:
            raise InvalidEvent("end", end, f"is before start ({first})")
        reading = self._reading(known_at, None)
        facts = reading.assignments_between(first, last)
        if party is not None:
            names = set(_names_of(reading, parse_party(party, "party"), Period(first, last)))
            facts = [(p, e) for p, e in facts
                     if isinstance(e, PatentsAssigned) and names & (set(e.assignor) | set(e.assignee))]
        envelopes = self._envelopes({p for p, _ in facts})
        started: dict[str, set[int]] = {}  # per patent, the events that started a holding: changes of title
        found = []
        for position, event in facts:
            assert isinstance(event, PatentsAssigned) and event.effective is not None
            for patent in event.patents:
                patent_id = reading.patent_id(patent)
                if patent_id not in started:
                    started[patent_id] = {p for _, p in reading.owner_rows(patent_id, date.min, date.max)}
                if position in started[patent_id]:  # the same transfer recorded twice changes title once
                    found.append(Transfer(patent, event.assignor, event.assignee, event.effective,
                                          envelopes[position].event_id, event.deal))
        return Transfers(found)

    def title_chain(self, patent: str, known_at: Instant = None, registry_at: Day = None) -> TitleChain:
        """``patent``'s holdings in valid-time order, each with its owners, dates, certainty and events."""
        basis = self._basis(known_at, registry_at)
        reading = self._reading(known_at, registry_at)
        patent_id = reading.patent_id(patent)
        holdings, _, doubts = reading.title(patent_id)
        spans = title_spans(holdings, doubts)
        envelopes = self._envelopes({p for span in spans for p in span.positions})
        return TitleChain(
            patent=patent_id,
            basis=basis,
            spans=tuple(
                Span(span.owners, span.start, span.end, span.certain, tuple(envelopes[p] for p in span.positions))
                for span in spans
            ),
        )

    # --- licences -------------------------------------------------------------------------------

    def licensees_of(
        self,
        patent: str,
        on: DateLike,
        territory: str | None = None,
        known_at: Instant = None,
        registry_at: Day = None,
        field: str | None = None,
    ) -> Licensees:
        """Who held a live licence covering ``patent`` on ``on`` (in ``territory`` and ``field`` of use, if given).

        A licence covers a patent only in the patent's own jurisdiction, and only when its licensor
        could grant it (see :meth:`anomalies`). Without ``field``, licences limited to a field of use
        count, and the answer's ``fields`` says whose coverage depends on the field.
        """
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        where = None if territory is None else parse_territory(territory)
        wanted = _field(field)
        aliases = _aliases_at(reading, period.end)
        patent_id = reading.patent_id(patent)
        fields: dict[str, set[str | None]] = {}
        for licence in _licences_covering(reading, patent_id, period):
            if _applies(licence, patent_id, where, wanted):
                fields.setdefault(aliases.canonical(licence.licensee), set()).add(licence.field)
        limited = {name: tuple(sorted(f for f in found if f is not None))
                   for name, found in fields.items() if wanted is None and None not in found}
        return Licensees(fields, limited)

    @_one_read
    def is_licensed(
        self,
        party: str,
        patent: str,
        on: DateLike,
        territory: str,
        known_at: Instant = None,
        registry_at: Day = None,
        field: str | None = None,
    ) -> bool:
        """True when ``party`` owns ``patent`` or holds a live licence covering it in ``territory`` (and ``field``).

        A licence limited to a field of use covers only that field; without ``field`` it counts
        (``licensees_of(...).fields`` tells when the answer depends on it).
        """
        period, reading = _on(on), self._reading(known_at, registry_at)
        patent_id, where = reading.patent_id(patent), _territory(territory)
        wanted = _field(field)
        names = set(_names_of(reading, parse_party(party, "party"), period))
        reading.prefetch_licences(patent_id, period.start, period.stop, names)  # (the licences' read, if it can)
        if reading.owners_again(patent_id, period.start, period.stop) & names:
            return True

        # the licences that may cover it, as rows: most questions find none, and a licence whose territory text
        # names neither the patent's country nor the territory asked (nor the world) covers nothing here (a
        # JSON list holds a code only if its text holds it quoted), so only the others become objects
        rows = reading.licence_rows_on(patent_id, period.start, period.stop, names)
        country = _jurisdiction(patent_id)
        quoted = [f'"{code}"' for code in (country, where) if code is not None and code.isalnum()]
        rows = [row for row in rows if type(row[4]) is not str or _may_hold(row[4], quoted)]
        if not rows:
            return False

        def counts(licence: Licence) -> bool:  # only licences to one of the party's names (or names linked to them)
            return _applies(licence, patent_id, where, wanted) and _canonical(reading, licence.licensee, period.end) in names

        # the cheap tests first: whether the licensor could grant it is checked only for a licence that would count
        return any(_covering(reading, patent_id, period, names, counts, rows))

    def encumbrances(
        self, patent: str, on: DateLike, known_at: Instant = None, registry_at: Day = None
    ) -> Encumbrances:
        """Live security interests on ``patent`` and the licences covering it, on ``on``."""
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        patent_id = reading.patent_id(patent)
        found = [e for _, e in reading.security_interests_on(patent_id, period.start, period.stop)]
        found += [
            Encumbrance("licence", patent_id, holder=licence.licensee, grantor=licence.licensor,
                        reference=licence.licence_id, valid_from=licence.valid_from, valid_to=licence.valid_to)
            for licence in _licences_covering(reading, patent_id, period)
        ]
        return Encumbrances(found)

    # --- bans -------------------------------------------------------------------------------------

    @_one_read
    def active_bans(
        self,
        *,
        against: str | None = None,
        on: DateLike,
        territory: str | None = None,
        product: str | None = None,
        known_at: Instant = None,
        registry_at: Day = None,
    ) -> Bans:
        """Sales bans in force on ``on``; with ``product=``, a ban exempting that product is left out."""
        period, reading = _on(on), self._reading(known_at, registry_at)
        found = _bans(reading, period, against, territory, product)
        return Bans([ban for _, ban in found]) if found else Bans()  # (most questions find none)

    # --- a party's whole position -----------------------------------------------------------------

    def standing(
        self, party: str, on: DateLike, territory: str | None = None, known_at: Instant = None, registry_at: Day = None
    ) -> Standing:
        """One report of ``party``'s position: holdings, licences in and out, and bans against it."""
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        name = parse_party(party, "party")
        where = None if territory is None else parse_territory(territory)
        names = set(_names_of(reading, name, period))
        aliases = _aliases_at(reading, period.end)
        licences = [lic for lic in reading.licences_during(period.start, period.stop) if lic.covers(where)]
        return Standing(
            party=name,
            on=period,
            territory=where,
            portfolio=self.portfolio(name, period, known_at, registry_at),
            licences_in=Licences(lic for lic in licences if aliases.canonical(lic.licensee) in names),
            licences_out=Licences(lic for lic in licences if aliases.canonical(lic.licensor) in names),
            bans=tuple(ban for _, ban in _bans(reading, period, name, where, None)),
        )

    # --- what does not add up, and why an answer is what it is ----------------------------------------

    def anomalies(self, known_at: Instant = None, registry_at: Day = None) -> Anomalies:
        """Everything odd in the record on this basis: title gaps, conflicting reports, clashing licences."""
        reading = self._reading(known_at, registry_at)
        found = reading.title_anomalies() + reading.register_anomalies() + _rights_anomalies(reading)
        found += _deal_anomalies(reading) + _security_anomalies(reading)
        found += [("two_grants", application, position,
                   f"the register links {application} to {len(grants)} grants ({', '.join(grants)}): "
                   f"each answers for the same property, kept under {grants[0]}", ())
                  for application, grants, position in reading.split_applications()]
        envelopes = self._envelopes({f[2] for f in found} | {p for f in found for p in f[4]})
        return Anomalies(
            Anomaly(kind, subject, position, envelopes[position].event_id, message,
                    tuple(envelopes[p].event_id for p in related))
            for kind, subject, position, message, related in sorted(found, key=lambda f: (f[2], f[1]))
        )

    def explain(self, question: str, /, *args: Any, **kwargs: Any) -> Explanation:
        """Ask ``question`` (e.g. ``"owners_of"``) with its usual arguments; return the answer and the events behind it."""
        explainer = _EXPLAINERS.get(question) if isinstance(question, str) else None
        if explainer is None:
            raise InvalidEvent("question", question, f"can explain: {', '.join(sorted(_EXPLAINERS))}")
        method = getattr(self, question)
        try:
            bound = inspect.signature(method).bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidEvent("arguments", (args, kwargs), f"not arguments {question} takes: {exc}") from None
        bound.apply_defaults()
        answer = method(*bound.args, **bound.kwargs)
        positions = explainer(self, answer, **bound.arguments)
        envelopes = self._envelopes(positions)
        return Explanation(question, answer, tuple(envelopes[p] for p in sorted(envelopes)))

    # --- what the ledger knows of at all (for honest empty answers) --------------------------------------

    def _knows_patent(self, patent: str, known_at: Instant = None, registry_at: Day = None) -> bool:
        """True when some event counted on this basis bears on ``patent``'s title."""
        reading = self._reading(known_at, registry_at)
        return reading.knows_patent(reading.patent_id(patent))

    def _knows_party(self, party: str) -> bool:
        """True when the ledger mentions ``party`` anywhere: titles, licences, bans, renames, mergers."""
        party = parse_party(party, "party")
        reading = self._reading(None, None)
        return reading.knows_party(party) or bool(reading.renames_of([party]))

    def _party_names(self) -> set[str]:
        """Every party name the ledger mentions: in titles, licences, bans, renames and mergers."""
        reading = self._reading(None, None)
        names = reading.mentioned_names()
        for _, event in reading.renames():
            names.update(renamed_names(event) or ())
        return names

    # --- helpers ---------------------------------------------------------------------------------------

    def _envelopes(self, positions: set[int]) -> dict[int, Recorded]:
        return {row.position: recorded_from_row(row) for row in self._store.rows_at(positions)}


def recorded_from_row(row: Any) -> Recorded:
    """The envelope of a stored event row."""
    return Recorded(
        row.position, row.event_id, parse_instant_column(row.recorded_at),
        codec.decode_stored(row.type, row.payload, row.schema_version),
    )


# --- releases and assignments of security interests that match no lien, or several --------------------


def _security_anomalies(reading: Reading) -> list[tuple[str, str, int, str, tuple[int, ...]]]:
    """One anomaly per event and property: a release recorded under every number of a property (an
    application and its grant) is unmatched only when it matched under none of them."""
    notes: dict[tuple[int, str, str], list[tuple[Any, ...]]] = {}
    for row in reading.security_notes():
        notes.setdefault((row[5], reading.patent_id(row[0]), row[6]), []).append(row)
    found: list[tuple[str, str, int, str, tuple[int, ...]]] = []
    for (position, patent, kind), rows in sorted(notes.items()):
        if kind.startswith("unmatched"):
            [(_, event)] = reading.log.facts([position])
            numbers = {number for number in event.patents if reading.patent_id(number) == patent}  # type: ignore[attr-defined]
            if {row[0] for row in rows} != numbers:  # it matched a lien under another number of the property
                continue
        found.append((kind, patent, position, rows[0][7], ()))
    return found


# --- deals reported more than once ---------------------------------------------------------------------


def _reports(reading: Reading, deal: str, assignee: tuple[str, ...]) -> list[tuple[int, PatentsAssigned]]:
    """The reports of ``deal`` to the same assignees (by key), in position order."""
    keys = {reading.key_of(name) for name in assignee}
    return [
        (position, event) for position, event in reading.deal_reports(deal)
        if isinstance(event, PatentsAssigned) and {reading.key_of(name) for name in event.assignee} == keys
    ]


def _undisclosed(reading: Reading, blocks: dict[int, int]) -> int:
    """How many unlisted patents the undisclosed ``blocks`` (deal position -> count) hold, each deal once.

    Reports of one deal (same ``deal`` id and assignees) are one block: the latest report's
    ``disclosed_count`` less every patent any report lists.
    """
    total, seen = 0, set()
    for position, event in reading.log.facts(blocks):
        assert isinstance(event, PatentsAssigned)
        if event.deal is None:
            total += blocks[position]
            continue
        reports = _reports(reading, event.deal, event.assignee)
        key = (event.deal, tuple(p for p, _ in reports))
        if key in seen:
            continue
        seen.add(key)
        counted = [e for _, e in reports if e.disclosed_count is not None]
        listed = {patent for _, e in reports for patent in e.patents}
        count = counted[-1].disclosed_count if counted else blocks[position]
        assert count is not None
        total += max(0, count - len(listed))
    return total


def _sold_unlisted(reading: Reading, names: Sequence[str], period: Period) -> int:
    """How many unlisted patents ``names`` sold on (a sale whose ``disclosed_count`` exceeds its list) by the
    start of ``period``; reports of one deal count once (the latest)."""
    keys = {reading.key_of(name) for name in names}
    latest: dict[Any, PatentsAssigned] = {}
    for position, event in reading.unlisted_deals(keys):  # only sales naming one of them as a seller can count
        assert isinstance(event, PatentsAssigned) and event.effective is not None
        when = event.effective
        sold = when.end <= period.start if when.is_exact else when.end < period.start
        sellers, buyers = {reading.key_of(name) for name in event.assignor}, {reading.key_of(name) for name in event.assignee}
        if sold and keys & sellers and not keys & buyers:  # (a party assigning to itself sells nothing)
            deal = position if event.deal is None else (event.deal, frozenset(map(reading.key_of, event.assignee)))
            latest[deal] = event
    return sum(event.undisclosed_count for event in latest.values())


def _deal_anomalies(reading: Reading) -> list[tuple[str, str, int, str, tuple[int, ...]]]:
    """Reports of one deal that give different ``disclosed_count``s: kept side by side, flagged."""
    found = []
    for deal in reading.repeated_deals():
        groups: dict[frozenset[str], list[tuple[int, PatentsAssigned]]] = {}
        for position, event in reading.deal_reports(deal):
            assert isinstance(event, PatentsAssigned)
            groups.setdefault(frozenset(party_key(n) for n in event.assignee), []).append((position, event))
        for reports in groups.values():
            counts = {e.disclosed_count for _, e in reports if e.disclosed_count is not None}
            if len(counts) > 1:
                last = reports[-1][0]
                found.append(("deal_count_conflict", deal, last,
                              f"reports of {deal} give different disclosed counts ({', '.join(map(str, sorted(counts)))}); "
                              "the latest report counts", tuple(p for p, _ in reports[:-1])))
    return found


# --- names through renames and mergers --------------------------------------------------------------


def _aliases_at(reading: Reading, day: date, renames: list[Fact] | None = None) -> Aliases:
    """Party names as the renames and mergers in effect on ``day`` left them.

    Pass ``renames`` (``reading.renames()``) when asking for many days, to read them once.
    """
    aliases = Aliases()
    for _, event in reading.renames() if renames is None else renames:
        assert event.effective is not None
        if event.effective.start > day:
            break
        aliases.move(*(renamed_names(event) or ()))
    return aliases


def _canonical(reading: Reading, name: str, day: date) -> str:
    """``name`` as the renames and mergers in effect on ``day`` left it (only those linked to it can)."""
    renames = reading.renames_of([name])
    return _aliases_at(reading, day, renames).canonical(name) if renames else name


def _names_of(reading: Reading, party: str, period: Period) -> list[str]:
    """The names ``party`` went by during ``period``: every spelling of it (:func:`~dealtrack.parties.party_key`),
    following renames and mergers."""
    plain = reading.plain_names(party)
    if plain is not None:  # no rename touches any spelling: the names are the same in any period
        return list(plain)
    spelled = reading.spellings([party])
    names = _renamed_names_of(reading, party, period)
    for spelling in sorted(spelled - {party}):
        names += [name for name in _renamed_names_of(reading, spelling, period) if name not in names]
    names += sorted(reading.spellings(names) - set(names))
    return names


def _renamed_names_of(reading: Reading, party: str, period: Period) -> list[str]:
    """The names ``party`` (spelled so) went by during ``period``, following renames and mergers."""
    aliases = Aliases()
    names = []
    for _, event in reading.renames_of([party]):  # only renames linked to ``party`` can change its name
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


# --- licences and bans on a reading --------------------------------------------------------------------


def _licences_covering(
    reading: Reading, patent: str, period: Period, licensees: set[str] | None = None
) -> list[Licence]:
    """Licences live in ``period`` that cover ``patent``: listed, or in the licensor's portfolio then.

    With ``licensees``, licences to anyone else may be left out (a question about one party).
    """
    return list(_covering(reading, patent, period, licensees))


def _covering(
    reading: Reading, patent: str, period: Period, licensees: set[str] | None = None,
    wanted: Callable[[Licence], bool] | None = None, rows: list[tuple[Any, ...]] | None = None,
) -> Iterator[Licence]:
    """:func:`_licences_covering`, lazily; with ``wanted``, only the licences it accepts (tested before the
    licensor's right to grant, which costs reads). ``rows``: the caller's :meth:`~Reading.licence_rows_on` for
    ``period`` and ``licensees`` (or a part of them it has ruled out none that ``wanted`` accepts)."""
    numbers = set(reading.numbers(patent))  # a licence may list any number of the property
    end = reading.patent_ends([patent]).get(patent)
    if end is not None:  # an expired or lapsed patent is covered by no licence from then on
        if end <= period.start:
            return
        if end - ONE_DAY < period.end:
            period, rows = Period(period.start, end - ONE_DAY), None  # (the rows of a shorter window are read)
    licences = (reading.licences_on(patent, period.start, period.stop, licensees) if rows is None
                else [licence_from_row(row) for row in rows])
    for licence in licences:
        if licence.patents is not None and numbers.isdisjoint(licence.patents):
            continue
        if wanted is not None and not wanted(licence):
            continue
        if _can_grant(reading, licence, patent, numbers):
            yield licence


def _can_grant(reading: Reading, licence: Licence, patent: str, numbers: set[str]) -> bool:
    """:func:`_cannot_grant` is None: on the stored views, kept per head and basis (it costs a read when the licensor
    did not hold the patent, and every question on the patent and licensee tests the same licence again)."""
    kept = reading.kept_at_head("can_grant") if isinstance(reading, StoredReading) else None
    if kept is None:
        return _cannot_grant(reading, licence, patent, numbers) is None
    key = (reading.known, licence, patent)  # (``numbers`` are the patent's, on the same head)
    found: bool | None = kept.get(key)
    if found is None:
        found = kept[key] = _cannot_grant(reading, licence, patent, numbers) is None
    return found


def _cannot_grant(reading: Reading, licence: Licence, patent: str, numbers: set[str]) -> tuple[str, str] | None:
    """``(anomaly kind, why)`` when ``licence``'s licensor could not license ``patent`` on its start, else None.

    It could when it held the patent (under any spelling or earlier name), or held a sublicensable
    licence covering it. A listed patent nobody is known to hold then is given the benefit of the doubt;
    a portfolio licence covers only what its licensor held.
    """
    start = licence.valid_from
    holders = reading.owners_again(patent, start, start + ONE_DAY)
    canonical = _canonical(reading, licence.licensor, start)
    licensor = reading.key_of(canonical)
    if any(reading.key_of(holder) == licensor for holder in holders) or (not holders and licence.patents is not None):
        return None
    if licence.patents is None:
        return "not_in_portfolio", ""  # never an anomaly: a portfolio licence simply does not reach it
    # only licences to the licensor count: to a spelling of its name, or to a name renames link to one (a name
    # whose canonical name has the licensor's key is linked to that name, itself a spelling under the key)
    held = [  # (on the rows: only the few licences to the licensor become objects)
        licence_from_row(row)
        for row in reading.licence_rows_on(patent, start, start + ONE_DAY, reading.spellings([canonical]))
        if row[0] != licence.licence_id and reading.key_of(_canonical(reading, row[2], start)) == licensor
    ]
    held = [other for other in held if other.patents is None or not numbers.isdisjoint(other.patents)]
    if any(other.sublicensable for other in held):
        return None
    holder = " and ".join(sorted(holders))
    if held:
        return ("sublicence_without_right", f"{licence.licensor} sublicensed {patent} on {start} ({licence.licence_id}) "
                f"under {', '.join(sorted(o.licence_id for o in held))}, which does not allow sublicences; "
                "it is not counted as a licence")
    return ("licence_without_title", f"{licence.licensor} licensed {patent} on {start} ({licence.licence_id}), "
            f"but the known holder then was {holder}; it is not counted as a licence")


def _jurisdiction(patent: str) -> str | None:
    """The country whose patent ``patent`` is (None for a European or international number: several)."""
    country = "US" if patent.startswith("USAPP") else patent[:2]
    return None if country in ("EP", "WO") else country


def _field(field: str | None) -> str | None:
    if field is None:
        return None
    if not isinstance(field, str) or not field.strip():
        raise InvalidEvent("field", field, "a field of use is a non-empty string such as 'mobile phones'")
    return " ".join(field.casefold().split())


def _applies(licence: Licence, patent: str, where: str | None, field: str | None) -> bool:
    """Whether ``licence`` covers ``patent`` in ``where`` and ``field`` (None: any).

    A licence whose territory leaves out the patent's own country (an Indian patent licensed "in CN")
    covers nothing: the patent has no force where the licence applies.
    """
    country = _jurisdiction(patent)
    if country is not None and not licence.covers(country):
        return False
    if not licence.covers(where):
        return False
    return field is None or licence.field is None or _field(licence.field) == field


def _may_hold(text: str, quoted: Iterable[str]) -> bool:
    """Whether a territory column's JSON text may hold every one of the ``quoted`` codes (or the world): a JSON
    list of ISO codes holds a code only if its text holds it in quotes, so a row ruled out here is not decoded."""
    return '"WORLD"' in text or all(code in text for code in quoted)


def _bans(
    reading: Reading, period: Period, against: str | None, territory: str | None, product: str | None
) -> list[tuple[int, Ban]]:
    """``(imposing position, ban)`` for the bans in force in ``period`` that match the filters."""
    where = None if territory is None else _territory(territory)
    names = None
    if against is not None:
        party = parse_party(against, "against")
        plain = reading.plain_names(party)  # (the usual party: no rename bears on its names)
        names = set(plain) if plain is not None else set(_names_of(reading, party, period))
    if product is not None and (not isinstance(product, str) or not product.strip() or len(product) > 10_000):
        raise InvalidEvent("product", product, "a product is a non-empty string of at most 10000 characters")
    found: dict[str, tuple[int, tuple[Any, ...], tuple[str, ...]]] = {}
    # every stretch of each ban in the period (a ban is in force if it stood, matching, at some moment of it);
    # against a party, only the bans against one of its names (or names linked to them): an index finds them.
    # The tests read the row's columns (``bans``: see BANS.columns); only the answer's stretches become objects.
    rows = (reading.ban_rows(period.start, period.stop) if names is None
            else reading.ban_rows_against(names, period.start, period.stop, where))
    if not rows:
        return []
    start = period.start.isoformat()
    # the territory first, on the column's text: a JSON list of ISO codes holds ``where`` only if the text holds it
    # quoted (or "WORLD"), so a row without either is left out undecoded; the others are tested on the list
    quoted = None if where is None else f'"{where}"'
    for row in rows:
        if quoted is not None:
            text = row[2]
            if text is None or not _may_hold(text, (quoted,)):
                continue
            places = as_list(text) or []
            if where not in places and "WORLD" not in places:
                continue
        named = tuple(as_list(row[1]) or ())
        renames = reading.renames_of(named)
        if renames:
            aliases = _aliases_at(reading, period.end, renames)
            parties = tuple(dict.fromkeys(aliases.canonical(name) for name in named))
        else:  # no rename touches these names: each is its own canonical name
            parties = tuple(dict.fromkeys(named))
        if names is not None and not names & (set(parties) | set(named)):
            continue
        patents = as_list(row[7])
        if patents and _all_ended(reading, patents, date.fromisoformat(max(row[10], start))):
            continue  # it rests only on patents that had expired or lapsed
        if product is not None:
            products = as_list(row[6])
            if (products is not None and product not in products) or product in (as_list(row[8]) or ()):
                continue
        found[row[0]] = (row[12], row, parties)  # its latest matching stretch
    return [(position, ban_from_row(row, against=parties)) for position, row, parties in found.values()]


def _all_ended(reading: Reading, patents: Sequence[str], day: date) -> bool:
    """Whether every one of ``patents`` had expired or lapsed by ``day``."""
    ids = [reading.patent_id(patent) for patent in patents]
    ends = reading.patent_ends(ids)
    return all(patent in ends and ends[patent] <= day for patent in ids)


def _rights_anomalies(reading: Reading) -> list[tuple[str, str, int, str, tuple[int, ...]]]:
    """Exclusive licences that clash, licences on patents the licensor did not hold, ban changes before bans."""
    found: list[tuple[str, str, int, str, tuple[int, ...]]] = []
    licences = reading.licences_during(date.min, date.max)
    positions = reading.licence_positions()
    exclusive = [lic for lic in licences if lic.exclusive]
    for i, first in enumerate(exclusive):
        for second in exclusive[i + 1:]:
            if _licences_clash(first, second):
                pair = sorted((positions[first.licence_id], positions[second.licence_id]))
                found.append(("exclusive_overlap", f"{first.licence_id} / {second.licence_id}", pair[1],
                              f"exclusive licences {first.licence_id} and {second.licence_id} overlap "
                              "in patents, territory, field and time", (pair[0],)))
    for licence in licences:
        for number in licence.patents or ():
            patent = reading.patent_id(number)
            why = _cannot_grant(reading, licence, patent, set(reading.numbers(patent)))
            if why is not None:
                found.append((why[0], patent, positions[licence.licence_id], why[1], ()))
    starts = reading.ban_starts()
    for ban_id, start in starts.items():
        for position, change in reading.key_facts(BANS, ban_id):
            if isinstance(change, (BanModified, BanLifted)) and change.effective is not None and change.effective.start < start:
                found.append(("ban_change_before_ban", ban_id, position,
                              f"{change.type} of {ban_id} is dated {change.effective}, before the ban took effect ({start})",
                              ()))
    return found


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


# --- explaining answers: which events produced them ------------------------------------------------------


def _explain_owners(q: Questions, answer: frozenset[str], patent: str, on: DateLike, known_at: Instant = None, registry_at: Day = None, **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    return {position for _, position in reading.owner_rows(reading.patent_id(patent), period.start, period.stop)}


def _explain_portfolio(q: Questions, answer: Portfolio, party: str, on: DateLike, known_at: Instant = None, registry_at: Day = None, **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    patents, blocks = reading.holdings(_names_of(reading, parse_party(party, "party"), period), period.start, period.stop)
    return {position for _, position in patents} | set(blocks)


def _licence_facts(reading: Reading, licence_ids: set[str]) -> set[int]:
    return {position for licence_id in licence_ids for position, _ in reading.key_facts(LICENCES, licence_id)}


def _explain_licensees(q: Questions, answer: frozenset[str], patent: str, on: DateLike,
                       territory: str | None = None, known_at: Instant = None, registry_at: Day = None,
                       field: str | None = None, **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    where, patent_id = None if territory is None else parse_territory(territory), reading.patent_id(patent)
    covering = {lic.licence_id for lic in _licences_covering(reading, patent_id, period)
                if _applies(lic, patent_id, where, _field(field))}
    return _licence_facts(reading, covering)


def _explain_is_licensed(q: Questions, answer: bool, party: str, patent: str, on: DateLike, territory: str,
                         known_at: Instant = None, registry_at: Day = None, field: str | None = None,
                         **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    patent_id, where = reading.patent_id(patent), parse_territory(territory)
    names = set(_names_of(reading, parse_party(party, "party"), period))
    owned = {pos for owner, pos in reading.owner_rows(patent_id, period.start, period.stop) if owner in names}
    aliases = _aliases_at(reading, period.end)
    covering = {
        lic.licence_id for lic in _licences_covering(reading, patent_id, period)
        if _applies(lic, patent_id, where, _field(field)) and aliases.canonical(lic.licensee) in names
    }
    return owned | _licence_facts(reading, covering)


def _explain_bans(q: Questions, answer: list[Ban], known_at: Instant = None, registry_at: Day = None, **_: Any) -> set[int]:
    reading = q._reading(known_at, registry_at)
    return {position for ban in answer for position, _ in reading.key_facts(BANS, ban.ban_id)}


def _explain_encumbrances(q: Questions, answer: list[Encumbrance], patent: str, on: DateLike, known_at: Instant = None, registry_at: Day = None, **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    patent_id = reading.patent_id(patent)
    secured = {position for position, _ in reading.security_interests_on(patent_id, period.start, period.stop)}
    return secured | _licence_facts(reading, {e.reference for e in answer if e.reference is not None})


_EXPLAINERS: dict[str, Callable[..., set[int]]] = {
    "owners_of": _explain_owners,
    "portfolio": _explain_portfolio,
    "licensees_of": _explain_licensees,
    "is_licensed": _explain_is_licensed,
    "active_bans": _explain_bans,
    "encumbrances": _explain_encumbrances,
}
