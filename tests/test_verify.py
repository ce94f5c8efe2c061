"""verify(): the log's integrity, caught even when someone bypasses the triggers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dealtrack import Ledger
from dealtrack.story import seed_story


@pytest.fixture
def story_file(ledger_path: Path) -> Path:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
    return ledger_path


def tamper(path: Path, *statements: str) -> None:
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER events_refuse_update")
    raw.execute("DROP TRIGGER events_refuse_delete")
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def test_a_sound_log_verifies(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
    assert report and report.ok and report.events_checked == len(seed_story())
    assert report.problems == ()


def test_an_edited_payload_is_caught_at_its_position(story_file: Path) -> None:
    tamper(story_file, "UPDATE events SET payload = replace(payload, 'Xiaomi', 'Huawei') WHERE position = 9")
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
    assert not report
    assert report.problems[0].position == 9 and report.problems[0].kind == "hash_mismatch"


def test_a_deleted_row_is_caught(story_file: Path) -> None:
    tamper(story_file, "DELETE FROM events WHERE position = 4")
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
    assert not report
    assert ("missing_rows", 4) in {(p.kind, p.position) for p in report.problems}


def test_a_cut_tail_is_caught(story_file: Path) -> None:
    tamper(story_file, "DELETE FROM events WHERE position > 10")
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
    assert not report
    assert ("cut_tail", 11) in {(p.kind, p.position) for p in report.problems}
