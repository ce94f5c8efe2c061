"""The SQL of the question side: the view rows a reading needs, on one basis.

Reached as ``store.views.reads``. Each method answers one look-up of
:mod:`dealtrack.projections.reading` (or :mod:`dealtrack.projections.rights`)
with plain values in (the basis position ``known``, ``start``/``stop`` dates,
names, numbers) and plain rows out; the folds, filters and decoding stay
there. ``columns`` are a view's own column names (from its definition, never
from a user), in view order; values are always bound.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from ..values import iso_day
from .batches import Connection, chunks, kept_cursor

__all__ = ["KNOWN", "OVERLAPS", "SQLiteReads"]

#: SQL: the view row was believed when the log stood at position ``:known``.
KNOWN = "known_from <= :known AND (known_to IS NULL OR known_to > :known)"
#: SQL: the view row's ``[valid_from, valid_to)`` meets some moment of ``[:start, :stop)``.
OVERLAPS = "valid_from < :stop AND (valid_to IS NULL OR valid_to > :start)"


#: :data:`OVERLAPS` and :data:`KNOWN` with positional parameters: ``stop, start`` and ``known, known``.
_OVERLAPS_AT = "valid_from < ? AND (valid_to IS NULL OR valid_to > ?)"
_KNOWN_AT = "known_from <= ? AND (known_to IS NULL OR known_to > ?)"


_OWNER_ROWS = f"SELECT owner, position FROM ownership WHERE patent = ? AND {_OVERLAPS_AT} AND {_KNOWN_AT}"
#: (no position: the ownership index by patent then holds every column it reads, so no table row is visited)
_OWNER_HISTORY = f"SELECT owner, valid_from, valid_to FROM ownership WHERE patent = ? AND {_KNOWN_AT}"


_first = itemgetter(0)
_NONE = frozenset([None])


def _largest_blocks(rows: list[tuple[Any, ...]]) -> dict[int, int]:
    """``{deal position: count}`` of the undisclosed blocks among :meth:`SQLiteReads._held_rows`, by deal: a deal's
    largest count (taken here: SQLite's ``GROUP BY`` sets up a sorter for every question, ~1.3 us)."""
    return {deal: count for _, deal, count in sorted(row for row in rows if row[0] is None)}  # (largest last)


def _marks(count: int) -> str:
    """``count`` positional parameters for ``IN (...)`` (``NULL``, which matches nothing, for none)."""
    return ", ".join("?" * count) or "NULL"


def _licences_on_sql(columns: Sequence[str], names: int, terms: int, licensees: Sequence[str] | None) -> str:
    """The statement of :meth:`SQLiteReads.licences_on` for ``names`` licensors, ``terms`` numbers and (when not
    None) as many licensees: parameters terms, licensees, window, names, licensees, window; rows in no order, each
    with its rowid last."""
    by = "" if licensees is None else f"AND licensee IN ({_marks(len(licensees))}) "
    return (f"{_listing_sql(columns, terms, None if licensees is None else len(licensees))} UNION ALL "
            f"SELECT {', '.join(columns)}, rowid AS r FROM licences WHERE patents IS NULL "
            f"AND licensor IN ({_marks(names)}) {by}AND {_OVERLAPS_AT} AND {_KNOWN_AT}")


def _listing_sql(columns: Sequence[str], terms: int, licensees: int | None, first: str = "") -> str:
    """The licences listing any of ``terms`` numbers (to any of ``licensees`` licensees, when not None) live in a
    window on a basis: parameters terms, licensees, window; each row with its rowid last."""
    # the licences listing a number are few: found through the terms, then tested for the licensee (an
    # expression, so the licensee's index, which would visit every licence it ever held, is not used)
    to = "" if licensees is None else f"AND licensee || '' IN ({_marks(licensees)}) "
    # one number (the usual question): a join, each licence once ((term, key) is the key of licences_terms);
    # several: the licences listing any of them, each once
    listing = ("licences_terms JOIN licences ON licence_id = key WHERE term = ?" if terms == 1 else
               f"licences WHERE licence_id IN (SELECT DISTINCT key FROM licences_terms WHERE term IN ({_marks(terms)}))")
    return (f"SELECT {first}{', '.join(columns)}, licences.rowid AS r FROM {listing} {to}AND {_OVERLAPS_AT} "
            f"AND {_KNOWN_AT}")


def _window(start: date, stop: date, known: int) -> dict[str, Any]:
    return {"start": start.isoformat(), "stop": stop.isoformat(), "known": known}


class SQLiteReads:
    """Reads of the views (and the log) that questions make, each on a basis position ``known``."""

    #: SQL: the log row ``{e}`` is an assignment by the inventors. Its payload is read as JSON, not matched as
    #: text: any JSON writer's spacing counts (a stranger's file, an older codec), and no text in the payload does.
    BY_INVENTORS = "({e}.type = 'PatentsAssigned' AND json_type({e}.payload, '$.by_inventors') = 'true')"

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # the look-ups questions make most run on one kept cursor (each reads its rows in full before it returns)
        self._run = kept_cursor(conn)
        # the text of the look-ups questions make most, per shape (columns, how many names): built once
        self._licences_sql: dict[tuple[Any, ...], tuple[str, int, int]] = {}
        self._bans_sql: dict[tuple[Any, ...], tuple[str, int, int]] = {}
        self._holdings_sql: dict[tuple[int, bool], str] = {}
        self._history_sql: dict[tuple[Any, ...], str] = {}

    # --- rights: licences, bans, security interests, patent terms ---------------------------

    def licences_on(
        self,
        columns: Sequence[str],
        numbers: Iterable[str],
        licensors: Iterable[str],
        start: date,
        stop: date,
        known: int,
        licensees: Iterable[str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """``licences`` rows in ``[start, stop)`` listing any of ``numbers`` or of ``licensors``' portfolio, by start and id."""
        names, terms = sorted(set(licensors)), sorted(set(numbers))
        wanted = None if licensees is None else sorted(set(licensees))
        shape = (tuple(columns), len(names), len(terms), None if wanted is None else len(wanted))
        found = self._licences_sql.get(shape)
        if found is None:
            found = self._licences_sql[shape] = (_licences_on_sql(columns, len(names), len(terms), wanted),
                                                 list(columns).index("valid_from"), list(columns).index("licence_id"))
        sql, first, key = found
        window = (iso_day(stop), iso_day(start), known, known)
        to = () if wanted is None else wanted
        rows = self._run(sql, (*terms, *to, *window, *names, *to, *window)).fetchall()
        # by start, id and rowid, sorted here: the few rows cost less than SQLite's two sorters and their merge
        # (text compares the same in both: UTF-8 bytes sort as their code points)
        rows.sort(key=lambda row: (row[first], row[key], row[-1]))
        return [row[:-1] for row in rows]  # (rows are tuples)

    def history_and_licences(
        self,
        patent: str,
        columns: Sequence[str],
        numbers: Iterable[str],
        start: date,
        stop: date,
        known: int,
        licensees: Iterable[str],
    ) -> tuple[list[tuple[str, str, str | None]], list[tuple[Any, ...]]]:
        """:meth:`owner_history` of ``patent`` and :meth:`licences_on` with the licensors its owners ever were, in
        one statement: ``(history, licence rows)``, the licence rows in no order, each with its rowid last.

        Each history row is joined to the portfolio licences its owner gave one of ``licensees`` (one seek by
        licensee and licensor per row: the owners are not collected into a list first, and the ownership index
        is read once); the licences listing one of ``numbers`` follow. A history row comes once however many
        licences it joined, and a licence once however many history rows named its licensor (both by rowid).
        Names a rename links to an owner are not among the licensors (the caller adds their licences).
        """
        terms, wanted = sorted(set(numbers)), sorted(set(licensees))
        shape = (len(terms), len(wanted), columns if isinstance(columns, tuple) else tuple(columns))
        sql = self._history_sql.get(shape)
        if sql is None:
            among = _marks(len(wanted))
            joined = ", ".join(f"l.{column}" for column in columns)
            sql = self._history_sql[shape] = (
                f"SELECT o.rowid AS h, o.owner, o.valid_from, o.valid_to, {joined}, l.rowid AS r FROM ownership o "
                f"LEFT JOIN licences l ON l.licensee IN ({among}) AND l.licensor = o.owner AND l.patents IS NULL "
                "AND l.valid_from < ? AND (l.valid_to IS NULL OR l.valid_to > ?) "
                "AND l.known_from <= ? AND (l.known_to IS NULL OR l.known_to > ?) "
                f"WHERE o.patent = ? AND o.known_from <= ? AND (o.known_to IS NULL OR o.known_to > ?) "
                f"UNION ALL {_listing_sql(columns, len(terms), len(wanted), 'NULL, NULL, NULL, NULL, ')}")
        window = (iso_day(stop), iso_day(start), known, known)
        rows = self._run(sql, (*wanted, *window, patent, known, known, *terms, *wanted, *window)).fetchall()
        licences = {row[-1]: row[4:] for row in rows if row[-1] is not None}
        if not licences:  # (the usual answer: then each row is one history row, joined to nothing)
            return [row[1:4] for row in rows], []
        history: dict[int, tuple[str, str, str | None]] = {}
        for row in rows:
            if row[0] is not None and row[0] not in history:
                history[row[0]] = row[1:4]
        return list(history.values()), list(licences.values())

    def portfolio_licences(
        self, columns: Sequence[str], licensors: Iterable[str], start: date, stop: date, known: int,
        licensees: Iterable[str],
    ) -> list[tuple[Any, ...]]:
        """``licences`` rows in ``[start, stop)`` of the portfolio licences (no patent listed) by any of
        ``licensors`` to any of ``licensees``, in no order, each with its rowid last."""
        names, wanted = sorted(set(licensors)), sorted(set(licensees))
        sql = (f"SELECT {', '.join(columns)}, rowid AS r FROM licences WHERE patents IS NULL AND licensor IN "
               f"({_marks(len(names))}) AND licensee IN ({_marks(len(wanted))}) AND {_OVERLAPS_AT} AND {_KNOWN_AT}")
        return self._run(sql, (*names, *wanted, iso_day(stop), iso_day(start), known, known)).fetchall()

    def bans_against(
        self, columns: Sequence[str], parties: Iterable[str], start: date, stop: date, known: int,
        territory: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """``bans`` rows in force in ``[start, stop)`` of the bans against any of ``parties``, by ban and start.

        With ``territory`` (an ISO code), a row whose ``territory`` text holds neither it nor ``WORLD`` in quotes
        is left out (it cannot be in force there): the rows given are a superset of those in force there.
        """
        names = sorted(parties if isinstance(parties, (set, frozenset)) else set(parties))
        shape = (columns if type(columns) is tuple else tuple(columns), len(names), territory is None)
        found = self._bans_sql.get(shape)
        if found is None:
            # one seek of bans_by_party (the rows of bans once per party banned) per name; a ban against several of
            # the names comes once per name (the same row: on one basis a ban's stretches start on different days)
            among = "party = ?" if len(names) == 1 else f"party IN ({_marks(len(names))})"
            # (a pattern made in the statement: a bound one would have SQLite plan the statement again at each call)
            where = "" if territory is None else """ AND (territory LIKE ('%' || ? || '%') OR territory LIKE '%"WORLD"%')"""
            sql = (f"SELECT {', '.join(columns)} FROM bans_by_party WHERE {among} AND {_OVERLAPS_AT} AND {_KNOWN_AT}"
                   f"{where}")
            found = self._bans_sql[shape] = (sql, list(columns).index("ban_id"), list(columns).index("valid_from"))
        sql, key, first = found
        window = (iso_day(stop), iso_day(start), known, known)
        params = (*names, *window) if territory is None else (*names, *window, f'"{territory}"')
        rows = self._run(sql, params).fetchall()
        if len(rows) > 1:  # its few rows sorted here (cheaper than SQLite's sorter), each once
            if len(names) > 1:
                rows = list(dict.fromkeys(rows))
            rows.sort(key=lambda row: (row[key], row[first]))
        return rows  # (rows are tuples: no copy of each)

    def _view_rows(self, table: str, columns: Sequence[str], start: date, stop: date, known: int, where: str,
                   order: str, **params: Any) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {where}{OVERLAPS} AND {KNOWN} ORDER BY {order}",
            {**_window(start, stop, known), **params},
        )
        return cursor.fetchall()  # (rows are tuples: no copy of each)

    def licence_rows(self, columns: Sequence[str], start: date, stop: date, known: int) -> list[tuple[Any, ...]]:
        """``licences`` rows live at some moment of ``[start, stop)``, by start and id."""
        return self._view_rows("licences", columns, start, stop, known, "", "valid_from, licence_id")

    def ban_rows(self, columns: Sequence[str], start: date, stop: date, known: int) -> list[tuple[Any, ...]]:
        """``bans`` rows in force at some moment of ``[start, stop)``, by ban and start."""
        return self._view_rows("bans", columns, start, stop, known, "", "ban_id, valid_from")

    def lien_rows(self, columns: Sequence[str], patent: str, start: date, stop: date, known: int) -> list[tuple[Any, ...]]:
        """``security_interests`` lien rows on ``patent`` live at some moment of ``[start, stop)``, by start."""
        return self._view_rows("security_interests", columns, start, stop, known,
                               "patent = :patent AND kind = 'lien' AND ", "valid_from", patent=patent)

    def security_notes(self, columns: Sequence[str], known: int) -> list[tuple[Any, ...]]:
        """``security_interests`` rows that are no lien (releases and assignments matching none, or several)."""
        cursor = self.conn.execute(
            f"SELECT {', '.join(columns)} FROM security_interests WHERE kind != 'lien' AND {KNOWN}", {"known": known})
        return cursor.fetchall()  # (rows are tuples: no copy of each)

    def has_terms(self) -> bool:
        """True when ``patent_terms`` holds any row (at any basis)."""
        (found,) = self.conn.execute("SELECT EXISTS(SELECT 1 FROM patent_terms)").fetchone()
        return bool(found)

    def term_rows(self, columns: Sequence[str], numbers: Sequence[str], known: int) -> list[tuple[Any, ...]]:
        """``patent_terms`` rows of any of ``numbers``, 500 numbers at a time."""
        found: list[tuple[Any, ...]] = []
        for chunk in chunks(list(numbers)):
            params = {"known": known, **{f"p{i}": number for i, number in enumerate(chunk)}}
            marks = ", ".join(f":p{i}" for i in range(len(chunk)))
            found += [tuple(row) for row in self.conn.execute(
                f"SELECT {', '.join(columns)} FROM patent_terms WHERE patent IN ({marks}) AND {KNOWN}", params)]
        return found

    def term_history(self, numbers: Sequence[str]) -> list[tuple[str, str, int, int | None]]:
        """``(patent, valid_from, known_from, known_to)`` of every ``patent_terms`` row of any of ``numbers``, on
        every basis (a reading keeps them per head and picks the rows of its own basis), 500 numbers at a time."""
        found: list[tuple[str, str, int, int | None]] = []
        for chunk in chunks(list(numbers)):
            found += self.conn.execute(
                f"SELECT patent, valid_from, known_from, known_to FROM patent_terms WHERE patent IN ({_marks(len(chunk))})",
                chunk).fetchall()
        return found

    # --- title: owners, holdings, anomalies -----------------------------------------------------

    def owner_rows(self, patent: str, start: date, stop: date, known: int) -> list[tuple[str, int]]:
        """``(owner, position)`` of each ``ownership`` row of ``patent`` that meets ``[start, stop)``."""
        # (rows are tuples (owner, position): given as read)
        return self._run(_OWNER_ROWS, (patent, iso_day(stop), iso_day(start), known, known)).fetchall()

    def owner_history(self, patent: str, known: int) -> list[tuple[str, str, str | None]]:
        """``(owner, valid_from, valid_to)`` of every ``ownership`` row of ``patent``, at any valid time."""
        return self._run(_OWNER_HISTORY, (patent, known, known)).fetchall()  # (rows are tuples: given as read)

    def holdings(self, names: Sequence[str], start: date, stop: date, known: int) -> tuple[list[tuple[str, int]], dict[int, int]]:
        """``([(patent, position)], {deal position: undisclosed count})`` held by any of ``names`` in ``[start, stop)``."""
        rows = self._held_rows(names, start, stop, known, True)
        return [(row[0], row[1]) for row in rows if row[0] is not None], _largest_blocks(rows)

    def held_patents(self, names: Sequence[str], start: date, stop: date, known: int) -> tuple[frozenset[str], dict[int, int]]:
        """:meth:`holdings` without the positions: ``(patents, {deal position: undisclosed count})``.

        The patents become a set at C speed (no Python per row): a portfolio's answer grows with the holder.
        """
        rows = self._held_rows(names, start, stop, known, False)
        held = frozenset(map(_first, rows))
        if None not in held:  # (the usual answer: no undisclosed block)
            return held, {}
        return held - _NONE, _largest_blocks(rows)

    def _held_rows(self, names: Sequence[str], start: date, stop: date, known: int, positions: bool) -> list[tuple[Any, ...]]:
        """One statement: ``(patent, position or NULL, NULL)`` of the listed patents (a patent is never NULL), then
        ``(NULL, deal position, count)`` of the undisclosed blocks (see :func:`_largest_blocks`)."""
        sql = self._holdings_sql.get((len(names), positions))
        if sql is None:
            marks = ", ".join("?" * len(names))
            sql = self._holdings_sql[(len(names), positions)] = (
                f"SELECT patent, {'position' if positions else 'NULL'}, NULL FROM ownership WHERE owner IN ({marks}) "
                f"AND {_OVERLAPS_AT} AND {_KNOWN_AT} UNION ALL SELECT NULL, deal_position, patents_count "
                f"FROM undisclosed_holdings WHERE owner IN ({marks}) AND {_OVERLAPS_AT} AND {_KNOWN_AT}")
        window = (iso_day(stop), iso_day(start), known, known)
        return self._run(sql, (*names, *window, *names, *window)).fetchall()

    def patents_naming(self, names: Iterable[str]) -> list[str]:
        """The patents whose title events name any of ``names``, each once."""
        wanted = list(names)
        marks = ", ".join("?" for _ in wanted)
        return [row[0] for row in self.conn.execute(
            f"SELECT DISTINCT patent FROM title_parties WHERE party IN ({marks})", wanted)]

    def undisclosed_deals_of(self, names: Iterable[str]) -> list[int]:
        """The positions of the deals whose undisclosed patents any of ``names`` held, each once."""
        wanted = list(names)
        marks = ", ".join("?" for _ in wanted)
        return [row[0] for row in self.conn.execute(
            f"SELECT DISTINCT deal_position FROM undisclosed_holdings WHERE owner IN ({marks})", wanted)]

    def title_positions(self, patent: str) -> list[int]:
        """The positions of the title facts filed under ``patent`` (one number)."""
        return [row[0] for row in self.conn.execute("SELECT position FROM title_facts WHERE patent = ?", (patent,))]

    def title_fact_payloads(self, patent: str) -> list[tuple[int, str, str, int]]:
        """``(position, type, payload, schema_version)`` of the title facts filed under ``patent``, in position
        order: :meth:`title_positions` and the log's rows in one statement (ordered by the facts' own key, which
        SQLite then reads in order: by the log's column it sorted them apart)."""
        return self.conn.execute(
            "SELECT e.position, e.type, e.payload, e.schema_version FROM title_facts f "
            "JOIN events e ON e.position = f.position WHERE f.patent = ? ORDER BY f.position", (patent,)).fetchall()

    def title_patents(self) -> list[str]:
        """Every number with title facts, each once."""
        return [row[0] for row in self.conn.execute("SELECT DISTINCT patent FROM title_facts")]

    def has_title_facts(self, numbers: Sequence[str], known: int) -> bool:
        """True when a title fact at or before ``known`` is filed under any of ``numbers``."""
        marks = ", ".join("?" for _ in numbers)
        (found,) = self.conn.execute(
            f"SELECT EXISTS(SELECT 1 FROM title_facts WHERE patent IN ({marks}) AND position <= ?)",
            [*numbers, known],
        ).fetchone()
        return bool(found)

    def hides_title(self, patent: str, known: int, registry: date, stop: date) -> bool:
        """True when a title fact of ``patent`` or a rename known by ``known`` bears on days before ``stop`` but is not
        registered by ``registry``: dated before ``stop``; an inventors' assignment (they held from the start); or, on
        a chain with an inventors' assignment, any title fact (hiding the chain's first fact can make the inventors'
        assignment the first, and the inventors then held from the start)."""
        params = {"patent": patent, "known": known, "registry": registry.isoformat(), "stop": stop.isoformat()}
        hidden = "COALESCE(e.registry_recorded, e.effective_start) > :registry"
        bears = f"e.effective_start < :stop OR {self.BY_INVENTORS.format(e='e')}"
        inventors = ("EXISTS(SELECT 1 FROM title_facts g JOIN events i ON i.position = g.position WHERE g.patent = :patent "
                     f"AND g.position <= :known AND {self.BY_INVENTORS.format(e='i')})")
        (found,) = self.conn.execute(
            "SELECT EXISTS(SELECT 1 FROM title_facts f JOIN events e ON e.position = f.position "
            f"WHERE f.patent = :patent AND f.position <= :known AND {hidden} AND ({bears} OR {inventors})) "
            "OR EXISTS(SELECT 1 FROM events e WHERE e.type IN ('PartyRenamed', 'PartiesMerged') "
            f"AND e.position <= :known AND {hidden} AND ({bears}))",
            params,
        ).fetchone()
        return bool(found)

    def anomaly_rows(self, known: int) -> list[tuple[str, str, int, str, str | None]]:
        """``(kind, subject, position, message, related as JSON)`` of every stored title anomaly."""
        cursor = self.conn.execute(
            f"SELECT kind, subject, position, message, related FROM anomalies WHERE {KNOWN}", {"known": known}
        )
        return [(row[0], row[1], row[2], row[3], row[4]) for row in cursor]

    def register_rows(self, known: int, registry: date | None = None) -> list[tuple[str, int, str]]:
        """``(subject, position, message)`` of the unread register records (on the register by ``registry``, if given)."""
        where = ""
        params: dict[str, Any] = {"known": known}
        if registry is not None:
            where = " AND COALESCE(e.registry_recorded, e.effective_start) <= :registry"
            params = {**params, "registry": registry.isoformat()}
        cursor = self.conn.execute(
            "SELECT r.subject, r.position, r.message FROM register_records r JOIN events e ON e.position = r.position "
            f"WHERE r.known_from <= :known AND (r.known_to IS NULL OR r.known_to > :known){where}",
            params,
        )
        return [(row[0], row[1], row[2]) for row in cursor]

    # --- parties ------------------------------------------------------------------------------

    def names_party(self, name: str) -> bool:
        """True when the views name ``name`` as a title party, licensor, licensee or party banned."""
        (found,) = self.conn.execute(
            "SELECT EXISTS(SELECT 1 FROM title_parties WHERE party = :n) OR EXISTS(SELECT 1 FROM bans_terms "
            "WHERE term = :n) OR EXISTS(SELECT 1 FROM licences WHERE licensor = :n OR licensee = :n)", {"n": name},
        ).fetchone()
        return bool(found)

    def party_mentions(self) -> set[str]:
        """Every party name the views know: title holders, licensors, licensees and parties banned."""
        return {row[0] for row in self.conn.execute(
            "SELECT party FROM title_parties UNION SELECT licensor FROM licences "
            "UNION SELECT licensee FROM licences UNION SELECT term FROM bans_terms")}

    def spellings_under(self, keys: Iterable[str]) -> list[str]:
        """Every spelling the views' ``party_names`` file under one of ``keys`` (party keys), on the kept cursor:
        a question on a changed key asks this of a party or two it has not seen (``values_under`` builds its
        statement and a cursor each time)."""
        wanted = sorted(set(keys))
        if len(wanted) == 1:
            return [row[0] for row in self._run("SELECT name FROM party_names WHERE key = ?", wanted).fetchall()]
        found: list[str] = []
        for chunk in chunks(wanted):
            found += [row[0] for row in self._run(
                f"SELECT name FROM party_names WHERE key IN ({_marks(len(chunk))})", chunk).fetchall()]
        return found

    def party_names(self) -> list[tuple[str, str]]:
        """``(key, spelling)`` of every party name in the log, by key and spelling."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT key, name FROM party_names ORDER BY key, name")]

    # --- the log, as questions need it ----------------------------------------------------------

    def key_positions(self, facts_table: str, key: str) -> list[int]:
        """The positions a keyed view's facts table notes for ``key``."""
        return [r[0] for r in self.conn.execute(f"SELECT position FROM {facts_table} WHERE key = ?", (key,))]

    def key_fact_payloads(self, facts_table: str, key: str) -> list[tuple[int, str, str, int]]:
        """``(position, type, payload, schema_version)`` of the facts a keyed view notes for ``key``, in position
        order: :meth:`key_positions` and the log's rows in one statement."""
        return self._run(  # (on the kept cursor: a question on a key the tail touches reads this)
            f"SELECT e.position, e.type, e.payload, e.schema_version FROM {facts_table} f "
            "JOIN events e ON e.position = f.position WHERE f.key = ? ORDER BY f.position", (key,)).fetchall()

    def deal_positions(self, deal: str, known: int) -> list[int]:
        """The positions (up to ``known``) of the assignments that report the deal ``deal``."""
        return [r[0] for r in self.conn.execute(
            "SELECT position FROM events WHERE type = 'PatentsAssigned' AND position <= ? AND deal = ?", [known, deal])]

    def assignment_positions(self, start: date, end: date, known: int) -> list[int]:
        """The positions (up to ``known``) of the assignments whose effective date starts in ``[start, end]``."""
        return [r[0] for r in self.conn.execute(
            "SELECT position FROM events WHERE type = 'PatentsAssigned' AND position <= ? AND "
            "effective_start >= ? AND effective_start <= ?", [known, start.isoformat(), end.isoformat()])]

    def unlisted_deal_positions(self, known: int) -> list[int]:
        """The positions (up to ``known``) of the assignments that moved patents they did not list."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT deal_position FROM undisclosed_holdings WHERE deal_position <= ?", (known,))]

    def repeated_deals(self, known: int) -> list[str]:
        """Deal ids more than one assignment (up to ``known``) reports, in order."""
        return [r[0] for r in self.conn.execute(
            "SELECT deal FROM events WHERE type = 'PatentsAssigned' AND deal IS NOT NULL AND position <= ? "
            "GROUP BY deal HAVING COUNT(*) > 1 ORDER BY deal", (known,))]
