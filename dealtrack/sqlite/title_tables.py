"""The SQL of the ownership view's own reads: patents of parties, deals of owners, number links.

Reached as ``store.views.title``. The generic upkeep (facts, open rows,
inserts) is :mod:`.view_tables`; these are the look-ups only the chain of
title makes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from .batches import chunks, select_in

__all__ = ["SQLiteTitleTables"]


class SQLiteTitleTables:
    """Reads of ``ownership``, ``title_facts``, ``title_parties``, ``undisclosed_holdings`` and ``patent_numbers``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def patents_of_parties(self, names: Iterable[str]) -> set[str]:
        """The patents any of ``names`` ever held, or that an event naming them bears on."""
        return {row[0] for row in select_in(
            self.conn,
            "SELECT patent FROM ownership WHERE owner IN ({marks}) UNION SELECT patent FROM title_parties WHERE party IN ({marks})",
            names, repeat=2,
        )}

    def deals_of_owners(self, names: Iterable[str]) -> set[int]:
        """The positions of the deals whose undisclosed patents any of ``names`` ever held."""
        return {row[0] for row in select_in(
            self.conn, "SELECT DISTINCT deal_position FROM undisclosed_holdings WHERE owner IN ({marks})", names)}

    def indexed_patents(self, numbers: Iterable[str]) -> set[str]:
        """Those of ``numbers`` that have title facts under their own number."""
        return {row[0] for row in select_in(self.conn, "SELECT DISTINCT patent FROM title_facts WHERE patent IN ({marks})", numbers)}

    def fact_positions(self, patents: Iterable[str]) -> list[int]:
        """The positions of the title facts of ``patents``, each once."""
        return sorted({row[0] for row in select_in(
            self.conn, "SELECT DISTINCT position FROM title_facts WHERE patent IN ({marks})", patents)})

    def forget(self, patents: Iterable[str]) -> None:
        """Delete every title fact, party, holding and title anomaly of ``patents`` (to index and fold them afresh)."""
        for chunk in chunks(sorted(set(patents))):
            marks = ", ".join("?" for _ in chunk)
            for table in ("title_facts", "title_parties", "ownership"):
                self.conn.execute(f"DELETE FROM {table} WHERE patent IN ({marks})", chunk)
            self.conn.execute(f"DELETE FROM anomalies WHERE view = 'title' AND subject IN ({marks})", chunk)

    # --- number links (patent_numbers) -----------------------------------------------------------

    def properties_of(self, numbers: Iterable[str]) -> dict[str, str]:
        """``number -> property id`` for each of ``numbers``: a linked application's (smallest) grant, else itself.

        (The same as :func:`dealtrack.projections.numbers.properties_of`, until that module's SQL moves here.)
        """
        found = {number: number for number in numbers}
        found.update(select_in(
            self.conn,
            "SELECT application, MIN(grant) FROM patent_numbers WHERE application IN ({marks}) GROUP BY application",
            [n for n in found if n.startswith("USAPP")],
        ))
        found.update(select_in(  # a second grant of an application goes by the first
            self.conn,
            "SELECT p.grant, MIN(q.grant) FROM patent_numbers p JOIN patent_numbers q ON q.application = p.application "
            "WHERE p.grant IN ({marks}) GROUP BY p.grant",
            [n for n in found if n.startswith("US") and not n.startswith("USAPP")],
        ))
        return found

    def linked_grants(self, numbers: Iterable[str]) -> set[str]:
        """The grants any of ``numbers`` (applications) are linked to now."""
        return {row[0] for row in select_in(
            self.conn, "SELECT grant FROM patent_numbers WHERE application IN ({marks})",
            [n for n in numbers if n.startswith("USAPP")],
        )}

    def linked_twice(self, applications: Iterable[str]) -> set[str]:
        """Those of ``applications`` linked to more than one grant."""
        return {row[0] for row in select_in(
            self.conn,
            "SELECT application FROM patent_numbers WHERE application IN ({marks}) GROUP BY application "
            "HAVING COUNT(DISTINCT grant) > 1",
            applications,
        )}
