"""The PostgreSQL backend on a real server: many writers, the log's guards from psql, moving ledgers between
backends, schemas, locks and read-only use. (The contract suite is ``tests/contract/test_postgres.py``; the
question suites run on both backends through the ``ledger`` fixture.)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from conftest import view_rows
from contract.suite import run_together

from dealtrack import InvalidEvent, Ledger, LedgerBusy, LedgerFileError, LedgerReadOnly
from dealtrack.events import PatentRegistered
from dealtrack.importers import import_jsonl
from dealtrack.story import ericsson_injunction, seed_story

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL backend's tests need psycopg (the test extra)")


def registered(n: int, owner: str) -> PatentRegistered:
    return PatentRegistered(patent=f"US{7_000_000 + n}", owner=owner, effective="2010-01-04")


# --- 8 writer processes x 500 events ------------------------------------------------------------------

WRITERS, EVENTS = 8, 500


def _writer(url: str, worker: int, start: Any) -> None:
    """Append EVENTS events, one or two at a time, each tagged with its worker and number."""
    with Ledger.open(url) as ledger:
        start.wait(60)
        n = 0
        while n < EVENTS:
            size = 1 + (n // 2) % 2  # 1, 1, 2, 2, 1, 1, ...: appends of one and of two events
            size = min(size, EVENTS - n)
            events = [registered(10_000 * worker + n + i, f"Maker {worker}") for i in range(size)]
            ledger.append(*events, metadata={"worker": worker, "first": n})
            n += size


def test_eight_writer_processes_append_4000_events_without_a_gap(pg_url: str) -> None:
    Ledger.open(pg_url).close()  # the schema exists before the writers race to it
    run_together(_writer, [(pg_url, worker) for worker in range(WRITERS)], 240)

    with Ledger.open(pg_url) as ledger:
        rows = list(ledger._store.rows())
        total = WRITERS * EVENTS
        assert [row.position for row in rows] == list(range(1, total + 1))  # 1..4000, no gap, no double
        assert len({row.event_id for row in rows}) == total
        assert Counter(orjson.loads(row.payload)["patent"] for row in rows).most_common(1)[0][1] == 1
        per_worker = Counter(orjson.loads(row.metadata or "{}")["worker"] for row in rows)
        assert per_worker == {worker: EVENTS for worker in range(WRITERS)}
        assert ledger.verify()  # the hash chain, positions, stored columns, and the views recounted from the log
        kept = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == kept
        assert ledger.owners_of("US7030499", on="2011") == {"Maker 3"}


# --- the log's guards, from psql --------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET deal = 'forged' WHERE position = 1", "DELETE FROM events WHERE position = 2", "TRUNCATE events",
     "TRUNCATE events CASCADE"],
)
def test_psql_cannot_update_delete_or_truncate_the_log(postgres: Any, pg_url: str, statement: str) -> None:
    with Ledger.open(pg_url) as ledger:
        ledger.append(*seed_story())
        before = list(ledger._store.rows())
    done = postgres.psql(statement, urlsplit(pg_url).path.lstrip("/"))
    assert done.returncode != 0
    assert "append-only" in done.stderr
    with Ledger.open(pg_url) as ledger:
        assert list(ledger._store.rows()) == before and ledger.verify()


def test_a_disabled_trigger_shows_in_verify_and_rebuild_restores_it(pg_url: str) -> None:
    with Ledger.open(pg_url) as ledger:
        ledger.append(*seed_story())
        with psycopg.connect(pg_url, autocommit=True) as raw:
            raw.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_truncate")
        report = ledger.verify()
        assert [problem.kind for problem in report.problems] == ["trigger_changed"]
        ledger.rebuild()
        assert ledger.verify()
        with psycopg.connect(pg_url, autocommit=True) as raw, pytest.raises(psycopg.Error, match="append-only"):
            raw.execute("TRUNCATE events")


# --- moving a ledger between backends --------------------------------------------------------------


def _log(ledger: Ledger) -> list[tuple[Any, ...]]:
    return [(r.position, r.event_id, r.recorded_at, r.type, r.schema_version, r.payload, r.metadata, r.hash)
            for r in ledger._store.rows()]


def test_sqlite_to_postgresql_to_sqlite_keeps_ids_times_payloads_and_the_head(tmp_path: Path, pg_url: str) -> None:
    with Ledger.open(tmp_path / "team.db") as source:
        source.append(*seed_story(), metadata={"by": "analyst"})
        source.append(*ericsson_injunction())
        story = source.events(types="PatentsAssigned").to_rows()[0]
        source.retract(story["event_id"], "recorded twice")
        source.export_jsonl(tmp_path / "out.jsonl")
        with Ledger.open(pg_url) as server:
            assert import_jsonl(server, tmp_path / "out.jsonl").appended == len(source)
            server.export_jsonl(tmp_path / "back.jsonl")
            with Ledger.open(tmp_path / "again.db") as again:
                import_jsonl(again, tmp_path / "back.jsonl")
                assert _log(source) == _log(server) == _log(again)
                assert source.head() == server.head() == again.head()
                assert source.verify() and server.verify() and again.verify()
                assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "back.jsonl").read_bytes()
                assert view_rows(server) == view_rows(source)


# --- schemas, locks, read-only -------------------------------------------------------------------------


def test_two_schemas_hold_two_ledgers_in_one_database(pg_url: str) -> None:
    with Ledger.open(pg_url, schema="licensing") as one, Ledger.open(pg_url, schema="litigation") as two:
        one.append(registered(1, "Nokia"))
        two.append(registered(1, "Ericsson"), registered(2, "Ericsson"))
        assert (len(one), len(two)) == (1, 2)
        assert one.owners_of("US7000001", on="2011") == {"Nokia"}
        assert two.owners_of("US7000001", on="2011") == {"Ericsson"}
    with Ledger.open(pg_url + "&options=-csearch_path%3Dlitigation") as by_url:  # a URL alone can name the schema
        assert len(by_url) == 2


@pytest.mark.parametrize("schema", ["", "1abc", "a-b", "x" * 64, "public; DROP TABLE events", 5])
def test_a_bad_schema_name_is_refused_naming_the_field(pg_url: str, schema: Any) -> None:
    with pytest.raises(InvalidEvent, match="schema"):
        Ledger.open(pg_url, schema=schema)


def test_a_schema_holding_other_tables_is_refused_and_left_alone(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as raw:
        raw.execute("CREATE SCHEMA crm")
        raw.execute("CREATE TABLE crm.customers (name TEXT)")
    with pytest.raises(LedgerFileError, match="not a dealtrack ledger"):
        Ledger.open(pg_url, schema="crm")
    with psycopg.connect(pg_url, autocommit=True) as raw:
        tables = raw.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'crm'").fetchall()
    assert tables == [("customers",)]


def test_a_schema_option_for_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidEvent, match="schema"):
        Ledger.open(tmp_path / "x.db", schema="public")


def test_an_unreachable_server_is_a_typed_error_without_the_password() -> None:
    url = "postgresql://someone:secret@/nowhere?host=/nonexistent-socket-dir&port=1"
    with pytest.raises(LedgerFileError) as caught:
        Ledger.open(url)
    assert "secret" not in str(caught.value) and "***" in str(caught.value)


def test_a_writer_waiting_past_the_bound_gets_ledger_busy_and_writes_nothing(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dealtrack.postgres import store as pg_store
    from dealtrack.sqlite import store as sqlite_store

    monkeypatch.setattr(pg_store, "_LOCK_SECONDS", 0.2)
    monkeypatch.setattr(sqlite_store, "_LOCK_ATTEMPTS", 2)  # the retries are the shared store's
    with Ledger.open(pg_url) as ledger:
        ledger.append(registered(1, "Nokia"))
        ledger.refresh()  # views current: a question needs no catch-up (which would wait for the lock too)
        with psycopg.connect(pg_url) as other:  # another client holds the log's lock in an open transaction
            other.execute("SELECT * FROM ledger_head WHERE id = 1 FOR UPDATE")
            with pytest.raises(LedgerBusy):
                ledger.append(registered(2, "Nokia"))
            assert ledger.owners_of("US7000001", on="2011") == {"Nokia"}  # readers are not blocked
            other.rollback()
        assert len(ledger) == 1
        ledger.append(registered(2, "Nokia"))
        assert len(ledger) == 2 and ledger.verify()


def test_a_read_only_ledger_answers_and_writes_nothing(pg_url: str) -> None:
    with Ledger.open(pg_url) as ledger:
        ledger.append(*seed_story())
        expected = ledger.portfolio("Microsoft", on="2016-05-31")
        head = ledger.head()
    with Ledger.open(pg_url, readonly=True) as reader:
        assert reader.portfolio("Microsoft", on="2016-05-31") == expected
        with pytest.raises(LedgerReadOnly):
            reader.append(registered(1, "Nokia"))
    with Ledger.open(pg_url) as ledger:
        assert ledger.head() == head


def test_a_read_only_ledger_whose_views_trail_catches_up_in_memory(pg_url: str) -> None:
    with Ledger.open(pg_url) as ledger:
        ledger.append(registered(1, "Nokia"))
    with psycopg.connect(pg_url, autocommit=True) as raw:  # views left behind, as after a writer's crash
        raw.execute("UPDATE projection_checkpoints SET position = 0")
    with Ledger.open(pg_url, readonly=True) as reader:
        assert reader.owners_of("US7000001", on="2011") == {"Nokia"}
    with psycopg.connect(pg_url, autocommit=True) as raw:  # ... and the database was not written
        assert {row[0] for row in raw.execute("SELECT position FROM projection_checkpoints")} == {0}


def test_a_closed_ledger_says_so(pg_url: str) -> None:
    ledger = Ledger.open(pg_url)
    ledger.close()
    with pytest.raises(LedgerFileError, match="closed"):
        ledger.counts()
    ledger.close()  # closing twice is harmless


def test_db_says_it_is_for_sqlite_files(pg_url: str) -> None:
    with Ledger.open(pg_url) as ledger, pytest.raises(Exception, match="SQLite"):
        ledger.db  # noqa: B018



def test_the_command_line_moves_a_file_ledger_to_the_server_and_back(tmp_path: Path, pg_url: str) -> None:
    from click.testing import CliRunner

    from dealtrack.cli import main

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    with Ledger.open(tmp_path / "file.db") as source:
        source.append(*seed_story())
        head = source.head()
    run("export", "jsonl", str(tmp_path / "out.jsonl"), "--db", str(tmp_path / "file.db"))
    run("import", "jsonl", str(tmp_path / "out.jsonl"), "--db", pg_url)
    assert "Microsoft" in run("owners-of", "US8000001", "--on", "2016-05-31", "--db", pg_url)
    run("export", "jsonl", str(tmp_path / "back.jsonl"), "--db", pg_url)
    run("import", "jsonl", str(tmp_path / "back.jsonl"), "--db", str(tmp_path / "again.db"))
    with Ledger.open(pg_url) as server, Ledger.open(tmp_path / "again.db") as again:
        assert server.head() == again.head() == head


def test_a_nul_character_is_refused_before_it_is_logged_and_the_ledger_goes_on(pg_url: str) -> None:
    with Ledger.open(pg_url) as ledger:
        ledger.append(registered(1, "Nokia"))
        with pytest.raises(InvalidEvent, match="U\\+0000"):
            ledger.append(registered(2, "Nok\x00ia"))
        with pytest.raises(InvalidEvent):
            ledger.append(registered(3, "Nokia"), registered(4, "Evil\x00Corp"))  # the whole append, not a part
        assert len(ledger) == 1 and ledger.owners_of("US7000001", on="2011") == {"Nokia"}
        ledger.append(registered(5, "back\\u0000slash"))  # the six characters, not a NUL: stored as given
        assert ledger.owners_of("US7000005", on="2011") == {"back\\u0000slash"} and ledger.verify()


def _open_and_append(url: str, worker: int, start: Any) -> None:
    start.wait(60)
    with Ledger.open(url, schema="raced") as ledger:
        ledger.append(registered(worker, f"Maker {worker}"))


def test_several_processes_creating_one_ledger_at_once_make_it_once(pg_url: str) -> None:
    run_together(_open_and_append, [(pg_url, worker) for worker in range(4)], 120)
    with Ledger.open(pg_url, schema="raced") as ledger:
        assert len(ledger) == 4 and ledger.verify()
