"""Chain of title as a pure fold: the events bearing on one patent -> who held it when.

History is ordered by valid time: events apply in order of their effective
start, ties broken by log position, so a deal recorded late with an early date
rewrites everything after it. Holdings are half-open day intervals: a seller
holds until the day before the transfer takes effect.

An event dated imprecisely (``"2016-05"``) happened at some moment inside its
period, so inside it both the old and the new holders may hold the patent:
the old holdings run to the end of the period, the new ones start at its
beginning. Nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set as AbstractSet
from datetime import date
from typing import Any, TypeVar

import attrs

from ..events import Event, PartiesMerged, PartyRenamed, PatentRegistered, PatentsAssigned
from ..parties import former_key, party_key
from .history import Fact, valid_order

__all__ = [
    "Aliases", "Doubt", "Holding", "StepAnswer", "TitleAnomaly", "TitleSpan", "fold_title", "fold_title_steps",
    "holdings_answer", "holdings_before", "renamed_names", "steps_in_order", "title_spans",
]


@attrs.frozen
class Holding:
    """``owner`` held the title from ``valid_from`` until ``valid_to`` (exclusive; None = still)."""

    owner: str
    valid_from: date
    valid_to: date | None
    position: int  # the event that started the holding


@attrs.frozen
class TitleAnomaly:
    """Something odd in a chain of title, kept rather than rejected; ``related`` are the other events involved."""

    kind: str
    position: int
    message: str
    related: tuple[int, ...] = ()


@attrs.frozen
class Doubt:
    """From ``valid_from`` until ``valid_to`` (exclusive; None = still) the holders are not certain.

    An imprecisely dated transfer leaves its whole period in doubt; two
    conflicting reports leave everything after them in doubt until the
    holders no longer include both sides.
    """

    valid_from: date
    valid_to: date | None
    positions: tuple[int, ...]


class Aliases:
    """Party names as renames and mergers leave them: each old name points to its successor."""

    def __init__(self) -> None:
        self._next: dict[str, str] = {}

    def canonical(self, name: str) -> str:
        seen = {name}
        while name in self._next:
            name = self._next[name]
            if name in seen:  # a cycle can only come from contradictory renames; stop there
                break
            seen.add(name)
        return name

    def move(self, old: str, new: str) -> str:
        """Record that ``old`` is now ``new``; return the name ``old`` had until now."""
        current = self.canonical(old)
        self._next.pop(new, None)  # ``new`` is a live name again, whatever it meant before
        if current != new:
            self._next[current] = new
        if old != new:
            self._next[old] = new
        return current


def renamed_names(event: Event) -> tuple[str, str] | None:
    """``(old, new)`` for a rename or merger, else None."""
    if isinstance(event, PartyRenamed):
        return event.old, event.new
    if isinstance(event, PartiesMerged):
        return event.absorbed, event.into
    return None


def fold_title(
    subject: str, facts: Iterable[Fact], doubts: list[Doubt] | None = None
) -> tuple[list[Holding], list[TitleAnomaly]]:
    """Replay ``facts`` about one patent in valid-time order; return its holdings and anomalies.

    Pass a list as ``doubts`` to collect the spans whose holders are uncertain.
    """
    ordered = sorted(facts, key=valid_order)
    return _fold(subject, ordered, _first_inventors(ordered), (len(ordered),), doubts, holdings_answer)[0]


def holdings_before(subject: str, facts: Iterable[Fact], stop: date) -> list[Holding]:
    """The holdings of :func:`fold_title` that overlap any period ending by ``stop``, from a replay that stops
    at the first fact taking effect on or after ``stop``.

    Valid time runs forward: such a fact only ends holdings on or after its start (never before ``stop``) and
    starts new ones from it, so each holding that overlaps a period ending by ``stop`` is here, with the same
    owner, start and position; its end may read later than the whole replay's (or None), never before ``stop``
    when that one's is not. (Inventors who assign later held from the start of time: all facts say who.)
    """
    ordered = sorted(facts, key=valid_order)
    cut = next((index for index, (_, event) in enumerate(ordered)
                if event.effective is not None and event.effective.start >= stop), len(ordered))
    return _fold(subject, ordered[:cut], _first_inventors(ordered), (cut,), None, holdings_answer)[0][0]


Answer = TypeVar("Answer")
#: What a replay notes at a cut, given its state there: the holdings that ended (``done``, only ever appended
#: to), those that may have ended (``fading``: ``[owner, since, until, position]``, appended to, their ``until``
#: may still move), the current holders (owner -> (since, position)) and the anomalies (only ever appended to).
#: Holdings of no length (``until <= since``) are not part of the answer.
StepAnswer = Callable[
    [Sequence[Holding], Sequence[Sequence[Any]], Mapping[str, tuple[date, int]], Sequence[TitleAnomaly]], Answer
]


def fold_title_steps(
    subject: str, ordered: Sequence[Fact], cuts: Sequence[int], answer: StepAnswer[Answer]
) -> list[Answer]:
    """What :func:`fold_title` answers for each prefix ``ordered[:cut]``, ``cuts`` ascending, in one replay.

    Only for facts already in valid-time order whose every prefix folds as a
    replay of the whole would reach it: no assignment by inventors (their
    holdings reach back to the start of time, so a later one changes an earlier
    prefix's answer); :func:`steps_in_order` says how far that holds.
    ``answer`` turns the replay's state at each cut into what is noted there
    (:func:`holdings_answer`: ``(holdings, anomalies)``, as :func:`fold_title` returns them).
    """
    return _fold(subject, ordered, {}, cuts, None, answer)


def steps_in_order(ordered: Sequence[Fact]) -> int:
    """How many leading facts of ``ordered`` (position order) :func:`fold_title_steps` may fold: those in
    valid-time order too; none when an assignment in ``ordered`` is by inventors."""
    if any(isinstance(event, PatentsAssigned) and event.by_inventors for _, event in ordered):
        return 0
    last: tuple[date, int] | None = None
    count = 0
    for fact in ordered:
        key = valid_order(fact)
        if last is not None and key < last:
            break
        last = key
        count += 1
    return count


def _fold(
    subject: str,
    ordered: Sequence[Fact],
    inventors: dict[str, tuple[date, int]],
    cuts: Sequence[int],
    doubts: list[Doubt] | None,
    answer: StepAnswer[Answer],
) -> list[Answer]:
    """Replay ``ordered`` (valid-time order); after the first ``cut`` facts for each of ``cuts``, note the answer."""
    state = _TitleState(subject)
    holders: dict[str, tuple[date, int]] = dict(inventors)  # owner -> (since, starting position)
    done: list[Holding] = []
    fading: list[list[Any]] = []  # [owner, since, until, position]: holdings that may have ended already
    found_doubts: list[Doubt] = []
    answers: list[Answer] = []
    wanted = iter(cuts)
    cut = next(wanted, None)
    for index, (position, event) in enumerate(ordered):
        while index == cut:
            answers.append(answer(done, fading, holders, state.anomalies))
            cut = next(wanted, None)
        effective = event.effective
        assert effective is not None
        start = effective.start
        settled = start if effective.is_exact else effective.stop
        new = state.transition(position, event, set(holders))
        if new == holders.keys():
            continue
        for tail in fading:  # the state is certain again once this event has settled
            tail[2] = max(tail[1], min(tail[2], settled))
        for owner in [owner for owner in holders if owner not in new]:
            since, started = holders.pop(owner)
            if settled == start:
                done.append(Holding(owner, since, start, started))
            else:
                fading.append([owner, since, settled, started])
        for owner in sorted(new - holders.keys()):
            holders[owner] = (start, position)
        if settled != start:
            found_doubts.append(Doubt(start, settled, (position,)))
        found_doubts.extend(state.settle_conflicts(new, start))
    while cut is not None:
        answers.append(answer(done, fading, holders, state.anomalies))
        cut = next(wanted, None)
    if doubts is not None:
        found_doubts.extend(Doubt(since, None, positions) for since, _, positions in state.conflicts)
        doubts.extend(found_doubts)
    return answers


def holdings_answer(
    done: Sequence[Holding], fading: Sequence[Sequence[Any]], holders: Mapping[str, tuple[date, int]],
    anomalies: Sequence[TitleAnomaly],
) -> tuple[list[Holding], list[TitleAnomaly]]:
    """The holdings and anomalies as a replay that stopped here would return them."""
    held = [
        *done,
        *(Holding(owner, since, until, started) for owner, since, until, started in fading),
        *(Holding(owner, since, None, started) for owner, (since, started) in holders.items()),
    ]
    return [h for h in held if h.valid_to is None or h.valid_to > h.valid_from], list(anomalies)


def _first_inventors(ordered: Sequence[Fact]) -> dict[str, tuple[date, int]]:
    """When a patent's first recorded title event is its inventors assigning it, the inventors held it before:
    every inventor who assigns their share, from the start of time until their own assignment."""
    first = next((event for _, event in ordered if isinstance(event, (PatentRegistered, PatentsAssigned))), None)
    if not (isinstance(first, PatentsAssigned) and first.by_inventors):
        return {}
    inventors: dict[str, tuple[date, int]] = {}
    for position, event in ordered:
        if isinstance(event, PatentsAssigned) and event.by_inventors:
            for name in event.assignor:
                inventors.setdefault(name, (date.min, position))
    return inventors


class _TitleState:
    """What the fold remembers between events: names, the transfers so far, open conflicts."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.aliases = Aliases()
        self.anomalies: list[TitleAnomaly] = []
        self.transfers: list[tuple[int, PatentsAssigned, frozenset[str], frozenset[str]]] = []
        self.conflicts: list[tuple[date, list[frozenset[str]], tuple[int, ...]]] = []  # (since, sides, positions)

    def transition(self, position: int, event: Event, holders: set[str]) -> set[str]:
        """The holders after ``event``, noting any anomaly it shows."""
        names = renamed_names(event)
        if names is not None:
            old = self.aliases.move(*names)
            return (holders - {old}) | {names[1]} if old in holders else holders
        if isinstance(event, PatentRegistered):
            owner = self.aliases.canonical(event.owner)
            if holders and party_key(owner) not in {party_key(holder) for holder in holders}:
                self._note("registration_conflict", position,
                           f"{self.subject} registered to {owner} on {event.effective} while held by {_names(holders)}")
            return {owner}
        if isinstance(event, PatentsAssigned):
            return self._assignment(position, event, holders)
        return holders

    def _assignment(self, position: int, event: PatentsAssigned, holders: set[str]) -> set[str]:
        assignors = _assignors(holders, [self.aliases.canonical(name) for name in event.assignor])
        assignees = frozenset(self.aliases.canonical(name) for name in event.assignee)
        rival = self._rival(event, assignors, assignees)
        self.transfers.append((position, event, assignors, assignees))
        if not holders:  # first seen in this assignment: nothing to contradict
            return set(assignees)
        if rival is not None:
            rival_position, rival_event, _, rival_assignees = rival
            self._note("conflicting_reports", position,
                       f"{self.subject}: {_names(assignors)} assigned it to {_names(rival_assignees)} "
                       f"({rival_event.effective}, {_cite(rival_event)}) and to {_names(assignees)} "
                       f"({event.effective}, {_cite(event)}); both are kept as possible owners",
                       related=(rival_position,))
            self.conflicts.append((event.effective.start if event.effective else date.min,
                                   [rival_assignees, assignees], (rival_position, position)))
            return holders | assignees
        missing = assignors - holders
        if missing and _keys(assignees) <= _keys(holders) and any(  # the same transfer recorded again: one transfer
            _keys(earlier_from) == _keys(assignors) and _keys(earlier_to) == _keys(assignees)
            for _, _, earlier_from, earlier_to in self.transfers[:-1]
        ):
            return holders
        if event.by_inventors:  # the inventors' own shares: they held them from the start
            return (holders - assignors) | assignees
        if missing:
            self._note("chain_gap", position,
                       f"{self.subject} assigned by {_names(missing)} on {event.effective}, "
                       f"but the known holder then was {_names(holders)}")
        held = assignors & holders
        return (holders - held) | assignees if held else set(assignees)

    def _rival(self, event: PatentsAssigned, assignors: frozenset[str], assignees: frozenset[str]) -> Any:
        """An earlier transfer by the same assignors, dated in an overlapping period, to someone else."""
        assert event.effective is not None
        for transfer in reversed(self.transfers):
            _, other, other_assignors, other_assignees = transfer
            assert other.effective is not None
            if (
                other_assignors == assignors
                and other_assignees != assignees
                and other.effective.start <= event.effective.end
                and event.effective.start <= other.effective.end
            ):
                return transfer
        return None

    def settle_conflicts(self, holders: set[str], day: date) -> list[Doubt]:
        """Close the conflicts whose sides no longer both hold; return their spans of doubt."""
        closed, still = [], []
        for conflict in self.conflicts:
            since, sides, positions = conflict
            if sum(1 for side in sides if side & holders) > 1:
                still.append(conflict)
            elif day > since:
                closed.append(Doubt(since, day, positions))
        self.conflicts = still
        return closed

    def _note(self, kind: str, position: int, message: str, related: tuple[int, ...] = ()) -> None:
        self.anomalies.append(TitleAnomaly(kind, position, message, related))


def _assignors(holders: set[str], names: list[str]) -> frozenset[str]:
    """The holders an assignment's assignors name: a holder's other spellings name it too, and so does a name
    that says it was formerly the holder's ("X F/K/A holder"); a name no holder answers to stands for itself."""
    if not holders:  # (no holder to answer to: each name stands for itself, with no key made)
        return frozenset(names)
    if len(holders) == 1 and holders.issuperset(names):  # the common case: the one holder, spelled as it holds
        return frozenset(names)
    spelled = {party_key(holder): holder for holder in holders}
    if len(spelled) == len(holders):  # the common case: one spelling per party among the holders
        return frozenset(spelled.get(party_key(name)) or spelled.get(former_key(name) or "", name) for name in names)
    every: dict[str, set[str]] = {}  # a party holding under several spellings: the assignor names every one
    for holder in holders:
        every.setdefault(party_key(holder), set()).add(holder)
    return frozenset().union(*(every.get(party_key(name)) or every.get(former_key(name) or "") or {name}
                               for name in names))


def _keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(party_key(name) for name in names)


def _cite(event: Event) -> str:
    """A short reference to where an event came from."""
    for source in event.sources:
        return source.publisher or source.title or source.url or "a source"
    return event.registry_ref or "no source given"


def _names(names: Sequence[str] | AbstractSet[str]) -> str:
    return " and ".join(sorted(names))


@attrs.frozen
class TitleSpan:
    """A stretch of time in which the same ``owners`` held the title (``end`` exclusive; None = still)."""

    owners: frozenset[str]
    start: date
    end: date | None
    certain: bool
    positions: tuple[int, ...]  # the events behind it: those that started its holdings, and any doubt's


def title_spans(holdings: Sequence[Holding], doubts: Sequence[Doubt]) -> list[TitleSpan]:
    """Cut a fold's holdings into spans of constant owners and certainty, in valid-time order."""
    bounds = sorted(
        {h.valid_from for h in holdings}
        | {h.valid_to for h in holdings if h.valid_to is not None}
        | {d.valid_from for d in doubts}
        | {d.valid_to for d in doubts if d.valid_to is not None}
    )
    spans: list[TitleSpan] = []
    for index, start in enumerate(bounds):
        end = bounds[index + 1] if index + 1 < len(bounds) else None
        active = [h for h in holdings if h.valid_from <= start and (h.valid_to is None or h.valid_to > start)]
        if not active:
            continue
        doubted = [d for d in doubts if d.valid_from <= start and (d.valid_to is None or d.valid_to > start)]
        owners = frozenset(h.owner for h in active)
        positions = {h.position for h in active} | {p for d in doubted for p in d.positions}
        last = spans[-1] if spans else None
        if last is not None and last.end == start and last.owners == owners and last.certain == (not doubted):
            spans[-1] = attrs.evolve(last, end=end, positions=tuple(sorted(set(last.positions) | positions)))
        else:
            spans.append(TitleSpan(owners, start, end, not doubted, tuple(sorted(positions))))
    return spans
