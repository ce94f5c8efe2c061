"""Checking a whole log: positions without gaps, the hash chain, stored columns, views in step."""

from __future__ import annotations

from . import codec
from .answers import Problem, VerifyReport
from .checks import stream_of
from .errors import InvalidEvent
from .projections.runner import PROJECTIONS
from .store import GENESIS_HASH, Store

__all__ = ["verify_log"]


def verify_log(store: Store) -> VerifyReport:
    """Walk the log once and report the first problem of each kind (an empty report: all is well)."""
    problems: list[Problem] = []
    seen_kinds: set[str] = set()

    def report(position: int, kind: str, message: str) -> None:
        if kind not in seen_kinds:
            seen_kinds.add(kind)
            problems.append(Problem(position, kind, message))

    previous_hash, expected, last_recorded = GENESIS_HASH, 1, ""
    for row in store.rows():
        if row.position != expected:
            kind = "missing_rows" if row.position > expected else "inserted_row"
            report(expected, kind, f"expected position {expected}, found {row.position}")
        expected = row.position + 1
        if row.hash != row.chained_hash(previous_hash):
            report(row.position, "hash_mismatch", "the row's hash does not follow from its content and the row before")
        previous_hash = row.hash
        if row.recorded_at < last_recorded:
            report(row.position, "time_went_back", f"recorded_at {row.recorded_at} is before {last_recorded}")
        last_recorded = row.recorded_at
        try:
            event = codec.loads(row.type, row.payload, row.schema_version)
        except InvalidEvent as exc:
            report(row.position, "unreadable_event", str(exc))
            continue
        effective = event.effective
        columns = (
            None if effective is None else effective.start.isoformat(),
            None if effective is None else effective.end.isoformat(),
            stream_of(event),
            event.natural_key,
        )
        if columns != (row.effective_start, row.effective_end, row.stream, row.natural_key):
            report(row.position, "column_mismatch", "effective dates, stream or natural key disagree with the payload")
    head_position, head_hash, _ = store.head()
    if (head_position, head_hash) != (expected - 1, previous_hash):
        report(expected - 1, "head_mismatch", f"the ledger head says position {head_position}, the log ends at {expected - 1}")
    checkpoints = dict(store.conn.execute("SELECT name, position FROM projection_checkpoints"))
    for projection in PROJECTIONS:
        if checkpoints.get(projection.name) != head_position:
            report(head_position, "view_behind", f"the {projection.name} view is at {checkpoints.get(projection.name)}")
    return VerifyReport(events_checked=expected - 1, problems=tuple(problems))
