"""Known-time history: what a fold answered at every position of the log.

A view row carries ``known_from`` and ``known_to`` positions: the span of the
log in which it was believed. :func:`believed_rows` gets them by re-running a
pure fold at each position where the key's facts changed (an event arrived or
was retracted), so a ``known_at`` question is an indexed look-up, not a replay.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from ..events import Event

Row = TypeVar("Row", bound=Hashable)
Fact = tuple[int, Event]  # (position, event)

__all__ = ["Fact", "believed_rows", "live_at"]


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
    changes = sorted({pos for pos, _ in facts} | {retracted[pos] for pos, _ in facts if pos in retracted})
    believed: dict[Row, int] = {}
    closed: list[tuple[Row, int, int | None]] = []
    for position in changes:
        now = set(fold(live_at(facts, retracted, position)))
        for row in [row for row in believed if row not in now]:
            closed.append((row, believed.pop(row), position))
        for row in now:
            believed.setdefault(row, position)
    return closed + [(row, since, None) for row, since in believed.items()]
