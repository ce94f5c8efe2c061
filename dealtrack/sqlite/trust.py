"""Files from strangers: which SQL objects in a ledger file dealtrack made, and refusing any it did not.

A SQLite file can carry its own SQL: triggers that run when dealtrack writes,
views that stand in for the tables dealtrack reads, indexes whose expressions
run on every insert. A ledger is an evidence file that people send each other,
so before anything runs on a file, every trigger and view in it must be one
dealtrack creates, word for word, and every other index a plain one on columns.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ..errors import LedgerFileError
from .store import SchemaObject, Store

__all__ = ["foreign_objects", "refuse_foreign_objects", "view_tables"]

# An index that only orders columns runs no SQL of its own: older dealtrack versions made such indexes.
_PLAIN_INDEX = re.compile(
    r'^CREATE INDEX\s+("?\[?\w+\]?"?)\s+ON\s+("?\[?\w+\]?"?)\s*'
    r'\(\s*"?\[?\w+\]?"?(\s+(ASC|DESC))?(\s*,\s*"?\[?\w+\]?"?(\s+(ASC|DESC))?)*\s*\)\s*$',
    re.IGNORECASE,
)


@functools.cache
def _own_objects() -> dict[tuple[str, str], str | None]:
    """``(type, name) -> SQL`` of every object this dealtrack creates in a ledger (read off a fresh one)."""
    from ..projections.runner import catch_up  # (the views' own objects: made by the runner, read back here)

    store = Store.open(None)
    try:
        catch_up(store)
        return {(o.type, o.name): o.sql for o in store.schema_objects()}
    finally:
        store.close()


#: Tables that hold the log itself rather than a view of it.
_LOG_TABLES = frozenset({"events", "retractions", "ledger_head", "projection_checkpoints", "append_keys", "dealtrack_tables"})


def view_tables() -> list[str]:
    """The tables of every view: what a recount from the log must reproduce row for row."""
    return sorted(name for kind, name in _own_objects() if kind == "table" and name not in _LOG_TABLES)


def foreign_objects(objects: Iterable[SchemaObject]) -> list[str]:
    """Describe each trigger, view or index in ``objects`` that dealtrack did not create (empty: none)."""
    own = _own_objects()
    own_tables = {name for kind, name in own if kind == "table"}
    found: list[str] = []
    for item in objects:
        if item.type in ("table",) or item.sql is None:  # tables hold data, not SQL; sql None: SQLite's own index
            continue
        mine = own.get((item.type, item.name), "") == item.sql
        if item.type in ("trigger", "view") and not mine:
            found.append(f"{item.type} {item.name!r} on {item.table!r}")
        elif item.type == "index" and not mine and item.table in own_tables and not _PLAIN_INDEX.match(item.sql):
            found.append(f"index {item.name!r} on {item.table!r}")
    return found


def refuse_foreign_objects(objects: list[SchemaObject]) -> None:
    """Raise :class:`LedgerFileError` naming SQL objects in the file that dealtrack did not create."""
    found = foreign_objects(objects)
    if found:
        raise LedgerFileError(
            f"the file holds SQL that dealtrack did not create, which would run inside dealtrack: {', '.join(found)}; "
            "refused without running anything (remove them with sqlite3 if you trust the file)"
        )
