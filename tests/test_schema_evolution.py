"""Schema evolution: a ledger an earlier dealtrack wrote still opens, verifies and answers the same.

``tests/fixtures/ledger-format2.db`` was written by ``tests/fixtures/make_fixture.py``
(format 2, every event at schema version 1) and is never rewritten: later
versions must keep reading it. The tests open a copy, never the committed file.
Upcasters turn payloads of older event schema versions into today's classes.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

import attrs
import pytest

from dealtrack import InvalidEvent, Ledger, Recorded, codec
from dealtrack.events import EventRetracted, PatentRegistered
from dealtrack.sqlite.store import EventRow, chain_hash, format_instant, new_event_id

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE = FIXTURES / "ledger-format2.db"
DAYS = ["2009", "2014-12-10", "2014-12-20", "2015-06", "2016-05", "2016-07-01", "2017-07", "2017-08-01", "2019-12-31"]
PARTIES = ["Microsoft", "Xiaomi", "Nokia", "Ericsson", "Bank of Example", "Example Bank plc",
           "Microsoft Technology Licensing, LLC"]


@pytest.fixture(scope="module")
def committed_bytes() -> Iterator[str]:
    """The committed fixture's hash, checked again after the module's tests: none of them may change it."""
    before = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    yield before
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == before
    assert not FIXTURE.with_name(FIXTURE.name + "-wal").exists()


@pytest.fixture
def old_ledger(tmp_path: Path, committed_bytes: str) -> Iterator[Ledger]:
    copy = tmp_path / "old.db"
    shutil.copyfile(FIXTURE, copy)
    with Ledger.open(copy) as ledger:
        yield ledger


def appends_of(ledger: Ledger) -> list[list[Recorded]]:
    """The log's events grouped by the append that wrote them (one transaction time each)."""
    return [list(group) for _, group in groupby(ledger.events(), key=lambda r: r.recorded_at)]


def replay(appends: list[list[Recorded]]) -> Ledger:
    """A fresh in-memory ledger built from the same events in the same appends (retractions re-pointed)."""
    fresh = Ledger.open()
    new_ids: dict[str, str] = {}
    for group in appends:
        events = [
            attrs.evolve(r.event, target=new_ids[r.event.target]) if isinstance(r.event, EventRetracted) else r.event
            for r in group
        ]
        for old, new in zip(group, fresh.append(*events)):
            new_ids[old.event_id] = new.event_id
    return fresh


def answers(ledger: Ledger) -> dict[Any, Any]:
    """Every question over the fixture's patents, parties and dates, as of each append and now; no ids."""
    appends = appends_of(ledger)
    patents = sorted({p for group in appends for r in group for p in _patents_of(r.event)})
    found: dict[Any, Any] = {}
    for number, known_at in enumerate([group[-1].recorded_at for group in appends] + [None]):
        for on in DAYS:
            for patent in patents:
                found["owners", number, patent, on] = ledger.owners_of(patent, on=on, known_at=known_at)
                found["licensees", number, patent, on] = ledger.licensees_of(patent, on=on, known_at=known_at)
                found["licensees IN", number, patent, on] = ledger.licensees_of(patent, on, "IN", known_at)
                found["licensed", number, patent, on] = ledger.is_licensed("Xiaomi", patent, on, "IN", known_at)
                # the order of a cross-licence's two directions is not fixed: compare as a set
                found["encumbrances", number, patent, on] = sorted(
                    ledger.encumbrances(patent, on=on, known_at=known_at), key=repr)
            for party in PARTIES:
                portfolio = ledger.portfolio(party, on=on, known_at=known_at)
                found["portfolio", number, party, on] = (sorted(portfolio), portfolio.undisclosed, len(portfolio))
                found["bans", number, party, on] = ledger.active_bans(against=party, on=on, known_at=known_at)
                found["bans for Mi 3", number, party, on] = ledger.active_bans(
                    against=party, on=on, territory="IN", product="Mi 3", known_at=known_at)
        found["anomalies", number] = [(a.kind, a.subject, a.position, a.message)
                                      for a in ledger.anomalies(known_at=known_at)]
        for patent in patents:
            found["title", number, patent] = [
                (span.owners, span.start, span.end, span.certain, [r.position for r in span.events])
                for span in ledger.title_chain(patent, known_at=known_at)
            ]
            found["registry", number, patent] = ledger.owners_of(patent, "2016-07-01", known_at, "2016-08-01")
    return found


def _without_target(event: Any) -> Any:
    return attrs.evolve(event, target="-") if isinstance(event, EventRetracted) else event


def _patents_of(event: Any) -> list[str]:
    single = getattr(event, "patent", None)
    many = getattr(event, "patents", None) or ()
    return ([single] if single else []) + list(many)


def test_the_fixture_is_a_format_2_ledger_with_every_event_type_at_version_1(committed_bytes: str) -> None:
    raw = sqlite3.connect(f"{FIXTURE.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
        types = dict(raw.execute("SELECT type, max(schema_version) FROM events GROUP BY type").fetchall())
    finally:
        raw.close()
    assert set(types) == {
        "PatentRegistered", "PatentsAssigned", "LicenseGranted", "CrossLicenseAgreed", "LicenseTerminated",
        "BanImposed", "BanModified", "BanLifted", "PartyRenamed", "PartiesMerged", "SecurityInterestGranted",
        "SecurityInterestReleased", "DealAnnounced", "EventRetracted",
    }
    assert set(types.values()) == {1}


def test_the_old_ledger_opens_verifies_and_still_extends_its_anchor(old_ledger: Ledger) -> None:
    anchor = (FIXTURES / "ledger-format2.anchor").read_text().strip()
    report = old_ledger.verify(anchor=anchor)
    assert report, str(report)
    assert report.events_checked == len(old_ledger) == 24
    assert len(appends_of(old_ledger)) == 4


def test_the_old_ledger_answers_what_the_story_says(old_ledger: Ledger) -> None:
    [retraction] = old_ledger.events(types="EventRetracted")
    before_correction = old_ledger.get(retraction.event.target).recorded_at
    assert old_ledger.owners_of("US 8,000,001 B2", on="2016-05") == {"Microsoft"}
    assert old_ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}
    assert len(old_ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500
    assert old_ledger.owners_of("US8000004", on="2016-07-01") == {"Microsoft"}
    assert old_ledger.owners_of("US8000004", on="2016-07-01", known_at=before_correction) == {"Xiaomi"}
    assert old_ledger.owners_of("EP1000001", on="2017-08-01") == {"Xiaomi"}
    assert old_ledger.licensees_of("US8000001", on="2016-07-01") == {"Microsoft"}
    assert [b.ban_id for b in old_ledger.active_bans(against="Xiaomi", on="2014-12-10", territory="IN")] == [
        "ericsson-v-xiaomi-in"]
    assert old_ledger.active_bans(against="Xiaomi", on="2016-05-01") == []
    # re-running the import that brought the wrong report does not bring it back
    appended = old_ledger.append(old_ledger.get(retraction.event.target).event)
    assert len(appended) == 0 and len(appended.skipped) == 1


def test_the_old_ledger_answers_like_a_ledger_built_today_from_its_events(old_ledger: Ledger) -> None:
    fresh = replay(appends_of(old_ledger))
    try:
        assert [(r.position, _without_target(r.event)) for r in fresh.events()] == [
            (r.position, _without_target(r.event)) for r in old_ledger.events()]
        expected, got = answers(fresh), answers(old_ledger)
        assert len(got) > 2000
        assert got == expected
    finally:
        fresh.close()


def test_rebuilding_the_old_ledgers_views_changes_no_answer(old_ledger: Ledger) -> None:
    before = answers(old_ledger)
    old_ledger.rebuild()
    assert answers(old_ledger) == before
    assert old_ledger.verify()


# --- upcasters -------------------------------------------------------------------------------


def _holder_to_owner(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 of an imagined older PatentRegistered called the owner 'holder' and the patent 'number'."""
    data = dict(data)
    data["owner"] = data.pop("holder")
    data["patent"] = data.pop("number")
    return data


@pytest.fixture
def patent_registered_at_version_2(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Pretend PatentRegistered is now at schema version 2, with an upcaster from version 1; record its calls."""
    calls: list[dict[str, Any]] = []

    def upcast(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(data)
        return _holder_to_owner(data) if "holder" in data else data

    monkeypatch.setitem(codec.SCHEMA_VERSIONS, "PatentRegistered", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("PatentRegistered", 1), upcast)
    return calls


def _append_old_row(ledger: Ledger, payload: str, version: int = 1, rebuild: bool = True) -> None:
    """Write a row the way an older dealtrack did: an old payload shape, its schema version, a proper hash."""
    store = ledger._store
    with store.transaction():
        position, previous, _ = store.head()
        moment = store.next_instant()
        row = EventRow(
            position=position + 1, event_id=new_event_id(moment), type="PatentRegistered", schema_version=version,
            effective_start="2009-03-03", effective_end="2009-03-03", registry_recorded=None, deal=None,
            stream="patent:US8000009", recorded_at=format_instant(moment), payload=payload, metadata=None,
            natural_key=None, hash="",
        )
        store.insert_events([attrs.evolve(row, hash=chain_hash(previous, row))])
    if rebuild:
        ledger.rebuild()


OLD_PAYLOAD = '{"number":"US 8,000,009","holder":"Microsoft","effective":"2009-03-03"}'


def test_an_old_shaped_payload_reads_back_as_the_current_class(
    old_ledger: Ledger, patent_registered_at_version_2: list[dict[str, Any]]
) -> None:
    _append_old_row(old_ledger, OLD_PAYLOAD)
    [recorded] = list(old_ledger.events(after=24))
    assert isinstance(recorded.event, PatentRegistered)
    assert (recorded.event.patent, recorded.event.owner) == ("US8000009", "Microsoft")
    assert old_ledger.owners_of("US8000009", on="2010") == {"Microsoft"}
    assert old_ledger.verify()
    # the fixture's own PatentRegistered rows (version 1, today's shape) went through the upcaster too
    assert sum("number" not in call for call in patent_registered_at_version_2) >= 6
    assert codec.from_dict({"type": "PatentRegistered", "schema_version": 1, "number": "US1", "holder": "Nokia",
                            "effective": "2001"}) == PatentRegistered(patent="US1", owner="Nokia", effective="2001")


def test_a_payload_without_its_upcaster_is_an_invalid_event_and_verify_names_it(
    old_ledger: Ledger, patent_registered_at_version_2: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(codec.SCHEMA_VERSIONS, "PatentRegistered", 3)  # 2 -> 3 has no upcaster
    with pytest.raises(InvalidEvent, match="no upcaster") as caught:
        codec.loads("PatentRegistered", OLD_PAYLOAD, 1)
    assert caught.value.field == "schema_version"
    report = old_ledger.verify()
    assert not report and report.first is not None
    assert (report.first.kind, report.first.position) == ("unreadable_event", 1)


def test_an_event_from_a_newer_dealtrack_is_refused_by_name(old_ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent, match="upgrade") as caught:
        codec.loads("PatentRegistered", '{"patent":"US1","owner":"Nokia","effective":"2001"}', 2)
    assert caught.value.field == "schema_version"
    _append_old_row(old_ledger, '{"patent":"US8000009","owner":"Nokia","effective":"2009-03-03"}', 2, rebuild=False)
    report = old_ledger.verify()
    assert (report.first.kind, report.first.position) == ("unreadable_event", 25)
    assert "upgrade" in report.first.message
    path = old_ledger.path
    old_ledger.close()
    with pytest.raises(InvalidEvent, match="upgrade"):  # its views cannot catch up with an event it cannot read
        Ledger.open(path)
