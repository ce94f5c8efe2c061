"""Several processes appending to one file ledger at once: nothing lost, nothing doubled, views in step.

The writers run in separate processes (multiprocessing, 'spawn'), so they share
nothing but the file and SQLite's locks. Their events carry no natural keys, so
an append that landed twice would show as a doubled batch.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import view_rows
from dealtrack import ConcurrencyError, Ledger
from workload import batch_events, batches_in, write_batches

WORKERS, EVENTS, BATCH = 4, 300, 5


def _writer(path: str, worker: int, start: Any, reading: Any) -> int:
    start.wait()
    retries = write_batches(path, worker, range(1), BATCH)  # the writers race to create the file
    reading.wait()  # a reader has it open: the rest lands while it verifies
    return retries + write_batches(path, worker, range(1, EVENTS // BATCH), BATCH)


def _optimistic_writer(path: str, worker: int, appends: int) -> int:
    """Append ``appends`` batches with expected_position, re-reading the head after each conflict."""
    conflicts = 0
    with Ledger.open(path) as ledger:
        batch = 0
        while batch < appends:
            try:
                ledger.append(*batch_events(worker, batch, 2), metadata={"worker": worker, "batch": batch},
                              expected_position=len(ledger))
                batch += 1
            except ConcurrencyError:
                conflicts += 1
    return conflicts


def test_four_writers_on_a_new_file_lose_and_double_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"  # does not exist yet: the writers race to create it too
    context = multiprocessing.get_context("spawn")
    reports = []
    with context.Manager() as manager:
        start, reading = manager.Event(), manager.Event()
        with context.Pool(WORKERS) as pool:
            pending = pool.starmap_async(_writer, [(str(path), worker, start, reading) for worker in range(WORKERS)])
            start.set()
            while not path.exists() and not pending.ready():
                pending.wait(0.01)
            # verify() reads one snapshot: writers appending meanwhile never make it report a false problem.
            # (The writers wait for the reader after their first append: four writers taking the write lock in
            # turn could otherwise keep the reader's open, which catches the views up, waiting until they end.)
            with Ledger.open(path) as reader:
                reading.set()
                while True:
                    reports.append(reader.verify())
                    if pending.ready():
                        break
            pending.get(timeout=120)
    assert reports and all(reports), [str(r) for r in reports if not r]

    with Ledger.open(path) as ledger:
        positions = [row[0] for row in ledger.db.execute("SELECT position FROM events ORDER BY position")]
        assert positions == list(range(1, WORKERS * EVENTS + 1))
        ids = [row[0] for row in ledger.db.execute("SELECT event_id FROM events")]
        assert len(set(ids)) == len(ids)
        payloads = Counter(row[0] for row in ledger.db.execute("SELECT type || payload FROM events"))
        assert payloads.most_common(1)[0][1] == 1  # every event of the workload is different: none doubled
        batches = batches_in(ledger)
        assert set(batches) == {(w, b) for w in range(WORKERS) for b in range(EVENTS // BATCH)}
        for found in batches.values():  # each append is whole and in one piece
            assert found == list(range(found[0], found[0] + BATCH))
        assert ledger.verify()
        kept = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == kept
        # the views answer for every writer's patents: sold to Xiaomi in batch 7's month, licensed on
        for worker in range(WORKERS):
            patent = f"US{(worker + 1) * 10_000_000 + 7}"
            assert ledger.owners_of(patent, on="2011-09-01") == {"Xiaomi"}
            assert ledger.licensees_of(patent, on="2013", territory="IN") == {"Licensee 2"}


def test_optimistic_writers_retry_conflicts_and_write_each_batch_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Ledger.open(path).close()
    appends, writers = 25, 3
    context = multiprocessing.get_context("spawn")
    with context.Pool(writers) as pool:
        conflicts = pool.starmap(_optimistic_writer, [(str(path), worker, appends) for worker in range(writers)])
    with Ledger.open(path) as ledger:
        assert len(ledger) == writers * appends * 2
        batches = batches_in(ledger)
        assert len(batches) == writers * appends
        assert all(len(found) == 2 for found in batches.values())
        assert ledger.verify()
    assert all(count >= 0 for count in conflicts)


@pytest.mark.parametrize("appends", [1, 3])
def test_expected_position_from_two_connections_in_one_process(tmp_path: Path, appends: int) -> None:
    path = tmp_path / "shared.db"
    with Ledger.open(path) as one, Ledger.open(path) as two:
        for batch in range(appends):
            seen = len(one)
            one.append(*batch_events(0, batch, 2), metadata={"worker": 0, "batch": batch}, expected_position=seen)
            with pytest.raises(ConcurrencyError) as caught:
                two.append(*batch_events(1, batch, 2), metadata={"worker": 1, "batch": batch}, expected_position=seen)
            assert (caught.value.expected, caught.value.actual) == (seen, seen + 2)
        assert len(two) == 2 * appends
        assert set(batches_in(two)) == {(0, b) for b in range(appends)}
