"""Retries after an unknown outcome: ``append(..., idempotency_key=...)`` writes once (issue 16, item 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealtrack import InvalidEvent, Ledger
from dealtrack.errors import IdempotencyConflict
from dealtrack.events import PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def registration(n: int = 1) -> PatentRegistered:
    return PatentRegistered(patent=f"US800000{n}", owner="Microsoft", effective="2009-03-03")


def test_a_retry_with_the_same_key_and_events_writes_nothing_and_returns_the_first_envelopes(ledger_path: Path) -> None:
    events = [registration(1), PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US8000001"],
                                               effective="2016-06-01")]
    with Ledger.open(ledger_path) as ledger:
        first = ledger.append(*events, idempotency_key="import-2016-06-01")
    with Ledger.open(ledger_path) as ledger:  # the retry comes from a new process, after a timeout
        head = ledger.head()
        again = ledger.append(*events, idempotency_key="import-2016-06-01")
        assert again == first and ledger.head() == head and len(ledger) == 2
        assert ledger.verify()


def test_without_a_key_a_retry_is_doubled(ledger: Ledger) -> None:
    ledger.append(registration())
    ledger.append(registration())
    assert len(ledger) == 2  # the problem the key solves


def test_the_same_key_with_other_events_is_a_typed_error_and_writes_nothing(ledger: Ledger) -> None:
    ledger.append(registration(1), idempotency_key="k")
    head = ledger.head()
    with pytest.raises(IdempotencyConflict, match="idempotency_key"):
        ledger.append(registration(2), idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        ledger.append(registration(1), metadata={"by": "someone else"}, idempotency_key="k")
    assert ledger.head() == head


def test_different_keys_append_the_same_events_twice(ledger: Ledger) -> None:
    ledger.append(registration(), idempotency_key="a")
    ledger.append(registration(), idempotency_key="b")
    assert len(ledger) == 2


def test_a_failed_append_does_not_use_up_its_key(ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent):
        ledger.append(registration(), PatentsAssigned(assignor="A", assignee="B", patents=[], disclosed_count=10**20,
                                                      effective="2017"), idempotency_key="k")
    assert len(ledger.append(registration(), idempotency_key="k")) == 1


@pytest.mark.parametrize("key", ["", "   ", 7, b"k", "k" * 201, "\ud800"])
def test_a_malformed_key_is_refused(ledger: Ledger, key: object) -> None:
    with pytest.raises(InvalidEvent, match="idempotency_key"):
        ledger.append(registration(), idempotency_key=key)  # type: ignore[arg-type]
    assert len(ledger) == 0
