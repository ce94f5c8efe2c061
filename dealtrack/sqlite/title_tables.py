"""The SQL of the ownership view's own reads: patents of parties, deals of owners, number links.

Reached as ``store.views.title``. The generic upkeep (facts, open rows,
inserts) is :mod:`.view_tables`; these are the look-ups only the chain of
title makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .batches import Connection, chunks, select_in

__all__ = ["SQLiteTitleTables"]


class SQLiteTitleTables:
    """Reads of ``ownership``, ``title_facts``, ``title_parties``, ``undisclosed_holdings`` and ``patent_numbers``."""

    def __init__(self, conn: Connection) -> None:
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

        A second grant of an application goes by the first.
        """
        found = {number: number for number in numbers}
        found.update(select_in(
            self.conn,
            'SELECT application, MIN("grant") FROM patent_numbers WHERE application IN ({marks}) GROUP BY application',
            [n for n in found if n.startswith("USAPP")],
        ))
        found.update(select_in(  # a second grant of an application goes by the first
            self.conn,
            'SELECT p."grant", MIN(q."grant") FROM patent_numbers p JOIN patent_numbers q ON q.application = p.application '
            'WHERE p."grant" IN ({marks}) GROUP BY p."grant"',
            [n for n in found if n.startswith("US") and not n.startswith("USAPP")],
        ))
        return found

    def linked_grants(self, numbers: Iterable[str]) -> set[str]:
        """The grants any of ``numbers`` (applications) are linked to now."""
        return {row[0] for row in select_in(
            self.conn, 'SELECT "grant" FROM patent_numbers WHERE application IN ({marks})',
            [n for n in numbers if n.startswith("USAPP")],
        )}

    def numbers_of(self, patent: str) -> list[str]:
        """Every number of the property ``patent`` names: its id first, then the applications linked to it
        (and any other grant the register gave one of them)."""
        property_id = self.properties_of([patent])[patent]
        applications = [row[0] for row in self.conn.execute(
            'SELECT DISTINCT application FROM patent_numbers WHERE "grant" = ? ORDER BY application', (property_id,))]
        ids = self.properties_of(applications)
        mine = [a for a in applications if ids[a] == property_id]
        marks = ", ".join("?" for _ in mine)
        others = [row[0] for row in self.conn.execute(
            f'SELECT DISTINCT "grant" FROM patent_numbers WHERE application IN ({marks}) AND "grant" != ? ORDER BY "grant"',
            [*mine, property_id])] if mine else []
        return [property_id, *mine, *others]

    def has_links(self) -> bool:
        """True when any application is linked to a grant (else every number is its own property)."""
        (found,) = self.conn.execute("SELECT EXISTS(SELECT 1 FROM patent_numbers)").fetchone()
        return bool(found)

    def split_applications(self, known: int) -> list[tuple[str, list[str], int]]:
        """``(application, its grants, the position of the last link)`` for each application linked to more
        than one grant by links recorded at or before ``known``."""
        rows = self.conn.execute(
            'SELECT application, "grant", position FROM patent_numbers WHERE position <= ? AND application IN '
            '(SELECT application FROM patent_numbers WHERE position <= ? GROUP BY application '
            'HAVING COUNT(DISTINCT "grant") > 1) ORDER BY application', (known, known))
        split: dict[str, tuple[set[str], int]] = {}
        for application, grant, position in rows:
            grants, last = split.setdefault(application, (set(), position))
            grants.add(grant)
            split[application] = (grants, max(last, position))
        return [(application, sorted(grants), last) for application, (grants, last) in split.items()]

    def add_links(self, links: Sequence[tuple[str, str, int]]) -> None:
        """Note ``(application, grant, position)`` links."""
        if links:
            self.conn.executemany('INSERT INTO patent_numbers (application, "grant", position) VALUES (?, ?, ?)', links)

    def drop_link(self, position: int) -> None:
        """Forget the link recorded at ``position`` (it was retracted)."""
        self.conn.execute("DELETE FROM patent_numbers WHERE position = ?", (position,))

    def linked_twice(self, applications: Iterable[str]) -> set[str]:
        """Those of ``applications`` linked to more than one grant."""
        return {row[0] for row in select_in(
            self.conn,
            "SELECT application FROM patent_numbers WHERE application IN ({marks}) GROUP BY application "
            'HAVING COUNT(DISTINCT "grant") > 1',
            applications,
        )}
