"""Answering from views that trail the log by a few events, without writing: the tail.

Appends write only the log; the views catch up later (:func:`.runner.refresh`).
A question that finds them a few events behind need not catch them up: every
key those events leave alone reads the same from the stored views at the head
as after a catch-up (rows carry the log positions between which they were
believed), and each key they touch is folded again at question time from its
stored facts plus the tail's, through the same pure folds the views use.

:class:`Tail` is the decoded tail and the keys it touches, kept on the store
per views' checkpoint and extended with only the positions new since the last
question; :class:`TailReading` answers through it. A tail holding an event that
changes things beyond its own keys (a rename or merger, a link between
numbers, a retraction, a register record, an undisclosed block of patents) or
longer than :data:`TAIL_LIMIT` is not read so: the views catch up instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import attrs

from .. import codec
from ..events import (
    BanImposed,
    CrossLicenseAgreed,
    Event,
    LicenseGranted,
    PatentRegistered,
    PatentsAssigned,
    Recorded,
)
from ..parties import party_key
from ..sqlite.store import Store
from ..values import ONE_DAY
from .history import Fact, iso, live_at
from .keyed import KeyedView
from .lean_title import Lean, LeanHolding, lean_event, lean_fact, lean_holdings_before, lean_parties
from .ownership import title_parties
from .parties import event_parties
from .reading import AnomalyRow, Reading, StoredReading, TitleFold, _overlaps
from .rights import BANS, LICENCES, PATENT_TERMS, SECURITY_INTERESTS
from .title import Doubt, fold_title, holdings_before

__all__ = ["TAIL_LIMIT", "Tail", "TailReading", "appended", "read_tail", "tail_reading"]

#: A tail of more events than this is not folded at question time: the views catch up instead.
TAIL_LIMIT = 2_000

#: Events that change what other keys answer (names, numbers, retracted facts) or feed views folded here no
#: other way (register records): a tail holding one is caught up instead.
_GLOBAL = frozenset({"PartyRenamed", "PartiesMerged", "PatentNumbersLinked", "RegisterRecord", "EventRetracted"})
_KEYED: tuple[KeyedView, ...] = (LICENCES, BANS, SECURITY_INTERESTS, PATENT_TERMS)
#: The caches of :meth:`.reading.Reading._kept` that read only views a tail leaves alone (spellings: the stored
#: ones; the tail's are added on top).
_PER_CHECKPOINT = frozenset({"patent_id", "links", "numbers", "spellings", "unlisted_by_seller", "party_key",
                             "stored_ends"})
_KEPT = 50_000
#: After every day as ISO text: a lean replay up to it replays the whole chain.
_END_OF_TIME = "9999-12-32"


def _title_numbers(event: Event) -> tuple[str, ...]:
    """The numbers whose chain of title ``event`` bears on (see :func:`.ownership._title_facts`)."""
    if isinstance(event, PatentsAssigned):
        return event.patents
    return (event.patent,) if isinstance(event, PatentRegistered) else ()


@attrs.define(eq=False)
class Tail:
    """The log's events after the views' ``checkpoint`` up to ``upto``, and the keys they touch."""

    checkpoint: int
    upto: int
    links: bool  # whether any number is linked to another (the views' links; a tail never changes them)
    local: bool = True  # False once an event or the length rules folding at question time out
    stamps: dict[int, str] = attrs.Factory(dict)  # position -> recorded time (commit points of the tail)
    titles: dict[str, list[Fact]] = attrs.Factory(dict)  # property id -> the tail's title facts
    keyed: dict[str, dict[str, list[Fact]]] = attrs.Factory(lambda: {view.table: {} for view in _KEYED})
    folds: dict[tuple[str, str], Any] = attrs.Factory(dict)  # (view, key) -> its fold, until the tail touches it
    # keys of each keyed view touched since its index of terms (see TailReading._terms) was brought up to date
    dirty: dict[str, set[str]] = attrs.Factory(lambda: {view.table: set() for view in _KEYED})
    terms: dict[str, tuple[dict[str, set[str]], dict[str, set[str]], set[str]]] = attrs.Factory(
        lambda: {view.table: ({}, {}, set()) for view in _KEYED})
    # touched patents folded since the index of their parties (see TailReading._holders) was brought up to date
    dirty_titles: set[str] = attrs.Factory(set)
    parties: tuple[dict[str, set[str]], dict[str, set[str]]] = attrs.Factory(lambda: ({}, {}))
    kept: dict[str, dict[Any, Any]] = attrs.Factory(dict)  # Reading._kept's caches of the stored views' look-ups
    stored: dict[tuple[str, str], list[Fact]] = attrs.Factory(dict)  # (facts table, key) -> its stored facts
    # property id -> its stored title facts as small tuples (see TailReading._lean_title), None: not all can be
    lean: dict[str, list[Lean] | None] = attrs.Factory(dict)
    # whether the views' patent_terms held any row at the checkpoint (None: not read yet; see TailReading.patent_ends)
    stored_terms: bool | None = None
    unnamed: list[Event] = attrs.Factory(list)  # events whose party names are not indexed yet (see names)
    _names: dict[str, set[str]] = attrs.Factory(dict)  # party key -> spellings the tail records
    # the reading questions on this tail ask (see tail_reading): kept, its caches with it, from one to the next
    reading: TailReading | None = None
    _mentioned: set[str] = attrs.Factory(set)  # title parties and parties banned (what the views index)

    def extend(self, store: Store, head: int) -> None:
        """Read and sort the events after :attr:`upto` up to ``head``."""
        new: list[tuple[int, str, str, Event]] = []
        for row in store.views.rows_after(self.upto):
            if row.position > head:
                break
            if row.type in _GLOBAL or row.position - self.checkpoint > TAIL_LIMIT:
                self.local = False
                return
            new.append((row.position, row.type, row.recorded_at,
                        codec.decode_stored(row.type, row.payload, row.schema_version)))
        self.add(store, new)
        self.upto = head

    def add(self, store: Store, new: Sequence[tuple[int, str, str, Event]]) -> None:
        """File ``(position, type name, recorded time, event)``, the next positions after :attr:`upto`, under the
        keys they touch (or mark the tail not :attr:`local`)."""
        facts: list[Fact] = []
        for position, type_name, recorded_at, event in new:
            if type_name in _GLOBAL or position - self.checkpoint > TAIL_LIMIT:
                self.local = False
                return
            if isinstance(event, PatentsAssigned) and event.undisclosed_count > 0:
                self.local = False  # an undisclosed block: party-wide holdings the views keep apart
                return
            facts.append((position, event))
            self.stamps[position] = recorded_at
            self.upto = position
        if not facts:
            return
        numbers = {number for _, event in facts for number in _title_numbers(event)}
        ids = store.views.title.properties_of(numbers) if self.links and numbers else {n: n for n in numbers}
        for fact in facts:
            event = fact[1]
            for patent in dict.fromkeys(ids[number] for number in _title_numbers(event)):
                self.titles.setdefault(patent, []).append(fact)
                self.dirty_titles.add(patent)
                for kind in ("title", "title facts", "title before", "lean title"):
                    self.folds.pop((kind, patent), None)
            for view in _KEYED:
                for key in dict.fromkeys(view.keys(event)):
                    self.keyed[view.table].setdefault(key, []).append(fact)
                    self.dirty[view.table].add(key)
                    self.folds.pop((view.table, key), None)
                    self.folds.pop(("names", view.table), None)
            self.unnamed.append(event)

    def key_of(self, name: str) -> str:
        """:func:`~dealtrack.parties.party_key` of ``name``, kept for the tail (the cache of
        :meth:`.reading.Reading.key_of` that the tail's readings share)."""
        keys = self.kept.get("party_key")
        if keys is None or len(keys) > _KEPT:
            keys = self.kept["party_key"] = {}
        key: str | None = keys.get(name)
        if key is None:
            key = keys[name] = party_key(name)
        return key

    def _index_names(self) -> None:
        for event in self.unnamed:
            for name in event_parties(event):
                self._names.setdefault(self.key_of(name), set()).add(name)
            if _title_numbers(event):
                self._mentioned.update(title_parties(event))
            if isinstance(event, BanImposed):
                self._mentioned.update(event.against)
        self.unnamed.clear()

    @property
    def names(self) -> dict[str, set[str]]:
        """Party key -> the spellings the tail records under it."""
        self._index_names()
        return self._names

    @property
    def mentioned(self) -> set[str]:
        """The names the tail adds to the views' title parties and parties banned."""
        self._index_names()
        return self._mentioned

    def commit_points(self, positions: Iterable[int]) -> list[int]:
        """The commit points (last position recorded at the same time) of tail ``positions``."""
        stamps = self.stamps
        points = set()
        for position in positions:
            while stamps.get(position + 1, None) == stamps[position] and position + 1 <= self.upto:
                position += 1
            points.add(position)
        return sorted(points)


def appended(store: Store, recorded: Sequence[Recorded], recorded_at: str) -> None:
    """Hand the events this connection has just appended (recorded at ``recorded_at``, as stored) to the tail
    kept on ``store``, when they continue it: the next question need not read and decode them back.

    Only once they are committed (inside a caller's transaction they may still be rolled back: the tail reads
    them back then); events appended by another connection leave a gap, and the tail reads them from the log.
    """
    if store.conn.in_transaction:
        return
    tail: Tail | None = store.memo.get("tail")
    if tail is None or not tail.local or not recorded or recorded[0].position != tail.upto + 1:
        return
    tail.add(store, [(r.position, type(r.event).__name__, recorded_at, r.event) for r in recorded])


def read_tail(store: Store, head: int, checkpoint: int) -> Tail | None:
    """The tail between the views' ``checkpoint`` and ``head``, when questions can fold it; else None (catch up)."""
    if checkpoint <= 0 or head - checkpoint > TAIL_LIMIT:
        return None
    tail: Tail | None = store.memo.get("tail")
    if tail is None or tail.checkpoint != checkpoint or tail.upto > head:
        tail = store.memo["tail"] = Tail(checkpoint, checkpoint, store.views.title.has_links())
    if tail.local and tail.upto < head:
        tail.extend(store, head)
    if not tail.local:
        return None
    # The tail holds no rename and no retraction: what the log's readers found of them up to its start holds
    # up to the head (see LogReader.renames and .retracted), so no question reads the log for them again.
    if checkpoint <= store.memo.get("renames_searched", 0) < head:
        store.memo["renames_searched"] = head
    kept = store.memo.get("retracted")
    if kept is not None and checkpoint <= kept[0] < head:
        store.memo["retracted"] = (head, kept[1])
    return tail


def tail_reading(store: Store, head: int, tail: Tail) -> TailReading:
    """The reading of ``tail`` (from :func:`read_tail`) at ``head``: one per tail, moved on to each new head, so
    that what it keeps lives from one question to the next (see :meth:`TailReading.advance`)."""
    reading = tail.reading
    if reading is None or reading.store is not store:
        reading = tail.reading = TailReading(store, head, tail)
    elif reading.known != head:
        reading.advance(head)
    else:
        reading.next_question()
    return reading


class TailReading(StoredReading):
    """The stored views at ``known`` (the head) for the keys :class:`Tail` leaves alone; the keys it touches
    folded afresh from their stored facts and the tail's."""

    def __init__(self, store: Store, known: int, tail: Tail) -> None:
        super().__init__(store, known, known)
        self.tail = tail
        self._visible_renames: list[Fact] | None = None
        # party -> (how many spellings the tail recorded under its key then, its plain names)
        self._plain: dict[str, tuple[int, list[str] | None]] = {}

    def advance(self, head: int) -> None:
        """Answer at ``head``, a later head of the same tail (same checkpoint; the tail holds its events).

        What the reading keeps stays true: the tail holds no rename and no retraction, so the renames, the
        retractions and the groups of names its log reader found hold at any head of the tail; stored
        spellings, links and stored facts stay as the views left them; what depends on the tail's own events
        (its folds, its names) is kept on the tail and redone there for the keys new events touch. What is
        kept per head (commit points, the caches of :meth:`_kept` per head) and per question is dropped.
        """
        self.known = self.head = head
        self.log.advance(head)
        self._at_head = None
        self.next_question()

    def next_question(self) -> None:
        super().next_question()
        self.__dict__.pop("_wide_licences", None)

    def renames(self) -> list[Fact]:
        # the tail holds no rename: those counted at any of its heads are the same (sorted once per reading)
        if self._visible_renames is None:
            self._visible_renames = super().renames()
        return self._visible_renames

    def plain_names(self, party: str) -> list[str] | None:
        # kept across the tail's heads: the stored spellings and the renames stay, and the tail's spellings under
        # the party's key only grow (a new one is a new count)
        names = self.tail.names.get(self.key_of(party))
        count = len(names) if names else 0
        kept = self._plain.get(party)
        if kept is not None and kept[0] == count:
            return kept[1]
        spelled = self.spellings([party])
        found = None if self.renames_of(spelled) else [party, *sorted(spelled - {party})]
        if len(self._plain) >= _KEPT:
            self._plain.clear()
        self._plain[party] = (count, found)
        return found

    def key_of(self, name: str) -> str:
        return self.tail.key_of(name)

    # --- what the tail touches, folded -------------------------------------------------------

    def _links(self) -> bool:
        return self.tail.links

    def _kept(self, name: str) -> dict[Any, Any]:
        # what these caches hold (number links, stored spellings, undisclosed deals) stays as the views left it
        # while they stay at the tail's checkpoint: kept for every question on the same tail, not per head
        if name not in _PER_CHECKPOINT:
            return super()._kept(name)
        kept = self.tail.kept.get(name)
        if kept is None or len(kept) > _KEPT:
            kept = self.tail.kept[name] = {}
        return kept

    def _prefetches(self, patent: str) -> bool:
        # the history and licences the views store answer for a patent whose chain the tail leaves alone (the
        # licences it touched are merged in by licence_rows_on)
        return patent not in self.tail.titles

    def patent_ends(self, patents: Iterable[str]) -> dict[str, date]:
        # a patent none of whose numbers the tail touches ends as the views say, at any head of this tail: kept
        # for the tail (the stored reading keeps them per head, and the head moves with every append)
        wanted = set(patents)
        touched = self.tail.keyed[PATENT_TERMS.table]
        ends: dict[str, date | None] = self._kept("stored_ends")
        fresh = {patent for patent in wanted if touched and any(number in touched for number in self.numbers(patent))}
        missing = [patent for patent in wanted if patent not in fresh and patent not in ends]
        if missing and self.tail.stored_terms is None:
            self.tail.stored_terms = self.store.views.reads.has_terms()
        if missing and not self.tail.stored_terms:  # the views know no patent's end: none of these ends there
            for patent in missing:
                ends[patent] = None
            missing = []
        found = Reading.patent_ends(self, [*missing, *fresh]) if missing or fresh else {}
        for patent in missing:
            ends[patent] = found.get(patent)
        return {patent: day for patent in wanted
                if (day := found.get(patent) if patent in fresh else ends[patent]) is not None}

    def title(self, patent: str) -> TitleFold:
        extra = self.tail.titles.get(patent)
        if extra is None:
            return super().title(patent)
        found: TitleFold | None = self.tail.folds.get(("title", patent))
        if found is None:
            facts = self._title_facts(patent, extra)[0]
            doubts: list[Doubt] = []
            holdings, anomalies = fold_title(patent, facts, doubts)
            found = self.tail.folds[("title", patent)] = (holdings, anomalies, doubts)
        return found

    def _title_facts(self, patent: str, extra: list[Fact]) -> tuple[list[Fact], set[str]]:
        """A touched patent's facts as its fold takes them (stored, the tail's, and the renames linked to the
        chain's parties, as the ownership view folds them), and the parties they name."""
        found: tuple[list[Fact], set[str]] | None = self.tail.folds.get(("title facts", patent))
        if found is None:
            facts = self._stored("title", patent) + extra
            groups = self.log.rename_groups()
            if groups.linked_any:
                facts += groups.renames_of(set().union(*(title_parties(event) for _, event in facts)))
            found = self.tail.folds[("title facts", patent)] = (
                self.visible(facts), set().union(*(title_parties(event) for _, event in facts)))
        return found

    def _holdings_before(self, patent: str, extra: list[Fact], stop: date) -> list[LeanHolding]:
        """The holdings of a touched patent's fold that begin before ``stop`` (see :func:`.title.holdings_before`),
        days as ISO text, or more: its whole fold when already made; else, when every fact has its small tuple,
        the lean replay of the whole chain (:func:`.lean_title.lean_holdings_before`), kept for any ``stop``; else
        a replay up to ``stop`` (kept for the same ``stop``).

        Valid time runs forward and the lean replay takes its facts in that order: a fact dated on or after
        ``stop`` changes no holding before it, and only ends one held then on a day past ``stop`` (the caller keeps
        the holdings that overlap a window ending at ``stop``: the same either way). The general replay is kept
        to ``stop``: inventors who assign hold from the start of time, which a later-dated fact may change."""
        whole: TitleFold | None = self.tail.folds.get(("title", patent))
        if whole is not None:
            return [(h.owner, h.valid_from.isoformat(), iso(h.valid_to), h.position) for h in whole[0]]
        kept: tuple[date | None, list[LeanHolding]] | None = self.tail.folds.get(("title before", patent))
        if kept is None or kept[0] is not None and kept[0] != stop:
            lean = self._lean_title(patent, extra)
            if lean is not None:
                kept = (None, lean_holdings_before(lean[0], _END_OF_TIME))
            else:
                kept = (stop, [(h.owner, h.valid_from.isoformat(), iso(h.valid_to), h.position)
                               for h in holdings_before(patent, self._title_facts(patent, extra)[0], stop)])
            self.tail.folds[("title before", patent)] = kept
        return kept[1]

    def _lean_title(self, patent: str, extra: list[Fact]) -> tuple[list[Lean], set[str]] | None:
        """:meth:`_title_facts` as small tuples (:mod:`.lean_title`), without building the stored events: the
        facts counted and the parties named; None when some fact is not dated to a day or is an assignment by
        inventors (the general fold takes those)."""
        key = ("lean title", patent)
        if key not in self.tail.folds:
            self.tail.folds[key] = self._lean_title_facts(patent, extra)
        found: tuple[list[Lean], set[str]] | None = self.tail.folds[key]
        return found

    def _lean_title_facts(self, patent: str, extra: list[Fact]) -> tuple[list[Lean], set[str]] | None:
        stored = self._stored_lean(patent)
        if stored is None:
            return None
        facts = list(stored)
        for fact in extra:
            lean = lean_event(fact)
            if lean is None:
                return None
            facts.append(lean)
        groups = self.log.rename_groups()
        parties = lean_parties(facts)
        if groups.linked_any and groups.knows(parties):  # the renames linked to the chain's parties join it (as
            renames = groups.renames_of(parties)  # in _title_facts; a chain naming no renamed party has none)
            for fact in renames:
                lean = lean_event(fact)
                if lean is None:
                    return None
                facts.append(lean)
            if renames:
                parties = lean_parties(facts)
        retracted, known = self.log.retracted(), self.known
        visible = [fact for fact in facts if fact[0] <= known and retracted.get(fact[0], known + 1) > known]
        return visible, parties

    def _stored_lean(self, patent: str) -> list[Lean] | None:
        """The title facts the views file under ``patent`` as small tuples, read off their payloads once per
        tail; None when one has none (then they are decoded for :meth:`_stored` instead, read once all the same)."""
        if patent in self.tail.lean:
            return self.tail.lean[patent]
        rows = self.store.views.reads.title_fact_payloads(patent)
        leans = [lean_fact(position, type_name, codec.stored_fields(type_name, payload, version))
                 for position, type_name, payload, version in rows]
        found = None if None in leans else [lean for lean in leans if lean is not None]
        if found is None and ("title", patent) not in self.tail.stored:
            self.tail.stored[("title", patent)] = [
                (position, codec.decode_stored(type_name, payload, version))
                for position, type_name, payload, version in rows]
        self.tail.lean[patent] = found
        return found

    def _stored(self, table: str, key: str) -> list[Fact]:
        """The facts the views' ``table`` (``"title"``: the title facts) files under ``key``, decoded: read once
        per tail (they stay as they are while the views stay at its checkpoint)."""
        found = self.tail.stored.get((table, key))
        if found is None:
            reads = self.store.views.reads
            rows = reads.title_fact_payloads(key) if table == "title" else reads.key_fact_payloads(table, key)
            found = self.tail.stored[(table, key)] = [
                (position, codec.decode_stored(type_name, payload, version))
                for position, type_name, payload, version in rows]
        return list(found)

    def _holders(self) -> dict[str, set[str]]:
        """``party -> touched patents whose title facts name it``, brought up to date with the patents touched
        since last asked."""
        by_party, of_patent = self.tail.parties
        for patent in self.tail.dirty_titles:
            for party in of_patent.pop(patent, ()):
                by_party[party].discard(patent)
            lean = self._lean_title(patent, self.tail.titles[patent])  # (no fold needed)
            of_patent[patent] = lean[1] if lean is not None else self._title_facts(patent, self.tail.titles[patent])[1]
            for party in of_patent[patent]:
                by_party.setdefault(party, set()).add(patent)
        self.tail.dirty_titles.clear()
        return by_party

    def _all_facts(self, view: KeyedView, key: str) -> list[Fact]:
        """A touched key's facts, stored and the tail's (every one: not only those counted on this basis)."""
        found: tuple[list[Fact], list[tuple[Any, ...]]] | None = self.tail.folds.get((view.table, key))
        if found is not None:
            return found[0]
        return self._stored(view.facts_table, key) + self.tail.keyed[view.table][key]

    def _keyed(self, view: KeyedView, key: str) -> tuple[list[Fact], list[tuple[Any, ...]]]:
        """A touched key's facts (stored and the tail's) and its rows folded from them."""
        found: tuple[list[Fact], list[tuple[Any, ...]]] | None = self.tail.folds.get((view.table, key))
        if found is None:
            facts = self._stored(view.facts_table, key) + self.tail.keyed[view.table][key]
            found = self.tail.folds[(view.table, key)] = (facts, view.fold_facts(self.log, key, facts, self.visible))
        return found

    def _terms(self, view: KeyedView) -> tuple[dict[str, set[str]], set[str]]:
        """``(term -> touched keys whose facts name it, touched keys with a portfolio row)`` for ``view``
        (terms as the view's terms table holds them), brought up to date with the keys touched since last asked."""
        by_term, of_key, portfolio = self.tail.terms[view.table]
        dirty = self.tail.dirty[view.table]
        if dirty and view.terms is not None:
            for key in dirty:
                for term in of_key.pop(key, ()):
                    by_term[term].discard(key)
                facts = self._all_facts(view, key)  # (the terms need no fold: a key no question asks is not folded)
                of_key[key] = {term for _, event in facts for term in view.terms(event)}
                for term in of_key[key]:
                    by_term.setdefault(term, set()).add(key)
                portfolio.discard(key)
                # a portfolio row (no patents listed) comes only from a grant listing none: a key with such a grant
                # may have one (licence_rows_on tests its rows)
                if view is LICENCES and any(isinstance(event, (LicenseGranted, CrossLicenseAgreed))
                                            and event.patents is None for _, event in facts):
                    portfolio.add(key)
            dirty.clear()
        return by_term, portfolio

    def _touched_rows(self, view: KeyedView, start: date, stop: date) -> list[tuple[Any, ...]]:
        first, last = list(view.columns).index("valid_from"), list(view.columns).index("valid_to")
        return [row for key in sorted(self.tail.keyed[view.table]) for row in self._keyed(view, key)[1]
                if _overlaps(row[first], row[last], start, stop)]

    def _merged(self, view: KeyedView, stored: list[tuple[Any, ...]], touched: list[tuple[Any, ...]],
                order: Any) -> list[tuple[Any, ...]]:
        keys = self.tail.keyed[view.table]
        if not keys:
            return stored
        kept = [row for row in stored if row[0] not in keys]
        if not touched:  # (the stored rows come in order)
            return stored if len(kept) == len(stored) else kept
        return sorted([*kept, *touched], key=order)

    # --- title ---------------------------------------------------------------------------------

    def owner_rows(self, patent: str, start: date, stop: date) -> list[tuple[str, int]]:
        extra = self.tail.titles.get(patent)
        # valid time runs forward: facts taking effect on or after ``stop`` cannot change who held the patent
        # before it (the tail holds no rename), so the stored rows answer (as in RefoldedReading.owner_rows);
        # except where inventors held from the start of time (title._first_inventors): an assignment by inventors
        # in the tail, or a stored chain that begins with theirs (a fact dated before it would end that)
        if extra is None or (all(event.effective is not None and event.effective.start >= stop
                                 and not (isinstance(event, PatentsAssigned) and event.by_inventors)
                                 for _, event in extra)
                             and not super().owner_rows(patent, date.min, date.min + ONE_DAY)):
            return super().owner_rows(patent, start, stop)
        # and only the facts before it are replayed (unless the whole fold is at hand)
        first, last = start.isoformat(), stop.isoformat()  # (as _overlaps tests them)
        return [(owner, position) for owner, valid_from, valid_to, position in self._holdings_before(patent, extra, stop)
                if valid_from < last and (valid_to is None or valid_to > first)]

    def _owner_history(self, patent: str) -> list[tuple[str, str, str | None]]:
        # a patent the tail touches: its history from the fold (the stored reading's owners_again and
        # licence_rows_on read it)
        if patent not in self.tail.titles:
            return super()._owner_history(patent)
        return [(h.owner, h.valid_from.isoformat(), h.valid_to.isoformat() if h.valid_to else None)
                for h in self.title(patent)[0]]

    def held_patents(self, names: Sequence[str], start: date, stop: date) -> tuple[frozenset[str], dict[int, int]]:
        return Reading.held_patents(self, names, start, stop)  # (from :meth:`holdings`, which adds the tail's)

    def holdings(self, names: Sequence[str], start: date, stop: date) -> tuple[list[tuple[str, int]], dict[int, int]]:
        patents, blocks = super().holdings(names, start, stop)
        touched = self.tail.titles
        if not touched:
            return patents, blocks
        wanted = set(names)
        # a holder is named by its patent's title facts (or renames linked to them): only those patents can count
        by_party = self._holders()
        candidates = set().union(*(by_party.get(name, ()) for name in self.log.rename_groups().linked(wanted)))
        found = [(patent, position) for patent, position in patents if patent not in touched]
        for patent in sorted(candidates):
            found += [(patent, position) for owner, position in self.owner_rows(patent, start, stop) if owner in wanted]
        return found, blocks

    def title_anomalies(self) -> list[AnomalyRow]:
        touched = self.tail.titles
        found = [row for row in super().title_anomalies() if row[1] not in touched]
        return found + [(a.kind, patent, a.position, a.message, a.related)
                        for patent in sorted(touched) for a in self.title(patent)[1]]

    def knows_patent(self, patent: str) -> bool:
        return any(number in self.tail.titles for number in self.numbers(patent)) or super().knows_patent(patent)

    # --- licences, bans, security interests, terms ----------------------------------------------

    def licence_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self._merged(LICENCES, super().licence_rows(start, stop), self._touched_rows(LICENCES, start, stop),
                            lambda row: (row[8], row[0]))

    def prefetch_licences(self, patent: str, start: date, stop: date, licensees: set[str]) -> None:
        # A licence the tail adds on the patent, to one of ``licensees``, is tested for its licensor's right to
        # grant it (questions._cannot_grant): the licences to the licensor on the licence's first day. When that
        # day is the window asked, those are read in the same statement: the licensor's spellings join the
        # licensees, and licence_rows_on takes each set's rows from the one read (by licensee, as the statement
        # would have chosen them).
        grantors = self._grantors(patent, start, stop, licensees) if self._prefetches(patent) else set()
        if not grantors or grantors <= licensees:
            super().prefetch_licences(patent, start, stop, licensees)
            return
        wide = licensees | grantors
        super().prefetch_licences(patent, start, stop, wide)
        prefetched: dict[Any, list[tuple[Any, ...]]] = self.__dict__.get("_prefetched", {})
        rows = prefetched.pop((patent, start, stop, frozenset(wide)), None)
        if rows is not None:
            self._wide[patent, start, stop] = (frozenset(wide), rows)

    @property
    def _wide(self) -> dict[tuple[str, date, date], tuple[frozenset[str], list[tuple[Any, ...]]]]:
        found: dict[tuple[str, date, date], tuple[frozenset[str], list[tuple[Any, ...]]]] = \
            self.__dict__.setdefault("_wide_licences", {})
        return found

    def _grantors(self, patent: str, start: date, stop: date, licensees: set[str]) -> set[str]:
        """Every spelling of the licensors of the licences the tail files under one of ``patent``'s numbers that
        begin on ``start`` (a day: ``stop`` the day after) and go to one of ``licensees``; empty when a rename
        bears on one of them (its canonical name on that day is then not its own)."""
        if not self.tail.keyed[LICENCES.table] or (stop - start).days != 1:
            return set()
        by_term, _ = self._terms(LICENCES)
        keys = set().union(*(by_term.get(number, ()) for number in self.numbers(patent)))
        if not keys:
            return set()
        first, groups = start.isoformat(), self.log.rename_groups()
        to = groups.linked(licensees)
        licensors = {row[1] for key in keys for row in self._keyed(LICENCES, key)[1]
                     if row[8] == first and row[2] in to}
        if not licensors or groups.knows(licensors):
            return set()
        return self.spellings(licensors)

    def _stored_licence_rows(
        self, patent: str, start: date, stop: date, licensees: Iterable[str] | None
    ) -> list[tuple[Any, ...]]:
        """The stored reading's licence_rows_on: from the wider read of :meth:`prefetch_licences` when it holds them."""
        wanted = None if licensees is None else set(licensees)
        found = self._wide.get((patent, start, stop)) if wanted is not None else None
        if found is not None and wanted is not None and wanted <= found[0]:
            to = self.log.rename_groups().linked(wanted)
            return [row for row in found[1] if row[2] in to]
        return super().licence_rows_on(patent, start, stop, wanted)

    def licence_rows_on(
        self, patent: str, start: date, stop: date, licensees: Iterable[str] | None = None
    ) -> list[tuple[Any, ...]]:
        # the stored reading's, whose owners (_owner_history) the tail may have changed, and the licences it touched
        stored = self._stored_licence_rows(patent, start, stop, licensees)
        if not self.tail.keyed[LICENCES.table]:
            return stored
        # the same rows the stored look-up gives (a licence listing one of the numbers, and portfolio licences
        # of the owners' names), each as often
        by_term, portfolio = self._terms(LICENCES)
        listing = set().union(*(by_term.get(number, ()) for number in self.numbers(patent)))
        if not listing and not portfolio:  # (a stored row of a touched licence lists a number, or none: then
            return stored  # its licence is in ``portfolio``): no touched licence bears on the patent
        groups = self.log.rename_groups()
        to = None if licensees is None else groups.linked(licensees)
        licensors = groups.linked({row[0] for row in self._owner_history(patent)})
        touched = [row for key in sorted(listing) for row in self._keyed(LICENCES, key)[1]
                   if _overlaps(row[8], row[9], start, stop) and (to is None or row[2] in to)]
        touched += [row for key in sorted(portfolio) for row in self._keyed(LICENCES, key)[1]
                    if row[3] is None and row[1] in licensors and _overlaps(row[8], row[9], start, stop)
                    and (to is None or row[2] in to)]
        return self._merged(LICENCES, stored, touched, lambda row: (row[8], row[0]))

    def ban_rows(self, start: date, stop: date) -> list[tuple[Any, ...]]:
        return self._merged(BANS, super().ban_rows(start, stop), self._touched_rows(BANS, start, stop),
                            lambda row: (row[0], row[10]))

    def ban_rows_against(
        self, names: Iterable[str], start: date, stop: date, territory: str | None = None
    ) -> list[tuple[Any, ...]]:
        linked = self.log.rename_groups().linked(names)
        # (the touched keys' rows are all given: the caller tests the territory of every row)
        stored = self.store.views.reads.bans_against(list(BANS.columns), linked, start, stop, self.known, territory)
        keys = self.tail.keyed[BANS.table]
        if not keys:
            return stored
        first, last = list(BANS.columns).index("valid_from"), list(BANS.columns).index("valid_to")
        by_term, _ = self._terms(BANS)
        against = set().union(*(by_term.get(name, ()) for name in linked))
        if not against:  # no touched ban names one of them (a stored row of one would: its key would be here)
            return stored
        touched = [row for key in sorted(against) for row in self._keyed(BANS, key)[1]
                   if _overlaps(row[first], row[last], start, stop)]
        return self._merged(BANS, stored, touched, lambda row: (row[0], row[10]))

    def security_rows(self, patent: str, start: date, stop: date) -> list[tuple[Any, ...]]:
        if patent not in self.tail.keyed[SECURITY_INTERESTS.table]:
            return super().security_rows(patent, start, stop)
        rows = self._keyed(SECURITY_INTERESTS, patent)[1]
        return sorted((row for row in rows if row[6] == "lien" and _overlaps(row[3], row[4], start, stop)),
                      key=lambda row: row[3])

    def security_notes(self) -> list[tuple[Any, ...]]:
        keys = self.tail.keyed[SECURITY_INTERESTS.table]
        found = [row for row in super().security_notes() if row[0] not in keys]
        return found + [row for key in sorted(keys) for row in self._keyed(SECURITY_INTERESTS, key)[1] if row[6] != "lien"]

    def term_rows(self, numbers: Sequence[str]) -> list[tuple[Any, ...]]:
        keys = self.tail.keyed[PATENT_TERMS.table]
        stored = [number for number in numbers if number not in keys]
        found = super().term_rows(stored) if stored else []
        return found + [row for number in numbers if number in keys for row in self._keyed(PATENT_TERMS, number)[1]]

    def key_facts(self, view: KeyedView, key: str) -> list[Fact]:
        if key not in self.tail.keyed.get(view.table, {}):
            return super().key_facts(view, key)
        return self.visible(self._keyed(view, key)[0])

    # --- parties --------------------------------------------------------------------------------

    def spellings(self, names: Iterable[str]) -> set[str]:
        wanted = set(names)
        found = super().spellings(wanted)
        names = self.tail.names
        for key in {self.key_of(name) for name in wanted}:
            found |= names.get(key, set())
        return found

    def party_names(self) -> list[tuple[str, str]]:
        if not self.tail.names:
            return super().party_names()
        pairs = set(super().party_names()) | {(key, name) for key, names in self.tail.names.items() for name in names}
        return sorted(pairs)

    def _licence_names(self) -> set[str]:
        """Licensors and licensees of the rows the tail's licence events would add to the views, at each of
        the tail's commit points (the stored view keeps the rows of every point)."""
        found: set[str] | None = self.tail.folds.get(("names", LICENCES.table))
        if found is None:
            found = set()
            for key, extra in self.tail.keyed[LICENCES.table].items():
                facts = self._keyed(LICENCES, key)[0]
                retracted = self.log.retracted()
                for point in self.tail.commit_points(position for position, _ in extra):
                    rows = LICENCES.fold_facts(self.log, key, live_at(facts, retracted, point), list)
                    found.update(name for row in rows for name in (row[1], row[2]))
            self.tail.folds[("names", LICENCES.table)] = found
        return found

    def knows_party(self, name: str) -> bool:
        return name in self.tail.mentioned or name in self._licence_names() or super().knows_party(name)

    def mentioned_names(self) -> set[str]:
        return super().mentioned_names() | self.tail.mentioned | self._licence_names()
