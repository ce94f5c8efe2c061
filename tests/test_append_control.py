"""Appends a caller can steer: natural keys that make re-runs idempotent, and optimistic concurrency."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dealtrack import ConcurrencyError, InvalidEvent, Ledger
from dealtrack.events import PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def registered(patent: str, key: str | None = None) -> PatentRegistered:
    return PatentRegistered(patent=patent, owner="Microsoft", effective="2009-03-03", natural_key=key)


def sale(patent: str, key: str | None) -> PatentsAssigned:
    return PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=[patent], effective="2016-06-01",
                           registry_ref=key, natural_key=key)


def test_an_event_whose_key_is_in_the_log_is_skipped_and_reported(ledger: Ledger) -> None:
    first = ledger.append(registered("US1", "reg/1"), sale("US1", "038765/0001"))
    again = ledger.append(registered("US1", "reg/1"), sale("US1", "038765/0001"), registered("US2", "reg/2"))
    assert [r.event.patent for r in again] == ["US2"]
    assert [(s.natural_key, s.position) for s in again.skipped] == [("reg/1", 1), ("038765/0001", 2)]
    assert first.skipped == []
    assert len(ledger) == 3
    assert ledger.owners_of("US1", on="2016-07-01") == {"Xiaomi"}


def test_a_key_repeated_within_one_append_is_written_once(ledger: Ledger) -> None:
    result = ledger.append(registered("US1", "k"), registered("US1", "k"))
    assert len(result) == 1
    assert [(s.natural_key, s.position) for s in result.skipped] == [("k", 1)]


def test_events_without_a_key_are_never_skipped(ledger: Ledger) -> None:
    ledger.append(registered("US1"), registered("US1"))
    assert len(ledger.append(registered("US1"))) == 1
    assert len(ledger) == 3


def test_a_retracted_event_still_holds_its_key(ledger: Ledger) -> None:
    """Re-running an import must not bring back what was retracted since (e.g. a purged register record)."""
    [recorded] = ledger.append(sale("US1", "038765/0001"))
    ledger.retract(recorded.event_id, "purged from the register")
    assert len(ledger.append(sale("US1", "038765/0001"))) == 0
    assert ledger.owners_of("US1", on="2016-07-01") == frozenset()


def test_the_key_column_is_checked_by_verify(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(registered("US1", "reg/1"))
    raw = sqlite3.connect(ledger_path)
    raw.execute("DROP TRIGGER events_refuse_update")
    raw.execute("UPDATE events SET natural_key = 'other' WHERE position = 1")
    raw.commit()
    raw.close()
    with Ledger.open(ledger_path) as ledger:
        report = ledger.verify()
    assert not report
    assert [(p.position, p.kind) for p in report.problems] == [(1, "column_mismatch")]


def test_expected_position_lets_an_append_through_when_the_log_has_not_moved(ledger: Ledger) -> None:
    ledger.append(registered("US1"))
    assert [r.position for r in ledger.append(registered("US2"), expected_position=1)] == [2]


def test_expected_position_refuses_when_another_append_came_first(ledger: Ledger) -> None:
    ledger.append(registered("US1"))
    with pytest.raises(ConcurrencyError) as caught:
        ledger.append(registered("US2"), expected_position=0)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert len(ledger) == 1
    assert ledger.owners_of("US2", on="2010") == frozenset()


@pytest.mark.parametrize("bad", [-1, "1", 1.0, True])
def test_expected_position_must_be_a_position(ledger: Ledger, bad: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.append(registered("US1"), expected_position=bad)  # type: ignore[arg-type]
    assert caught.value.field == "expected_position"
    assert len(ledger) == 0


def test_two_ledgers_on_one_file_see_each_others_appends(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as one, Ledger.open(ledger_path) as two:
        one.append(registered("US1"))
        with pytest.raises(ConcurrencyError):
            two.append(registered("US2"), expected_position=0)
        two.append(registered("US2"), expected_position=1)
        assert [r.event.patent for r in one.events()] == ["US1", "US2"]


def test_a_format_1_file_without_the_key_column_is_upgraded_and_keeps_its_chain(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(registered("US1"), sale("US1", None))
    raw = sqlite3.connect(ledger_path)
    raw.execute("DROP INDEX idx_events_natural_key")
    raw.execute("DROP INDEX idx_events_type")
    raw.execute("ALTER TABLE events DROP COLUMN natural_key")
    raw.execute("PRAGMA user_version=1")
    raw.commit()
    raw.close()
    with Ledger.open(ledger_path) as ledger:
        assert ledger.verify()
        assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == 2
        ledger.append(registered("US2", "reg/2"), registered("US2", "reg/2"))
        assert len(ledger) == 3
        assert ledger.verify()
