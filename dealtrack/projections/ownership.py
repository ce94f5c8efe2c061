"""The ownership view: who held each patent when, as believed at each position of the log.

Tables (ordinary SQLite tables, browsable as they are):

- ``title_facts(patent, position)``: which events bear on a patent's title, and
  ``title_parties(party, patent)``: who those events name (a rename re-folds them);
- ``ownership(patent, owner, valid_from, valid_to, position, known_from, known_to)``:
  holdings as half-open day intervals ``[valid_from, valid_to)``, believed
  while the log stood between positions ``known_from`` and ``known_to``;
- ``undisclosed_holdings(...)``: patents a deal moved without listing them;
- ``anomalies(view, subject, kind, position, message, known_from, known_to)``.

Upkeep is per key: an append re-folds only the patents (and undisclosed
blocks) its events touch, from their own facts, and replaces their rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date

import orjson

from ..events import Event, EventRetracted, PatentRegistered, PatentsAssigned
from ..store import Store
from .history import KNOWN, OVERLAPS, Fact, believed_rows, iso
from .numbers import linked_grants, linked_numbers, properties_of
from .reader import LogReader
from .title import Holding, TitleAnomaly, fold_title, renamed_names

__all__ = ["OwnershipProjection", "holdings", "owners", "relevant_renames", "title_parties"]

_TABLES: dict[str, tuple[dict[str, type], tuple[str, ...] | None]] = {
    "title_facts": ({"patent": str, "position": int}, ("patent", "position")),
    "title_parties": ({"party": str, "patent": str}, ("party", "patent")),
    "ownership": (
        {
            "patent": str,
            "owner": str,
            "valid_from": str,
            "valid_to": str,
            "position": int,
            "known_from": int,
            "known_to": int,
        },
        None,
    ),
    "undisclosed_holdings": (
        {
            "deal_position": int,
            "owner": str,
            "patents_count": int,
            "valid_from": str,
            "valid_to": str,
            "known_from": int,
            "known_to": int,
        },
        None,
    ),
    "anomalies": (
        {
            "view": str,
            "subject": str,
            "kind": str,
            "position": int,
            "message": str,
            "related": str,  # JSON list of the other positions involved, or NULL
            "known_from": int,
            "known_to": int,
        },
        None,
    ),
}
_INDEXES = {
    "title_facts": [["position"]],
    "title_parties": [],
    "ownership": [["patent", "valid_from", "valid_to", "owner"], ["owner", "valid_from"]],
    "undisclosed_holdings": [["deal_position"], ["owner"]],
    "anomalies": [["view", "subject"]],
}


def title_parties(event: Event) -> set[str]:
    """The parties an event bearing on title names (a rename or merger: both names)."""
    if isinstance(event, PatentRegistered):
        return {event.owner}
    if isinstance(event, PatentsAssigned):
        return set(event.assignor) | set(event.assignee)
    return set(renamed_names(event) or ())


def relevant_renames(renames: Sequence[Fact], names: Iterable[str]) -> list[Fact]:
    """The renames and mergers that can touch any of ``names``, directly or through a chain."""
    names = set(names)
    chosen: dict[int, Fact] = {}
    grew = True
    while grew:
        grew = False
        for fact in renames:
            pair = renamed_names(fact[1])
            if fact[0] not in chosen and pair is not None and names & set(pair):
                chosen[fact[0]] = fact
                names |= set(pair)
                grew = True
    return list(chosen.values())


class OwnershipProjection:
    """Chain of title for every patent, plus undisclosed holdings and title anomalies."""

    name = "ownership"
    version = 2  # 2: anomalies name the other events involved (``related``)

    def create(self, store: Store) -> None:
        for table, (columns, pk) in _TABLES.items():
            store.ensure_view_table(table, columns, pk, _INDEXES[table])

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        conn = log.store.conn
        patents: set[str] = set()
        blocks: set[int] = set()
        names: set[str] = set()
        linked: set[str] = set()  # numbers whose facts may sit under another id now
        facts = _by_property(conn, _title_facts(batch))
        _index(conn, facts, batch)
        patents.update(patent for patent, _ in facts)
        for position, event in batch:
            if isinstance(event, EventRetracted):
                target = log.store.position_of(event.target)
                assert target is not None, "append checks that a retraction's target exists"
                patents.update(row[0] for row in conn.execute("SELECT patent FROM title_facts WHERE position = ?", (target,)))
                (_, event) = log.facts([target])[0]
                position = target
                linked.update(linked_numbers(event))
            if isinstance(event, PatentsAssigned) and event.undisclosed_count:
                blocks.add(position)
            pair = renamed_names(event)
            if pair is not None:
                names.update(pair)
        linked.update(_moved(conn, [linked_numbers(event) for _, event in batch if linked_numbers(event)]))
        if linked:  # a link joins two numbers' chains of title (a retracted one parts them)
            patents.update(_relink(conn, log, linked))
        if names:  # a rename touches every holding under any name linked to it by renames
            for _, rename in relevant_renames(log.renames(), names):
                names.update(renamed_names(rename) or ())
            marks = ", ".join("?" for _ in names)
            patents.update(
                r[0]
                for r in conn.execute(
                    f"SELECT patent FROM ownership WHERE owner IN ({marks}) "
                    f"UNION SELECT patent FROM title_parties WHERE party IN ({marks})",
                    [*names, *names],
                )
            )
            blocks.update(
                r[0] for r in conn.execute(f"SELECT DISTINCT deal_position FROM undisclosed_holdings WHERE owner IN ({marks})", [*names])
            )
        for patent in sorted(patents):
            self._refresh_patent(log, patent)
        for block in sorted(blocks):
            self._refresh_block(log, block)

    def rebuild(self, log: LogReader) -> None:
        conn = log.store.conn
        for table in _TABLES:
            conn.execute(f"DELETE FROM {table}" + (" WHERE view = 'title'" if table == "anomalies" else ""))
        title_types = ("PatentRegistered", "PatentsAssigned")
        positions = [row.position for row in log.store.rows(f"type IN {title_types!r}")]
        title_events = log.facts(positions)
        facts = _by_property(conn, _title_facts(title_events))
        _index(conn, facts, title_events)
        for patent in sorted({patent for patent, _ in facts}):
            self._refresh_patent(log, patent)
        for position, event in log.facts(positions):
            if isinstance(event, PatentsAssigned) and event.undisclosed_count:
                self._refresh_block(log, position)

    # --- one key at a time ------------------------------------------------------------

    def _refresh_patent(self, log: LogReader, patent: str) -> None:
        conn = log.store.conn
        positions = [r[0] for r in conn.execute("SELECT position FROM title_facts WHERE patent = ?", (patent,))]
        facts = log.facts(positions)
        names = set().union(*(title_parties(event) for _, event in facts))
        facts += relevant_renames(log.renames(), names)

        def fold(live: list[Fact]) -> list[Holding | TitleAnomaly]:
            holdings, anomalies = fold_title(patent, live)
            return [*holdings, *anomalies]

        rows = believed_rows(facts, log.retracted(), fold)
        conn.execute("DELETE FROM ownership WHERE patent = ?", (patent,))
        conn.execute("DELETE FROM anomalies WHERE view = 'title' AND subject = ?", (patent,))
        conn.executemany(
            "INSERT INTO ownership (patent, owner, valid_from, valid_to, position, known_from, known_to) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (patent, row.owner, iso(row.valid_from), iso(row.valid_to), row.position, since, until)
                for row, since, until in rows
                if isinstance(row, Holding)
            ],
        )
        conn.executemany(
            "INSERT INTO anomalies (view, subject, kind, position, message, related, known_from, known_to) "
            "VALUES ('title', ?, ?, ?, ?, ?, ?, ?)",
            [
                (patent, row.kind, row.position, row.message,
                 orjson.dumps(row.related).decode() if row.related else None, since, until)
                for row, since, until in rows
                if isinstance(row, TitleAnomaly)
            ],
        )

    def _refresh_block(self, log: LogReader, position: int) -> None:
        """Undisclosed patents of one deal follow its assignees through renames and mergers."""
        conn = log.store.conn
        (deal,) = log.facts([position])
        event = deal[1]
        assert isinstance(event, PatentsAssigned)
        facts = [deal, *relevant_renames(log.renames(), event.assignee)]
        rows = believed_rows(facts, log.retracted(), lambda live: fold_title(f"deal at {position}", live)[0])
        conn.execute("DELETE FROM undisclosed_holdings WHERE deal_position = ?", (position,))
        conn.executemany(
            "INSERT INTO undisclosed_holdings "
            "(deal_position, owner, patents_count, valid_from, valid_to, known_from, known_to) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (position, row.owner, event.undisclosed_count, iso(row.valid_from), iso(row.valid_to), since, until)
                for row, since, until in rows
            ],
        )


def _index(conn: sqlite3.Connection, facts: list[tuple[str, int]], batch: Sequence[Fact]) -> None:
    """Note which events bear on which patents, and which parties they name."""
    conn.executemany("INSERT OR IGNORE INTO title_facts (patent, position) VALUES (?, ?)", facts)
    events = dict(batch)
    conn.executemany(
        "INSERT OR IGNORE INTO title_parties (party, patent) VALUES (?, ?)",
        [(party, patent) for patent, position in facts for party in title_parties(events[position])],
    )


def _by_property(conn: sqlite3.Connection, facts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``facts`` keyed by property id: an application linked to its grant goes by the grant (see :mod:`.numbers`)."""
    ids = properties_of(conn, {patent for patent, _ in facts})
    return list(dict.fromkeys((ids[patent], position) for patent, position in facts))


def _moved(conn: sqlite3.Connection, links: list[tuple[str, ...]]) -> set[str]:
    """The numbers of new links whose facts were indexed under another id before (most were not).

    The links of an append are in place before its facts are indexed, so only
    an application with facts under its own number, or linked to another grant
    too, has facts to move.
    """
    applications = sorted({application for application, _ in links})
    if not applications:
        return set()
    marks = ", ".join("?" for _ in applications)
    moved = {row[0] for row in conn.execute(f"SELECT DISTINCT patent FROM title_facts WHERE patent IN ({marks})", applications)}
    moved |= {row[0] for row in conn.execute(
        f"SELECT application FROM patent_numbers WHERE application IN ({marks}) GROUP BY application "
        "HAVING COUNT(DISTINCT grant) > 1", applications)}
    return {number for application, grant in links if application in moved for number in (application, grant)}


def _relink(conn: sqlite3.Connection, log: LogReader, numbers: set[str]) -> set[str]:
    """Index again, under today's property ids, the facts of ``numbers`` and of the properties they name.

    Called when a link joins an application to its grant or a retraction parts
    them; returns the property ids whose chains of title must be folded again.
    An application's facts may sit under any grant it is linked to, so those are included.
    """
    ids = set(numbers) | linked_grants(conn, numbers) | set(properties_of(conn, numbers).values())
    marks = ", ".join("?" for _ in ids)
    positions = [r[0] for r in conn.execute(f"SELECT DISTINCT position FROM title_facts WHERE patent IN ({marks})", [*ids])]
    for table in ("title_facts", "title_parties", "ownership"):
        conn.execute(f"DELETE FROM {table} WHERE patent IN ({marks})", [*ids])
    conn.execute(f"DELETE FROM anomalies WHERE view = 'title' AND subject IN ({marks})", [*ids])
    events = log.facts(positions)
    facts = [(patent, position) for patent, position in _by_property(conn, _title_facts(events)) if patent in ids]
    _index(conn, facts, events)
    return ids


def _title_facts(batch: Iterable[Fact]) -> list[tuple[str, int]]:
    """``(patent, position)`` for each event in ``batch`` that bears on a patent's title."""
    pairs: list[tuple[str, int]] = []
    for position, event in batch:
        if isinstance(event, PatentRegistered):
            pairs.append((event.patent, position))
        elif isinstance(event, PatentsAssigned):
            pairs.extend((patent, position) for patent in event.patents)
    return pairs


# --- questions ----------------------------------------------------------------------


def owners(conn: sqlite3.Connection, patent: str, start: date, stop: date, known: int) -> frozenset[str]:
    """Everyone believed at ``known`` to hold ``patent`` at some moment of ``[start, stop)``."""
    cursor = conn.execute(
        f"SELECT DISTINCT owner FROM ownership WHERE patent = :patent AND {OVERLAPS} AND {KNOWN}",
        {"patent": patent, "start": start.isoformat(), "stop": stop.isoformat(), "known": known},
    )
    return frozenset(row[0] for row in cursor)


def holdings(conn: sqlite3.Connection, names: Sequence[str], start: date, stop: date, known: int) -> tuple[frozenset[str], int]:
    """``(listed patents, undisclosed count)`` held by any of ``names`` during ``[start, stop)``."""
    marks = ", ".join(f":n{i}" for i in range(len(names)))
    params = {"start": start.isoformat(), "stop": stop.isoformat(), "known": known}
    params.update({f"n{i}": name for i, name in enumerate(names)})
    patents = frozenset(
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT patent FROM ownership WHERE owner IN ({marks}) AND {OVERLAPS} AND {KNOWN}", params
        )
    )
    (undisclosed,) = conn.execute(
        "SELECT COALESCE(SUM(patents_count), 0) FROM (SELECT deal_position, MAX(patents_count) AS patents_count "
        f"FROM undisclosed_holdings WHERE owner IN ({marks}) AND {OVERLAPS} AND {KNOWN} GROUP BY deal_position)",
        params,
    ).fetchone()
    return patents, int(undisclosed)
