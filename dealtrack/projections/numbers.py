"""Which numbers name the same property: a US application and the patent it issued as.

Table ``patent_numbers(application, grant, position)`` holds every live
:class:`~dealtrack.events.PatentNumbersLinked` (a retracted link is removed).
A property's id is its grant number; an application linked to a grant goes by
that grant (the smallest, should a register ever link it to two). The
ownership view indexes its facts under property ids, so a chain of title
gathers the events recorded under either number, and questions resolve the
number they are asked about first (:func:`property_of`).

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

__all__ = ["NumbersProjection", "linked_grants", "linked_numbers", "numbers_of", "properties_of", "property_of",
           "split_applications"]


def linked_numbers(event: Event) -> tuple[str, ...]:
    """The numbers a link event joins (none for other events)."""
    if isinstance(event, PatentNumbersLinked):
        return event.application, event.grant
    return ()


def properties_of(conn: sqlite3.Connection, numbers: Iterable[str]) -> dict[str, str]:
    """``number -> property id`` for each of ``numbers``: a linked application's grant, else the number itself."""
    found = {number: number for number in numbers}
    applications = sorted(n for n in found if n.startswith("USAPP"))
    for start in range(0, len(applications), 500):
        chunk = applications[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for application, grant in conn.execute(
            f"SELECT application, MIN(grant) FROM patent_numbers WHERE application IN ({marks}) GROUP BY application", chunk
        ):
            found[application] = grant
    grants = sorted(n for n in found if not n.startswith("USAPP") and n.startswith("US"))
    for start in range(0, len(grants), 500):  # a second grant of an application goes by the first
        chunk = grants[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for grant, first in conn.execute(
            f"SELECT p.grant, MIN(q.grant) FROM patent_numbers p JOIN patent_numbers q ON q.application = p.application "
            f"WHERE p.grant IN ({marks}) GROUP BY p.grant", chunk
        ):
            found[grant] = first
    return found


def split_applications(conn: sqlite3.Connection, known: int) -> list[tuple[str, list[str], int]]:
    """``(application, its grants, the position of the last link)`` for each application linked to more than one grant
    by links recorded at or before ``known``."""
    rows = conn.execute(
        "SELECT application, GROUP_CONCAT(grant), MAX(position) FROM (SELECT DISTINCT application, grant, position "
        "FROM patent_numbers WHERE position <= ? ORDER BY grant) GROUP BY application HAVING COUNT(DISTINCT grant) > 1 "
        "ORDER BY application", (known,))
    return [(application, sorted(set(grants.split(","))), position) for application, grants, position in rows]


def linked_grants(conn: sqlite3.Connection, numbers: Iterable[str]) -> set[str]:
    """The grants any of ``numbers`` (applications) are linked to now."""
    applications = sorted({n for n in numbers if n.startswith("USAPP")})
    marks = ", ".join("?" for _ in applications)
    return {row[0] for row in conn.execute(f"SELECT grant FROM patent_numbers WHERE application IN ({marks})", applications)}


def property_of(conn: sqlite3.Connection, number: str) -> str:
    """The id under which the views keep the property ``number`` names."""
    return properties_of(conn, [number])[number]


def numbers_of(conn: sqlite3.Connection, patent: str) -> list[str]:
    """Every number of the property ``patent`` names: its id first, then the applications linked to it
    (and any other grant the register gave one of them)."""
    property_id = property_of(conn, patent)
    applications = [row[0] for row in conn.execute(
        "SELECT DISTINCT application FROM patent_numbers WHERE grant = ? ORDER BY application", (property_id,))]
    mine = [a for a in applications if property_of(conn, a) == property_id]
    marks = ", ".join("?" for _ in mine)
    others = [row[0] for row in conn.execute(
        f"SELECT DISTINCT grant FROM patent_numbers WHERE application IN ({marks}) AND grant != ? ORDER BY grant",
        [*mine, property_id])] if mine else []
    return [property_id, *mine, *others]


class NumbersProjection:
    """The live links between application and grant numbers."""

    name = "patent_numbers"
    version = 1
    folded = ()

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
