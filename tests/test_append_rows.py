"""The batched append's fast path stores exactly the bytes the simple computation does (issue 13).

- each row, built once as the tuple the store inserts, holds the columns, payload and hash that an
  ``EventRow`` hash-chained through ``EventRow.chained_hash`` (what ``verify()`` checks) holds, and the
  head hash is the same: ledgers stay byte-identical for the same events, ids and recorded times;
- ``new_event_ids`` (one system call per append) makes, from the same random bytes, the ids
  ``new_event_id`` made one call per event, with their format and their order by time;
- ``limits.check_event``'s fast walk accepts what the naming walk accepts, and on anything past a
  maximum raises the naming walk's error;
- an append's checks read the licence and ban streams of the whole batch at once, and still refuse
  the whole batch on one bad event;
- a large batch inserts with the trigger that refuses ``INSERT OR REPLACE`` lifted for its one statement,
  and the file keeps that trigger exactly as it was, whatever happens to the insert.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Ledger, codec, limits
from dealtrack.checks import stream_of
from dealtrack.events import (
    BanImposed,
    BanLifted,
    Event,
    EventRetracted,
    LicenseGranted,
    LicenseTerminated,
    PatentRegistered,
)
from dealtrack.sqlite import store as store_module
from dealtrack.storage import EVENT_COLUMNS, GENESIS_HASH, EventRow
from dealtrack.values import Period
from test_codec import STRATEGIES

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.suite import resolve  # noqa: E402
from benchmarks.synth import generate  # noqa: E402

pytestmark = pytest.mark.both_backends

MOMENT = datetime(2024, 6, 1, 3, 30, 0, 123456, tzinfo=timezone.utc)


# --- the slow reference: how main built and chained each row --------------------------------------

def reference_rows(
    events: list[Event], ids: list[str], recorded_at: str, metadata: str | None, first: int, previous: str
) -> list[EventRow]:
    """Each event as an ``EventRow``, its payload through cattrs, its hash through ``EventRow.chained_hash``."""
    rows = []
    for offset, (event, event_id) in enumerate(zip(events, ids)):
        effective = event.effective
        row = EventRow(
            position=first + offset,
            event_id=event_id,
            type=event.type,
            schema_version=codec.SCHEMA_VERSIONS[event.type],
            effective_start=None if effective is None else effective.start.isoformat(),
            effective_end=None if effective is None else effective.end.isoformat(),
            registry_recorded=None if event.registry_recorded is None else event.registry_recorded.isoformat(),
            deal=event.deal,
            stream=stream_of(event),
            recorded_at=recorded_at,
            payload=orjson.dumps(codec.converter.unstructure(event)).decode(),
            metadata=metadata,
            natural_key=event.natural_key,
            hash="",
        )
        row = attrs.evolve(row, hash=row.chained_hash(previous))
        previous = row.hash
        rows.append(row)
    return rows


def stored_rows(ledger: Ledger) -> list[EventRow]:
    with ledger._store.snapshot():
        return list(ledger._store.rows())


def pinned(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fix the ledger's recorded times (a second apart) and event ids; return the ids handed out, in order."""
    counter = itertools.count(1)
    handed: list[str] = []
    times = (MOMENT + timedelta(seconds=n) for n in itertools.count())

    def ids(moment: datetime, count: int) -> list[str]:
        made = [f"{int(moment.timestamp()):08x}-0000-7000-8000-{next(counter):012d}" for _ in range(count)]
        handed.extend(made)
        return made

    monkeypatch.setattr("dealtrack.ledger.new_event_ids", ids)
    monkeypatch.setattr(ledger._store, "next_instant", lambda last=None: next(times))
    return handed


def check_batches(ledger: Ledger, batches: list[list[Event]], metadata: dict[str, Any] | None,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Append each batch, and compare every stored row and the head with the slow reference."""
    handed = pinned(ledger, monkeypatch)
    meta = None if metadata is None else orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS).decode()
    expected: list[EventRow] = []
    previous = GENESIS_HASH
    for batch in batches:
        before = len(handed)
        appended = ledger.append(*batch, metadata=metadata)
        if not appended:
            continue
        written = [r.event for r in appended]
        ids = [r.event_id for r in appended]
        assert ids == handed[before : before + len(ids)]
        stamp = store_module.format_instant(appended[0].recorded_at)
        rows = reference_rows(written, ids, stamp, meta, len(expected) + 1, previous)
        assert [r.position for r in appended] == [r.position for r in rows]
        expected += rows
        previous = expected[-1].hash
    assert stored_rows(ledger) == expected
    assert ledger.head().hash == previous
    assert ledger.verify(full=False)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    metadata=st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=10) | st.integers(-5, 5), max_size=3),
)
@pytest.mark.sqlite_only
def test_appended_rows_are_the_bytes_the_simple_computation_writes(data: st.DataObject, metadata: dict[str, Any] | None) -> None:
    # event types whose checks need nothing before them, with any text (escapes, non-ASCII) and natural keys
    free = [STRATEGIES[name] for name in ("PatentRegistered", "PatentsAssigned", "DealAnnounced", "PartyRenamed",
                                          "PartiesMerged", "SecurityInterestGranted", "PatentNumbersLinked",
                                          "RegisterRecord", "PatentLapsed")]
    keyed = st.tuples(st.one_of(*free), st.none() | st.sampled_from(["uspto:1/1", "uspto:1/2", "uspto:2/1"]))
    batches = data.draw(st.lists(st.lists(keyed, max_size=6), min_size=1, max_size=3))
    events = [[attrs.evolve(event, natural_key=key) for event, key in batch] for batch in batches]
    with pytest.MonkeyPatch.context() as monkeypatch, Ledger.open() as ledger:
        check_batches(ledger, events, metadata, monkeypatch)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_realistic_stream_is_stored_as_the_simple_computation_stores_it(
    ledger: Ledger, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # licences, bans, their terminations and modifications, retractions, natural keys: 3,000 events in batches
    items = list(generate(3_000, seed=seed))
    pinned(ledger, monkeypatch)
    expected: list[EventRow] = []
    for start in range(0, len(items), 500):
        batch = resolve(ledger, items[start : start + 500], 0)
        stamp_before = len(expected)
        appended = ledger.append(*batch, metadata={"by": "test"})
        stamp = store_module.format_instant(appended[0].recorded_at)
        previous = expected[-1].hash if expected else GENESIS_HASH
        expected += reference_rows([r.event for r in appended], [r.event_id for r in appended], stamp,
                                   '{"by":"test"}', stamp_before + 1, previous)
    assert stored_rows(ledger) == expected
    assert ledger.head().hash == expected[-1].hash
    assert ledger.verify(full=False)


# --- event ids -----------------------------------------------------------------------------------

def old_event_id(moment: datetime, noise: bytes) -> str:
    """main's ``new_event_id``, given its ten random bytes."""
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(noise, "big")
    value = (millis << 80) | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.mark.sqlite_only
@given(noise=st.binary(min_size=10, max_size=10 * 50).filter(lambda b: len(b) % 10 == 0),
       moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)))
def test_new_event_ids_are_the_ids_one_call_per_event_makes(noise: bytes, moment: datetime) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(store_module.os, "urandom", lambda n: noise[:n])
        made = store_module.new_event_ids(moment, len(noise) // 10)
        single = store_module.new_event_id(moment)
    assert made == [old_event_id(moment, noise[i : i + 10]) for i in range(0, len(noise), 10)]
    assert single == old_event_id(moment, noise[:10])
    assert all(UUID7.fullmatch(event_id) for event_id in made)


@pytest.mark.sqlite_only
def test_new_event_ids_are_unique_and_ordered_by_their_millisecond() -> None:
    earlier = store_module.new_event_ids(MOMENT, 1_000)
    later = store_module.new_event_ids(MOMENT + timedelta(milliseconds=1), 1_000)
    assert len(set(earlier + later)) == 2_000
    assert max(earlier) < min(later)


# --- the size limits' fast walk ------------------------------------------------------------------

leaves = (st.none() | st.booleans() | st.dates() | st.text(max_size=12) | st.integers(-10**13, 10**13)
          | st.floats(allow_nan=False) | st.decimals(allow_nan=False, allow_infinity=False)
          | st.builds(lambda d: Period(d, d), st.dates()))
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=6) | st.lists(inner, max_size=6).map(tuple)
    | st.frozensets(st.text(max_size=12), max_size=6) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)


def naming_walk(value: Any) -> str | None:
    """What ``check_event`` said before its fast walk: the naming walk's error, or None."""
    try:
        total = limits._walk(value, type(value).__name__, 0)
        if total > limits.MAX_PAYLOAD_CHARS:
            raise InvalidEvent(type(value).__name__, f"<about {total} characters>",
                               f"the event is larger than {limits.MAX_PAYLOAD_CHARS} characters in all")
    except InvalidEvent as error:
        return str(error)
    return None


@pytest.mark.sqlite_only
@settings(max_examples=400)
@given(value=values, limit=st.integers(1, 12), items=st.integers(1, 6), count=st.sampled_from([3, 10**12]),
       total=st.integers(5, 400))
def test_check_event_says_what_the_naming_walk_says(value: Any, limit: int, items: int, count: int, total: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:  # small maxima, so that values reach them
        monkeypatch.setattr(limits, "MAX_TEXT", limit)
        monkeypatch.setattr(limits, "MAX_ITEMS", items)
        monkeypatch.setattr(limits, "MAX_COUNT", count)
        monkeypatch.setattr(limits, "MAX_PAYLOAD_CHARS", total)
        expected = naming_walk(value)
        try:
            limits.check_event(value)
            said = None
        except InvalidEvent as error:
            said = str(error)
    assert said == expected


@pytest.mark.sqlite_only
@given(event=st.one_of(*STRATEGIES.values()))
def test_check_event_accepts_every_valid_event(event: Event) -> None:
    limits.check_event(event)
    assert naming_walk(event) is None
    assert limits._size(event, 0) == limits._walk(event, type(event).__name__, 0)


# --- the checks, a batch at a time ---------------------------------------------------------------

def licence(licence_id: str) -> LicenseGranted:
    return LicenseGranted(licensor="Nokia", licensee="Xiaomi", patents=["US7654321"], territory=["WORLD"],
                          effective="2016-01-01", licence_id=licence_id)


def test_a_batch_reads_its_streams_once_and_checks_them_in_order(ledger: Ledger) -> None:
    ledger.append(licence("L1"), BanImposed(ban_id="B1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                                            patents=["US7654321"], effective="2016-01-01"))
    # the log's licence ended and the ban lifted, a new licence granted and ended, all in one batch
    ledger.append(LicenseTerminated(licence_id="L1", effective="2017-01-01"), BanLifted(ban_id="B1", effective="2017-01-01"),
                  licence("L2"), LicenseTerminated(licence_id="L2", effective="2018-01-01"))
    assert len(ledger) == 6
    for bad in ([licence("L3"), LicenseTerminated(licence_id="L1", effective="2019-01-01")],  # ended before
                [licence("L3"), licence("L2")],  # granted before
                [licence("L3"), BanLifted(ban_id="B1", effective="2019-01-01")],
                [licence("L3"), LicenseTerminated(licence_id="L4", effective="2019-01-01")]):
        with pytest.raises(InvalidEvent):
            ledger.append(*bad)
        assert len(ledger) == 6  # nothing of the batch was recorded
    # a licence retracted in the same batch is free to be granted again; its end is checked against the new one
    (granted,) = [r for r in ledger.events() if r.position == 5]
    ledger.append(EventRetracted(target=granted.event_id, reason="entered twice"), licence("L2"))
    assert len(ledger) == 8


@pytest.mark.sqlite_only
def test_stream_events_of_lists_each_stream_once_and_leaves_retracted_events_out(ledger: Ledger) -> None:
    first = ledger.append(licence("L1"), licence("L2"))
    ledger.retract(first[1].event_id, "entered twice")
    found = ledger._store.stream_events_of(["licence:L1", "licence:L2", "licence:L9"])
    effective = first[0].event.effective
    assert effective is not None
    assert found == {"licence:L1": [(first[0].position, "LicenseGranted", effective.start.isoformat(),
                                     effective.end.isoformat())],
                     "licence:L2": [], "licence:L9": []}


# --- a large batch inserts with the replace-refusing trigger lifted for its one statement -------------

def registrations(first: int, count: int) -> list[Event]:
    return [PatentRegistered(patent=f"US{first + i}", owner="Nokia", effective="2010-01-01") for i in range(count)]


def triggers(path: Path) -> dict[str, str]:
    raw = sqlite3.connect(path)
    try:
        return dict(raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    finally:
        raw.close()


@pytest.mark.sqlite_only
def test_a_large_batch_leaves_the_log_s_triggers_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:
        before = triggers(path)
        ledger.append(*registrations(1_000_000, store_module._LIFT_TRIGGER_AT + 50))
        assert triggers(path) == before
        assert ledger.verify()
    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("INSERT OR REPLACE INTO events SELECT * FROM events WHERE position = 1")
    raw.close()


@pytest.mark.sqlite_only
def test_a_large_insert_the_log_refuses_leaves_its_trigger_in_place(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:
        ledger.append(*registrations(1_000_000, store_module._LIFT_TRIGGER_AT + 10))
        before = triggers(path)
        store = ledger._store
        with store.snapshot():
            rows = [store_module._ROW_VALUES(row) for row in store.rows()]
        with store.transaction():  # the caller catches the refusal inside its transaction, and commits
            with pytest.raises(sqlite3.IntegrityError):
                store.insert_event_values(rows)  # every position already logged
        assert triggers(path) == before
        assert ledger.verify()


@pytest.mark.sqlite_only
def test_a_large_batch_leaves_a_trigger_that_is_not_dealtrack_s_for_verify_to_report(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:  # (a file opened with such a trigger is refused: changed while open)
        ledger._store.conn.execute("DROP TRIGGER events_refuse_replace")
        ledger._store.conn.execute("CREATE TRIGGER events_refuse_replace BEFORE INSERT ON events WHEN 0 BEGIN SELECT 1; END")
        changed = triggers(path)
        ledger.append(*registrations(2_000_000, store_module._LIFT_TRIGGER_AT + 10))
        assert triggers(path) == changed
        assert [p.kind for p in ledger.verify().problems] == ["trigger_changed"]


def test_a_batch_reads_the_streams_of_all_its_licences_and_bans_in_one_go(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.append(licence("L1"), licence("L2"))
    calls: list[list[str]] = []
    read = ledger._store.stream_events_of
    monkeypatch.setattr(ledger._store, "stream_events_of", lambda streams: calls.append(sorted(streams)) or read(streams))
    ledger.append(LicenseTerminated(licence_id="L1", effective="2017-01-01"), licence("L3"),
                  LicenseTerminated(licence_id="L2", effective="2017-01-01"), LicenseTerminated(licence_id="L3", effective="2018-01-01"))
    assert calls == [["licence:L1", "licence:L2", "licence:L3"]]
