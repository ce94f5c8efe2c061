"""Known-time history: what a fold answered at every commit point of the log.

A view row carries ``known_from`` and ``known_to`` positions: the span of the
log in which it was believed. :func:`believed_rows` gets them by re-running a
pure fold at each point where the key's facts changed (an event arrived or
was retracted), so a ``known_at`` question is an indexed look-up, not a replay.
:func:`advance` does the same from where a key's stored rows stand, so an
append folds only at its own commit point.

The points folded at are *commit points*: the last position recorded at each
``recorded_at``. A reader never sees the log part-way through an append (one
transaction, one recorded time), and ``known_at`` only ever resolves to such a
point, so a key two events of one append touch is folded once, not twice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

from ..events import Event

Row = TypeVar("Row", bound=Hashable)
Fact = tuple[int, Event]  # (position, event)
#: Maps a position to its commit point: the last position recorded at the same time (see the module doc).
FoldPoint = Callable[[int], int]

__all__ = [
    "Believed", "Fact", "FoldPoint", "advance", "believed_over", "believed_rows", "iso", "live_at", "valid_order",
]

def iso(day: date | None) -> str | None:
    """A day as stored in view rows (ISO text; None stays None)."""
    return None if day is None else day.isoformat()


def valid_order(fact: Fact) -> tuple[date, int]:
    """Valid-time order: effective start, ties by log position."""
    position, event = fact
    assert event.effective is not None
    return event.effective.start, position


def live_at(facts: Iterable[Fact], retracted: Mapping[int, int], position: int) -> list[Fact]:
    """The facts recorded by ``position`` and not retracted by then."""
    return [
        (pos, event)
        for pos, event in facts
        if pos <= position and retracted.get(pos, position + 1) > position
    ]


def _each(position: int) -> int:
    """Every position its own commit point (one event per append)."""
    return position


def believed_rows(
    facts: Sequence[Fact],
    retracted: Mapping[int, int],
    fold: Callable[[list[Fact]], Iterable[Row]],
    fold_point: FoldPoint = _each,
) -> list[tuple[Row, int, int | None]]:
    """``(row, known_from, known_to)`` for every row ``fold`` produced at some commit point.

    ``known_to`` is the point at which the row stopped being believed, or
    ``None`` while it still is. By default every position is its own point.
    """
    return advance(facts, retracted, fold, {}, 0, fold_point)[1]


def advance(
    facts: Sequence[Fact],
    retracted: Mapping[int, int],
    fold: Callable[[list[Fact]], Iterable[Row]],
    believed: dict[Row, tuple[int, Any]],
    after: int,
    fold_point: FoldPoint = _each,
) -> tuple[list[tuple[Any, int]], list[tuple[Row, int, int | None]]]:
    """Carry a key's believed rows from position ``after`` to the end of ``facts``.

    ``believed`` holds the rows open at ``after`` (row -> (known_from, handle),
    the handle naming the stored row). Only the positions past ``after`` where
    the key's facts changed are folded, once per commit point (``fold_point``
    maps a position to its own), so an append costs its new facts, not the
    key's history. Returns ``(closed, new)``: the handles
    of stored rows that stopped being believed, with the point at which they
    did, and the new ``(row, known_from, known_to)`` rows. From ``believed={}``
    and ``after=0`` this is the whole history (:func:`believed_rows`).
    """
    changes = {fold_point(pos) for pos, _ in facts if pos > after}
    changes.update(fold_point(retracted[pos]) for pos, _ in facts if retracted.get(pos, 0) > after)
    believed = dict(believed)
    closed: list[tuple[Any, int]] = []
    new: list[tuple[Row, int, int | None]] = []
    for position in sorted(changes):
        now = set(fold(live_at(facts, retracted, position)))
        for row in [row for row in believed if row not in now]:
            since, handle = believed.pop(row)
            if handle is None:
                new.append((row, since, position))
            else:
                closed.append((handle, position))
        for row in now:
            if row not in believed:
                believed[row] = (position, None)
    new += [(row, since, None) for row, (since, handle) in believed.items() if handle is None]
    return closed, new


class Believed(Generic[Row]):
    """The rows a fold's answers hold and since which commit point each is believed (``known_from``), and those
    no longer believed with the point they stopped being (``known_to``), kept as the answers change."""

    __slots__ = ("since", "ended", "steps")

    def __init__(self) -> None:
        self.since: dict[Row, int] = {}  # the rows believed now -> their known_from
        self.ended: list[tuple[Row, int, int | None]] = []  # (row, known_from, known_to)
        #: the answer at each point, for a fold that keeps them (:func:`.lean_title._replay` with ``record``)
        self.steps: list[tuple[int, list[Row]]] = []

    def step(self, point: int, answer: Iterable[Row]) -> None:
        """Move to the whole ``answer`` at ``point``."""
        believed, ended = self.since, self.ended
        now = set(answer)
        for row in [row for row in believed if row not in now]:
            ended.append((row, believed.pop(row), point))
        for row in now:
            if row not in believed:
                believed[row] = point

    def change(self, point: int, gained: Iterable[Row], lost: Iterable[Row], record: bool = False) -> None:
        """Move to the answer at ``point`` given what it ``gained`` and ``lost`` since the last point (each row lost
        is believed now); ``record``: also keep the whole answer (:attr:`steps`)."""
        believed = self.since
        for row in lost:
            self.ended.append((row, believed.pop(row), point))
        for row in gained:
            believed[row] = point
        if record:
            self.steps.append((point, list(believed)))

    def rows(self) -> list[tuple[Row, int, int | None]]:
        """Every row with its ``(known_from, known_to)``: those ended first, in the order they ended."""
        return [*self.ended, *((row, since, None) for row, since in self.since.items())]


def believed_over(steps: Iterable[tuple[int, Iterable[Row]]]) -> list[tuple[Row, int, int | None]]:
    """``(row, known_from, known_to)`` given what the fold answered at each point where the key's facts changed.

    ``steps`` are ``(commit point, rows)`` in point order: what :func:`advance`
    from nothing (``believed={}``, ``after=0``) returns as its new rows, in the
    same order, for a fold that can give every point's rows in one replay.
    """
    believed: Believed[Row] = Believed()
    for position, rows in steps:
        believed.step(position, rows)
    return believed.rows()
