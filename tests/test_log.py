"""The log itself: positions, ids, transaction time, atomic appends, immutability."""

from __future__ import annotations

import sqlite3
from datetime import timezone
from pathlib import Path

import pytest

from dealtrack import DealtrackError, InvalidEvent, Ledger, LedgerFileError
from dealtrack.events import (
    BanImposed,
    BanLifted,
    BanModified,
    LicenseGranted,
    LicenseTerminated,
    PatentRegistered,
    PatentsAssigned,
)

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def registered(patent: str = "US8000001", owner: str = "Microsoft", effective: str = "2009-03-03") -> PatentRegistered:
    return PatentRegistered(patent=patent, owner=owner, effective=effective)


def test_positions_are_global_gap_free_and_increasing(ledger: Ledger) -> None:
    first = ledger.append(registered("US1"), registered("US2"))
    second = ledger.append(registered("US3"))
    assert [r.position for r in first + second] == [1, 2, 3]
    assert [r.position for r in ledger.events()] == [1, 2, 3]
    assert len(ledger) == 3


def test_event_ids_are_unique_and_recorded_at_is_utc_and_never_decreasing(ledger: Ledger) -> None:
    recorded = [r for _ in range(20) for r in ledger.append(registered("US1"), registered("US2"))]
    assert len({r.event_id for r in recorded}) == 40
    assert all(r.recorded_at.tzinfo is not None and r.recorded_at.utcoffset().total_seconds() == 0 for r in recorded)
    times = [r.recorded_at for r in recorded]
    assert times == sorted(times)
    # one append is one transaction time; separate appends are told apart
    assert recorded[0].recorded_at == recorded[1].recorded_at < recorded[2].recorded_at


def test_append_returns_envelopes_with_the_events(ledger: Ledger) -> None:
    event = registered()
    (rec,) = ledger.append(event)
    assert rec.event == event
    assert ledger.get(rec.event_id) == rec
    assert list(ledger.events()) == [rec]


def test_append_is_all_or_nothing(ledger: Ledger) -> None:
    ledger.append(registered("US1"))
    with pytest.raises(InvalidEvent) as caught:
        ledger.append(
            registered("US2"),
            LicenseTerminated(licence_id="never-granted", effective="2016-01-01"),
        )
    assert caught.value.field == "LicenseTerminated.licence_id"
    assert [r.event.patent for r in ledger.events()] == ["US1"]  # type: ignore[attr-defined]
    assert ledger.owners_of("US2", on="2020") == frozenset()
    assert ledger.verify()


def test_later_event_of_an_append_may_refer_to_an_earlier_one(ledger: Ledger) -> None:
    ledger.append(
        LicenseGranted(licence_id="L1", licensor="Nokia", licensee="Microsoft", effective="2014-04-25"),
        LicenseTerminated(licence_id="L1", effective="2020-01-01"),
        BanImposed(ban_id="B1", against="Xiaomi", territory="IN", authority="Delhi High Court", effective="2014-12-08"),
        BanModified(ban_id="B1", exempt_products=["Qualcomm-chip devices"], effective="2014-12-16"),
        BanLifted(ban_id="B1", effective="2016-04-01"),
    )
    assert len(ledger) == 5


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([BanLifted(ban_id="nope", effective="2016")], "BanLifted.ban_id"),
        (
            [
                BanImposed(ban_id="B", against="X", territory="IN", authority="court", effective="2016-05-01"),
                BanLifted(ban_id="B", effective="2016-04-01"),
            ],
            "BanLifted.effective",
        ),
        (
            [
                BanImposed(ban_id="B", against="X", territory="IN", authority="court", effective="2016-05-01"),
                BanLifted(ban_id="B", effective="2016-06-01"),
                BanLifted(ban_id="B", effective="2016-07-01"),
            ],
            "BanLifted.ban_id",
        ),
        (
            [
                LicenseGranted(licence_id="L", licensor="A", licensee="B", effective="2016"),
                LicenseGranted(licence_id="L", licensor="A", licensee="C", effective="2016"),
            ],
            "LicenseGranted.licence_id",
        ),
    ],
)
def test_append_checks_against_the_log(ledger: Ledger, events: list, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.append(*events)
    assert caught.value.field == field
    assert len(ledger) == 0


def test_append_refuses_what_is_not_an_event(ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent):
        ledger.append({"type": "PatentRegistered"})  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent) as caught:
        ledger.append(registered(), metadata={"when": object()})
    assert caught.value.field == "metadata"
    assert len(ledger) == 0


def test_metadata_is_stored_with_each_event(ledger: Ledger) -> None:
    ledger.append(registered("US1"), registered("US2"), metadata={"importer": "test"})
    stored = [row.metadata for row in ledger._store.rows()]  # the stored column, on either backend
    assert stored == ['{"importer":"test"}'] * 2


def test_raw_sqlite_cannot_update_or_delete_events(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(registered())
    raw = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE events SET payload = '{}'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM events")
    raw.close()
    with Ledger.open(ledger_path) as ledger:
        assert len(ledger) == 1 and ledger.verify()


def test_file_ledger_uses_wal_and_is_plain_sqlite(ledger_path: Path) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(registered())
    raw = sqlite3.connect(ledger_path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    columns = [row[1] for row in raw.execute("PRAGMA table_info(events)")]
    for name in ["position", "event_id", "type", "schema_version", "effective_start", "effective_end",
                 "recorded_at", "payload", "metadata", "hash"]:
        assert name in columns
    assert raw.execute("SELECT type, effective_start, effective_end FROM events").fetchone() == (
        "PatentRegistered", "2009-03-03", "2009-03-03")
    raw.close()


def test_partial_dates_keep_their_precision_in_the_log(ledger: Ledger) -> None:
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["EP1000001"], effective="2017-07"))
    row = next(iter(ledger._store.rows()))
    assert (row.effective_start, row.effective_end) == ("2017-07-01", "2017-07-31")
    assert '"effective":"2017-07"' in row.payload
    assert str(next(ledger.events()).event.effective) == "2017-07"


def test_in_memory_ledger_keeps_nothing_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Ledger.open() as ledger:
        ledger.append(registered())
        assert ledger.path is None
    assert list(tmp_path.iterdir()) == []


def test_events_filters(ledger: Ledger) -> None:
    first = ledger.append(registered("US1"))
    ledger.append(PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US1"],
                                  effective="2016-06-01", deal="msft-xiaomi-2016"))
    assert [r.position for r in ledger.events(types="PatentsAssigned")] == [2]
    assert [r.position for r in ledger.events(deal="msft-xiaomi-2016")] == [2]
    assert [r.position for r in ledger.events(after=1)] == [2]
    assert [r.position for r in ledger.events(known_at=first[0].recorded_at)] == [1]
    with pytest.raises(InvalidEvent):
        list(ledger.events(types="NoSuchEvent"))


def test_recorded_at_is_utc_text_in_the_file(ledger: Ledger) -> None:
    (rec,) = ledger.append(registered())
    text = next(iter(ledger._store.rows())).recorded_at
    assert text.endswith("+00:00")
    assert rec.recorded_at.astimezone(timezone.utc).isoformat() == text


def test_not_a_ledger_files_are_refused_and_left_untouched(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.db"
    text_file.write_bytes(b"these are my notes, not a database")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    for path in (text_file, other):
        before = path.read_bytes()
        with pytest.raises(LedgerFileError):
            Ledger.open(path)
        assert path.read_bytes() == before
    assert issubclass(LedgerFileError, DealtrackError)
