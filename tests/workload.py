"""Batches of events for the writer processes of the concurrency, crash and stress runs.

Every append carries ``metadata={"worker": w, "batch": b}``, so a reader can
count what each append left in the log. Also run as a script: the writer the crash
test kills (``python tests/workload.py write PATH WORKER BATCH_SIZE``).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any

import orjson

from dealtrack import Ledger
from dealtrack.events import Event, LicenseGranted, PatentRegistered, PatentsAssigned, SecurityInterestGranted

__all__ = ["batch_events", "batches_in", "write_batches"]


def batch_events(worker: int, batch: int, size: int, keyed: bool = False) -> list[Event]:
    """``size`` events about one new patent: registered, sold back and forth, licensed and pledged.

    With ``keyed``, each carries a natural key; without (the default), a doubled append would show.
    """
    patent = f"US{(worker + 1) * 10_000_000 + batch}"
    maker = f"Maker {worker}"
    holders = [maker, "Xiaomi"]
    events: list[Event] = []
    for index in range(size):
        key = f"w{worker}/b{batch}/e{index}" if keyed else None
        if index == 0:
            events.append(PatentRegistered(patent=patent, owner=maker, effective="2010-01-01", natural_key=key))
        elif index % 3 == 1:
            events.append(PatentsAssigned(
                assignor=holders[index % 2 == 0], assignee=holders[index % 2 == 1], patents=[patent],
                effective=f"{2010 + index}-{1 + batch % 12:02d}", natural_key=key))
        elif index % 3 == 2:
            events.append(LicenseGranted(
                # the holder then (the last assignment's assignee): a licence from anyone else is none (issue 15)
                licence_id=f"lic/{worker}/{batch}/{index}", licensor=holders[(index - 1) % 2 == 1],
                licensee=f"Licensee {batch % 5}", patents=[patent],
                territory=["IN", "US"], effective=f"{2010 + index}", natural_key=key))
        else:
            events.append(SecurityInterestGranted(
                debtor=maker, secured_party="Bank", patents=[patent], effective=f"{2010 + index}", natural_key=key))
    return events


def write_batches(path: str, worker: int, batches: range, size: int, rebuild_every: int = 0) -> int:
    """Append ``batches`` of ``size`` events each, one append per batch; return the store's lock retries."""
    with Ledger.open(path) as ledger:
        for batch in batches:
            ledger.append(*batch_events(worker, batch, size), metadata={"worker": worker, "batch": batch})
            if rebuild_every and batch % rebuild_every == rebuild_every - 1:
                ledger.rebuild()
        return ledger._store.retries


def batches_in(ledger: Ledger) -> dict[tuple[int, int], list[int]]:
    """``(worker, batch) -> positions`` of every event the workload appended."""
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for position, metadata in ledger.db.execute("SELECT position, metadata FROM events ORDER BY position"):
        meta: dict[str, Any] = orjson.loads(metadata)
        found[(meta["worker"], meta["batch"])].append(position)
    return dict(found)


def _write_forever(path: str, worker: int, size: int) -> None:
    """Append batches until killed, starting after the last whole batch already in the log."""
    with Ledger.open(path) as ledger:
        done = [batch for (w, batch) in batches_in(ledger) if w == worker]
    start = max(done, default=-1) + 1
    print("ready", flush=True)
    write_batches(path, worker, range(start, 10**9), size, rebuild_every=25)


if __name__ == "__main__":
    command, path, worker, size = sys.argv[1:5]
    assert command == "write"
    _write_forever(path, int(worker), int(size))
