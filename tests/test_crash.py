"""A writer killed with SIGKILL at any moment leaves only whole appends, and the next open is sound."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import view_rows
from dealtrack import Ledger
from dealtrack.story import seed_story
from workload import batches_in

TESTS = Path(__file__).resolve().parent
BATCH = 12  # events per append: long enough transactions that kills land inside them

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def start_writer(path: Path, worker: int) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS.parent), str(TESTS), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, str(TESTS / "workload.py"), "write", str(path), str(worker), str(BATCH)],
        stdout=subprocess.PIPE, text=True, env=env,
    )


def assert_only_whole_batches(ledger: Ledger) -> int:
    """Every append the writer made is in the log in full and in one piece, or not at all; returns the count."""
    batches = batches_in(ledger)
    for worker in {w for w, _ in batches}:
        numbers = sorted(b for w, b in batches if w == worker)
        assert numbers == list(range(len(numbers)))  # no append lost between two that landed
    for positions in batches.values():
        assert positions == list(range(positions[0], positions[0] + BATCH))
    return len(batches)


def test_a_writer_killed_at_random_moments_leaves_only_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    rng = random.Random(20161)
    counts = []
    for round_number in range(8):
        writer = start_writer(path, worker=round_number % 2)
        if round_number == 0 or rng.random() < 0.8:  # otherwise kill it while it opens the ledger
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert writer.returncode == -signal.SIGKILL

        with Ledger.open(path) as ledger:
            counts.append(assert_only_whole_batches(ledger))
            assert len(ledger) == counts[-1] * BATCH
            report = ledger.verify()
            assert report, str(report)
            kept = view_rows(ledger)
            ledger.rebuild()
            assert view_rows(ledger) == kept  # answers match a rebuild
    assert counts == sorted(counts) and counts[-1] > 0  # the log only grew


def test_views_behind_the_log_catch_up_on_open(ledger_path: Path) -> None:
    """A view whose checkpoint lags (say, written by an older dealtrack) is rebuilt when the file is opened."""
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
        kept = view_rows(ledger)
    raw = sqlite3.connect(ledger_path)
    raw.execute("DELETE FROM ownership")
    raw.execute("UPDATE projection_checkpoints SET position = 3 WHERE name = 'ownership'")
    raw.commit()
    raw.close()
    with Ledger.open(ledger_path) as ledger:
        assert ledger.verify()
        assert view_rows(ledger) == kept
        assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}


def test_a_view_left_behind_the_others_is_reported_until_it_catches_up(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
        ledger.refresh()
        ledger.db.execute("UPDATE projection_checkpoints SET position = 2 WHERE name = 'licences'")
        report = ledger.verify()
        assert not report
        assert [(p.kind, p.position) for p in report.problems] == [("view_behind", len(seed_story()))]
        assert "licences" in report.problems[0].message
    with Ledger.open(ledger_path) as ledger:
        assert ledger.verify()
