"""The common chains of title, folded straight from the stored payloads (a rebuild's fast path).

Most chains are plain: every assignment made by whoever held the patent then (or
noted as a gap in the chain), or by inventors assigning their shares. A rename or
merger of a party they name may join them. Most are also recorded in valid-time
order, nothing retracted, and fold in one replay; from the first fact recorded out
of that order (or the first retraction of one of them) on, the answer at each later
commit point is a replay of what was recorded and not retracted by then (as the
general fold does it, but from the small tuples). A fact dated by a longer period
than a day (a month) lets the holdings it ends fade to the period's end, as in
:func:`.title._fold`. When the first registration or assignment in valid-time
order is by inventors, each inventor who assigns held their share from the start
of time (:func:`.title._first_inventors`); that depends on every fact seen, so
the answer at a commit point is a replay with the inventors of the facts recorded
by then: in valid-time order, one replay per set of inventors (most chains have
one). Such chains need a handful of fields of each event, so a rebuild folds them
here from small tuples read off each payload once, without building the events.
Anything else (conflicting reports, a party holding under two spellings) makes
:func:`lean_title_history` give up with None, and the chain goes the general way
(:func:`.ownership._title_history`). A property test compares the two on chains of every shape.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence, Set as AbstractSet
from typing import Any

from .. import codec
from ..events import PatentRegistered, PatentsAssigned
from ..parties import former_key, party_key
from ..values import parse_period
from .history import Believed, Fact, FoldPoint
from .title import Aliases, _assignors, _keys, renamed_names

__all__ = ["KeptFacts", "Lean", "LeanHolding", "lean_event", "lean_fact", "lean_holdings_before", "lean_parties", "lean_title_fold",
           "lean_title_history"]

#: ``(position, effective day as ISO text, kind, assignors, assignees)``: for a registration (kind
#: :data:`_REGISTERED`) no assignors and ``[owner]``; for a rename or merger (:data:`_RENAMED`) no assignors and
#: ``[old, new]``.
_Lean = tuple[int, str, int, "list[str]", "list[str]"]
Lean = _Lean
_REGISTERED, _ASSIGNED, _RENAMED = 0, 1, 2
#: An assignment by inventors: a rebuild's kind only (:func:`lean_fact` and the tail leave those to the general fold).
_INVENTORS = 3
#: The start of time as ISO text: inventors who assign their share held it from then (:func:`.title._first_inventors`).
_DAWN = "0001-01-01"


#: A rebuild's fact: a :data:`Lean` and the fact's period when it is longer than a day, ``(last day, the day
#: after it, the period as text)`` (None for a single day, the common case); ``day`` is then the period's start.
_Dated = tuple[int, str, int, "Sequence[str]", "Sequence[str]", "tuple[str, str, str] | None"]

_SPANS: dict[str, tuple[str, tuple[str, str, str] | None]] = {}


def _span(text: str) -> tuple[str, tuple[str, str, str] | None]:
    """``(start, (last day, the day after it, text))`` of a stored period longer than a day, as ISO text
    (``start`` and None for a single day); cached: a ledger has a few thousand distinct periods."""
    found = _SPANS.get(text)
    if found is None:
        if len(_SPANS) > 200_000:  # bounded, whatever the ledger
            _SPANS.clear()
        period = parse_period(text, "effective")
        start = period.start.isoformat()
        found = _SPANS[text] = (start, None if period.is_exact else (period.end.isoformat(), period.stop.isoformat(),
                                                                      str(period)))
    return found


def _lean_facts(stored: Iterable[tuple[Any, int, str, str | bytes, int]]) -> list[_Dated] | None:
    """The chain's facts as small tuples, or None when one of them is not of the plain shape.

    ``stored`` are ``(key, position, type, payload, schema_version)`` in position order.
    """
    facts: list[_Dated] = []
    fields = codec.stored_fields
    for _, position, type_name, payload, version in stored:
        data = fields(type_name, payload, version)
        day = data["effective"]
        span = None
        if type(day) is not str:  # fields decoded from an older schema go the general way
            return None
        if len(day) != 10:  # a longer period (a day's ISO text orders as the day does)
            day, span = _span(day)
        if type_name == "PatentRegistered":
            facts.append((position, day, _REGISTERED, [], [data["owner"]], span))
        elif type_name == "PatentsAssigned":
            facts.append((position, day, _ASSIGNED if data["by_inventors"] is False else _INVENTORS,
                          data["assignor"], data["assignee"], span))
        else:
            return None
    return facts


class KeptFacts:
    """A rebuild's title facts as small tuples, noted on the pass that indexes them (each payload read once)
    for the fold to take by position, instead of reading and decoding every payload again.

    Compact: per position a few integers in arrays, naming the fact's day (with its period) and its lists of
    names, each distinct one kept once (a ledger names a few thousand parties). When the distinct days or lists of
    names grow past ``limit`` (a register of mostly unique names), :attr:`full` turns True and nothing more is
    noted: the fold then reads the payloads back (memory stays bounded whatever the ledger).
    """

    def __init__(self, last: int, limit: int = 100_000) -> None:
        self._kind = array("b", b"\xff") * (last + 1)  # -1: nothing kept at that position (not a plain fact)
        self._day = array("i", bytes(4)) * (last + 1)
        self._assignor = array("i", bytes(4)) * (last + 1)
        self._assignee = array("i", bytes(4)) * (last + 1)
        self._days: list[tuple[str, tuple[str, str, str] | None]] = []
        self._day_ids: dict[str, int] = {}
        self._names: list[tuple[str, ...]] = [()]
        self._name_ids: dict[tuple[str, ...], int] = {(): 0}
        self._limit = limit
        self.full = False

    def _new_day(self, text: str) -> int:
        """The id of a day (or period) seen for the first time; -1 past the limit (then :attr:`full`)."""
        if len(self._days) >= self._limit:
            self.full = True
            return -1
        found = self._day_ids[text] = len(self._days)
        self._days.append((text, None) if len(text) == 10 else _span(text))
        return found

    def _new_names(self, names: tuple[str, ...]) -> int:
        """The id of a list of names seen for the first time; -1 past the limit (then :attr:`full`)."""
        if len(self._names) >= self._limit:
            self.full = True
            return -1
        found = self._name_ids[names] = len(self._names)
        self._names.append(names)
        return found

    def adder(self) -> Callable[[int, str, Mapping[str, Any]], None]:
        """``add(position, type, fields)``: note the title fact at ``position``, its :func:`.codec.stored_fields`,
        as :func:`_lean_facts` reads it (a fact of another shape is not noted: its chain goes the general way).
        Once :attr:`full`, what it notes is no longer read."""
        kinds, day_of, assignor_of, assignee_of = self._kind, self._day, self._assignor, self._assignee
        day_id, name_id, new_day, new_names = self._day_ids.get, self._name_ids.get, self._new_day, self._new_names

        def name_of(names: tuple[str, ...]) -> int:
            found = name_id(names)
            return new_names(names) if found is None else found

        def add(position: int, type_name: str, data: Mapping[str, Any]) -> None:
            text = data["effective"]
            if type(text) is not str:  # fields decoded from an older schema go the general way
                return
            day = day_id(text)
            if day is None:
                day = new_day(text)
                if day < 0:
                    return
            if type_name == "PatentRegistered":
                assignee = name_of((data["owner"],))
                if assignee < 0:
                    return
                kinds[position] = _REGISTERED
            elif type_name == "PatentsAssigned":
                assignor, assignee = name_of(tuple(data["assignor"])), name_of(tuple(data["assignee"]))
                if assignor < 0 or assignee < 0:
                    return
                kinds[position] = _ASSIGNED if data["by_inventors"] is False else _INVENTORS
                assignor_of[position] = assignor
            else:
                return
            day_of[position] = day
            assignee_of[position] = assignee

        return add

    def add(self, position: int, type_name: str, data: Mapping[str, Any]) -> None:
        """Note one title fact (see :meth:`adder`)."""
        self.adder()(position, type_name, data)

    def only_fact(self, patent: str, position: int, fold_point: FoldPoint, retracted: Mapping[int, int]) -> tuple[
            list[tuple[Any, ...]], list[tuple[Any, ...]]] | None:
        """:func:`lean_title_fold` of a chain whose one fact is the one at ``position`` (no rename joined), when
        it takes no replay (a third of all chains); None otherwise."""
        kind = self._kind[position]
        if kind < 0 or kind == _INVENTORS or position in retracted:
            return None
        day = self._days[self._day[position]][0]
        point = fold_point(position)
        owners = sorted(set(self._names[self._assignee[position]]))
        return [(patent, owner, day, None, position, point, None) for owner in owners], []

    def facts(self, positions: Sequence[int]) -> list[_Dated] | None:
        """The facts at ``positions`` (in position order), as :func:`_lean_facts` gives them from their payloads;
        None when one of them was not noted."""
        kinds = self._kind
        if min(map(kinds.__getitem__, positions), default=-1) < 0:  # (no facts: no chain)
            return None
        days, day_of, assignors, assignees, names = self._days, self._day, self._assignor, self._assignee, self._names
        return [(position, (day := days[day_of[position]])[0], kinds[position], names[assignors[position]],
                 names[assignees[position]], day[1]) for position in positions]


def lean_title_history(
    patent: str, stored: Iterable[tuple[Any, int, str, str | bytes, int]], fold_point: FoldPoint,
    retracted: Mapping[int, int], renames_of: Callable[[set[str]], list[Fact]] | None = None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] | None:
    """A plain chain's ``ownership`` rows and title ``anomalies`` rows over its whole history, as stored
    (``known_from`` and ``known_to`` last): those ``_title_history`` gives; None for any other chain.

    ``stored`` are the chain's own facts, ``(key, position, type, payload, schema_version)`` in position
    order; ``retracted`` maps a retracted fact to the position that retracted it. When they name a party some
    rename or merger links, ``renames_of`` gives the renames and mergers linked to a set of names
    (:meth:`.RenameGroups.renames_of`): they join the chain.
    """
    facts = _lean_facts(stored)
    if facts is None:
        return None
    return lean_title_fold(patent, facts, fold_point, retracted, renames_of)


def lean_title_fold(
    patent: str, facts: list[_Dated], fold_point: FoldPoint, retracted: Mapping[int, int],
    renames_of: Callable[[set[str]], list[Fact]] | None = None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] | None:
    """:func:`lean_title_history` of the chain's facts as small tuples (:func:`_lean_facts`, or
    :meth:`KeptFacts.facts`), in position order; None for a chain the general fold takes."""
    if not facts:
        return None
    renamed = False  # renames and mergers joined the chain
    if renames_of is not None:
        names = {name for _, _, _, assignor, assignee, _ in facts for name in (*assignor, *assignee)}
        renames = renames_of(names)
        if renames:
            merged = _with_renames(facts, renames)
            if merged is None:
                return None
            facts, renamed = merged, True
    # the positions that retract some of the facts: from the first on, the facts live at each commit point change
    retractions = [retracted[fact[0]] for fact in facts if fact[0] in retracted] if retracted else []
    if len(facts) == 1 and not retractions and facts[0][2] != _INVENTORS:
        # a third of all chains: who the one fact names holds the patent from its (first) day on
        position, day, _, _, assignee, _ = facts[0]
        point = fold_point(position)
        return [(patent, owner, day, None, position, point, None) for owner in sorted(set(assignee))], []
    if len(facts) == 2 and not retractions and not renamed:
        lean = _registered_then_assigned(patent, facts, fold_point)
        if lean is not None:
            return lean
    # Up to the first fact recorded out of valid-time order (or the first retraction) one replay gives the answer
    # at every commit point; from the commit point of that fact on, the answer at each point is a replay of the
    # facts recorded and not retracted by then, in valid-time order (start, then position), as the general fold
    # gives it (:func:`.history.advance`).
    in_order = len(facts)
    for index in range(1, in_order):
        if facts[index][1] < facts[index - 1][1]:
            in_order = index
            break
    first = facts[in_order][0] if in_order < len(facts) else None
    if retractions:
        first = min(retractions) if first is None else min(first, *retractions)
    believed = _replay_in_order(patent, facts[:in_order], fold_point, renamed, first)
    if believed is None:
        return None
    if first is not None:
        changed = {fold_point(position) for position in (*(fact[0] for fact in facts), *retractions)}
        for point in sorted(point for point in changed if point >= first):
            live = sorted((fact for fact in facts if fact[0] <= point and retracted.get(fact[0], point + 1) > point),
                          key=_valid_order)
            replayed = _replay(patent, live, lambda _: point, renamed, _inventors(live))
            if replayed is None:
                return None
            believed.step(point, replayed.since)  # (the answer after the last of them)
    owned: list[tuple[Any, ...]] = []
    noted: list[tuple[Any, ...]] = []
    for row, since, until in believed.ended:
        if row[0] is None:  # (None, kind, position, message): an anomaly
            noted.append((patent, *row[1:], None, since, until))
        else:
            owned.append((patent, *row, since, until))
    for row, since in believed.since.items():  # (still believed)
        if row[0] is None:
            noted.append((patent, *row[1:], None, since, None))
        else:
            owned.append((patent, *row, since, None))
    return owned, noted


def _registered_then_assigned(patent: str, facts: list[_Dated], fold_point: FoldPoint) -> tuple[
        list[tuple[Any, ...]], list[tuple[Any, ...]]] | None:
    """:func:`lean_title_fold` of the commonest chain of two facts, each dated to a day and neither retracted: a
    registration, then its owner alone assigns to others on that day or later (:func:`_replay` takes no other
    turn on them); None for any other pair."""
    (registered, day, kind, _, owners, span), (assigned, then, next_kind, assignor, assignee, next_span) = facts
    if (kind != _REGISTERED or next_kind != _ASSIGNED or span is not None or next_span is not None or then < day
            or len(assignor) != 1 or assignor[0] != owners[0] or owners[0] in assignee):
        return None
    owner = owners[0]
    first, second = fold_point(registered), fold_point(assigned)
    owned: list[tuple[Any, ...]] = []
    if assigned > first:  # the registration's answer was believed until the assignment's append
        owned.append((patent, owner, day, None, registered, first, second))
    if then > day:  # (a holding of no length is in no answer)
        owned.append((patent, owner, day, then, registered, second, None))
    owned.extend((patent, holder, then, None, assigned, second, None) for holder in set(assignee))
    return owned, []


def _valid_order(fact: _Dated) -> tuple[str, int]:
    return fact[1], fact[0]


def _inventors(ordered: list[_Dated]) -> dict[str, tuple[str, int]]:
    """:func:`.title._first_inventors` of facts in valid-time order: when the first registration or assignment
    is by inventors, each inventor who assigns held their share from the start of time until their assignment
    (``name -> (since, starting position)``); otherwise nobody has a head start."""
    for fact in ordered:
        if fact[2] != _RENAMED:
            if fact[2] != _INVENTORS:
                return {}
            break
    else:
        return {}
    inventors: dict[str, tuple[str, int]] = {}
    for position, _, kind, assignor, _, _ in ordered:
        if kind == _INVENTORS:
            for name in assignor:
                inventors.setdefault(name, (_DAWN, position))
    return inventors


def _replay_in_order(patent: str, facts: list[_Dated], fold_point: FoldPoint, renamed: bool,
                     stop: int | None) -> Believed[tuple[Any, ...]] | None:
    """The rows believed over the commit points of ``facts`` before ``stop`` (all when None), given
    :func:`_replay`'s answers at those points, for facts recorded in valid-time order.

    Without inventors' head start one replay gives them all. With it, the answer at a point is a replay with
    the inventors of the facts recorded by then, who hold from the start of time and so change what every
    earlier fact did: one replay per set of inventors (most chains have one, from their first fact on), each
    giving the answers at the points that see that set."""
    inventors = _inventors(facts)
    if not inventors:
        return _replay(patent, facts, fold_point, renamed, {}, stop=stop)
    # the commit points from which the set of inventors grows (the first is that of the first inventors' fact)
    starts: list[int] = []
    for position in sorted(position for _, position in inventors.values()):
        point = fold_point(position)
        if not starts or point > starts[-1]:
            starts.append(point)
    # before the first inventors' fact is recorded, only renames (the first title fact is that one): nobody holds
    steps: list[tuple[int, list[tuple[Any, ...]]]] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else None
        seen = facts if end is None else [fact for fact in facts if fold_point(fact[0]) < end]
        replayed = _replay(patent, seen, fold_point, renamed, _inventors(seen), record=True)
        if replayed is None:
            return None
        before = [answer for point, answer in replayed.steps if point <= start]
        steps.append((start, before[-1] if before else []))
        steps.extend(step for step in replayed.steps if start < step[0] and (end is None or step[0] < end))
    believed: Believed[tuple[Any, ...]] = Believed()
    for point, answer in steps:
        if stop is not None and point >= stop:
            break
        believed.step(point, answer)
    return believed


def _names(names: Iterable[str]) -> str:
    """Names as an anomaly's message lists them (:func:`.title._names`)."""
    return " and ".join(sorted(names))


def _replay(patent: str, facts: list[_Dated], fold_point: FoldPoint, renamed: bool,
            inventors: dict[str, tuple[str, int]], stop: int | None = None,
            record: bool = False) -> Believed[tuple[Any, ...]] | None:
    """Replay ``facts`` (in valid-time order): the rows of the answers at the commit points before ``stop`` (all
    when None) where the answer changed, ``(owner, valid_from, valid_to, position)`` or ``(None, kind, position,
    message)`` (holdings and anomalies: a gap in the chain, a registration conflict), with the points each was
    believed over; or None for a case this fold leaves to the general one. ``renamed``: the facts hold renames
    and mergers, and names go through them. ``inventors``: who holds before the first fact (:func:`_inventors`
    of the facts). ``record``: also keep the answer at each of those points (:attr:`Believed.steps`).

    A fact dated by a period longer than a day (:func:`.title._fold`): the holdings it ends may run to the period's
    end (they *fade*), and so may those that faded before, until a fact after it settles the holders."""
    # The answer at a commit point is the state after every fact up to it; only the points where the state
    # changed are noted (at any other, the answer is the one before, and so are the rows believed), so the
    # renames of a large group that leave this chain's holders alone cost no answer and no commit point.
    # The rows the answer gains and loses are noted as the state changes (``fresh``, ``gone``), and moved into
    # ``believed`` at the point they belong to: a row gained and lost between two points was never believed.
    aliases = Aliases() if renamed else None
    holders: dict[str, tuple[str, int]] = dict(inventors)  # owner -> (since, starting position)
    new: AbstractSet[str]  # the holders after a fact
    fading: list[list[Any]] = []  # [owner, since, until, position]: holdings that may have ended already
    transfers: list[tuple[str, str, frozenset[str], frozenset[str]]] = []  # (start, last day, assignors, assignees)
    believed: Believed[tuple[Any, ...]] = Believed()
    fresh: dict[tuple[Any, ...], None] = {(owner, since, None, started): None
                                          for owner, (since, started) in holders.items()} if holders else {}
    gone: list[tuple[Any, ...]] = []  # rows believed at the last point, not in the answer any more
    # the commit point of the first change not noted yet (the inventors' head start: from the first fact on)
    pending: int | None = fold_point(facts[0][0]) if inventors and facts else None
    for position, day, kind, assignor, assignee, span in facts:
        if pending is not None and position > pending:
            if stop is not None and pending >= stop:
                return believed
            believed.change(pending, fresh, gone, record)
            gone.clear()
            fresh.clear()
            pending = None
        if aliases is not None and kind != _RENAMED:
            assignor = [aliases.canonical(name) for name in assignor]
            assignee = [aliases.canonical(name) for name in assignee]
        if kind == _RENAMED:
            assert aliases is not None
            old = aliases.move(assignee[0], assignee[1])
            if old not in holders:
                continue
            new = (holders.keys() - {old}) | {assignee[1]}
        elif kind == _REGISTERED:
            owner = assignee[0]
            if holders and party_key(owner) not in {party_key(holder) for holder in holders}:
                fresh[(None, "registration_conflict", position,
                       f"{patent} registered to {owner} on {day if span is None else span[2]} "
                       f"while held by {_names(holders)}")] = None
                pending = fold_point(position) if pending is None else pending
            new = {owner}
        else:
            sole = len(holders) == 1 and len(assignor) == 1 and assignor[0] in holders
            if sole:
                assignors = frozenset(assignor)  # the common case: the one holder assigns (as spelled below)
            else:
                spelled = {party_key(holder): holder for holder in holders}
                if len(spelled) < len(holders):  # two holders spelled alike: an assignor names every one of them
                    return None  # (title._assignors), which this fold leaves to the general one
                assignors = frozenset(spelled.get(party_key(name)) or spelled.get(former_key(name) or "", name)
                                      for name in assignor)
            assignees = frozenset(assignee)
            last = day if span is None else span[0]
            # another transfer by the same assignors, dated in an overlapping period, to someone else
            rival = any(other_from == assignors and other_to != assignees and other_day <= last and day <= other_last
                        for other_day, other_last, other_from, other_to in transfers) if transfers else False
            transfers.append((day, last, assignors, assignees))
            if not holders:
                new = assignees
            elif rival:
                return None  # conflicting reports
            elif sole:  # nothing missing, and the holder gives way to the assignees (as below)
                new = assignees
            else:
                missing = assignors - holders.keys()
                if missing and _keys(assignees) <= _keys(holders) and any(
                        _keys(earlier_from) == _keys(assignors) and _keys(earlier_to) == _keys(assignees)
                        for _, _, earlier_from, earlier_to in transfers[:-1]):
                    continue  # the same transfer recorded again: one transfer (title._assignment)
                if kind == _INVENTORS:  # the inventors' own shares: they held them from the start (never a gap)
                    new = (holders.keys() - assignors) | assignees
                else:
                    if missing:
                        fresh[(None, "chain_gap", position,
                               f"{patent} assigned by {_names(missing)} on {day if span is None else span[2]}, "
                               f"but the known holder then was {_names(holders)}")] = None
                        pending = fold_point(position) if pending is None else pending
                    held = assignors & holders.keys()
                    new = (holders.keys() - held) | assignees if held else set(assignees)
        if new == holders.keys():
            continue
        if span is None and not fading:  # the common case: a day, and nothing in doubt (:func:`_hand_over`)
            if not holders:  # (the first fact)
                for owner in new:
                    holders[owner] = (day, position)
                    fresh[(owner, day, None, position)] = None
                if pending is None:
                    pending = fold_point(position)
                continue
            for owner in [owner for owner in holders if owner not in new]:
                since, started = holders.pop(owner)
                row = (owner, since, None, started)
                if row in fresh:
                    del fresh[row]
                else:
                    gone.append(row)
                if day > since:
                    fresh[(owner, since, day, started)] = None
            for owner in new - holders.keys():
                holders[owner] = (day, position)
                fresh[(owner, day, None, position)] = None
        else:
            _fade_over(holders, new, day, day if span is None else span[1], position, fading, fresh, gone)
        if pending is None:
            pending = fold_point(position)
    if pending is not None and (stop is None or pending < stop):
        believed.change(pending, fresh, gone, record)
    return believed


def _fade_over(holders: dict[str, tuple[str, int]], new: AbstractSet[str], start: str, settled: str, position: int,
               fading: list[list[Any]], fresh: dict[tuple[Any, ...], None], gone: list[tuple[Any, ...]]) -> None:
    """:func:`_hand_over` for a fact whose period settles on ``settled`` (the day after it; ``start`` for a day)
    while holdings may be fading, as :func:`.title._fold` moves them: every fading holding ends by ``settled``,
    and a period's fact lets the holdings it ends fade up to it. The rows the answer gains go to ``fresh``, those
    it loses leave it or go to ``gone`` (:func:`_replay`; a fading holding is in the answer while it has some
    length)."""

    def drop(row: tuple[Any, ...]) -> None:
        if row in fresh:
            del fresh[row]
        else:
            gone.append(row)

    for tail in fading:  # the holders are certain again once this fact has settled
        owner, since, until, started = tail
        moved = max(since, min(until, settled))
        if moved != until:
            if until > since:
                drop((owner, since, until, started))
            if moved > since:
                fresh[(owner, since, moved, started)] = None
            tail[2] = moved
    for owner in [owner for owner in holders if owner not in new]:
        since, started = holders.pop(owner)
        drop((owner, since, None, started))
        if settled == start:
            if start > since:
                fresh[(owner, since, start, started)] = None
        else:
            fading.append([owner, since, settled, started])
            if settled > since:
                fresh[(owner, since, settled, started)] = None
    for owner in new - holders.keys():
        holders[owner] = (start, position)
        fresh[(owner, start, None, position)] = None


def _hand_over(holders: dict[str, tuple[str, int]], new: set[str], day: str, position: int, done: list[Any]) -> None:
    """Move ``holders`` (owner -> (since, starting position)) to ``new`` on ``day`` at ``position``: a holding
    that ends on a later day than it began goes to ``done`` as ``(owner, since, day, started)``."""
    for owner in [owner for owner in holders if owner not in new]:
        since, started = holders.pop(owner)
        if day > since:
            done.append((owner, since, day, started))
    for owner in sorted(new - holders.keys()):
        holders[owner] = (day, position)


def _with_renames(facts: list[_Dated], renames: list[Fact]) -> list[_Dated] | None:
    """``facts`` and ``renames`` (as ``(position, start, _RENAMED, [], [old, new], span)``) in position order."""
    merged = list(facts)
    for position, event in renames:
        pair = renamed_names(event)
        effective = event.effective
        if pair is None or effective is None:
            return None
        span = None if effective.is_exact else (effective.end.isoformat(), effective.stop.isoformat(), str(effective))
        merged.append((position, effective.start.isoformat(), _RENAMED, [], list(pair), span))
    merged.sort(key=lambda fact: fact[0])
    return merged



# --- a touched chain at question time (see .tail.TailReading) ------------------------------------------------

#: ``(owner, valid_from, valid_to, starting position)``, days as ISO text (``valid_to`` None: still held).
LeanHolding = tuple[str, str, "str | None", int]


def lean_fact(position: int, type_name: str, data: Mapping[str, Any]) -> _Lean | None:
    """A stored title fact's small tuple (``data``: its :func:`.codec.stored_fields`), or None when it is not
    dated to a day or is an assignment by inventors (those go the general way)."""
    day = data["effective"]
    if type(day) is not str or len(day) != 10:  # (a 10-character date is one day: see codec._period)
        return None
    if type_name == "PatentRegistered":
        return (position, day, _REGISTERED, [], [data["owner"]])
    if type_name == "PatentsAssigned" and data["by_inventors"] is False:
        return (position, day, _ASSIGNED, list(data["assignor"]), list(data["assignee"]))
    return None


def lean_event(fact: Fact) -> _Lean | None:
    """:func:`lean_fact` of a decoded title fact, or of a rename or merger (``[old, new]`` as its assignees)."""
    position, event = fact
    effective = event.effective
    if effective is None or not effective.is_exact:
        return None
    day = effective.start.isoformat()
    if isinstance(event, PatentRegistered):
        return (position, day, _REGISTERED, [], [event.owner])
    if isinstance(event, PatentsAssigned):
        return None if event.by_inventors else (position, day, _ASSIGNED, list(event.assignor), list(event.assignee))
    pair = renamed_names(event)
    return None if pair is None else (position, day, _RENAMED, [], list(pair))


def lean_parties(facts: Iterable[_Lean]) -> set[str]:
    """The parties the facts name (as :func:`.ownership.title_parties` gives them, for each)."""
    return {name for _, _, _, assignor, assignee in facts for name in (*assignor, *assignee)}


_DAY_ORDER = operator.itemgetter(1, 0)  # (valid-time order: day, then position)
_KIND = operator.itemgetter(2)


def lean_holdings_before(facts: Iterable[_Lean], stop: str) -> list[LeanHolding]:
    """:func:`.title.holdings_before` (``stop`` as ISO text) of a chain whose every fact is dated to a day and
    none is an assignment by inventors: the same holdings, as :data:`LeanHolding`, in no particular order.

    The same transitions as the general fold's (:class:`.title._TitleState`), anomalies and doubts left out:
    neither changes who holds (rival reports leave both sides holding; a transfer recorded twice, one).
    """
    ordered = sorted(facts, key=_DAY_ORDER)
    if len(ordered) == 1:  # (a chain of one fact, as a new patent's: whoever it names holds from its day on)
        position, day, kind, _, assignee = ordered[0]
        return [] if kind == _RENAMED or day >= stop else [(owner, day, None, position) for owner in sorted(set(assignee))]
    aliases = Aliases()
    holders: dict[str, tuple[str, int]] = {}  # owner -> (since, starting position)
    done: list[LeanHolding] = []
    transfers: list[tuple[str, frozenset[str], frozenset[str]]] = []  # (day, assignors, assignees)
    renamed = _RENAMED in map(_KIND, ordered)  # (without renames every name is its own)
    for position, day, kind, assignor, assignee in ordered:
        if day >= stop:
            break
        if kind == _RENAMED:
            old = aliases.move(assignee[0], assignee[1])
            if old not in holders:
                continue
            new = (holders.keys() - {old}) | {assignee[1]}
        elif kind == _REGISTERED:
            new = {aliases.canonical(assignee[0]) if renamed else assignee[0]}
        else:
            if renamed:
                assignor = [aliases.canonical(name) for name in assignor]
                assignee = [aliases.canonical(name) for name in assignee]
            assignors = _assignors(set(holders), assignor)
            assignees = frozenset(assignee)
            # an earlier transfer by the same assignors on the same day (days overlap only so) to someone else
            rival = any(other_day == day and other_from == assignors and other_to != assignees
                        for other_day, other_from, other_to in transfers)
            transfers.append((day, assignors, assignees))
            if not holders:
                new = set(assignees)
            elif rival:
                new = holders.keys() | assignees
            elif (len(transfers) > 1 and assignors - holders.keys() and _keys(assignees) <= _keys(holders) and any(
                    _keys(earlier_from) == _keys(assignors) and _keys(earlier_to) == _keys(assignees)
                    for _, earlier_from, earlier_to in transfers[:-1])):
                continue  # the same transfer recorded again: one transfer
            else:
                held = assignors & holders.keys()
                new = (holders.keys() - held) | assignees if held else set(assignees)
        if new == holders.keys():
            continue
        _hand_over(holders, new, day, position, done)
    return [*done, *((owner, since, None, started) for owner, (since, started) in holders.items())]
