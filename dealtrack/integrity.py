"""Checking a whole log: positions without gaps, the hash chain, stored columns, the head, views in step.

Every check reads one snapshot of the file, so a verify running beside other
writers sees one consistent log. A problem names the first position where it
shows; the report lists the first problem of each kind, in position order.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs

from . import codec
from .answers import Anchor, Problem, VerifyReport
from .checks import stream_of
from .errors import DealtrackError, LedgerFileError
from .events import EventRetracted
from .limits import MAX_CLOCK_SKEW
from .projections.runner import PROJECTIONS, rebuild_all
from .sqlite.store import GENESIS_HASH, EventRow, StorageDamaged, Store, format_instant
from .sqlite.trust import view_tables

__all__ = ["head_anchor", "verify_log"]


def head_anchor(store: Store) -> Anchor:
    """The log's head as an :class:`Anchor` (position 0 and the genesis hash when empty)."""
    position, digest, _ = store.head()
    return Anchor(position, digest)


def verify_log(store: Store, anchor: Anchor | str | None = None, full: bool = True) -> VerifyReport:
    """Walk the log once and report the first problem of each kind (an empty report: all is well).

    With ``anchor`` (from an earlier :func:`head_anchor`), also prove the log
    still extends it: the event at ``anchor.position`` still carries ``anchor.hash``.
    Also checks the log's triggers, SQL objects dealtrack did not make, and
    SQLite's own ``integrity_check``; ``full`` also recounts every view from
    the log (``full=False``: a ``quick_check`` and no recount).
    """
    wanted = None if anchor is None else Anchor.parse(anchor)
    try:
        with store.snapshot():
            return _Walk(store, wanted, full).run()
    except StorageDamaged as exc:
        raise LedgerFileError(f"the ledger file cannot be read to the end: {exc}") from exc


#: At one position, what the log's shape says comes before what a row's content says.
_KIND_ORDER = [
    "missing_rows", "inserted_row", "hash_mismatch", "cut_tail", "anchor_mismatch", "head_mismatch",
    "time_went_back", "time_in_future", "unreadable_event", "column_mismatch", "retraction_mismatch", "view_behind",
    "view_mismatch", "trigger_missing", "trigger_changed", "foreign_object", "file_damaged",
]

#: Problems of the log itself: a recount of the views from it would prove nothing.
_LOG_KINDS = frozenset(_KIND_ORDER[: _KIND_ORDER.index("view_behind") + 1]) - {"time_in_future"}


def _hash_of(row: EventRow, previous: str) -> str | None:
    try:
        return row.chained_hash(previous)
    except TypeError:  # a column holding something no append writes (a blob, a huge number)
        return None


class _Walk:
    """One pass over the log, collecting problems."""

    def __init__(self, store: Store, anchor: Anchor | None, full: bool = True) -> None:
        self.store = store
        self.anchor = anchor
        self.full = full
        self.problems: list[Problem] = []
        self.kinds: set[str] = set()

    def report(self, position: int, kind: str, message: str) -> None:
        if kind not in self.kinds:
            self.kinds.add(kind)
            self.problems.append(Problem(position, kind, message))

    def run(self) -> VerifyReport:
        store, anchor = self.store, self.anchor
        previous_hash, expected, last_recorded, checked = GENESIS_HASH, 1, "", 0
        hashes_at = {0: GENESIS_HASH}  # only the positions we need again: the head's and the anchor's
        head_position, head_hash, _ = store.head()
        retractions: list[tuple[int, Any]] = []
        if anchor is not None and anchor.position == 0 and anchor.hash != GENESIS_HASH:
            self.report(0, "anchor_mismatch", "the anchor's hash is not the hash of an empty log")
        broken: tuple[EventRow, str] | None = None  # a row whose hash did not chain, and the hash before it
        future = format_instant(datetime.now(timezone.utc) + MAX_CLOCK_SKEW)
        for row in store.rows():
            checked += 1
            gap = row.position != expected
            if gap:
                if row.position > expected:
                    self.report(expected, "missing_rows", f"positions {expected}..{row.position - 1} are missing")
                else:
                    self.report(row.position, "inserted_row", f"position {row.position} is before the log's start (1)")
            expected = row.position + 1
            if broken is not None:
                self._explain(*broken, row)
                broken = None
            if not gap and _hash_of(row, previous_hash) != row.hash:  # after a gap the hash before is unknown
                broken = (row, previous_hash)
            previous_hash = row.hash
            if row.position in (head_position, getattr(anchor, "position", None)):
                hashes_at[row.position] = row.hash
            if not isinstance(row.recorded_at, str) or row.recorded_at < last_recorded:
                self.report(row.position, "time_went_back", f"recorded_at {row.recorded_at!r} is before {last_recorded}")
            else:
                last_recorded = row.recorded_at
                if last_recorded > future:
                    self.report(row.position, "time_in_future",
                                f"recorded_at {row.recorded_at} lies in the future: every later append is stamped after it")
            event = self._event(row)
            if isinstance(event, EventRetracted):
                retractions.append((row.position, event.target))
        if broken is not None:
            self._explain(*broken, None)
        last = expected - 1
        self._check_head(last, head_position, head_hash, hashes_at)
        if anchor is not None:
            self._check_anchor(anchor, last, hashes_at)
        self._check_retractions(retractions)
        self._check_views(head_position)
        self._check_file(head_position)
        problems = tuple(sorted(self.problems, key=lambda p: (p.position, _KIND_ORDER.index(p.kind))))
        return VerifyReport(events_checked=checked, problems=problems)

    def _explain(self, row: EventRow, before: str, following: EventRow | None) -> None:
        """Say what happened at a row whose hash does not chain, using the row after it.

        If the next row chains from the hash *before* this one once moved back a
        place, this row was slipped in; if it chains from this row moved on a
        place, a row was taken out and the rest renumbered; otherwise this row
        was edited.
        """
        position = row.position
        if following is not None and following.position == position + 1:
            if _hash_of(attrs.evolve(following, position=position), before) == following.hash:
                self.report(position, "inserted_row",
                            f"a row was inserted at position {position} and the rows after it renumbered")
                return
            if _hash_of(attrs.evolve(following, position=position + 2), row.hash) == following.hash:
                self.report(position, "missing_rows",
                            f"a row was removed at position {position} and the rows after it renumbered down")
                return
        self.report(position, "hash_mismatch",
                    "the row's content does not match its hash: it was edited after it was written")

    def _event(self, row: EventRow) -> Any:
        """The row's event, checking its indexed columns against the payload (None when unreadable)."""
        try:
            event = codec.loads(row.type, row.payload, row.schema_version)
        except DealtrackError as exc:
            self.report(row.position, "unreadable_event", str(exc))
            return None
        effective = event.effective
        columns = (
            None if effective is None else effective.start.isoformat(),
            None if effective is None else effective.end.isoformat(),
            stream_of(event),
            event.natural_key,
        )
        if columns != (row.effective_start, row.effective_end, row.stream, row.natural_key):
            self.report(row.position, "column_mismatch", "effective dates, stream or natural key disagree with the payload")
        return event

    def _check_head(self, last: int, head_position: int, head_hash: str, hashes_at: dict[int, str]) -> None:
        """The ledger head, written in each append's transaction, must name the log's last row."""
        if last < head_position:
            self.report(last + 1, "cut_tail",
                        f"the log ends at position {last} but its head says {head_position}: "
                        f"events {last + 1}..{head_position} were removed")
        elif last > head_position:
            self.report(head_position + 1, "inserted_row",
                        f"rows {head_position + 1}..{last} lie beyond the ledger head ({head_position}): "
                        "they were added without an append")
        elif hashes_at.get(head_position) != head_hash:
            self.report(head_position, "head_mismatch",
                        f"the ledger head's hash is not the hash of the event at position {head_position}")

    def _check_anchor(self, anchor: Anchor, last: int, hashes_at: dict[int, str]) -> None:
        """The log extends ``anchor`` when the event at its position still carries its hash."""
        if anchor.position > last:
            self.report(last + 1, "cut_tail",
                        f"the log ends at position {last}, before the anchor's position {anchor.position}: "
                        "events it held were removed")
        elif anchor.position not in hashes_at:
            self.report(anchor.position, "anchor_mismatch", f"the anchor's event at position {anchor.position} is gone")
        elif hashes_at[anchor.position] != anchor.hash:
            self.report(anchor.position, "anchor_mismatch",
                        f"the event at position {anchor.position} no longer has the anchor's hash: "
                        f"the log up to it was rewritten")

    def _check_retractions(self, retractions: list[tuple[int, Any]]) -> None:
        """The retractions table (read by every view) must say exactly what the log's EventRetracted rows say."""
        expected: dict[int, int] = {}
        for position, target in retractions:
            found = self.store.position_of(target) if isinstance(target, str) else None
            if found is not None:
                expected[found] = position
        stored = self.store.views.retractions()
        wrong = sorted(
            target for target in set(expected) | set(stored) if expected.get(target) != stored.get(target)
        )
        if wrong:
            target = wrong[0]
            self.report(target, "retraction_mismatch",
                        f"the retractions table says {stored.get(target)} retracts position {target}, "
                        f"the log says {expected.get(target)}")

    def _check_file(self, head_position: int) -> None:
        """The log's triggers, SQL objects dealtrack did not make, SQLite's own check, and (full) a view recount."""
        for kind, message in self.store.storage_problems(self.full):
            self.report(0, kind, message)
        # views are recounted from a sound log only: from an edited one they would differ, and say nothing new
        if self.full and not self.kinds & _LOG_KINDS:
            self._recount_views(head_position)

    def _recount_views(self, head_position: int) -> None:
        """Rebuild every view from the log in a copy in memory and compare each table with the stored one.

        Views that trail the log together (another process appended since they caught up: a read-only ledger,
        or a writer between ``Ledger.verify``'s catch-up and this snapshot) are compared with a recount of the
        log as far as they have read it, on either backend (the copy of a PostgreSQL ledger holds its log alone).
        """
        try:
            copy = self.store.memory_copy()
        except StorageDamaged as exc:
            self.report(0, "file_damaged", f"the file cannot be copied to recount its views: {exc}")
            return
        try:
            copy.drop_triggers()  # a trigger slipped in after opening runs nowhere, not even in the copy
            _, views = self.store.views_position()
            if views is not None and views != head_position and "view_behind" not in self.kinds:  # (out of step: as is)
                copy.cut_log_after(views)
            rebuild_all(copy)
            for table in view_tables():
                try:
                    same = self.store.table_digest(table) == copy.table_digest(table)
                except StorageDamaged as exc:
                    self.report(head_position, "view_mismatch", f"the {table} view cannot be read: {exc}")
                    continue
                if not same:
                    self.report(head_position, "view_mismatch",
                                f"the {table} view's rows differ from a recount from the log; rebuild() repairs it")
        except (StorageDamaged, DealtrackError) as exc:
            self.report(head_position, "view_mismatch", f"the views cannot be recounted from the log: {exc}")
        finally:
            copy.close()

    def _check_views(self, head_position: int) -> None:
        """Views may trail the log (they catch up before a question), but all together, never past its head."""
        checkpoints = {name: position for name, (_, position) in self.store.checkpoints().items()}
        reached = [checkpoints[p.name] for p in PROJECTIONS if p.name in checkpoints]
        together = max(reached, default=0)
        for projection in PROJECTIONS:
            at = checkpoints.get(projection.name)
            if at is None or at > head_position or at != together:
                self.report(head_position, "view_behind",
                            f"the {projection.name} view is at position {at}, the other views at "
                            f"{together}, the log at {head_position}")
