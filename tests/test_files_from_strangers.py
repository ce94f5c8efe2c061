"""A ledger file from a stranger runs none of its own SQL inside dealtrack, and verify() covers all that answers.

Issue 16, items 2, 3, 4 and 11: foreign triggers, views and indexes are refused
on open before anything runs; verify() names view tampering, dropped triggers
and damaged pages; the log refuses INSERT OR REPLACE; read-only opening writes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from dealtrack import DealtrackError, Ledger, LedgerFileError
from dealtrack import ledger as ledger_module
from dealtrack.errors import LedgerReadOnly
from dealtrack.events import LicenseGranted
from dealtrack.story import seed_story

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fingerprint(path: Path) -> str:
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return "/".join(hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "-" for p in parts)


@pytest.fixture
def story_file(tmp_path: Path) -> Path:
    path = tmp_path / "received.db"
    with Ledger.open(path) as ledger:
        ledger.append(*seed_story())
    return path


def doctor(path: Path, *statements: str) -> None:
    """What a stranger does to the file before sending it: raw SQL, committed."""
    raw = sqlite3.connect(path)
    for sql in statements:
        raw.execute(sql)
    raw.commit()
    raw.close()


CANARY = "CREATE TABLE IF NOT EXISTS canary (note TEXT)"

HOSTILE_SCHEMAS = {
    "a trigger that swallows appends": [
        "CREATE TRIGGER swallow BEFORE INSERT ON events BEGIN SELECT RAISE(IGNORE); END"],
    "a trigger that writes elsewhere on append": [
        CANARY, "CREATE TRIGGER spy AFTER INSERT ON events BEGIN INSERT INTO canary VALUES (NEW.payload); END"],
    "a trigger on a view table": [
        CANARY, "CREATE TRIGGER spy AFTER INSERT ON ownership BEGIN INSERT INTO canary VALUES ('ran'); END"],
    "a trigger on the checkpoints that runs on open": [
        CANARY, "UPDATE projection_checkpoints SET position = 0",  # so that opening catches the views up
        "CREATE TRIGGER spy BEFORE UPDATE ON projection_checkpoints BEGIN INSERT INTO canary VALUES ('ran'); END"],
    "a CPU-bomb trigger on the checkpoints": [
        "UPDATE projection_checkpoints SET position = 0",
        "CREATE TRIGGER bomb BEFORE INSERT ON projection_checkpoints BEGIN SELECT count(*) FROM "
        "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c); END",
        "CREATE TRIGGER bomb2 BEFORE UPDATE ON projection_checkpoints BEGIN SELECT count(*) FROM "
        "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c); END"],
    "a redefined current_ownership view": [
        "DROP VIEW current_ownership",
        "CREATE VIEW current_ownership AS SELECT 'US8000001' AS patent, 'Nobody' AS owner, NULL AS since, 0 AS position"],
    "a view standing in for a view table": [
        "DROP TABLE ownership", "CREATE VIEW ownership AS SELECT * FROM title_facts"],
    "an extra view": ["CREATE VIEW mine AS SELECT * FROM events"],
    "an expression index on the log": ["CREATE INDEX clever ON events (length(payload) * 2)"],
    "a partial unique index on a view table": ["CREATE UNIQUE INDEX clever ON ownership (patent) WHERE owner = 'X'"],
    "a changed append-only trigger": [
        "DROP TRIGGER events_refuse_update",
        "CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events BEGIN SELECT 1; END"],
}


@pytest.mark.parametrize("case", HOSTILE_SCHEMAS)
def test_a_file_with_foreign_sql_is_refused_on_open_and_none_of_it_runs(story_file: Path, case: str) -> None:
    doctor(story_file, *HOSTILE_SCHEMAS[case])
    before = fingerprint(story_file)
    started = time.monotonic()
    with pytest.raises(LedgerFileError, match="did not create") as raised:
        Ledger.open(story_file)
    assert time.monotonic() - started < 5
    assert fingerprint(story_file) == before
    with pytest.raises(LedgerFileError):
        Ledger.open(story_file, readonly=True)
    assert fingerprint(story_file) == before
    raw = sqlite3.connect(story_file)
    if raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'canary'").fetchone():
        assert raw.execute("SELECT COUNT(*) FROM canary").fetchone()[0] == 0
    raw.close()
    assert "'" in str(raised.value)  # the object is named


def test_a_plain_index_of_an_older_dealtrack_is_accepted(story_file: Path) -> None:
    doctor(story_file, 'CREATE INDEX "idx_ownership_patent_owner" ON "ownership" ("patent", "owner")')
    with Ledger.open(story_file) as ledger:
        assert ledger.verify()


def test_the_fixtures_of_older_dealtracks_still_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "ledger-format2.db", path)
    with Ledger.open(path) as ledger:
        assert ledger.verify()


# --- item 4: the log refuses INSERT OR REPLACE --------------------------------------------------------


@pytest.mark.parametrize("conflict", ["position", "event_id"])
def test_insert_or_replace_on_the_log_fails_even_from_raw_sqlite3(story_file: Path, conflict: str) -> None:
    raw = sqlite3.connect(story_file)
    columns = [row[1] for row in raw.execute("PRAGMA table_info(events)")]
    row = list(raw.execute("SELECT * FROM events WHERE position = 3").fetchone())
    row[columns.index("payload")] = row[columns.index("payload")].replace("Microsoft", "Google")
    if conflict == "event_id":
        row[columns.index("position")] = 99
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"INSERT OR REPLACE INTO events VALUES ({', '.join('?' for _ in row)})", row)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"REPLACE INTO events VALUES ({', '.join('?' for _ in row)})", row)
    raw.close()
    with Ledger.open(story_file) as ledger:
        assert ledger.verify()


def test_a_file_made_before_the_replace_trigger_gets_it_on_open(story_file: Path) -> None:
    doctor(story_file, "DROP TRIGGER events_refuse_replace")
    with Ledger.open(story_file) as ledger:
        assert ledger.verify()
    raw = sqlite3.connect(story_file)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("INSERT OR REPLACE INTO events SELECT * FROM events WHERE position = 1")
    raw.close()


# --- item 3: verify() covers everything that answers questions ---------------------------------------


def kinds(ledger: Ledger, **options: bool) -> list[str]:
    return [problem.kind for problem in ledger.verify(**options).problems]


def test_verify_names_an_edited_view_row_and_rebuild_repairs_it(story_file: Path) -> None:
    doctor(story_file, "UPDATE ownership SET owner = 'Huawei' WHERE owner = 'Xiaomi'")
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
        assert kinds(ledger) == ["view_mismatch"] and "ownership" in str(report)
        assert kinds(ledger, full=False) == []  # the fast mode does not recount
        ledger.rebuild()
        assert ledger.verify()


def test_verify_names_deleted_view_rows(story_file: Path) -> None:
    doctor(story_file, "DELETE FROM licences")
    with Ledger.open(story_file) as ledger:
        assert kinds(ledger) == ["view_mismatch"]


def test_verify_names_a_dropped_trigger_and_rebuild_restores_it(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        doctor(story_file, "DROP TRIGGER events_refuse_delete")
        assert kinds(ledger) == kinds(ledger, full=False) == ["trigger_missing"]
        ledger.rebuild()
        assert ledger.verify()
    with pytest.raises(sqlite3.IntegrityError):
        doctor(story_file, "DELETE FROM events WHERE position = 1")


def test_verify_names_a_view_redefined_while_open(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        doctor(story_file, "DROP VIEW current_ownership", "CREATE VIEW current_ownership AS SELECT 1 AS patent")
        assert kinds(ledger) == ["foreign_object"]
        ledger.rebuild()
        assert ledger.verify()


def test_verify_names_a_zeroed_view_page(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = sqlite3.connect(story_file)
    (root,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ownership'").fetchone()
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    data = bytearray(story_file.read_bytes())
    data[(root - 1) * page_size : root * page_size] = bytes(page_size)
    story_file.write_bytes(bytes(data))
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
        assert "file_damaged" in kinds(ledger) and "file_damaged" in kinds(ledger, full=False)
        assert "ownership" in next(p.message for p in report.problems if p.kind == "file_damaged")
        assert not report


# --- item 11: read-only ledgers ----------------------------------------------------------------------


def test_a_read_only_ledger_answers_every_question_and_writes_nothing(story_file: Path) -> None:
    before = fingerprint(story_file)
    with Ledger.open(story_file, readonly=True) as ledger:
        assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}
        assert len(list(ledger.events())) == len(seed_story())
        assert ledger.verify()
        with pytest.raises(LedgerReadOnly):
            ledger.append(*seed_story()[:1])
        with pytest.raises(LedgerReadOnly):
            ledger.rebuild()
        with pytest.raises(LedgerReadOnly):
            ledger.retract(next(iter(ledger.events())).event_id, "no")
    assert fingerprint(story_file) == before


def test_a_read_only_ledger_of_an_older_format_is_read_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "ledger-format2.db", path)
    before = fingerprint(path)
    with Ledger.open(path, readonly=True) as ledger:  # its views are of an older version: rebuilt in memory
        assert ledger.verify() and len(ledger) > 0
    assert fingerprint(path) == before


def test_a_file_that_is_not_writable_opens_read_only(story_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_module, "_writable", lambda path: False)  # the tests may run as root
    before = fingerprint(story_file)
    with Ledger.open(story_file) as ledger:
        assert ledger.owners_of("US8000001", on="2016-05") == {"Microsoft"}
        with pytest.raises(LedgerReadOnly):
            ledger.append(*seed_story()[:1])
    assert fingerprint(story_file) == before


def test_read_only_needs_a_ledger_to_read(tmp_path: Path) -> None:
    with pytest.raises(LedgerFileError):
        Ledger.open(tmp_path / "absent.db", readonly=True)
    assert not (tmp_path / "absent.db").exists()
    with pytest.raises(DealtrackError):
        Ledger.open(tmp_path / "absent.db", readonly="yes")  # type: ignore[arg-type]


def test_verify_on_a_read_only_ledger_whose_views_trail_the_log_reports_nothing_false(story_file: Path) -> None:
    """Another process appended since the views caught up, and a read-only ledger cannot catch them up: the
    recount compares with the views as a catch-up leaves them (it once reported a view mismatch, and that
    rebuild() repairs it). Views that trail with an edited row still say so."""
    with Ledger.open(story_file) as writer, Ledger.open(story_file, readonly=True) as reader:
        writer.append(LicenseGranted(licence_id="L-TRAIL", licensor="Nokia", licensee="Xiaomi",
                                     patents=["US8,000,000"], territory=["IN"], effective="2016-01-01"))
        assert reader.verify(), str(reader.verify())
        doctor(story_file, "UPDATE ownership SET owner = 'Huawei' WHERE owner = 'Xiaomi'")
        assert kinds(reader) == ["view_mismatch"]
