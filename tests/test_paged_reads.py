"""A half-read ``ledger.events()`` holds nothing open: its Ledger goes on answering and appending (issue 16, item 6)."""

from __future__ import annotations

import itertools
from pathlib import Path

from dealtrack import Ledger
from dealtrack.events import PatentRegistered


def registrations(start: int, count: int) -> list[PatentRegistered]:
    return [PatentRegistered(patent=f"US{8_000_000 + n}", owner="Nokia", effective="2010-01-01")
            for n in range(start, start + count)]


def test_a_half_read_event_stream_does_not_freeze_its_ledger(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*registrations(0, 2_500))
        stream = iter(ledger.events())
        first = next(stream)
        assert first.position == 1
        ledger.append(*registrations(2_500, 5))  # the same Ledger appends while the stream is open
        assert len(ledger) == 2_505
        assert ledger.owners_of("US8002504", on="2011") == {"Nokia"}
        with Ledger.open(ledger_path) as other:  # and another connection sees it and appends too
            other.append(*registrations(2_505, 1))
        assert len(ledger) == 2_506
        rest = list(stream)  # the stream keeps the basis it was asked on
        assert [r.position for r in rest] == list(range(2, 2_501))
        wal = ledger_path.with_name(ledger_path.name + "-wal")
        assert ledger.verify()
    assert not wal.exists() or wal.stat().st_size < 50_000_000


def test_the_pages_join_up_with_filters(ledger: Ledger) -> None:
    ledger.append(*registrations(0, 2_100))
    positions = [r.position for r in ledger.events(after=999, types="PatentRegistered")]
    assert positions == list(range(1_000, 2_101))


def test_each_page_starts_where_the_last_one_ended(ledger: Ledger) -> None:
    """Reading the log costs the same per event however long it is: no page scans again from its start.

    Counted in SQLite virtual-machine steps (a progress handler), so it holds on any machine: with a
    second lower bound on ``position`` beside the page's own, SQLite walked from that bound for every
    page, and reading twice the events took about four times the steps.
    """
    ledger.append(*registrations(0, 8_000))
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def cost(count_read: int) -> int:
        steps[0] = 0
        ledger._store.conn.set_progress_handler(count, 100)
        try:
            assert len(list(itertools.islice(ledger.events(after=0), count_read))) == count_read
        finally:
            ledger._store.conn.set_progress_handler(None, 0)
        return steps[0]

    ledger.refresh()
    short, long = cost(2_000), cost(8_000)
    assert long < 5 * short, (short, long)
