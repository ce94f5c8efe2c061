"""The same workload through the ``eventsourcing`` library: append every event, then read them all back.

Each of our events becomes a one-event aggregate saved 1,000 per ``save``
call (the library's fastest write path: no aggregate is loaded first), its
state being the event's JSON-ready fields; reading back walks the
notification log and maps every record to its domain event.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dealtrack import codec

from .measure import Timer
from .synth import Item, Retract

__all__ = ["eventsourcing_rates"]

_FACT: list[type] = []


def _fact_class() -> type:
    """One aggregate class per process (the library registers each class under its topic once)."""
    if not _FACT:
        from eventsourcing.domain import Aggregate, event

        class Fact(Aggregate):  # one recorded fact per aggregate
            @event("Recorded")
            def __init__(self, data: dict[str, Any]) -> None:
                self.data = data

        _FACT.append(Fact)
    return _FACT[0]


def eventsourcing_rates(items: Sequence[Item], path: Path, batch: int = 1_000) -> tuple[list[float], list[float]]:
    """Events per second saving (per batch) and reading back (per page of 1,000), through eventsourcing on SQLite."""
    from eventsourcing.application import Application

    Fact = _fact_class()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    payloads = [
        {"type": "EventRetracted", "target": item.target, "reason": item.reason}
        if isinstance(item, Retract) else codec.to_dict(item)
        for item in items
    ]
    saves = []
    for start in range(0, len(payloads), batch):
        chunk = payloads[start : start + batch]
        with Timer() as timer:
            app.save(*[Fact(data) for data in chunk])
        saves.append(len(chunk) / timer.seconds)
    reads = []
    start, read = 1, 0
    while True:
        with Timer() as timer:
            page = app.recorder.select_notifications(start=start, limit=batch)
            for notification in page:
                app.mapper.to_domain_event(notification)
        if not page:
            break
        reads.append(len(page) / timer.seconds)
        read += len(page)
        start = page[-1].id + 1
    assert read == len(payloads), (read, len(payloads))
    app.close()
    return saves, reads
