"""SQL views and table notes that make a ledger file pleasant to browse in Datasette or ``sqlite3``.

The views read the projection tables as currently believed (``known_to IS NULL``);
``..._today`` ones use SQLite's ``date('now')`` (UTC). ``dealtrack_tables``
describes every table and view in the file, and :func:`datasette_metadata`
turns the same notes into a Datasette metadata document. Recreated on every
rebuild, so the definitions always match this dealtrack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (the runner registers this view; the backend imports nothing above it)
    from ..projections.history import Fact
    from ..projections.reader import LogReader
    from .store import Store

__all__ = ["QUERIES", "BrowsingViews", "NOTES", "VIEWS", "datasette_metadata"]

_NOW = "date('now')"

#: view name -> SELECT statement
VIEWS: dict[str, str] = {
    "current_ownership": f"""
        SELECT patent, owner, valid_from AS since, position
        FROM ownership
        WHERE known_to IS NULL AND valid_from <= {_NOW} AND (valid_to IS NULL OR valid_to > {_NOW})
        ORDER BY patent, owner""",
    "title_history": """
        SELECT o.patent, o.owner, o.valid_from, o.valid_to, o.position, e.event_id, e.type, e.deal,
               e.effective_start || CASE WHEN e.effective_end = e.effective_start THEN '' ELSE '/' || e.effective_end END
                   AS effective
        FROM ownership o JOIN events e ON e.position = o.position
        WHERE o.known_to IS NULL
        ORDER BY o.patent, o.valid_from, o.owner""",
    "active_licences_today": f"""
        SELECT licence_id, licensor, licensee, patents, territory, field, exclusive, sublicensable,
               valid_from, valid_to, position
        FROM licences
        WHERE known_to IS NULL AND valid_from <= {_NOW} AND (valid_to IS NULL OR valid_to > {_NOW})
        ORDER BY licence_id, licensor""",
    "active_bans_today": f"""
        SELECT ban_id, against, territory, authority, requested_by, court_case, products, patents,
               exempt_products, conditions, valid_from, valid_to, position
        FROM bans
        WHERE known_to IS NULL AND valid_from <= {_NOW} AND (valid_to IS NULL OR valid_to > {_NOW})
        ORDER BY ban_id""",
    "ban_history": """
        SELECT ban_id, against, territory, authority, patents, exempt_products, conditions, valid_from, valid_to,
               position
        FROM bans WHERE known_to IS NULL ORDER BY ban_id, valid_from""",
    "current_anomalies": """
        SELECT a.kind, a.subject, a.message, a.position, e.event_id, a.view AS found_by
        FROM anomalies a JOIN events e ON e.position = a.position
        WHERE a.known_to IS NULL
        UNION ALL
        SELECT 'unclassified', r.subject, r.message, r.position, e.event_id, 'register'
        FROM register_records r JOIN events e ON e.position = r.position
        WHERE r.known_to IS NULL
        ORDER BY 4, 2""",
    "event_log": """
        SELECT e.position, e.event_id, e.type, e.effective_start, e.effective_end, e.deal,
               json_extract(e.payload, '$.registry_ref') AS registry_ref, e.registry_recorded, e.recorded_at,
               r.position AS retracted_by, e.payload
        FROM events e LEFT JOIN retractions r ON r.target = e.position
        ORDER BY e.position""",
}

#: table or view name -> (kind, description, {column: description})
NOTES: dict[str, tuple[str, str, dict[str, str]]] = {
    "events": ("table", "The append-only log: one row per event, never updated or deleted (triggers refuse it).", {
        "position": "Global, gap-free order of the log",
        "effective_start": "Valid time: first day the event may have taken effect",
        "effective_end": "Valid time: last day it may have taken effect (same as start when exact)",
        "registry_recorded": "When a public register recorded it",
        "recorded_at": "Transaction time: when dealtrack recorded it (UTC)",
        "payload": "The event's fields as JSON, in the codec's format",
        "hash": "SHA-256 chained over the previous row: tamper evidence",
    }),
    "retractions": ("table", "Which event (target) was retracted by which later event (position).", {}),
    "ownership": ("table", "Chain of title: owner held patent over [valid_from, valid_to), believed while the log "
                  "stood between positions known_from and known_to (NULL: still believed).", {
                      "valid_to": "Exclusive; NULL = still held",
                      "position": "The event that started the holding",
                  }),
    "undisclosed_holdings": ("table", "Patents a deal moved without listing them, counted per deal.", {}),
    "anomalies": ("table", "Oddities in chains of title (gaps, conflicting registrations), kept, not rejected.", {}),
    "licences": ("table", "One row per direction of each licence (a cross-licence has two). Party names as "
                 "recorded; renames apply when a question is asked.", {
                     "patents": "JSON list; NULL = the licensor's whole portfolio on valid_from",
                     "territory": "JSON list of ISO codes or WORLD",
                 }),
    "bans": ("table", "Sales bans: one row per stretch of time in which a ban stood unchanged.", {
        "patents": "JSON list of the patents the ban still rests on",
        "products": "JSON list; NULL = every product",
    }),
    "security_interests": ("table", "Security interests on patents: who holds one over whose title, and when.", {}),
    "patent_numbers": ("table", "Links between a US application and the patent it issued as: views keep a "
                       "linked property under its grant number.", {}),
    "register_records": ("table", "Register records dealtrack does not read as a change of rights (kind "
                         "'unclassified' in anomalies), believed between known_from and known_to.", {}),
    "title_facts": ("table", "Index: which events bear on which patent's title (by property id).", {}),
    "title_parties": ("table", "Index: which parties those events name.", {}),
    "licences_facts": ("table", "Index: which events bear on which licence.", {}),
    "bans_facts": ("table", "Index: which events bear on which ban.", {}),
    "licences_terms": ("table", "Index: the patents each licence lists (licences naming a patent are found by it).", {}),
    "bans_terms": ("table", "Index: the parties each ban is against (bans against a party are found by it).", {}),
    "bans_by_party": ("table", "Index: the rows of bans once per party banned, that party last (one party's bans "
                      "are found by it and the date).", {}),
    "bans_by_party_facts": ("table", "Index: which events bear on which ban (for bans_by_party).", {}),
    "security_interests_terms": ("table", "Index: the debtor and lender each security interest names (a rename or "
                                 "merger of either refolds its patents).", {}),
    "security_interests_facts": ("table", "Index: which events bear on which patent's security interests.", {}),
    "patent_terms": ("table", "When a patent stops conferring rights (expired or lapsed): from valid_from on.", {}),
    "patent_terms_facts": ("table", "Index: which events bear on which patent's term.", {}),
    "party_names": ("table", "Index: every spelling of a party name recorded in the log, by its normalised key "
                    "(case, spaces, punctuation, corporate suffixes and roles dropped).", {}),
    "ledger_head": ("table", "The last position and hash of the log.", {}),
    "projection_checkpoints": ("table", "How far each view has read the log.", {}),
    "dealtrack_tables": ("table", "What each table and view in this file holds.", {}),
    "current_ownership": ("view", "Who holds each patent today, as currently known.", {
        "since": "First day of the current holding",
    }),
    "title_history": ("view", "Every patent's chain of title as currently known, with the event behind each holding.", {}),
    "active_licences_today": ("view", "Licences in force today, as currently known.", {}),
    "active_bans_today": ("view", "Sales bans in force today, as currently known.", {}),
    "ban_history": ("view", "Every ban's stretches over time, as currently known.", {}),
    "current_anomalies": ("view", "Anomalies kept in the file (chains of title, register records), as currently "
                          "known; ledger.anomalies() adds those about licences and bans.", {}),
    "event_log": ("view", "The log with readable columns and, for retracted events, the retracting position.", {}),
}


class BrowsingViews:
    """The SQL views and the ``dealtrack_tables`` notes, recreated on rebuild; nothing to do per append."""

    name = "browsing_views"
    version = 4  # 2: current_anomalies lists unclassified register records; 3: party_names and patent_terms described;
    # 4: security_interests_terms described
    folded = ()

    def create(self, store: Store) -> None:
        if store.dialect != "sqlite":  # Datasette and the sqlite3 shell browse SQLite files only
            return
        conn = store.conn
        for view, select in VIEWS.items():
            conn.execute(f"DROP VIEW IF EXISTS {view}")
            conn.execute(f"CREATE VIEW {view} AS {select.strip()}")
        conn.execute("CREATE TABLE IF NOT EXISTS dealtrack_tables (name TEXT PRIMARY KEY, kind TEXT, description TEXT)")
        conn.execute("DELETE FROM dealtrack_tables")
        conn.executemany(
            "INSERT INTO dealtrack_tables (name, kind, description) VALUES (?, ?, ?)",
            [(name, kind, description) for name, (kind, description, _) in NOTES.items()],
        )

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        """Views read the tables, so an append has nothing to add here."""

    def rebuild(self, log: LogReader) -> None:
        self.create(log.store)


_LIVE_ON = "known_to IS NULL AND valid_from <= :on AND (valid_to IS NULL OR valid_to > :on)"

#: Datasette canned queries for the common questions, as currently known (name -> query document).
QUERIES: dict[str, dict[str, str]] = {
    "owners_on": {
        "title": "Who owned a patent on a date",
        "description": "Title holders of :patent (normalised, e.g. US8000001) on :on (YYYY-MM-DD), as currently "
                       "known. dealtrack owners-of also answers partial dates, known_at and registry_at.",
        "sql": f"SELECT patent, owner, valid_from, valid_to, position FROM ownership "
               f"WHERE patent = :patent AND {_LIVE_ON} ORDER BY owner",
    },
    "portfolio_on": {
        "title": "What a party held on a date",
        "description": "Listed patents :party held on :on (YYYY-MM-DD) under that exact name, as currently known. "
                       "dealtrack portfolio also follows renames and counts undisclosed patents.",
        "sql": f"SELECT patent, valid_from, valid_to, position FROM ownership "
               f"WHERE owner = :party AND {_LIVE_ON} ORDER BY patent",
    },
    "active_bans_on": {
        "title": "Sales bans in force on a date",
        "description": "Bans in force on :on (YYYY-MM-DD), as currently known; dealtrack active-bans also "
                       "filters by party, territory and product.",
        "sql": f"SELECT ban_id, against, territory, authority, patents, exempt_products, conditions, valid_from, "
               f"valid_to FROM bans WHERE {_LIVE_ON} ORDER BY ban_id",
    },
}
#: dealtrack's own bookkeeping: hidden in Datasette, listed after the tables and views people want.
_INTERNAL = {"ledger_head", "projection_checkpoints", "dealtrack_tables"}


def datasette_metadata(database: str = "dealtrack", title: str | None = None) -> dict[str, Any]:
    """A Datasette metadata document describing a ledger file named ``database`` (its file stem).

    It describes every table and view, hides dealtrack's index and bookkeeping tables, and
    offers canned queries for the common questions (:data:`QUERIES`).
    """
    return {
        "title": title or f"dealtrack ledger: {database}",
        "description": "Patent deals as an append-only event log, with views of who owned, licensed "
                       "or was barred from what, and when.",
        "databases": {
            database: {
                "tables": {
                    name: {"description": description, **({"columns": columns} if columns else {}),
                           **({"hidden": True} if _is_internal(name, description) else {})}
                    for name, (_, description, columns) in NOTES.items()
                },
                "queries": QUERIES,
            },
        },
    }


def _is_internal(name: str, description: str) -> bool:
    return name in _INTERNAL or description.startswith("Index:")
