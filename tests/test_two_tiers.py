"""Two tiers: appends write the log, the views catch up later, and no answer can tell the difference.

Any interleaving of appends, bulk blocks, refreshes, rebuilds and retractions
answers every question, at any ``known_at`` and ``registry_at``, as a naive
replay does (ownership) and as a ledger rebuilt from the same log does (the
rest); a writer killed between the log's commit and the catch-up leaves a file
whose answers equal a rebuild's.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import psycopg, view_rows
from dealtrack import InvalidEvent, Ledger, LedgerReadOnly, codec
from dealtrack.events import Event, PatentRegistered, PatentsAssigned
from dealtrack.projections import runner
from dealtrack.story import seed_story
from test_licence_properties import grants, terminations
from test_ownership_properties import PARTIES, PATENTS, days, events, oracle_owners

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

TESTS = Path(__file__).resolve().parent

any_event = st.one_of(events, grants, terminations)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(any_event, min_size=1, max_size=3)),
        st.tuples(st.just("bulk"), st.lists(st.lists(any_event, min_size=1, max_size=2), min_size=1, max_size=3)),
        st.tuples(st.just("refresh"), st.none()),
        st.tuples(st.just("rebuild"), st.none()),
        st.tuples(st.just("retract"), st.integers(0, 40)),
        st.tuples(st.just("ask"), days),
    ),
    min_size=1,
    max_size=12,
)


def append_or_skip(ledger: Ledger, batch: list[Event]) -> None:
    """Append the batch whole; when the log refuses it (an unknown licence, say), nothing was written."""
    with suppress(InvalidEvent):
        ledger.append(*batch)


def replayed(ledger: Ledger) -> Ledger:
    """A new in-memory ledger holding the same log (ids and recorded times kept), its views built in one pass."""
    envelopes = [
        codec.read_envelope(orjson.loads(codec.envelope_line(
            row.position, row.event_id, row.recorded_at, row.type, row.schema_version, row.payload, row.metadata)))
        for row in ledger._store.rows()
    ]
    copy = Ledger.open()
    if envelopes:
        appended, refused = copy._restore(envelopes)
        assert refused is None and len(appended) == len(envelopes)
    copy.rebuild()
    return copy


def live_facts(ledger: Ledger, known: int) -> list[tuple[int, Event]]:
    """What counted when the log stood at position ``known``: recorded by then and not yet retracted."""
    retracted = {target: by for target, by in ledger._store.conn.execute("SELECT target, position FROM retractions")}
    return [
        (r.position, r.event) for r in ledger.events()
        if r.position <= known and r.event.type != "EventRetracted" and retracted.get(r.position, known + 1) > known
    ]


def answers(ledger: Ledger, probe: date, known_at: Any, registry_at: Any) -> dict[str, Any]:
    basis = {"known_at": known_at, "registry_at": registry_at}
    found: dict[str, Any] = {"anomalies": ledger.anomalies(**basis)}
    for patent in PATENTS:
        found[f"owners {patent}"] = ledger.owners_of(patent, on=probe, **basis)
        found[f"licensees {patent}"] = ledger.licensees_of(patent, on=probe, **basis)
        found[f"chain {patent}"] = ledger.title_chain(patent, **basis)
        found[f"encumbrances {patent}"] = ledger.encumbrances(patent, on=probe, **basis)
        for party in PARTIES:
            found[f"licensed {party} {patent}"] = ledger.is_licensed(party, patent, on=probe, territory="IN", **basis)
    for party in PARTIES:
        found[f"portfolio {party}"] = ledger.portfolio(party, on=probe, **basis)
    found["bans"] = ledger.active_bans(on=probe, **basis)
    return found


def check_answers(ledger: Ledger, probe: date) -> None:
    """Every question on every basis the log has had equals the replay's, and ownership a naive scan's."""
    reference = replayed(ledger)
    try:
        moments = sorted({r.recorded_at for r in ledger.events()})
        for known_at in [None, *moments[-3:]]:
            for registry_at in (None, probe):
                assert answers(ledger, probe, known_at, registry_at) == answers(reference, probe, known_at, registry_at)
            known = len(ledger) if known_at is None else ledger._store.position_at(known_at)
            for patent in PATENTS:
                expected = oracle_owners(live_facts(ledger, known), patent, probe)
                assert ledger.owners_of(patent, on=probe, known_at=known_at) == expected
    finally:
        reference.close()


def play(ledger: Ledger, plan: list[tuple[str, Any]]) -> None:
    for action, argument in plan:
        if action == "append":
            append_or_skip(ledger, argument)
        elif action == "bulk":
            with ledger.bulk():
                for batch in argument:
                    append_or_skip(ledger, batch)
        elif action == "refresh":
            ledger.refresh()
            head, views = ledger._store.views_position()
            assert views == head
        elif action == "rebuild":
            ledger.rebuild()
        elif action == "retract":
            live = [r for r in ledger.events() if r.event.type != "EventRetracted"]
            if live:
                with suppress(InvalidEvent):  # already retracted
                    ledger.retract(live[argument % len(live)].event_id, "misreported")
        else:
            check_answers(ledger, argument)


@pytest.mark.parametrize(("step", "share"), [(runner.STEP, 1.0), (1, 1.0), (2, runner.REBUILD_SHARE)],
                         ids=["fold", "fold-per-commit-point", "fold-or-rebuild"])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=operations, probe=days)
def test_any_interleaving_answers_as_a_replay_and_keeps_the_views_a_rebuild_makes(
    monkeypatch: pytest.MonkeyPatch, step: int, share: float, plan: list[tuple[str, Any]], probe: date
) -> None:
    monkeypatch.setattr(runner, "STEP", step)
    monkeypatch.setattr(runner, "REBUILD_SHARE", share)
    with Ledger.open() as ledger:
        play(ledger, plan)
        check_answers(ledger, probe)
        kept = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == kept


def checkpoints_and_head(ledger: Ledger) -> tuple[set[int], int]:
    return {position for _, position in ledger._store.checkpoints().values()}, len(ledger)


def test_an_append_leaves_the_views_behind_and_a_question_catches_them_up(ledger: Ledger) -> None:
    ledger.append(*seed_story())
    assert checkpoints_and_head(ledger) == ({0}, len(seed_story()))
    assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}
    assert checkpoints_and_head(ledger) == ({len(seed_story())}, len(seed_story()))
    assert ledger.refresh() == 0  # nothing left to do


def test_bulk_appends_each_event_as_its_own_append_and_builds_the_views_once_at_the_end(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "REBUILD_SHARE", 1 / 3)
    rebuilds: list[int] = []
    original = runner._rebuild
    monkeypatch.setattr(runner, "_rebuild", lambda store, projections: (rebuilds.append(1), original(store, projections)))
    story = seed_story()
    with ledger.bulk() as same:
        assert same is ledger
        envelopes = [ledger.append(event)[0] for event in story]
        assert checkpoints_and_head(ledger) == ({0}, len(story))  # only the log so far
    assert [e.position for e in envelopes] == list(range(1, len(story) + 1))
    assert len({e.recorded_at for e in envelopes}) == len(story)  # each its own append, its own recorded time
    assert checkpoints_and_head(ledger) == ({len(story)}, len(story))
    assert rebuilds == [1]  # the whole log was new to the views: built in one pass
    assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}


def test_a_small_bulk_block_on_a_large_log_folds_only_what_is_new(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "REBUILD_SHARE", 1 / 3)
    ledger.append(*[PatentRegistered(patent=f"US{n}", owner="Nokia", effective="2010") for n in range(1, 31)])
    ledger.refresh()
    monkeypatch.setattr(runner, "_rebuild", lambda *_: pytest.fail("a few new events must not rebuild the views"))
    with ledger.bulk():
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US7"], effective="2017"))
    assert ledger.owners_of("US7", on="2018") == {"Xiaomi"}


def test_an_error_inside_a_bulk_block_keeps_what_was_appended_and_the_views_catch_up_later(ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent), ledger.bulk():
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["garbage"], effective="2011"))
    assert len(ledger) == 1
    assert ledger.owners_of("US1", on="2012") == {"Nokia"}


def test_a_question_inside_a_bulk_block_is_answered_from_everything_appended_so_far(ledger: Ledger) -> None:
    with ledger.bulk():
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
        assert ledger.owners_of("US1", on="2012") == {"Nokia"}
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US1"], effective="2011"))
        assert ledger.owners_of("US1", on="2012") == {"Xiaomi"}


def test_closing_a_file_ledger_leaves_its_views_caught_up_for_sqlite_and_datasette(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
    raw = sqlite3.connect(ledger_path)
    try:
        (head,) = raw.execute("SELECT position FROM ledger_head").fetchone()
        assert {p for (p,) in raw.execute("SELECT position FROM projection_checkpoints")} == {head}
        assert raw.execute("SELECT owner FROM current_ownership WHERE patent = 'US8000001'").fetchall() == [("Xiaomi",)]
    finally:
        raw.close()


_APPEND_AND_DIE = """
import os, signal, sys
from dealtrack import Ledger
from dealtrack.story import seed_story
ledger = Ledger.open(sys.argv[1])
ledger.append(*seed_story())
os.kill(os.getpid(), signal.SIGKILL)  # after the log's commit, before any catch-up
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_writer_killed_between_the_log_commit_and_the_catch_up_leaves_answers_equal_to_a_rebuild(
    ledger_path: Path,
) -> None:
    done = subprocess.run([sys.executable, "-c", _APPEND_AND_DIE, str(ledger_path)], env={
        **os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS.parent), os.environ.get("PYTHONPATH")]))},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    raw = sqlite3.connect(ledger_path)
    try:  # the log is whole and the views never saw it
        assert raw.execute("SELECT position FROM ledger_head").fetchone() == (len(seed_story()),)
        assert {p for (p,) in raw.execute("SELECT position FROM projection_checkpoints")} == {0}
    finally:
        raw.close()
    with Ledger.open(ledger_path) as ledger:
        assert ledger.verify()
        probe = date(2016, 7, 1)
        caught_up = view_rows(ledger)
        asked = answers(ledger, probe, None, None)
        ledger.rebuild()
        assert view_rows(ledger) == caught_up
        assert answers(ledger, probe, None, None) == asked
        assert asked["owners US1"] == frozenset()  # (the story's patents are US8000001...; these ask nothing known)
        assert ledger.owners_of("US8000001", on=probe) == {"Xiaomi"}


def test_a_read_only_ledger_catches_up_with_another_writers_appends_in_memory_not_in_the_file(
    ledger_path: Path,
) -> None:
    with Ledger.open(ledger_path) as writer:
        writer.append(*seed_story())
    # (the writer opens first: a read-only ledger opened while no program writes the file reads it as immutable)
    with Ledger.open(ledger_path) as writer, Ledger.open(ledger_path, readonly=True) as reader:
        assert reader.owners_of("US8000004", on="2017") == {"Microsoft"}
        writer.append(PatentsAssigned(assignor="Microsoft", assignee="Nokia", patents=["US8000004"], effective="2016"))
        checkpoints = writer._store.checkpoints()
        assert reader.refresh() == 1  # caught up, in a copy in memory ...
        assert writer._store.checkpoints() == checkpoints  # ... not in the file
        assert reader.owners_of("US8000004", on="2017") == {"Nokia"}
        writer.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US8000004"], effective="2016-06"))
        assert reader.refresh() == 0  # the copy is a snapshot from then on
        assert reader.db.execute("SELECT owner FROM current_ownership WHERE patent = 'US8000004'").fetchall() == [
            ("Nokia",)]
        with pytest.raises(LedgerReadOnly):
            reader.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=operations, probe=days)
def test_on_postgresql_any_interleaving_answers_as_a_replay_on_sqlite_and_keeps_the_views_a_rebuild_makes(
    pg_database: str, plan: list[tuple[str, Any]], probe: date
) -> None:
    schema = f"h_{uuid.uuid4().hex[:16]}"  # a fresh ledger per example, in its own schema
    try:
        with Ledger.open(pg_database, schema=schema) as ledger:
            play(ledger, plan)
            check_answers(ledger, probe)  # the replay it is compared with is a SQLite ledger in memory
            kept = view_rows(ledger)
            ledger.rebuild()
            assert view_rows(ledger) == kept
    finally:
        with psycopg.connect(pg_database, autocommit=True) as raw:
            raw.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
