"""Every failure a caller can cause or meet is a DealtrackError naming what was wrong (issue 16, items 5 and 10)."""

from __future__ import annotations

import sqlite3
import threading
import tracemalloc
from pathlib import Path

import pytest

from dealtrack import DealtrackError, InvalidEvent, Ledger, LedgerFileError, limits
from dealtrack.errors import WrongThread
from dealtrack.events import PatentRegistered, PatentsAssigned
from dealtrack.story import seed_story


def log_of(ledger: Ledger) -> tuple[list[tuple], object]:
    return ledger.db.execute("SELECT * FROM events ORDER BY position").fetchall(), ledger.head()


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    ledger.append(*seed_story())
    return ledger


def test_a_huge_party_name_is_refused_before_it_is_serialised(story: Ledger) -> None:
    before = log_of(story)
    name = "X" * 20_000_000
    tracemalloc.start()
    try:  # refused when the event is built (or, for fields built unchecked, at append)
        with pytest.raises(InvalidEvent, match=r"PatentsAssigned\.assignee.*longer than 10000") as raised:
            story.append(PatentsAssigned(assignor="Microsoft", assignee=name, patents=["US8000001"], effective="2017"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # nothing the size of the name was made
    assert len(str(raised.value)) < 1_000
    assert log_of(story) == before


def test_a_list_past_its_maximum_is_refused(story: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ITEMS", 3)
    before = log_of(story)
    event = PatentsAssigned(assignor="A", assignee="B", patents=[f"US800000{n}" for n in range(4)], effective="2017")
    with pytest.raises(InvalidEvent, match=r"PatentsAssigned\.patents.*more than 3 items"):
        story.append(event)
    assert log_of(story) == before


def test_a_whole_event_past_its_maximum_is_refused(story: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_PAYLOAD_CHARS", 1_000)
    event = PatentRegistered(patent="US8000009", owner="A", effective="2017", note="n" * 2_000)
    with pytest.raises(InvalidEvent, match="larger than 1000 characters"):
        story.append(event)


@pytest.mark.parametrize("count", [10**13, 10**30, 10**5000], ids=["14 digits", "31 digits", "5001 digits"])
def test_a_huge_disclosed_count_is_refused(story: Ledger, count: int) -> None:
    before = log_of(story)
    with pytest.raises(InvalidEvent, match="disclosed_count"):
        story.append(PatentsAssigned(assignor="A", assignee="B", patents=[], disclosed_count=count, effective="2017"))
    assert log_of(story) == before


def test_huge_metadata_is_refused(story: Ledger) -> None:
    with pytest.raises(InvalidEvent, match="metadata"):
        story.append(PatentRegistered(patent="US8000009", owner="A", effective="2017"), metadata={"x": "y" * 20_000})


@pytest.mark.parametrize("after", [10**30, -(10**30)])
def test_events_after_a_huge_position_is_refused(story: Ledger, after: int) -> None:
    with pytest.raises(InvalidEvent, match="after"):
        list(story.events(after=after))


@pytest.mark.parametrize("path", [123, 1.5, b"deals.db", "", "a\x00b", ["deals.db"], True])
def test_open_with_something_that_is_not_a_path_is_refused(path: object) -> None:
    with pytest.raises(InvalidEvent, match="path"):
        Ledger.open(path)  # type: ignore[arg-type]


@pytest.mark.parametrize("synchronous", [1, "SOMETIMES", None])
def test_open_with_a_bad_synchronous_is_refused(tmp_path: Path, synchronous: object) -> None:
    with pytest.raises(InvalidEvent, match="synchronous"):
        Ledger.open(tmp_path / "deals.db", synchronous=synchronous)  # type: ignore[arg-type]


def test_use_from_a_second_thread_is_a_typed_error(story: Ledger) -> None:
    caught: list[BaseException] = []

    def ask() -> None:
        try:
            story.owners_of("US8000001", on="2016")
        except BaseException as exc:  # noqa: BLE001 - the test looks at what came out
            caught.append(exc)

    worker = threading.Thread(target=ask)
    worker.start()
    worker.join()
    assert len(caught) == 1 and isinstance(caught[0], WrongThread)


def test_use_after_close_is_a_typed_error(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "deals.db")
    ledger.close()
    with pytest.raises(DealtrackError, match="closed"):
        ledger.owners_of("US8000001", on="2016")


def story_file(tmp_path: Path) -> Path:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:
        ledger.append(*seed_story())
    return path


def test_a_deleted_head_row_is_a_file_error_on_open(tmp_path: Path) -> None:
    path = story_file(tmp_path)
    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM ledger_head")
    raw.commit()
    raw.close()
    with pytest.raises(LedgerFileError, match="ledger_head"):
        Ledger.open(path)


@pytest.mark.parametrize("change", ["ALTER TABLE events ADD COLUMN extra TEXT", "ALTER TABLE events DROP COLUMN metadata"])
def test_an_extra_or_missing_log_column_is_a_file_error_on_open(tmp_path: Path, change: str) -> None:
    path = story_file(tmp_path)
    raw = sqlite3.connect(path)
    raw.execute("DROP INDEX IF EXISTS idx_events_deal")
    raw.execute(change)
    raw.commit()
    raw.close()
    with pytest.raises(LedgerFileError, match="columns"):
        Ledger.open(path)


def test_questions_on_a_damaged_page_are_a_file_error(tmp_path: Path) -> None:
    path = story_file(tmp_path)
    raw = sqlite3.connect(path)
    (root,) = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ownership'").fetchone()
    page = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    with open(path, "r+b") as damaged:  # a disk fault in a view's page: opening reads none of it
        damaged.seek((root - 1) * page)
        damaged.write(b"\xff" * page)
    with Ledger.open(path) as ledger:
        with pytest.raises(LedgerFileError, match="cannot be read"):
            ledger.owners_of("US8000001", on="2016-07")
