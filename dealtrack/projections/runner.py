"""Keeping views in step with the log: each view and its checkpoint move in one transaction.

The log is the first tier: an append writes only its events. The views are the
second: :func:`refresh` catches them up from their checkpoint to the log's
head, by folding the events since the checkpoint (``apply``, in steps that end
at commit points) or, when most of the log is new to them, by a ``rebuild``
from the whole log. Both end in the same rows, which the tests check. A crash
between an append and a catch-up loses nothing: the views simply stay behind
until the next one.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from .. import codec
from ..sqlite.browsing import BrowsingViews
from ..sqlite.store import Store
from .history import Fact
from .keyed import KeyedView
from .numbers import NumbersProjection
from .ownership import OwnershipProjection
from .parties import PartiesProjection
from .reader import LogReader, Projection
from .register import RegisterProjection
from .rights import BANS, BANS_BY_PARTY, LICENCES, PATENT_TERMS, SECURITY_INTERESTS

__all__ = ["PROJECTIONS", "apply_all", "catch_up", "is_behind", "rebuild_all", "refresh", "views_behind"]

#: A catch-up folds at most about this many events at a time (then cuts at the next commit point), so its
#: memory stays bounded however far the views are behind.
STEP = 20_000
#: ... and rebuilds from scratch instead when the events it has to fold are more than this share of the log:
#: a rebuild streams the log in key order, about three times faster per event than folding appends.
REBUILD_SHARE = 1 / 3

# patent_numbers comes first: the ownership view keys facts by the property ids it gives.
# The browsing views read the other views' tables, so they come last.
PROJECTIONS: list[Projection] = [
    NumbersProjection(),
    OwnershipProjection(),
    RegisterProjection(),
    LICENCES,
    BANS,
    BANS_BY_PARTY,
    SECURITY_INTERESTS,
    PATENT_TERMS,
    PartiesProjection(),
    BrowsingViews(),
]


def apply_all(store: Store, batch: Sequence[Fact], ends: Sequence[int] | None = None, reopen: int | None = None) -> None:
    """Bring every view up to date with ``batch``, the log's events after the views' checkpoint (in a transaction).

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
        # rows of keys the batch leaves alone: believed from (or until) the new point
        store.views.move_commit_point([table for projection in PROJECTIONS for table in projection.folded], reopen, point)
    log = LogReader(store, batch, ends, after, upto=batch[-1][0])
    for projection in PROJECTIONS:
        projection.apply(log, batch)
    # every view moved to the same position: one statement for all
    store.views.advance_checkpoints([(projection.name, projection.version) for projection in PROJECTIONS], batch[-1][0])


def rebuild_all(store: Store) -> None:
    """Recompute every view from the whole log, in one transaction."""
    with store.transaction():
        _rebuild(store, PROJECTIONS)


def _rebuild(store: Store, projections: Sequence[Projection]) -> None:
    log = LogReader(store, ends=store.commit_points())
    # a view that reads its keys off stored fields takes those of the events another view's rebuild reads anyway
    log.key_readers = {projection.name: (projection.types, projection.stored_keys) for projection in projections
                       if isinstance(projection, KeyedView) and projection.stored_keys is not None
                       and projection.terms is None}
    position = store.head()[0]
    collecting = gc.isenabled()
    gc.disable()  # a rebuild makes many short-lived objects and no cycles; the collector would only slow it
    try:
        for projection in projections:
            with store.load_then_index():  # its tables' indexes are built once, after the load
                projection.create(store)
                projection.rebuild(log)
            store.views.set_checkpoint(projection.name, projection.version, position)
    finally:
        if collecting:
            gc.enable()


def views_behind(store: Store) -> bool:
    """True when some view has not caught up with the log (one indexed read: cheap enough for every question)."""
    head, views = store.views_position()
    return views != head


def is_behind(store: Store) -> bool:
    """Whether :func:`catch_up` would have to write to the views: one is missing, of another version, or behind."""
    head = store.head()[0]
    checkpoints = store.checkpoints()
    return any(checkpoints.get(p.name) != (p.version, head) for p in PROJECTIONS)


def catch_up(store: Store) -> None:
    """Rebuild any view that is missing or of another version, and catch the rest up with the log."""
    with store.transaction():
        checkpoints = store.checkpoints()
        stale = [p for p in PROJECTIONS if checkpoints.get(p.name, (None, 0))[0] != p.version]
        if stale:
            _rebuild(store, stale)
    refresh(store)


def refresh(store: Store) -> int:
    """Catch every view up with the log, in one transaction; return how many events were new to the views.

    Safe to call at any time and from several processes at once: the write lock
    makes one of them do the work, and the others find nothing left to do.
    """
    if not views_behind(store):
        return 0
    with store.transaction():
        head = store.head()[0]
        points = {position for _, position in store.checkpoints().values()}
        known = min(points) if len(points) == 1 else 0  # views at different points: fold them all anew
        if known == head:
            return 0
        if known == 0 or head - known > REBUILD_SHARE * head:
            _rebuild(store, PROJECTIONS)
        else:
            _fold_since(store, known)
        return head - known


def _fold_since(store: Store, known: int) -> None:
    """Fold the events after position ``known`` into the views, a step at a time, each step ending at a commit point."""
    rows = store.views.rows_after(known)
    reopen = known if store.commit_point(known) > known else None  # a restore went on with the last recorded time
    step: list[Fact] = []
    ends: list[int] = []
    stamp = None
    for row in rows:
        if step and row.recorded_at != stamp:
            ends.append(step[-1][0])
            if len(step) >= STEP:
                apply_all(store, step, ends, reopen)
                step, ends, reopen = [], [], None
        step.append((row.position, codec.decode_stored(row.type, row.payload, row.schema_version)))
        stamp = row.recorded_at
    if step:
        apply_all(store, step, [*ends, step[-1][0]], reopen)
