"""The questions a ledger answers, on any basis: valid time ``on``, ``known_at`` and ``registry_at``.

:class:`Questions` is shared by :class:`~dealtrack.ledger.Ledger` (which
answers on the basis each call asks for) and :class:`~dealtrack.ledger.LedgerView`
(pinned to one basis). Every question reads the views through a
:class:`~dealtrack.projections.reading.Reading` of that basis.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import attrs

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
    Portfolio,
    Span,
    Standing,
    TitleChain,
)
from .errors import InvalidEvent
from .events import BanLifted, BanModified, Recorded
from .projections.history import Fact
from .projections.reading import Reading, RefoldedReading, StoredReading
from .projections.rights import BANS, LICENCES
from .projections.title import Aliases, renamed_names, title_spans
from .store import Store, parse_instant_column
from .values import (
    ONE_DAY,
    DateLike,
    Period,
    parse_instant,
    parse_party,
    parse_period,
    parse_territory,
    storable,
)

__all__ = ["Questions"]

Instant = datetime | str | None
Day = DateLike | None


class Questions:
    """Who owned, licensed or was barred from what, on ``on``, as known at ``known_at``,
    as the register showed it on ``registry_at``."""

    _store: Store

    # --- the basis ------------------------------------------------------------------------

    def _basis(self, known_at: Instant, registry_at: Day) -> Basis:
        """The basis a question asks for (everything recorded so far, when both are None)."""
        moment = None if known_at is None else parse_instant(known_at, "known_at")
        position = self._store.head()[0] if moment is None else self._store.position_at(moment)
        registry = None if registry_at is None else parse_period(registry_at, "registry_at").end
        return Basis(position, moment, registry)

    def _reading(self, known_at: Instant, registry_at: Day) -> Reading:
        basis = self._basis(known_at, registry_at)
        if basis.registry_at is None:
            return StoredReading(self._store, basis.position)
        return RefoldedReading(self._store, basis.position, basis.registry_at)

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
        clauses: list[str] = ["position > ?", "position <= ?"]
        params: list[Any] = [after, basis.position]
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
        return EventLog(recorded_from_row(row) for row in self._store.rows_in_pages(" AND ".join(clauses), params))

    def get(self, event_id: str) -> Recorded:
        """The envelope of one event by its id."""
        position = self._store.position_of(event_id) if isinstance(event_id, str) else None
        if position is None or position > self._basis(None, None).position:
            raise InvalidEvent("event_id", event_id, "no event with this id is recorded")
        return recorded_from_row(self._store.rows_at([position])[0])

    # --- ownership -------------------------------------------------------------------------------

    def owners_of(self, patent: str, on: DateLike, known_at: Instant = None, registry_at: Day = None) -> frozenset[str]:
        """Who held title to ``patent`` on ``on`` (a period: anyone who held it at some moment in it)."""
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        return reading.owners(reading.patent_id(patent), period.start, period.stop)

    def portfolio(self, party: str, on: DateLike, known_at: Instant = None, registry_at: Day = None) -> Portfolio:
        """What ``party`` held on ``on``: listed patents plus undisclosed ones counted from deals."""
        name, period = parse_party(party, "party"), parse_period(on, "on")
        reading = self._reading(known_at, registry_at)
        patents, blocks = reading.holdings(_names_of(reading, name, period), period.start, period.stop)
        return Portfolio(party=name, on=period, patents=frozenset(p for p, _ in patents), undisclosed=sum(blocks.values()))

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
        self, patent: str, on: DateLike, territory: str | None = None, known_at: Instant = None, registry_at: Day = None
    ) -> frozenset[str]:
        """Who held a live licence covering ``patent`` on ``on`` (in ``territory``, if given)."""
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        where = None if territory is None else parse_territory(territory)
        aliases = _aliases_at(reading, period.end)
        return frozenset(
            aliases.canonical(licence.licensee)
            for licence in _licences_covering(reading, reading.patent_id(patent), period)
            if licence.covers(where)
        )

    def is_licensed(
        self, party: str, patent: str, on: DateLike, territory: str, known_at: Instant = None, registry_at: Day = None
    ) -> bool:
        """True when ``party`` owns ``patent`` or holds a live licence covering it in ``territory``."""
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        patent_id, where = reading.patent_id(patent), parse_territory(territory)
        names = set(_names_of(reading, parse_party(party, "party"), period))
        if reading.owners(patent_id, period.start, period.stop) & names:
            return True
        return any(  # only licences to one of the party's names (or names linked to them) can count
            _canonical(reading, licence.licensee, period.end) in names
            for licence in _licences_covering(reading, patent_id, period, licensees=names)
            if licence.covers(where)
        )

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
        period, reading = parse_period(on, "on"), self._reading(known_at, registry_at)
        return Bans(ban for _, ban in _bans(reading, period, against, territory, product))

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

    # --- helpers ---------------------------------------------------------------------------------------

    def _envelopes(self, positions: set[int]) -> dict[int, Recorded]:
        return {row.position: recorded_from_row(row) for row in self._store.rows_at(positions)}


def recorded_from_row(row: Any) -> Recorded:
    """The envelope of a stored event row."""
    return Recorded(
        row.position, row.event_id, parse_instant_column(row.recorded_at),
        codec.decode_stored(row.type, row.payload, row.schema_version),
    )


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
    return _aliases_at(reading, day, reading.renames_of([name])).canonical(name)


def _names_of(reading: Reading, party: str, period: Period) -> list[str]:
    """The names ``party`` went by during ``period``, following renames and mergers."""
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
    covering = []
    numbers = set(reading.numbers(patent))  # a licence may list any number of the property
    for licence in reading.licences_on(patent, period.start, period.stop, licensees):
        if licence.patents is not None:
            if not numbers.isdisjoint(licence.patents):
                covering.append(licence)
            continue
        start = licence.valid_from
        holders = reading.owners(patent, start, start + ONE_DAY)
        if _canonical(reading, licence.licensor, start) in holders:
            covering.append(licence)
    return covering


def _bans(
    reading: Reading, period: Period, against: str | None, territory: str | None, product: str | None
) -> list[tuple[int, Ban]]:
    """``(imposing position, ban)`` for the bans in force in ``period`` that match the filters."""
    where = None if territory is None else parse_territory(territory)
    names = None if against is None else set(_names_of(reading, parse_party(against, "against"), period))
    if product is not None and (not isinstance(product, str) or not product.strip() or len(product) > 10_000):
        raise InvalidEvent("product", product, "a product is a non-empty string of at most 10000 characters")
    found = []
    if names is None:
        bans = reading.bans_during(period.start, period.stop)
    else:  # only the bans against one of the party's names (or names linked to them): an index finds them
        bans = reading.bans_against(names, period.start, period.stop)
    for position, ban in bans:
        aliases = _aliases_at(reading, period.end, reading.renames_of(ban.against))
        parties = tuple(dict.fromkeys(aliases.canonical(name) for name in ban.against))
        if names is not None and not names & (set(parties) | set(ban.against)):
            continue
        if where is not None and where not in ban.territory and "WORLD" not in ban.territory:
            continue
        if product is not None and (
            (ban.products is not None and product not in ban.products) or product in ban.exempt_products
        ):
            continue
        found.append((position, attrs.evolve(ban, against=parties)))
    return found


def _rights_anomalies(reading: Reading) -> list[tuple[str, str, int, str, tuple[int, ...]]]:
    """Exclusive licences that clash, licences on patents the licensor did not hold, ban changes before bans."""
    found: list[tuple[str, str, int, str, tuple[int, ...]]] = []
    licences = reading.licences_during(date.min, date.max)
    positions = reading.licence_positions()
    renames = reading.renames()
    exclusive = [lic for lic in licences if lic.exclusive]
    for i, first in enumerate(exclusive):
        for second in exclusive[i + 1:]:
            if _licences_clash(first, second):
                pair = sorted((positions[first.licence_id], positions[second.licence_id]))
                found.append(("exclusive_overlap", f"{first.licence_id} / {second.licence_id}", pair[1],
                              f"exclusive licences {first.licence_id} and {second.licence_id} overlap "
                              "in patents, territory, field and time", (pair[0],)))
    for licence in licences:
        for patent in licence.patents or ():
            day = licence.valid_from
            holders = reading.owners(patent, day, day + ONE_DAY)
            licensor = _aliases_at(reading, day, renames).canonical(licence.licensor)
            if holders and licensor not in holders:
                found.append(("licence_without_title", patent, positions[licence.licence_id],
                              f"{licence.licensor} licensed {patent} on {day} ({licence.licence_id}), "
                              f"but the known holder then was {' and '.join(sorted(holders))}", ()))
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
                       territory: str | None = None, known_at: Instant = None, registry_at: Day = None, **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    where = None if territory is None else parse_territory(territory)
    covering = {lic.licence_id for lic in _licences_covering(reading, reading.patent_id(patent), period) if lic.covers(where)}
    return _licence_facts(reading, covering)


def _explain_is_licensed(q: Questions, answer: bool, party: str, patent: str, on: DateLike, territory: str,
                         known_at: Instant = None, registry_at: Day = None, **_: Any) -> set[int]:
    period = parse_period(on, "on")
    reading = q._reading(known_at, registry_at)
    patent_id, where = reading.patent_id(patent), parse_territory(territory)
    names = set(_names_of(reading, parse_party(party, "party"), period))
    owned = {pos for owner, pos in reading.owner_rows(patent_id, period.start, period.stop) if owner in names}
    aliases = _aliases_at(reading, period.end)
    covering = {
        lic.licence_id for lic in _licences_covering(reading, patent_id, period)
        if lic.covers(where) and aliases.canonical(lic.licensee) in names
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
