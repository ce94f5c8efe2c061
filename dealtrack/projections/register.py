"""Register records dealtrack does not read as a change of rights, kept so that someone looks at them.

Table ``register_records(subject, position, message, known_from, known_to)``:
one row per :class:`~dealtrack.events.RegisterRecord`, believed from its own
position until a retraction of it. :meth:`Ledger.anomalies` lists each as
kind ``"unclassified"``, with ``known_at`` (and ``registry_at``) like every
other anomaly.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..events import EventRetracted, RegisterRecord
from ..sqlite.store import Store
from .history import Fact
from .reader import LogReader

__all__ = ["RegisterProjection"]

_COLUMNS = {"subject": str, "position": int, "message": str, "known_from": int, "known_to": int}


def _row(position: int, record: RegisterRecord, known_to: int | None) -> tuple[object, ...]:
    subject = record.registry_ref or ", ".join(record.patents) or f"event {position}"
    parties = f"{', '.join(record.assignor) or '?'} to {', '.join(record.assignee) or '?'}"
    message = f"register record {subject} ({parties}) is not read as a change of rights: {record.conveyance}"
    return subject, position, message, position, known_to


class RegisterProjection:
    """Unclassified register records, listed as anomalies."""

    name = "register_records"
    version = 1
    folded = ()  # rows believed from their own position: not folded

    def create(self, store: Store) -> None:
        store.ensure_view_table("register_records", _COLUMNS, "position", [("known_from",)])

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        self._insert(log, [(p, e, None) for p, e in batch if isinstance(e, RegisterRecord)])
        retracted = [(position, log.store.position_of(event.target))
                     for position, event in batch if isinstance(event, EventRetracted)]
        # a row's handle is its position (the table's key): a retraction ends belief in its target's row
        log.store.views.close_rows("register_records", [(at, target) for at, target in retracted if target is not None])

    def rebuild(self, log: LogReader) -> None:
        log.store.views.clear("register_records")
        positions = log.store.views.positions_of_types(("RegisterRecord",))
        retracted = log.retracted()
        self._insert(log, [(p, e, retracted.get(p)) for p, e in log.facts(positions)])

    @staticmethod
    def _insert(log: LogReader, found: Sequence[tuple[int, object, int | None]]) -> None:
        rows = [_row(position, record, until) for position, record, until in found if isinstance(record, RegisterRecord)]
        log.store.views.insert_rows("register_records", ("subject", "position", "message", "known_from", "known_to"), rows)
