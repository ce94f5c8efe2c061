"""Files that are not (sound) ledgers: a clear DealtrackError, and the file left byte-for-byte as it was."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from dealtrack import DealtrackError, Ledger, LedgerBusy, LedgerFileError
from dealtrack.sqlite import store as store_module
from dealtrack.events import PatentRegistered
from dealtrack.story import seed_story


def fingerprint(path: Path) -> str | None:
    """The file's bytes as a hash, and those of its -wal/-shm companions, so any write shows."""
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return "/".join(hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "-" for p in parts)


def ledger_bytes(tmp_path: Path) -> bytes:
    """The bytes of a closed ledger holding the seed story (written once per test, in its own folder)."""
    source = tmp_path / "source" / "deals.db"
    source.parent.mkdir()
    with Ledger.open(source) as ledger:
        ledger.append(*seed_story())
    return source.read_bytes()


def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.db"
    path.write_text("Microsoft sold about 1,500 patents to Xiaomi in 2016.\n")
    return path


def random_bytes(tmp_path: Path) -> Path:
    path = tmp_path / "noise.db"
    path.write_bytes(random.Random(7).randbytes(3 * 4096))
    return path


def sqlite_header_then_noise(tmp_path: Path) -> Path:
    path = tmp_path / "fake.db"
    path.write_bytes(b"SQLite format 3\x00" + random.Random(8).randbytes(4096 - 16))
    return path


def other_sqlite_database(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE contacts (name TEXT, email TEXT)")
    raw.execute("INSERT INTO contacts VALUES ('Ada', 'ada@example.com')")
    raw.commit()
    raw.close()
    return path


def other_applications_empty_database(tmp_path: Path) -> Path:
    path = tmp_path / "other-app.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA application_id = 1196444487")  # another program's mark (GeoPackage's "GPKG")
    raw.execute("PRAGMA user_version = 3")
    raw.commit()
    raw.close()
    return path


def truncated(keep: Callable[[int], int]) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        whole = ledger_bytes(tmp_path)
        path = tmp_path / "cut.db"
        path.write_bytes(whole[: keep(len(whole))])
        return path

    return make


def newer_format(tmp_path: Path) -> Path:
    path = tmp_path / "future.db"
    path.write_bytes(ledger_bytes(tmp_path))
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {store_module.FORMAT_VERSION + 1}")
    raw.commit()
    raw.close()
    return path


def damaged_ledger(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.db"
    path.write_bytes(ledger_bytes(tmp_path))
    raw = sqlite3.connect(path)
    raw.execute("DROP TABLE projection_checkpoints")
    raw.commit()
    raw.close()
    return path


BAD_FILES = {
    "a text file": (text_file, "not a SQLite database"),
    "random bytes": (random_bytes, "not a SQLite database"),
    "a SQLite header, then noise": (sqlite_header_then_noise, "damaged or not a SQLite database"),
    "another program's SQLite database": (other_sqlite_database, "not a dealtrack ledger"),
    "another program's empty SQLite database": (other_applications_empty_database, "not a dealtrack ledger"),
    "a ledger cut inside its header": (truncated(lambda size: 60), "cut short"),
    "a ledger cut to its first page": (truncated(lambda size: 4096), "cut short"),
    "a ledger missing its last page": (truncated(lambda size: size - 4096), "cut short"),
    "a ledger cut mid-page": (truncated(lambda size: size - 1000), "cut short"),
    "a ledger of a newer format": (newer_format, "newer dealtrack"),
    "a ledger missing a table": (damaged_ledger, "projection_checkpoints"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_refused_and_left_untouched(tmp_path: Path, case: str) -> None:
    make, reason = BAD_FILES[case]
    path = make(tmp_path)
    before = fingerprint(path)
    with pytest.raises(LedgerFileError) as caught:
        Ledger.open(path)
    assert isinstance(caught.value, DealtrackError)
    assert reason in str(caught.value) and str(path) in str(caught.value)
    assert fingerprint(path) == before
    with pytest.raises(LedgerFileError):  # and again: refusing did not change anything that matters
        Ledger.open(str(path))
    assert fingerprint(path) == before


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "deals.db"
    folder.mkdir()
    (folder / "inside.txt").write_text("kept")
    with pytest.raises(LedgerFileError, match="folder"):
        Ledger.open(folder)
    assert [p.name for p in folder.iterdir()] == ["inside.txt"]


def test_an_empty_file_becomes_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Ledger.open(path) as ledger:
        ledger.append(*seed_story())
    with Ledger.open(path) as ledger:
        assert len(ledger) == len(seed_story()) and ledger.verify()


def test_a_damaged_page_of_the_log_is_reported_as_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    path.write_bytes(ledger_bytes(tmp_path))
    raw = sqlite3.connect(path)
    (root,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size : root * page_size] = random.Random(9).randbytes(page_size)
    path.write_bytes(bytes(data))
    before = fingerprint(path)
    with pytest.raises(LedgerFileError, match="malformed"):
        with Ledger.open(path) as ledger:
            ledger.verify()
    assert fingerprint(path) == before


@pytest.fixture
def impatient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a held lock in a fraction of a second instead of after 5 s x 8 attempts."""
    monkeypatch.setattr(store_module, "_BUSY_TIMEOUT", 0.05)
    monkeypatch.setattr(store_module, "_LOCK_ATTEMPTS", 2)


def test_a_write_lock_held_elsewhere_makes_append_raise_ledger_busy_and_write_nothing(
    ledger_path: Path, impatient: None
) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
        ledger.refresh()
        holder = sqlite3.connect(ledger_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            with pytest.raises(LedgerBusy, match="locked"):
                ledger.append(PatentRegistered(patent="US9000001", owner="Nokia", effective="2010"))
            assert len(ledger) == len(seed_story())
            assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}  # reading caught-up views still works
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        ledger.append(PatentRegistered(patent="US9000001", owner="Nokia", effective="2010"))
        assert len(ledger) == len(seed_story()) + 1 and ledger.verify()


def test_a_question_that_must_catch_the_views_up_waits_for_the_write_lock_like_a_writer(
    ledger_path: Path, impatient: None
) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())  # only the log: the views catch up before the next question
        holder = sqlite3.connect(ledger_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(LedgerBusy, match="locked"):
                ledger.owners_of("US8000001", on="2016-07-01")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}


def test_a_file_locked_exclusively_elsewhere_raises_ledger_busy_on_open(ledger_path: Path, impatient: None) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
    holder = sqlite3.connect(ledger_path, isolation_level=None, timeout=0.05)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LedgerBusy, match="locked by another program"):
            Ledger.open(ledger_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Ledger.open(ledger_path) as ledger:
        assert ledger.verify()


def test_an_empty_sqlite_file_another_process_is_making_a_ledger_of_opens_as_a_new_ledger(ledger_path: Path) -> None:
    raw = sqlite3.connect(ledger_path)
    raw.execute("PRAGMA journal_mode=WAL")  # a header and no tables yet: what a writer racing to create it leaves
    raw.close()
    assert ledger_path.stat().st_size > 0
    with Ledger.open(ledger_path) as ledger:
        ledger.append(PatentRegistered(patent="US9000001", owner="Nokia", effective="2010"))
        assert ledger.owners_of("US9000001", on="2011") == {"Nokia"}


def test_a_new_file_another_process_is_creating_opens_once_it_lets_go(ledger_path: Path) -> None:
    # Another process is making the same new file (an empty database, in its first write transaction). Switching
    # the file to WAL then fails at once inside SQLite, without waiting: open backs off and tries again.
    creator = sqlite3.connect(ledger_path, isolation_level=None, check_same_thread=False)
    creator.execute("CREATE TABLE scratch (x)")
    creator.execute("DROP TABLE scratch")
    creator.execute("BEGIN IMMEDIATE")
    letting_go = threading.Timer(0.2, creator.execute, ["ROLLBACK"])
    letting_go.start()
    try:
        with Ledger.open(ledger_path) as ledger:
            ledger.append(*seed_story())
            assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}
    finally:
        letting_go.join()
        creator.close()
    reader = sqlite3.connect(ledger_path)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        reader.close()
