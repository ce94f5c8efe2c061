"""Known-time history: what a fold answered at every position of the log.

A view row carries ``known_from`` and ``known_to`` positions: the span of the
log in which it was believed. :func:`believed_rows` gets them by re-running a
pure fold at each position where the key's facts changed (an event arrived or
was retracted), so a ``known_at`` question is an indexed look-up, not a replay.
:func:`advance` does the same from where a key's stored rows stand, so an
append folds only its own positions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from ..events import Event

Row = TypeVar("Row", bound=Hashable)
Fact = tuple[int, Event]  # (position, event)

__all__ = ["KNOWN", "OVERLAPS", "Fact", "advance", "believed_rows", "iso", "live_at", "valid_order"]

#: SQL: the view row was believed when the log stood at position ``:known``.
KNOWN = "known_from <= :known AND (known_to IS NULL OR known_to > :known)"
#: SQL: the view row's ``[valid_from, valid_to)`` meets some moment of ``[:start, :stop)``.
OVERLAPS = "valid_from < :stop AND (valid_to IS NULL OR valid_to > :start)"


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


def believed_rows(
    facts: Sequence[Fact],
    retracted: Mapping[int, int],
    fold: Callable[[list[Fact]], Iterable[Row]],
) -> list[tuple[Row, int, int | None]]:
    """``(row, known_from, known_to)`` for every row ``fold`` produced at some position.

    ``known_to`` is the position at which the row stopped being believed, or
    ``None`` while it still is.
    """
    return advance(facts, retracted, fold, {}, 0)[1]


def advance(
    facts: Sequence[Fact],
    retracted: Mapping[int, int],
    fold: Callable[[list[Fact]], Iterable[Row]],
    believed: dict[Row, tuple[int, Any]],
    after: int,
) -> tuple[list[tuple[Any, int]], list[tuple[Row, int, int | None]]]:
    """Carry a key's believed rows from position ``after`` to the end of ``facts``.

    ``believed`` holds the rows open at ``after`` (row -> (known_from, handle),
    the handle naming the stored row). Only the positions past ``after`` where
    the key's facts changed are folded, so an append costs its new facts, not
    the key's history. Returns ``(closed, new)``: the handles
    of stored rows that stopped being believed, with the position at which they
    did, and the new ``(row, known_from, known_to)`` rows. From ``believed={}``
    and ``after=0`` this is the whole history (:func:`believed_rows`).
    """
    changes = {pos for pos, _ in facts if pos > after}
    changes.update(retracted[pos] for pos, _ in facts if retracted.get(pos, 0) > after)
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
