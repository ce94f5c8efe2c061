"""verify() on a ledger whose views trail the log: another process appended since they caught up.

An append writes only the log; the views catch up later. A read-only ledger
cannot catch them up, so its verify() recounts the log only as far as the views
have read it and compares that with the stored views: nothing false is reported
(on PostgreSQL it once reported a view mismatch, the recount's copy holding the
log alone), and an edited view row is still named. The same on both backends.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_time_travel_properties import record, steps

from dealtrack import Ledger
from dealtrack.events import EventRetracted, LicenseGranted, PatentsAssigned
from dealtrack.integrity import verify_log
from dealtrack.story import seed_story

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL half needs psycopg (the test extra)")

pytestmark = pytest.mark.both_backends  # the same report on SQLite and on PostgreSQL


class Shared:
    """One ledger that several Ledger objects open (a file, or a schema on the server), and raw SQL on it."""

    def __init__(self, opener: Callable[..., Ledger], run: Callable[[str], None]) -> None:
        self.open = opener
        self.doctor = run  # what someone with the sqlite3 shell or psql does to it: raw SQL, committed


@pytest.fixture
def shared(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Shared]:
    if backend == "sqlite":
        path = tmp_path / "shared.db"

        def run_sqlite(sql: str) -> None:
            raw = sqlite3.connect(path)
            raw.execute(sql)
            raw.commit()
            raw.close()

        yield Shared(lambda **options: Ledger.open(path, **options), run_sqlite)
        return
    url = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:16]}"

    def run_psql(sql: str) -> None:
        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute(f"SET search_path TO {schema}")
            raw.execute(sql)

    try:
        yield Shared(lambda **options: Ledger.open(url, schema=schema, **options), run_psql)
    finally:
        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def kinds(ledger: Ledger) -> list[str]:
    return [problem.kind for problem in ledger.verify().problems]


TRAIL = LicenseGranted(licence_id="L-TRAIL", licensor="Nokia", licensee="Xiaomi",
                       patents=["US8,000,000"], territory=["IN"], effective="2016-01-01")


def test_a_read_only_ledger_whose_views_trail_the_log_verifies(shared: Shared) -> None:
    with shared.open() as writer:
        writer.append(*seed_story())
        assert writer.owners_of("US8000001", on="2016-05") == {"Microsoft"}  # the views caught up
        with shared.open(readonly=True) as reader:
            writer.append(TRAIL)  # the log moves on; the views stay where they were
            assert writer._store.views_position() == (14, 13)
            assert reader.verify(), str(reader.verify())
            assert writer._store.views_position() == (14, 13)  # (a read-only verify writes nothing)


def test_an_edited_view_row_still_shows_when_the_views_trail(shared: Shared) -> None:
    with shared.open() as writer:
        writer.append(*seed_story())
        writer.refresh()
        with shared.open(readonly=True) as reader:  # (opened on views that trail, it would read a copy caught up)
            writer.append(TRAIL)
            shared.doctor("UPDATE ownership SET owner = 'Huawei' WHERE owner = 'Xiaomi'")
            assert kinds(reader) == ["view_mismatch"]


def test_views_that_trail_a_retraction_and_a_transfer_verify(shared: Shared) -> None:
    """What the log says after the views' checkpoint (a retraction of an event they folded, a transfer of a
    patent they hold) is left out of the recount, as it is out of the views."""
    with shared.open() as writer:
        first = writer.append(*seed_story())
        writer.refresh()
        with shared.open(readonly=True) as reader:
            writer.append(EventRetracted(target=first[8].event_id, reason="recorded in error"),  # Microsoft's sale to Xiaomi
                          PatentsAssigned(assignor=["Xiaomi"], assignee=["Huawei"], patents=["EP1000001"], effective="2019-02"))
            writer.append(TRAIL)
            assert writer._store.views_position() == (16, 13)
            assert reader.verify(), str(reader.verify())
            assert verify_log(writer._store)  # a writer's verify after another process appended (no catch-up)
        assert writer.verify(), str(writer.verify())  # (a writer catches its views up first)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(history=steps, split=st.integers(0, 12))
def test_views_that_trail_any_history_verify(
    fresh_ledger: Callable[[], AbstractContextManager[Ledger]], history: list, split: int
) -> None:
    """Appends, retractions and corrections after the views caught up: the views compare with a recount of the log
    as far as they read it; once caught up, with a recount of the whole log."""
    with fresh_ledger() as ledger:
        record(ledger, history[:split])
        ledger.refresh()
        record(ledger, history[split:])
        store = ledger._store
        head, views = store.views_position()
        assert views is not None and (views < head if split < len(history) else views == head)
        report = verify_log(store)  # (Ledger.verify would catch the views up first)
        assert report, str(report)
        assert store.views_position() == (head, views)
        assert ledger.verify(), str(ledger.verify())
