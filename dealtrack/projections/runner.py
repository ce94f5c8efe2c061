"""Keeping views in step with the log: each view and its checkpoint move in one transaction.

A projection is a set of tables plus two operations: ``apply`` the events of
one append (inside the append's transaction), and ``rebuild`` from the whole
log. Both end in the same rows, which the tests check.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from ..store import Store
from .history import Fact
from .numbers import NumbersProjection
from .ownership import OwnershipProjection
from .reader import LogReader, Projection
from .register import RegisterProjection
from .rights import BANS, LICENCES, SECURITY_INTERESTS
from .views import BrowsingViews

__all__ = ["PROJECTIONS", "apply_all", "catch_up", "is_behind", "rebuild_all"]

# patent_numbers comes first: the ownership view keys facts by the property ids it gives.
# The browsing views read the other views' tables, so they come last.
PROJECTIONS: list[Projection] = [
    NumbersProjection(),
    OwnershipProjection(),
    RegisterProjection(),
    LICENCES,
    BANS,
    SECURITY_INTERESTS,
    BrowsingViews(),
]


def _set_checkpoint(store: Store, projection: Projection, position: int) -> None:
    store.conn.execute(
        "INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position",
        (projection.name, projection.version, position),
    )


def apply_all(store: Store, batch: Sequence[Fact], ends: Sequence[int] | None = None, reopen: int | None = None) -> None:
    """Bring every view up to date with ``batch`` (call inside the append's transaction).

    ``ends`` are the batch's commit points (by default its last position).
    ``reopen`` is the log's last position before ``batch`` when the batch
    continues that position's recorded time (a restore that split one source
    append): that position stops being a commit point, and what was folded
    there moves to the batch's commit point or is folded again.
    """
    after = None
    if reopen is not None:
        after = store.commit_span(reopen)[0] - 1
        point = store.commit_point(reopen)
        for projection in PROJECTIONS:
            for table in projection.folded:  # rows of keys the batch leaves alone: believed from the new point
                store.conn.execute(f"UPDATE {table} SET known_from = ? WHERE known_from = ?", (point, reopen))
                store.conn.execute(f"UPDATE {table} SET known_to = ? WHERE known_to = ?", (point, reopen))
    log = LogReader(store, batch, ends, after)
    for projection in PROJECTIONS:
        projection.apply(log, batch)
    store.conn.executemany(  # every view moved to the same position: one statement for all
        "UPDATE projection_checkpoints SET position = ? WHERE name = ? AND version = ?",
        [(batch[-1][0], projection.name, projection.version) for projection in PROJECTIONS],
    )


def rebuild_all(store: Store) -> None:
    """Recompute every view from the whole log, in one transaction."""
    with store.transaction():
        _rebuild(store, PROJECTIONS)


def _rebuild(store: Store, projections: Sequence[Projection]) -> None:
    log = LogReader(store, ends=store.commit_points())
    position = store.head()[0]
    collecting = gc.isenabled()
    gc.disable()  # a rebuild makes many short-lived objects and no cycles; the collector would only slow it
    try:
        for projection in projections:
            projection.create(store)
            projection.rebuild(log)
            _set_checkpoint(store, projection, position)
    finally:
        if collecting:
            gc.enable()


def is_behind(store: Store) -> bool:
    """Whether :func:`catch_up` would have to rebuild a view (e.g. before reading a read-only file)."""
    position = store.head()[0]
    checkpoints = {
        name: (version, at)
        for name, version, at in store.conn.execute("SELECT name, version, position FROM projection_checkpoints")
    }
    return any(checkpoints.get(p.name) != (p.version, position) for p in PROJECTIONS)


def catch_up(store: Store) -> None:
    """Rebuild any view that is missing, of another version, or behind the log."""
    position = store.head()[0]
    checkpoints = {
        name: (version, at)
        for name, version, at in store.conn.execute("SELECT name, version, position FROM projection_checkpoints")
    }
    stale = [p for p in PROJECTIONS if checkpoints.get(p.name) != (p.version, position)]
    if stale:
        with store.transaction():
            _rebuild(store, stale)
