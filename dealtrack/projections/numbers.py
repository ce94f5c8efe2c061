"""Which numbers name the same property: a US application and the patent it issued as.

Table ``patent_numbers(application, grant, position)`` holds every live
:class:`~dealtrack.events.PatentNumbersLinked` (a retracted link is removed).
The numbers linked to each other form a group; the group's *property id* is
its grant number (the smallest, should a register ever link an application to
two grants), and every view keyed by patent keeps its rows under that id.

A link is an identity, not a belief about who held what: once recorded it
applies to every question, whatever its ``known_at``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from ..events import Event, EventRetracted, PatentNumbersLinked
from ..store import Store
from .history import Fact
from .reader import LogReader

__all__ = ["NumbersProjection", "linked_numbers", "numbers_of", "property_of"]

_GROUP = """
WITH RECURSIVE grp(number) AS (
    VALUES (:number)
    UNION
    SELECT CASE WHEN link.application = grp.number THEN link.grant ELSE link.application END
    FROM patent_numbers AS link JOIN grp ON link.application = grp.number OR link.grant = grp.number
)
SELECT number FROM grp
"""


def linked_numbers(event: Event) -> tuple[str, ...]:
    """The numbers a link event joins (none for other events)."""
    if isinstance(event, PatentNumbersLinked):
        return event.application, event.grant
    return ()


def numbers_of(conn: sqlite3.Connection, number: str) -> list[str]:
    """Every number of the property ``number`` names, the property id first."""
    group = sorted(row[0] for row in conn.execute(_GROUP, {"number": number}))
    if len(group) == 1:
        return group
    first = _canonical(group)
    return [first, *(n for n in group if n != first)]


def property_of(conn: sqlite3.Connection, number: str) -> str:
    """The id under which views keep the property ``number`` names (its grant number, if linked)."""
    if not conn.execute(
        "SELECT 1 FROM patent_numbers WHERE application = ? OR grant = ? LIMIT 1", (number, number)
    ).fetchone():
        return number
    return numbers_of(conn, number)[0]


def _canonical(group: Sequence[str]) -> str:
    grants = [n for n in group if not n.startswith("USAPP")]
    return min(grants) if grants else min(group)


class NumbersProjection:
    """The live links between application and grant numbers."""

    name = "patent_numbers"
    version = 1

    def create(self, store: Store) -> None:
        store.ensure_view_table("patent_numbers", {"application": str, "grant": str, "position": int}, "position",
                                [("application",), ("grant",)])

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        conn = log.store.conn
        self._insert(conn, batch)
        for _, event in batch:
            if isinstance(event, EventRetracted):
                target = log.store.position_of(event.target)
                conn.execute("DELETE FROM patent_numbers WHERE position = ?", (target,))

    def rebuild(self, log: LogReader) -> None:
        conn = log.store.conn
        conn.execute("DELETE FROM patent_numbers")
        retracted = log.retracted()
        positions = [row.position for row in log.store.rows("type = 'PatentNumbersLinked'")]
        self._insert(conn, [fact for fact in log.facts(positions) if fact[0] not in retracted])

    @staticmethod
    def _insert(conn: sqlite3.Connection, facts: Iterable[Fact]) -> None:
        conn.executemany(
            "INSERT INTO patent_numbers (application, grant, position) VALUES (?, ?, ?)",
            [(*linked_numbers(event), position) for position, event in facts if linked_numbers(event)],
        )
