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

from collections.abc import Iterable, Sequence
from datetime import date

import attrs

from ..events import Event, PartiesMerged, PartyRenamed, PatentRegistered, PatentsAssigned
from .history import Fact, valid_order

__all__ = ["Holding", "TitleAnomaly", "Aliases", "fold_title", "renamed_names"]


@attrs.frozen
class Holding:
    """``owner`` held the title from ``valid_from`` until ``valid_to`` (exclusive; None = still)."""

    owner: str
    valid_from: date
    valid_to: date | None
    position: int  # the event that started the holding


@attrs.frozen
class TitleAnomaly:
    """Something odd in a chain of title, kept rather than rejected."""

    kind: str
    position: int
    message: str


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


def fold_title(subject: str, facts: Iterable[Fact]) -> tuple[list[Holding], list[TitleAnomaly]]:
    """Replay ``facts`` about one patent in valid-time order; return its holdings and anomalies."""
    aliases = Aliases()
    holders: dict[str, tuple[date, int]] = {}  # owner -> (since, starting position)
    done: list[Holding] = []
    fading: list[list] = []  # [owner, since, until, position]: holdings that may have ended already
    anomalies: list[TitleAnomaly] = []
    for position, event in sorted(facts, key=valid_order):
        assert event.effective is not None
        start = event.effective.start
        settled = start if event.effective.is_exact else event.effective.stop
        new = _transition(subject, position, event, set(holders), aliases, anomalies)
        if new == set(holders):
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
    done.extend(Holding(owner, since, until, started) for owner, since, until, started in fading)
    done.extend(Holding(owner, since, None, started) for owner, (since, started) in holders.items())
    return [h for h in done if h.valid_to is None or h.valid_to > h.valid_from], anomalies


def _transition(
    subject: str,
    position: int,
    event: Event,
    holders: set[str],
    aliases: Aliases,
    anomalies: list[TitleAnomaly],
) -> set[str]:
    """The holders after ``event``, noting any anomaly it shows."""
    names = renamed_names(event)
    if names is not None:
        old = aliases.move(*names)
        return (holders - {old}) | {names[1]} if old in holders else holders
    if isinstance(event, PatentRegistered):
        owner = aliases.canonical(event.owner)
        if holders and owner not in holders:
            anomalies.append(
                TitleAnomaly(
                    "registration_conflict",
                    position,
                    f"{subject} registered to {owner} on {event.effective} while held by {_names(holders)}",
                )
            )
        return {owner}
    if isinstance(event, PatentsAssigned):
        assignors = {aliases.canonical(name) for name in event.assignor}
        assignees = {aliases.canonical(name) for name in event.assignee}
        if not holders:  # first seen in this assignment: nothing to contradict
            return assignees
        missing = assignors - holders
        if event.by_inventors:  # the inventors' own shares: they held them from the start
            return (holders - assignors) | assignees
        if missing:
            anomalies.append(
                TitleAnomaly(
                    "chain_gap",
                    position,
                    f"{subject} assigned by {_names(missing)} on {event.effective}, "
                    f"but the known holder then was {_names(holders)}",
                )
            )
        held = assignors & holders
        return (holders - held) | assignees if held else assignees
    return holders


def _names(names: Sequence[str] | set[str]) -> str:
    return " and ".join(sorted(names))
