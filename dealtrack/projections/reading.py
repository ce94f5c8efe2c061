"""Reading the views on one basis: a log position (known time) and, optionally, a registry date.

At current knowledge or any ``known_at``, the stored views answer with an
indexed look-up, because their rows carry the log positions between which
they were believed (:class:`StoredReading`). A ``registry_at`` basis leaves
out the events a public register had not recorded by then, which stored rows
cannot tell apart; :class:`RefoldedReading` re-runs the same pure folds over
just the keys a question needs (one patent for ``owners_of``), so it never
replays the whole log for a question about one patent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import attrs
import orjson

from ..answers import Ban, Encumbrance, Licence
from ..events import Event, PatentsAssigned
from ..parties import party_key
from ..sqlite.store import Store
from ..values import iso_day, normalize_patent
from .history import Fact, live_at, valid_order
from .keyed import KeyedView
from .ownership import relevant_renames, title_parties
from .reader import LogReader, RenameGroups
from .rights import (
    BANS,
    LICENCES,
    PATENT_TERMS,
    SECURITY_INTERESTS,
    ban_from_row,
    latest_bans,
    licence_from_row,
    security_from_row,
)
from .title import Doubt, Holding, TitleAnomaly, fold_title

__all__ = ["RefoldedReading", "Reading", "StoredReading", "TitleFold", "registry_day"]

#: At most this many look-ups of one kind are kept per head (then the cache starts again).
_KEPT = 50_000

#: ``(kind, subject, position, message, related positions)``
AnomalyRow = tuple[str, str, int, str, tuple[int, ...]]
#: One patent's chain of title on a basis: holdings, anomalies, spans of doubt.
TitleFold = tuple[list[Holding], list[TitleAnomaly], list[Doubt]]


def registry_day(event: Event) -> date:
    """When a register shows ``event``: its ``registry_recorded`` day, else its effective date."""
    if event.registry_recorded is not None:
        return event.registry_recorded
    assert event.effective is not None
    return event.effective.start


def _overlaps(valid_from: str, valid_to: str | None, start: date, stop: date) -> bool:
    return valid_from < stop.isoformat() and (valid_to is None or valid_to > start.isoformat())


class Reading:
    """What every question needs from the views, on one basis (``known``: the last position counted)."""

    def __init__(self, store: Store, known: int, head: int | None = None) -> None:
        self.store = store
        self.known = known
        # ``head``: the log's head, read when the views were found caught up with it (None: not known). The
        # links between numbers and the spellings of names change only when the views move, so what this
        # reading looks up of them is kept on the store for every reading at the same head.
        self.head = head
        self.log = LogReader(store, head=head)
        self._local: dict[str, dict[Any, Any]] = {}
        self._at_head: dict[str, dict[Any, Any]] | None = None  # the caches at this head this reading last used

    def _kept(self, name: str) -> dict[Any, Any]:
        """A cache named ``name``, shared by the readings at this head (this reading's own without one)."""
        if self.head is None:
            return self._local.setdefault(name, {})
        mine = self._at_head  # (a reading may answer many questions: it keeps the caches it found)
        if mine is not None:
            found = mine.get(name)
            if found is not None and len(found) <= _KEPT:
                return found
        kept: tuple[int, dict[str, dict[Any, Any]]] | None = self.store.memo.get("at_head")
        if kept is None or kept[0] != self.head or len(kept[1].get(name, ())) > _KEPT:
            kept = self.store.memo["at_head"] = (self.head, {})
        self._at_head = kept[1]
        return kept[1].setdefault(name, {})

    def key_of(self, name: str) -> str:
        """:func:`~dealtrack.parties.party_key` of ``name`` (kept: a few regular expressions each time)."""
        keys = self._kept("party_key")
        key = keys.get(name)
        if key is None:
            key = keys[name] = party_key(name)
        return key

    def patent_id(self, patent: str) -> str:
        """The id the views keep ``patent`` under: any spelling, and an application's grant number once linked."""
        ids = self._kept("patent_id")
        found = ids.get(patent) if isinstance(patent, str) else None
        if found is None:
            number = normalize_patent(patent)  # (refuses anything but a patent number)
            found = ids[patent] = self.store.views.title.properties_of([number])[number] if self._links() else number
        return found

    def _links(self) -> bool:
        """Whether any number is linked to another (without links, each number is its own property)."""
        kept = self._kept("links")
        if "any" not in kept:
            kept["any"] = self.store.views.title.has_links()
        return bool(kept["any"])

    def numbers(self, patent: str) -> list[str]:
        """Every number of the property ``patent`` names (an application and its grant), the property id first."""
        numbers = self._kept("numbers")
        found = numbers.get(patent)
        if found is None:
            found = numbers[patent] = self.store.views.title.numbers_of(patent) if self._links() else [patent]
        return list(found)

    def spellings(self, names: Iterable[str]) -> set[str]:
        """``names`` and every other spelling recorded under the same keys (:func:`.parties.spellings`)."""
        wanted = set(names)
        by_key = self._kept("spellings")
        keys = {self.key_of(name) for name in wanted}
        missing = [key for key in keys if key not in by_key]  # (``keys - by_key.keys()`` walks the whole cache)
        if missing:
            for key in missing:
                by_key[key] = set()
            for name in self.store.views.reads.spellings_under(missing):  # (on the kept cursor)
                by_key[party_key(name)].add(name)
        for key in keys:
            wanted |= by_key[key]
        return wanted

    def plain_names(self, party: str) -> list[str] | None:
        """``party`` then its other spellings, by name, when no rename or merger counted on this basis bears on
        any of them (the names it went by in any period); None when one does. Kept by this reading, which may
        answer many questions while nothing is written."""
        kept: dict[str, list[str] | None] = self.__dict__.setdefault("_plain_names", {})
        if party in kept:
            return kept[party]
        found = self._plain_names_of(party)
        if len(kept) >= _KEPT:
            kept.clear()
        kept[party] = found
        return found

    def _plain_names_of(self, party: str) -> list[str] | None:
        """:meth:`plain_names`, looked up (this reading has not kept it)."""
        spelled = self.spellings([party])
        return None if self.renames_of(spelled) else [party, *sorted(spelled - {party})]

    def knows_patent(self, patent: str) -> bool:
        """True when some event counted on this basis bears on ``patent``'s title (any of its numbers)."""
        return self.store.views.reads.has_title_facts(self.numbers(patent), self.known)

    def knows_party(self, name: str) -> bool:
        """True when the views name ``name`` as a title party, licensor, licensee or party banned."""
        return self.store.views.reads.names_party(name)

    def mentioned_names(self) -> set[str]:
        """Every party name the views know: title holders, licensors, licensees and parties banned."""
        return self.store.views.reads.party_mentions()

    # Each method below is answered by both readings.

    def owner_rows(self, patent: str, start: date, stop: date) -> list[tuple[str, int]]:
        """``(owner, starting position)`` of each holding of ``patent`` that meets ``[start, stop)``."""
        raise NotImplementedError

    def holdings(self, names: Sequence[str], start: date, stop: date) -> tuple[list[tuple[str, int]], dict[int, int]]:
        """``([(patent, position)], {deal position: undisclosed count})`` held by any of ``names``."""
        raise NotImplementedError

    def held_patents(self, names: Sequence[str], start: date, stop: date) -> tuple[frozenset[str], dict[int, int]]:
        """:meth:`holdings` without the positions: ``(patents, {deal position: undisclosed count})``."""
        patents, blocks = self.holdings(names, start, stop)
        return frozenset(patent for patent, _ in patents), blocks

    def licence_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        """``licences`` rows live at some moment of ``[start, stop)``, by start and id."""
        raise NotImplementedError

    def ban_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        """``bans`` rows in force at some moment of ``[start, stop)``, by ban and start."""
        raise NotImplementedError

    def security_rows(self, patent: str, start: date, stop: date) -> list[tuple[Any, ...]]:
        """``security_interests`` rows on ``patent`` live at some moment of ``[start, stop)``."""
        raise NotImplementedError

    def title_anomalies(self) -> list[AnomalyRow]:
        """Every chain-of-title anomaly on this basis."""
        raise NotImplementedError

    def term_rows(self, numbers: Sequence[str]) -> list[tuple[Any, ...]]:
        """``patent_terms`` rows of any of ``numbers`` on this basis."""
        raise NotImplementedError

    def patent_ends(self, patents: Iterable[str]) -> dict[str, date]:
        """``property id -> the first day it confers no rights`` (expired or lapsed), for those of ``patents`` that do."""
        ids = {patent: self.numbers(patent) for patent in set(patents)}
        owner = {number: patent for patent, numbers in ids.items() for number in numbers}
        ends: dict[str, date] = {}
        for row in self.term_rows(sorted(owner)) if owner else []:
            patent, day = owner[row[0]], date.fromisoformat(row[1])
            ends[patent] = min(day, ends.get(patent, day))
        return ends

    def security_notes(self) -> list[tuple[Any, ...]]:
        """``security_interests`` rows on this basis that are no lien: releases and assignments that matched
        no lien, or several."""
        raise NotImplementedError

    def register_anomalies(self) -> list[AnomalyRow]:
        """Register records counted on this basis that dealtrack could not read as a change of rights."""
        rows = self.store.views.reads.register_rows(self.known)
        return [("unclassified", subject, position, message, ()) for subject, position, message in rows]

    def visible(self, facts: Iterable[Fact]) -> list[Fact]:
        """The facts counted on this basis."""
        return live_at(facts, self.log.retracted(), self.known)

    # Shared on top of those.

    def owners(self, patent: str, start: date, stop: date) -> frozenset[str]:
        return frozenset(owner for owner, _ in self.owner_rows(patent, start, stop))

    def owners_again(self, patent: str, start: date, stop: date) -> frozenset[str]:
        """:meth:`owners`, for a question that asks about ``patent`` at several times (a reading may then
        read its whole history once)."""
        return self.owners(patent, start, stop)

    def licences_during(self, start: date, stop: date) -> list[Licence]:
        return [licence_from_row(row) for row in self.licence_rows(start, stop)]

    def licence_rows_on(
        self, patent: str, start: date, stop: date, licensees: Iterable[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """``licences`` rows live in ``[start, stop)`` that may cover ``patent`` (a superset; by start and id).

        With ``licensees``, only licences to one of them (or a name renames link to them) need be included.
        """
        return self.licence_rows(start, stop)

    def prefetch_licences(self, patent: str, start: date, stop: date, licensees: set[str]) -> None:
        """A hint: the question will ask :meth:`owners_again` of ``patent``, then :meth:`licence_rows_on` with these
        arguments; a reading may read both at once (this one reads them as asked)."""

    def licences_on(self, patent: str, start: date, stop: date, licensees: Iterable[str] | None = None) -> list[Licence]:
        return [licence_from_row(row) for row in self.licence_rows_on(patent, start, stop, licensees)]

    def bans_during(self, start: date, stop: date) -> list[tuple[int, Ban]]:
        return latest_bans(self.ban_rows(start, stop))

    def ban_rows_against(
        self, names: Iterable[str], start: date, stop: date, territory: str | None = None
    ) -> list[tuple[Any, ...]]:
        """``bans`` rows in force in ``[start, stop)`` that may be against ``names`` (a superset; by ban and start).

        With ``territory`` (an ISO code), rows that cannot be in force there may be left out.
        """
        return self.ban_rows(start, stop)

    def bans_against(self, names: Iterable[str], start: date, stop: date) -> list[tuple[int, Ban]]:
        return latest_bans(self.ban_rows_against(names, start, stop))

    def ban_stretches(self, names: Iterable[str] | None, start: date, stop: date) -> list[tuple[int, Ban]]:
        """Every stretch of every ban in force at some moment of ``[start, stop)`` (against ``names``, when given).

        ``(imposing position, ban as it stood in that stretch)``, by ban and start.
        """
        rows = self.ban_rows(start, stop) if names is None else self.ban_rows_against(names, start, stop)
        return [(row[12], ban_from_row(row)) for row in rows]

    def security_interests_on(self, patent: str, start: date, stop: date) -> list[tuple[int, Encumbrance]]:
        """Security interests recorded under any number of the property, each once, as on ``patent``."""
        found: dict[tuple[Any, ...], tuple[int, Encumbrance]] = {}
        for number in self.numbers(patent):
            for row in self.security_rows(number, start, stop):
                interest = attrs.evolve(security_from_row(row), patent=patent)
                found.setdefault((interest.grantor, interest.holder, interest.valid_from, interest.valid_to, row[5]),
                                 (row[5], interest))
        return sorted(found.values(), key=lambda item: (item[1].valid_from, item[0]))

    def licence_positions(self) -> dict[str, int]:
        """The log position that granted each licence on this basis."""
        return {row[0]: row[10] for row in self.licence_rows(date.min, date.max)}

    def ban_starts(self) -> dict[str, date]:
        starts: dict[str, date] = {}
        for row in self.ban_rows(date.min, date.max):
            day = date.fromisoformat(row[10])
            starts[row[0]] = min(day, starts.get(row[0], day))
        return starts

    def renames(self) -> list[Fact]:
        """The renames and mergers counted on this basis, in valid-time order."""
        return sorted(self.visible(self.log.renames()), key=valid_order)

    def renames_of(self, names: Iterable[str]) -> list[Fact]:
        """The part of :meth:`renames` that can bear on ``names``: the renames linked to them, same order.

        Renames in other groups never touch these names' aliases, so folding
        only these gives the same canonical names, at a cost that does not grow
        with every rename in the ledger.
        """
        groups = self.log.rename_groups()
        key = frozenset(groups.groups_of(names))
        if not key:
            return []
        cache: dict[frozenset[Any], list[Fact]] = self.__dict__.setdefault("_renames_of", {})
        if key not in cache:
            cache[key] = self._renames_in(groups, key, names)
        return cache[key]

    def _renames_in(self, groups: RenameGroups, key: frozenset[str], names: Iterable[str]) -> list[Fact]:
        """:meth:`renames_of`, looked up (``key``: the groups of ``names``; this reading has not kept them)."""
        return sorted(self.visible(groups.renames_of(names)), key=valid_order)

    def key_facts(self, view: KeyedView, key: str) -> list[Fact]:
        """The facts counted on this basis for one key of a keyed view (a licence, a ban)."""
        return self.visible(self.log.facts(self.store.views.reads.key_positions(view.facts_table, key)))

    def deal_reports(self, deal: str) -> list[Fact]:
        """Every assignment counted on this basis that reports the deal ``deal``, in position order."""
        return self.visible(self.log.facts(self.store.views.reads.deal_positions(deal, self.known)))

    def split_applications(self) -> list[tuple[str, list[str], int]]:
        """Applications the register links to more than one grant, on this basis."""
        return self.store.views.title.split_applications(self.known)

    def unlisted_deals(self, sellers: Iterable[str] | None = None) -> list[Fact]:
        """Every assignment counted on this basis that moved patents it did not list (an undisclosed block).

        With ``sellers`` (party keys), only those with an assignor under one of the keys, in the same order:
        found through an index by assignor key, kept per head, so a party's question does not decode every
        such deal in the log.
        """
        if sellers is None:
            return self.visible(self.log.facts(self.store.views.reads.unlisted_deal_positions(self.known)))
        by_seller = self._kept("unlisted_by_seller")
        if not by_seller:
            upto = self.known if self.head is None else self.head
            decoded: dict[int, Event] = self.store.memo.setdefault("unlisted_events", {})  # positions never change
            positions = self.store.views.reads.unlisted_deal_positions(upto)
            for position, event in self.log.facts([p for p in positions if p not in decoded]):
                decoded[position] = event
            index: dict[str, list[Fact]] = {}
            for position in sorted(positions):
                event = decoded[position]
                for key in {party_key(name) for name in getattr(event, "assignor", ())}:
                    index.setdefault(key, []).append((position, event))
            by_seller[None] = index  # (a key of its own: an index of no deals is still built)
        index = by_seller[None]
        found = {fact[0]: fact for key in set(sellers) for fact in index.get(key, ())}
        return self.visible(sorted(found.values(), key=lambda fact: fact[0]))

    def repeated_deals(self) -> list[str]:
        """Deal ids more than one assignment reports (candidates for duplicate reports)."""
        return self.store.views.reads.repeated_deals(self.known)

    def assignments_between(self, start: date, end: date) -> list[Fact]:
        """Assignments counted on this basis whose effective date starts in ``[start, end]``, in valid-time order."""
        facts = self.visible(self.log.facts(self.store.views.reads.assignment_positions(start, end, self.known)))
        return sorted(facts, key=valid_order)

    def party_names(self) -> list[tuple[str, str]]:
        """``(key, spelling)`` of every party name in the log."""
        return self.store.views.reads.party_names()

    def title(self, patent: str) -> TitleFold:
        """``patent``'s chain of title folded from the facts counted on this basis."""
        facts = self.log.facts(self.store.views.reads.title_positions(patent))
        names = set().union(*(title_parties(event) for _, event in facts))
        facts += relevant_renames(self.log.renames(), names)
        doubts: list[Doubt] = []
        holdings, anomalies = fold_title(patent, self.visible(facts), doubts)
        return holdings, anomalies, doubts


_LICENCE_COLUMNS, _BAN_COLUMNS = tuple(LICENCES.columns), tuple(BANS.columns)
_FIRST, _ID = _LICENCE_COLUMNS.index("valid_from"), _LICENCE_COLUMNS.index("licence_id")


def _licence_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The order of licence rows read with their rowid last: by start, id and rowid."""
    return row[_FIRST], row[_ID], row[-1]


class StoredReading(Reading):
    """The stored views, read at log position ``known``: indexed look-ups."""

    def next_question(self) -> None:
        """This reading answers another question (kept between questions while nothing was written): the view
        rows the last one read are read again, not kept (only log facts and links between names are)."""
        self.__dict__.pop("_history", None)
        self.__dict__.pop("_prefetched", None)

    def owner_rows(self, patent: str, start: date, stop: date) -> list[tuple[str, int]]:
        return self.store.views.reads.owner_rows(patent, start, stop, self.known)

    def kept_at_head(self, name: str) -> dict[Any, Any] | None:
        """A cache named ``name`` for what the stored views answer on any basis while they stand at this head (its
        keys name the basis position), shared by the readings at this head; None when this reading has none (a
        reading of its own facts, or one whose head is not known)."""
        return self._kept(name) if type(self) is StoredReading and self.head is not None else None

    def _plain_names_of(self, party: str) -> list[str] | None:
        # a party none of whose spellings any rename or merger in the log links (most parties) has the same plain
        # names on every basis at this head (its spellings are read at the head): kept for all the readings at it,
        # so a reading at a past basis does not look again at a party the current one has met
        shared = self.kept_at_head("plain_names")
        if shared is None:
            return super()._plain_names_of(party)
        found: list[str] | None = shared.get(party)
        if found is None:
            spelled = self.spellings([party])
            if self.log.rename_groups().knows(spelled):
                return super()._plain_names_of(party)  # (which renames count depends on the basis)
            found = shared[party] = [party, *sorted(spelled - {party})]
        return found

    def _renames_in(self, groups: RenameGroups, key: frozenset[str], names: Iterable[str]) -> list[Fact]:
        # the renames of a group of names, on any basis, are those of the whole log at this head counted on it:
        # kept sorted for all the readings at this head, and filtered here (a past basis meets them cheaply)
        shared = self.kept_at_head("renames_of")
        if shared is None:
            return super()._renames_in(groups, key, names)
        every = shared.get(key)
        if every is None:
            every = shared[key] = sorted(groups.renames_of(names), key=valid_order)
        return self.visible(every)

    def owners_again(self, patent: str, start: date, stop: date) -> frozenset[str]:
        # the patent's whole history, read once (its licences need its owners ever too), filtered here
        first, last = iso_day(start), iso_day(stop)
        return frozenset(owner for owner, valid_from, valid_to in self._owner_history(patent)
                         if valid_from < last and (valid_to is None or valid_to > first))

    def _owner_history(self, patent: str) -> list[tuple[str, str, str | None]]:
        """Every ``ownership`` row of ``patent`` on this basis, at any valid time: read once per reading."""
        kept: dict[str, list[tuple[str, str, str | None]]] = self.__dict__.setdefault("_history", {})
        if patent not in kept:
            kept[patent] = self.store.views.reads.owner_history(patent, self.known)
        return kept[patent]

    def prefetch_licences(self, patent: str, start: date, stop: date, licensees: set[str]) -> None:
        # the patent's history and the licences that may cover it in one statement: the portfolio licences are
        # found by the owners inside it, which is right unless a rename links an owner to another name (then the
        # licences are read as asked, the history kept)
        if not self._prefetches(patent):
            return
        history: dict[str, list[tuple[str, str, str | None]]] = self.__dict__.setdefault("_history", {})
        if patent in history:
            return
        groups, reads = self.log.rename_groups(), self.store.views.reads
        to = groups.linked(licensees) if groups.knows(licensees) else licensees
        history[patent], rows = reads.history_and_licences(patent, _LICENCE_COLUMNS, self.numbers(patent), start, stop,
                                                           self.known, to)
        owners = {row[0] for row in history[patent]}
        linked = groups.linked(owners) - owners if groups.knows(owners) else None
        if linked:  # the portfolio licences of names renames link to an owner, read apart
            rows += reads.portfolio_licences(_LICENCE_COLUMNS, linked, start, stop, self.known, to)
        rows.sort(key=_licence_order)  # as licences_on orders them: by start, id and rowid
        prefetched: dict[Any, list[tuple[Any, ...]]] = self.__dict__.setdefault("_prefetched", {})
        prefetched[patent, start, stop, frozenset(licensees)] = [row[:-1] for row in rows]

    def _prefetches(self, patent: str) -> bool:
        """Whether :meth:`prefetch_licences` may read ``patent``'s history and licences as the views store them
        (a reading that adds facts of its own reads them its own way)."""
        return type(self) is StoredReading

    def patent_ends(self, patents: Iterable[str]) -> dict[str, date]:
        # a patent's term rows on every basis change only when the views move: read once per head (with the
        # positions between which each was believed), and each basis picks its own rows of them here, so a reading
        # at a past basis does not read again what the current one read
        ends = self._kept("patent_ends")  # (per basis position: what was picked)
        known, wanted = self.known, set(patents)
        missing = [patent for patent in wanted if (known, patent) not in ends]
        if missing:
            terms: dict[str, list[tuple[date, int, int | None]]] = self._kept("term_history")
            unread = [patent for patent in missing if patent not in terms]
            if unread:
                owner = {number: patent for patent in unread for number in self.numbers(patent)}
                read = self.store.views.reads.term_history(sorted(owner)) if owner else []
                for patent in unread:
                    terms[patent] = []
                for number, day, known_from, known_to in read:
                    terms[owner[number]].append((date.fromisoformat(day), known_from, known_to))
            for patent in missing:
                ends[known, patent] = min((day for day, known_from, known_to in terms[patent]
                                           if known_from <= known and (known_to is None or known_to > known)),
                                          default=None)
        return {patent: day for patent in wanted if (day := ends[known, patent]) is not None}

    def holdings(self, names: Sequence[str], start: date, stop: date) -> tuple[list[tuple[str, int]], dict[int, int]]:
        return self.store.views.reads.holdings(names, start, stop, self.known)

    def held_patents(self, names: Sequence[str], start: date, stop: date) -> tuple[frozenset[str], dict[int, int]]:
        return self.store.views.reads.held_patents(names, start, stop, self.known)

    def licence_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self.store.views.reads.licence_rows(list(LICENCES.columns), start, stop, self.known)

    def licence_rows_on(
        self, patent: str, start: date, stop: date, licensees: Iterable[str] | None = None
    ) -> list[tuple[Any, ...]]:
        # those listing the patent, and portfolio licences of anyone linked by renames to one of its holders
        prefetched: dict[Any, list[tuple[Any, ...]]] | None = self.__dict__.get("_prefetched")
        if prefetched and licensees is not None:
            found = prefetched.pop((patent, start, stop, frozenset(licensees)), None)
            if found is not None:
                return found
        owners = {row[0] for row in self._owner_history(patent)}
        groups = self.log.rename_groups()
        to = None if licensees is None else groups.linked(licensees)
        return self.store.views.reads.licences_on(list(LICENCES.columns), self.numbers(patent), groups.linked(owners),
                                                  start, stop, self.known, to)

    def ban_rows_against(
        self, names: Iterable[str], start: date, stop: date, territory: str | None = None
    ) -> list[tuple[Any, ...]]:
        # bans against any name linked by renames to one of ``names``: the index finds them
        groups = self.log.rename_groups()
        if not isinstance(names, (set, frozenset)):
            names = set(names)
        return self.store.views.reads.bans_against(_BAN_COLUMNS, groups.linked(names) if groups.knows(names) else names,
                                                   start, stop, self.known, territory)

    def renames(self) -> list[Fact]:
        # the same list for every question on this basis until the log grows: read it once
        count = len(self.log.renames())
        kept = self.store.memo.get("visible_renames")
        if kept is None or kept[:2] != (self.known, count):
            kept = self.store.memo["visible_renames"] = (self.known, count, super().renames())
        return kept[2]

    def ban_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self.store.views.reads.ban_rows(list(BANS.columns), start, stop, self.known)

    def security_rows(self, patent: str, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self.store.views.reads.lien_rows(list(SECURITY_INTERESTS.columns), patent, start, stop, self.known)

    def term_rows(self, numbers: Sequence[str]) -> list[tuple[Any, ...]]:
        return self.store.views.reads.term_rows(list(PATENT_TERMS.columns), numbers, self.known)

    def security_notes(self) -> list[tuple[Any, ...]]:
        return self.store.views.reads.security_notes(list(SECURITY_INTERESTS.columns), self.known)

    def title_anomalies(self) -> list[AnomalyRow]:
        return [(kind, subject, position, message, tuple(orjson.loads(related)) if related else ())
                for kind, subject, position, message, related in self.store.views.reads.anomaly_rows(self.known)]


class RefoldedReading(Reading):
    """The folds re-run over the facts known at ``known`` that a register showed by ``registry``."""

    def __init__(self, store: Store, known: int, registry: date, head: int | None = None) -> None:
        super().__init__(store, known, head)
        self.registry = registry
        self._titles: dict[str, TitleFold] = {}

    def visible(self, facts: Iterable[Fact]) -> list[Fact]:
        return [fact for fact in super().visible(facts) if registry_day(fact[1]) <= self.registry]

    def title(self, patent: str) -> TitleFold:
        if patent not in self._titles:
            self._titles[patent] = super().title(patent)
        return self._titles[patent]

    def owner_rows(self, patent: str, start: date, stop: date) -> list[tuple[str, int]]:
        if not self._hides_title(patent, stop):
            return StoredReading(self.store, self.known, self.head).owner_rows(patent, start, stop)
        return [
            (h.owner, h.position)
            for h in self.title(patent)[0]
            if _overlaps(h.valid_from.isoformat(), h.valid_to.isoformat() if h.valid_to else None, start, stop)
        ]

    def _hides_title(self, patent: str, stop: date) -> bool:
        """Whether the register date hides any fact that could bear on ``patent`` before ``stop``.

        Valid time runs forward, so events taking effect on or after ``stop``
        cannot change who held the patent before it (unless the chain has an
        inventors' assignment: they held from the start when theirs is the
        chain's first fact); when nothing earlier is hidden, the stored view
        already has the answer.
        """
        return self.store.views.reads.hides_title(patent, self.known, self.registry, stop)

    def holdings(self, names: Sequence[str], start: date, stop: date) -> tuple[list[tuple[str, int]], dict[int, int]]:
        linked = set(names)
        for _, rename in relevant_renames(self.log.renames(), names):
            linked.update(title_parties(rename))
        reads = self.store.views.reads
        candidates = reads.patents_naming(linked)
        wanted = set(names)
        patents = [
            (patent, position)
            for patent in sorted(candidates)
            for owner, position in self.owner_rows(patent, start, stop)
            if owner in wanted
        ]
        blocks: dict[int, int] = {}
        deals = reads.undisclosed_deals_of(linked)
        for position, deal in self.visible(self.log.facts(deals)):
            assert isinstance(deal, PatentsAssigned)
            facts = self.visible([(position, deal), *relevant_renames(self.log.renames(), deal.assignee)])
            held, _ = fold_title(f"deal at {position}", facts)
            if any(h.owner in wanted and _overlaps(h.valid_from.isoformat(), h.valid_to.isoformat() if h.valid_to else None, start, stop)
                   for h in held):
                blocks[position] = deal.undisclosed_count
        return patents, blocks

    def _view_rows(self, view: KeyedView, start: date, stop: date, keys: Iterable[str] | None,
                   order: Callable[[tuple[Any, ...]], Any]) -> list[tuple[Any, ...]]:
        rows = view.refold(self.log, self.visible, keys)
        first, last = list(view.columns).index("valid_from"), list(view.columns).index("valid_to")
        return sorted((row for row in rows if _overlaps(row[first], row[last], start, stop)), key=order)

    def licence_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self._view_rows(LICENCES, start, stop, None, lambda row: (row[8], row[0]))

    def ban_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self._view_rows(BANS, start, stop, None, lambda row: (row[0], row[10]))

    def security_rows(self, patent: str, start: date, stop: date) -> list[tuple[Any, ...]]:
        rows = self._view_rows(SECURITY_INTERESTS, start, stop, [patent], lambda row: row[3])
        return [row for row in rows if row[6] == "lien"]

    def security_notes(self) -> list[tuple[Any, ...]]:
        return [row for row in SECURITY_INTERESTS.refold(self.log, self.visible) if row[6] != "lien"]

    def term_rows(self, numbers: Sequence[str]) -> list[tuple[Any, ...]]:
        return PATENT_TERMS.refold(self.log, self.visible, numbers)

    def register_anomalies(self) -> list[AnomalyRow]:
        rows = self.store.views.reads.register_rows(self.known, self.registry)
        return [("unclassified", subject, position, message, ()) for subject, position, message in rows]

    def title_anomalies(self) -> list[AnomalyRow]:
        patents = self.store.views.reads.title_patents()
        return [
            (a.kind, patent, a.position, a.message, a.related)
            for patent in patents
            for a in self.title(patent)[1]
        ]
