"""The ownership view: who held each patent when, as believed at each position of the log.

Tables (ordinary SQLite tables, browsable as they are):

- ``title_facts(patent, position)``: which events bear on a patent's title, and
  ``title_parties(party, patent)``: who those events name (a rename re-folds them);
- ``ownership(patent, owner, valid_from, valid_to, position, known_from, known_to)``:
  holdings as half-open day intervals ``[valid_from, valid_to)``, believed
  while the log stood between positions ``known_from`` and ``known_to``;
- ``undisclosed_holdings(...)``: patents a deal moved without listing them;
- ``anomalies(view, subject, kind, position, message, known_from, known_to)``.

Upkeep is per key and incremental: an append folds only the patents (and
undisclosed blocks) its events touch, and only at its own positions, closing
the rows that stop being believed and adding the new ones, in a few statements
for the whole append. A rebuild streams the log one patent at a time.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence, Set as AbstractSet
from datetime import date
from typing import Any

import orjson

from .. import codec
from ..events import Event, PatentRegistered, PatentsAssigned
from ..sqlite.store import Store
from .history import Fact, FoldPoint, advance, believed_over, iso
from .lean_title import KeptFacts, lean_title_fold, lean_title_history
from .numbers import linked_numbers
from .reader import TITLE_TYPES, LogReader, RenameGroups
from .title import Holding, TitleAnomaly, fold_title, fold_title_steps, renamed_names, steps_in_order

__all__ = ["OwnershipProjection", "relevant_renames", "title_parties"]

_TABLES: dict[str, tuple[dict[str, type], tuple[str, ...] | None]] = {
    "title_facts": ({"patent": str, "position": int}, ("patent", "position")),
    "title_parties": ({"party": str, "patent": str}, ("party", "patent")),
    "ownership": (
        {
            "patent": str,
            "owner": str,
            "valid_from": str,
            "valid_to": str,
            "position": int,
            "known_from": int,
            "known_to": int,
        },
        None,
    ),
    "undisclosed_holdings": (
        {
            "deal_position": int,
            "owner": str,
            "patents_count": int,
            "valid_from": str,
            "valid_to": str,
            "known_from": int,
            "known_to": int,
        },
        None,
    ),
    "anomalies": (
        {
            "view": str,
            "subject": str,
            "kind": str,
            "position": int,
            "message": str,
            "related": str,  # JSON list of the other positions involved, or NULL
            "known_from": int,
            "known_to": int,
        },
        None,
    ),
}
_INDEXES = {
    "title_facts": [["position"]],
    "title_parties": [],
    # covering: an as-of question (owners of a patent, holdings of a party) reads the index alone
    "ownership": [["patent", "valid_from", "valid_to", "owner", "known_from", "known_to"],
                  ["owner", "valid_from", "valid_to", "known_from", "known_to", "patent", "position"]],
    "undisclosed_holdings": [["deal_position"], ["owner"]],
    "anomalies": [["view", "subject"]],
}


def title_parties(event: Event) -> set[str]:
    """The parties an event bearing on title names (a rename or merger: both names)."""
    if isinstance(event, PatentRegistered):
        return {event.owner}
    if isinstance(event, PatentsAssigned):
        return set(event.assignor) | set(event.assignee)
    return set(renamed_names(event) or ())


def relevant_renames(renames: Sequence[Fact], names: Iterable[str]) -> list[Fact]:
    """The renames and mergers that can touch any of ``names``, directly or through a chain."""
    names = set(names)
    chosen: dict[int, Fact] = {}
    grew = True
    while grew:
        grew = False
        for fact in renames:
            pair = renamed_names(fact[1])
            if fact[0] not in chosen and pair is not None and names & set(pair):
                chosen[fact[0]] = fact
                names |= set(pair)
                grew = True
    return list(chosen.values())


class OwnershipProjection:
    """Chain of title for every patent, plus undisclosed holdings and title anomalies."""

    name = "ownership"
    # 2: anomalies name related events; 3: covering index; 5: WITHOUT ROWID keys; 6: per-position rows;
    # 7: rows per commit point
    version = 9  # 8: an assignor spelled otherwise than the holder (party_key) is the holder; 9: inventors first, F/K/A
    folded = ("ownership", "undisclosed_holdings", "anomalies")

    def create(self, store: Store) -> None:
        for table, (columns, pk) in _TABLES.items():
            store.ensure_view_table(table, columns, pk, _INDEXES[table], without_rowid=pk is not None)

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        views = log.store.views
        linked: set[str] = set()  # numbers whose facts may sit under another id now
        facts = _by_property(log.store, _title_facts(batch))
        _index(log.store, facts, batch)
        patents = {patent for patent, _ in facts}
        blocks = {position for position, event in batch if _is_block(event)}
        names: set[str] = set()
        targets = list(log.targets(batch).values())
        if targets:  # a retraction touches what its target touched
            patents.update(views.keys_at("title_facts", targets, "patent"))
            for position, event in log.facts(targets):
                if _is_block(event):
                    blocks.add(position)
                names.update(renamed_names(event) or ())
                linked.update(linked_numbers(event))
        for _, event in batch:
            names.update(renamed_names(event) or ())
        linked.update(_moved(log.store, [linked_numbers(event) for _, event in batch if linked_numbers(event)]))
        relinked: set[str] = set()
        if linked:  # a link joins two numbers' chains of title (a retracted one parts them): fold those afresh
            relinked = _relink(log, linked)
            patents.update(relinked)
        if names:  # a rename touches every holding under any name linked to it by renames
            groups = log.rename_groups()
            for group in groups.groups_of(names):
                names |= groups.names(group)
            patents.update(views.title.patents_of_parties(names))
            blocks.update(views.title.deals_of_owners(names))
        self._refresh_patents(log, sorted(patents), log.after, afresh=relinked)
        self._refresh_blocks(log, sorted(blocks), log.after)

    def rebuild(self, log: LogReader) -> None:
        """Recompute the view from the log, streaming: memory stays bounded by one patent's history."""
        store = log.store
        for table in _TABLES:
            store.views.clear(table, _FIXED.get(table))
        blocks: list[int] = []
        # indexing needs only each event's numbers and parties: read those off the payload, build no event
        facts: list[tuple[str, int]] = []
        parties: dict[int, set[str]] = {}
        names: set[str] = set()  # every party name they record, for the party-name view (LogReader.title_names)
        groups = log.rename_groups()
        renamed: set[int] = set()  # the events naming a party some rename or merger links: few, or none
        kept = KeptFacts(log.head())  # the facts as the lean fold reads them: their payloads are not read again
        keep = kept.adder()
        knows = groups.knows
        linked = store.views.title.has_links()  # (else every number is its own property id)
        # other views' keys read off the same fields (patent terms: the registrations'), so they need not read these
        readers: list[tuple[str, tuple[str, ...], Callable[[str, Mapping[str, Any]], Iterable[str]], list[
            tuple[str, int]]]] = [(name, types, read, []) for name, (types, read) in log.key_readers.items()
                                  if not set(types).isdisjoint(TITLE_TYPES)]
        for position, type_name, payload, version in store.views.events_of_types(TITLE_TYPES):
            data = codec.stored_fields(type_name, payload, version)
            keep(position, type_name, data)
            for _, types, read, noted in readers:
                if type_name in types and (keys := read(type_name, data)):
                    noted.extend((key, position) for key in keys)
            if type_name == "PatentRegistered":
                facts.append((data["patent"], position))
                named = parties[position] = {data["owner"]}
            else:
                patents, count = data["patents"], data["disclosed_count"]
                if len(patents) == 1:
                    facts.append((patents[0], position))
                else:
                    facts.extend((patent, position) for patent in patents)
                named = parties[position] = {*data["assignor"], *data["assignee"]}
                if count is not None and count - len(patents) > 0:  # (PatentsAssigned.undisclosed_count)
                    blocks.append(position)
            names |= named
            if knows(named):
                renamed.add(position)
            if len(parties) >= _CHUNK:
                _index_parties(store, _by_property(store, facts) if linked else facts, parties)
                facts, parties = [], {}
                # memory stays bounded: a view with many keys among these events reads them itself
                readers = [reader for reader in readers if len(reader[3]) <= _NOTED_KEYS]
        _index_parties(store, _by_property(store, facts) if linked else facts, parties)
        log.title_names = names
        for name, types, _, noted in readers:
            log.noted_keys[name] = (tuple(t for t in types if t in TITLE_TYPES), noted)
        retracted = log.retracted()
        writer = _Writer(store)
        decode = log.decoded
        fold_point = log.fold_point
        if kept.full:  # too many distinct names to keep: each chain's payloads are read back with it
            chains: Iterable[tuple[str, list[int], list[tuple[Any, int, str, str, int]] | None]] = (
                (patent, [row[1] for row in rows], rows) for patent, group in
                itertools.groupby(store.views.facts_with_events("title_facts", "patent"), key=_first)
                for rows in [list(group)])
        else:
            chains = ((patent, [row[1] for row in group], None)
                      for patent, group in itertools.groupby(store.views.fact_keys("title_facts", "patent"), key=_first))
        for patent, positions, stored in chains:
            # most chains are plain: they fold from a few fields of each payload, without building the events
            # (and most name no renamed party: then there are no names to gather)
            touched = bool(renamed) and not renamed.isdisjoint(positions)
            renames_of = groups.renames_of if touched else None
            if stored is None:
                if len(positions) == 1 and renames_of is None:  # a third of all chains: most take no replay
                    lean = kept.only_fact(patent, positions[0], fold_point, retracted)
                    if lean is not None:
                        writer.add_stored(*lean)
                        continue
                lean_facts = kept.facts(positions)
                lean = None if lean_facts is None else lean_title_fold(patent, lean_facts, fold_point, retracted, renames_of)
            else:
                lean = lean_title_history(patent, stored, fold_point, retracted, renames_of)
            if lean is not None:
                writer.add_stored(*lean)
                continue
            if stored is None:
                stored = [(patent, *row) for row in store.payloads_at(positions)]
            chain = [(position, decode(position, type_name, payload, version))
                     for _, position, type_name, payload, version in stored]
            if touched:
                chain = sorted(chain + groups.renames_of(_title_names(chain)), key=_position)
            writer.add(_title_history(patent, chain, retracted, log.fold_point))
        for position in blocks:
            (deal,) = log.facts([position])
            _, new = advance(_block_facts(deal, groups), retracted, _block_fold(deal), {}, 0, log.fold_point)
            writer.add(new)
        writer.flush()

    # --- keys touched by an append ----------------------------------------------------

    def _refresh_patents(self, log: LogReader, patents: list[str], after: int, afresh: AbstractSet[str] = frozenset()) -> None:
        """Carry each patent's rows forward over the positions after ``after``, a few SQL statements for all.

        Patents in ``afresh`` (their rows were cleared: a number link joined or parted their chains) are
        folded over their whole history instead.
        """
        if not patents:
            return
        views = log.store.views
        if log.reopened:  # fold these patents again from the last commit point before the batch
            views.reopen("ownership", "patent", patents, after)
            views.reopen("anomalies", "subject", patents, after, _FIXED["anomalies"])
        found = views.facts_of("title_facts", patents, "patent")
        positions: dict[str, list[int]] = {patent: found.get(patent, []) for patent in patents}
        believed: dict[str, dict[tuple[Any, ...], tuple[int, Any]]] = {patent: {} for patent in patents}
        for table in ("ownership", "anomalies"):
            columns = _COLUMNS[table][:-2]  # the fold's columns, the key first
            for rowid, *row, since in views.open_rows(table, columns[0], columns, patents, _FIXED.get(table)):
                believed[row[0]][(table, *row)] = (since, (table, rowid))
        decoded = dict(log.facts(position for found in positions.values() for position in found))
        groups = log.rename_groups()
        per_patent = {}
        for patent in patents:
            facts = [(position, decoded[position]) for position in positions[patent]]
            per_patent[patent] = facts + groups.renames_of(_names_in(facts))
        retracted = log.retracted_among({pos for facts in per_patent.values() for pos, _ in facts})
        writer = _Writer(log.store)
        for patent, facts in per_patent.items():
            if patent in afresh:
                writer.close(*advance(facts, retracted, _title_fold(patent), {}, 0, log.fold_point))
            else:
                writer.close(*advance(facts, retracted, _title_fold(patent), believed[patent], after, log.fold_point))
        writer.flush()

    def _refresh_blocks(self, log: LogReader, blocks: list[int], after: int) -> None:
        """Undisclosed patents of a deal follow its assignees through renames and mergers."""
        if not blocks:
            return
        views = log.store.views
        believed: dict[int, dict[tuple[Any, ...], tuple[int, Any]]] = {block: {} for block in blocks}
        if log.reopened:
            views.reopen("undisclosed_holdings", "deal_position", blocks, after)
        columns = _COLUMNS["undisclosed_holdings"][:-2]
        for rowid, *row, since in views.open_rows("undisclosed_holdings", columns[0], columns, blocks):
            believed[row[0]][("undisclosed_holdings", *row)] = (since, ("undisclosed_holdings", rowid))
        groups = log.rename_groups()
        deals = log.facts(blocks)
        retracted = log.retracted_among({pos for deal in deals for pos, _ in _block_facts(deal, groups)})
        writer = _Writer(log.store)
        for deal in deals:
            writer.close(*advance(_block_facts(deal, groups), retracted, _block_fold(deal), believed[deal[0]], after,
                                  log.fold_point))
        writer.flush()


# The columns the folds write, in the order their rows carry them, then known_from and known_to;
# _FIXED: columns with the same value in every row this view writes (the anomalies table is shared).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "ownership": ("patent", "owner", "valid_from", "valid_to", "position", "known_from", "known_to"),
    "anomalies": ("subject", "kind", "position", "message", "related", "known_from", "known_to"),
    "undisclosed_holdings": ("deal_position", "owner", "patents_count", "valid_from", "valid_to", "known_from", "known_to"),
}
_FIXED: dict[str, dict[str, str]] = {"anomalies": {"view": "title"}}


class _Writer:
    """Collects view rows (tagged with their table) and stored rows to close, and writes them in few statements."""

    def __init__(self, store: Store) -> None:
        self.views = store.views
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _COLUMNS}
        self.closed: dict[str, list[tuple[int, int]]] = {table: [] for table in _COLUMNS}
        self.count = 0

    def add(self, new: list[tuple[tuple[Any, ...], int, int | None]]) -> None:
        for (table, *row), since, until in new:
            self.rows[table].append((*row, since, until))
        self.count += len(new)
        if self.count >= 10_000:
            self.flush()

    def add_stored(self, owned: list[tuple[Any, ...]], noted: list[tuple[Any, ...]]) -> None:
        """Add ``ownership`` and ``anomalies`` rows as stored (``known_from`` and ``known_to`` last)."""
        self.rows["ownership"].extend(owned)
        self.rows["anomalies"].extend(noted)
        self.count += len(owned) + len(noted)
        if self.count >= 10_000:
            self.flush()

    def close(self, closed: list[tuple[tuple[str, int], int]], new: list[tuple[tuple[Any, ...], int, int | None]]) -> None:
        for (table, rowid), until in closed:
            self.closed[table].append((until, rowid))
        self.add(new)

    def flush(self) -> None:
        for table, pairs in self.closed.items():
            self.views.close_rows(table, pairs)
            pairs.clear()
        for table, rows in self.rows.items():
            self.views.insert_rows(table, _COLUMNS[table], rows, _FIXED.get(table))
            rows.clear()
        self.count = 0


def _title_fold(patent: str) -> Callable[[list[Fact]], list[tuple[Any, ...]]]:
    """The patent's rows, as stored, from its live facts."""

    def fold(live: list[Fact]) -> list[tuple[Any, ...]]:
        return _title_rows(patent, *fold_title(patent, live))

    return fold


_position = _first = operator.itemgetter(0)
#: At most about this many keys are noted for another view on the ownership view's rebuild (see LogReader.key_readers).
_NOTED_KEYS = 50_000
#: The ownership view's rebuild indexes the title facts of this many events at a time.
_CHUNK = 5_000


def _title_history(patent: str, chain: list[Fact], retracted: dict[int, int], fold_point: FoldPoint) -> list[
        tuple[tuple[Any, ...], int, int | None]]:
    """A patent's rows over its whole history, as ``advance`` from nothing gives them (``chain`` in position order).

    When no fact is retracted, one replay gives the rows at every commit point
    up to the first fact the log recorded out of valid-time order (most chains
    have none); the chain is folded again at each point after it.
    """
    if any(position in retracted for position, _ in chain):
        return advance(chain, retracted, _title_fold(patent), {}, 0, fold_point)[1]
    if len(chain) == 1:  # a third of all chains: what their one fact starts needs no replay
        rows = _only_fact_rows(patent, *chain[0])
        if rows is not None:
            point = fold_point(chain[0][0])
            return [(row, point, None) for row in rows]
    positions = [position for position, _ in chain]
    points = sorted({fold_point(position) for position in positions})
    cuts = [bisect.bisect_right(positions, point) for point in points]
    in_order = steps_in_order(chain)
    stepped = [cut for cut in cuts if cut <= in_order]
    answers = fold_title_steps(patent, chain[:stepped[-1]], stepped, _StepRows(patent)) if stepped else []
    answers += [_title_rows(patent, *fold_title(patent, chain[:cut])) for cut in cuts[len(stepped):]]
    return believed_over(zip(points, answers))


def _only_fact_rows(patent: str, position: int, event: Event) -> list[tuple[Any, ...]] | None:
    """The rows of a chain whose only fact is ``event`` (not retracted), as :func:`.title.fold_title` gives them:
    who it names holds the patent from its start on, with nothing to contradict. None when that takes a replay
    (an assignment by inventors: they held the patent before it) or when ``event`` starts no holding."""
    effective = event.effective
    assert effective is not None
    if isinstance(event, PatentRegistered):
        return [("ownership", patent, event.owner, _iso(effective.start), None, position)]
    if isinstance(event, PatentsAssigned) and not event.by_inventors:
        since = _iso(effective.start)
        return [("ownership", patent, owner, since, None, position) for owner in set(event.assignee)]
    return None


class _StepRows:
    """The stored rows of a chain's answer at each cut of one replay (:func:`.title.fold_title_steps`), built
    straight from the replay's state: ended holdings and anomalies are turned into rows once, when they appear,
    and days into ISO text through a cache. The same rows :func:`_title_rows` makes of the answer's holdings."""

    def __init__(self, patent: str) -> None:
        self.patent = patent
        self.done: list[tuple[Any, ...]] = []  # rows of the ended holdings seen so far
        self.seen = 0  # how many ended holdings those rows cover
        self.anomalies: list[tuple[Any, ...]] = []

    def __call__(self, done: Sequence[Holding], fading: Sequence[Sequence[Any]], holders: Mapping[str, tuple[date, int]],
                 anomalies: Sequence[TitleAnomaly]) -> list[tuple[Any, ...]]:
        patent = self.patent
        for h in done[self.seen:]:
            if h.valid_to is None:  # (never so: an ended holding has its end)
                self.done.append(("ownership", patent, h.owner, _iso(h.valid_from), None, h.position))
            elif h.valid_to > h.valid_from:
                self.done.append(("ownership", patent, h.owner, _iso(h.valid_from), _iso(h.valid_to), h.position))
        self.seen = len(done)
        for a in anomalies[len(self.anomalies):]:
            self.anomalies.append(("anomalies", patent, a.kind, a.position, a.message, _related(a.related)))
        return [
            *self.done,
            *(("ownership", patent, owner, _iso(since), _iso(until), started)
              for owner, since, until, started in fading if until > since),
            *(("ownership", patent, owner, _iso(since), None, started) for owner, (since, started) in holders.items()),
            *self.anomalies,
        ]


_ISO: dict[date, str] = {}


def _iso(day: date) -> str:
    """``day.isoformat()``, cached: a ledger has a few thousand distinct days, each written many times."""
    text = _ISO.get(day)
    if text is None:
        if len(_ISO) > 200_000:  # bounded, whatever the ledger
            _ISO.clear()
        text = _ISO[day] = day.isoformat()
    return text


def _title_rows(patent: str, holdings: list[Holding], anomalies: list[TitleAnomaly]) -> list[tuple[Any, ...]]:
    """The stored rows of a patent's holdings and anomalies."""
    return [
        *(("ownership", patent, h.owner, h.valid_from.isoformat(), None if h.valid_to is None else h.valid_to.isoformat(),
           h.position) for h in holdings),
        *(("anomalies", patent, a.kind, a.position, a.message, _related(a.related)) for a in anomalies),
    ]


def _block_facts(deal: Fact, groups: RenameGroups) -> list[Fact]:
    event = deal[1]
    assert isinstance(event, PatentsAssigned)
    return [deal, *groups.renames_of(event.assignee)]


def _block_fold(deal: Fact) -> Callable[[list[Fact]], list[tuple[Any, ...]]]:
    position, event = deal
    assert isinstance(event, PatentsAssigned)
    count = event.undisclosed_count

    def fold(live: list[Fact]) -> list[tuple[Any, ...]]:
        return [
            ("undisclosed_holdings", position, h.owner, count, iso(h.valid_from), iso(h.valid_to))
            for h in fold_title(f"deal at {position}", live)[0]
        ]

    return fold


def _is_block(event: Event) -> bool:
    return isinstance(event, PatentsAssigned) and event.undisclosed_count > 0


def _title_names(chain: list[Fact]) -> set[str]:
    """:func:`_names_in` for facts that are registrations and assignments only (a chain's own facts)."""
    names: set[str] = set()
    for _, event in chain:
        if isinstance(event, PatentsAssigned):
            names.update(event.assignor)
            names.update(event.assignee)
        else:
            assert isinstance(event, PatentRegistered)
            names.add(event.owner)
    return names


def _names_in(facts: Iterable[Fact]) -> set[str]:
    return set().union(*(title_parties(event) for _, event in facts))


def _related(positions: tuple[int, ...]) -> str | None:
    """An anomaly's other events, as the ``related`` column stores them (JSON list, or NULL)."""
    return orjson.dumps(positions).decode() if positions else None


def _index(store: Store, facts: list[tuple[str, int]], batch: Sequence[Fact]) -> None:
    """Note which events bear on which patents, and which parties they name."""
    if facts:
        events = dict(batch)
        _index_parties(store, facts, {position: title_parties(events[position]) for position in {p for _, p in facts}})


def _index_parties(store: Store, facts: list[tuple[str, int]], parties: dict[int, set[str]]) -> None:
    """:func:`_index`, given the parties each event position names."""
    if not facts:
        return
    store.views.add_facts("title_facts", facts, ("patent", "position"))
    store.views.add_facts(
        "title_parties", [(party, patent) for patent, position in facts for party in parties[position]], ("party", "patent")
    )


def _by_property(store: Store, facts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``facts`` keyed by property id: an application linked to its grant goes by the grant (see :mod:`.numbers`)."""
    ids = store.views.title.properties_of({patent for patent, _ in facts})
    return list(dict.fromkeys((ids[patent], position) for patent, position in facts))


def _moved(store: Store, links: list[tuple[str, ...]]) -> set[str]:
    """The numbers of new links whose facts were indexed under another id before (most were not).

    The links of an append are in place before its facts are indexed, so only
    an application with facts under its own number, or linked to another grant
    too, has facts to move.
    """
    applications = sorted({application for application, _ in links})
    if not applications:
        return set()
    moved = store.views.title.indexed_patents(applications) | store.views.title.linked_twice(applications)
    return {number for application, grant in links if application in moved for number in (application, grant)}


def _relink(log: LogReader, numbers: set[str]) -> set[str]:
    """Index again, under today's property ids, the facts of ``numbers`` and of the properties they name.

    Called when a link joins an application to its grant or a retraction parts
    them; returns the property ids whose chains of title must be folded again.
    An application's facts may sit under any grant it is linked to, so those are included.
    """
    title = log.store.views.title
    ids = set(numbers) | title.linked_grants(numbers) | set(title.properties_of(numbers).values())
    positions = title.fact_positions(ids)
    title.forget(ids)
    events = log.facts(positions)
    facts = [(patent, position) for patent, position in _by_property(log.store, _title_facts(events)) if patent in ids]
    _index(log.store, facts, events)
    return ids


def _title_facts(batch: Iterable[Fact]) -> list[tuple[str, int]]:
    """``(patent, position)`` for each event in ``batch`` that bears on a patent's title."""
    pairs: list[tuple[str, int]] = []
    for position, event in batch:
        if isinstance(event, PatentRegistered):
            pairs.append((event.patent, position))
        elif isinstance(event, PatentsAssigned):
            pairs.extend((patent, position) for patent in event.patents)
    return pairs
