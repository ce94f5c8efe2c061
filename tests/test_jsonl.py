"""JSON Lines interchange: a whole ledger out and back, ids, times and hashes kept; idempotent on re-import."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from conftest import view_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from register_files import REAL_FILE, needs_real_file
from test_codec import any_event
from test_licence_properties import histories as licence_histories

from dealtrack import DealtrackError, ImportFailed, InvalidEvent, Ledger, codec
from dealtrack.events import Event, PatentRegistered, PatentsAssigned
from dealtrack.importers import export_jsonl, import_assignments, import_jsonl

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

metadata = st.none() | st.fixed_dictionaries({"by": st.sampled_from(["analyst", "import"]), "n": st.integers(0, 9)})
steps = st.lists(
    st.tuples(st.one_of(licence_histories, st.lists(any_event, min_size=1, max_size=4)), metadata, st.booleans()),
    min_size=2,
    max_size=6,
)


def build(ledger: Ledger, plan: list[tuple[list[Event], dict | None, bool]]) -> None:
    """Append each group (or what the log accepts of it), then maybe retract the first event still live."""
    for events, meta, retract in plan:
        try:
            ledger.append(*events, metadata=meta)
        except Exception as error:  # noqa: BLE001
            assert type(error).__name__ == "InvalidEvent", error
            for event in events:
                try:
                    ledger.append(event, metadata=meta)
                except Exception as inner:  # noqa: BLE001
                    assert type(inner).__name__ == "InvalidEvent", inner
        if retract:
            retracted = {r.event.target for r in ledger.events(types="EventRetracted")}
            live = [r for r in ledger.events() if r.event.type != "EventRetracted" and r.event_id not in retracted]
            if live:
                ledger.retract(live[0].event_id, "test")


def log_rows(ledger: Ledger) -> list[tuple]:
    return ledger.db.execute("SELECT * FROM events ORDER BY position").fetchall()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=steps, batch=st.integers(1, 7))
def test_a_ledger_round_trips_row_for_row(tmp_path: Path, plan, batch: int) -> None:
    path = tmp_path / "ledger.jsonl"
    with Ledger.open() as source, Ledger.open() as copy:
        build(source, plan)
        assert source.export_jsonl(path) == len(source)
        report = import_jsonl(copy, path, batch_size=batch)
        assert (report.records, report.appended, report.skipped) == (len(source), len(source), 0)
        assert log_rows(copy) == log_rows(source)  # ids, times, payloads, metadata, hashes
        assert view_rows(copy) == view_rows(source)
        assert copy.verify()
        again = import_jsonl(copy, path, batch_size=batch)
        assert (again.appended, again.skipped) == (0, len(source))
        export_jsonl(copy, tmp_path / "again.jsonl")
        assert (tmp_path / "again.jsonl").read_bytes() == path.read_bytes()


@needs_real_file
def test_an_imported_register_round_trips(tmp_path: Path) -> None:
    with Ledger.open() as source, Ledger.open(tmp_path / "copy.db") as copy:
        import_assignments(source, REAL_FILE)
        source.export_jsonl(tmp_path / "register.jsonl")
        report = import_jsonl(copy, tmp_path / "register.jsonl")
        assert report.by_kind["PatentNumbersLinked"] == len(list(source.events(types="PatentNumbersLinked")))
        assert log_rows(copy) == log_rows(source)
        assert copy.owners_of("USAPP14678893", on="2016-01-01") == {"SOUNDBITE COMMUNICATIONS, INC."}
        assert not (tmp_path / "register.jsonl.partial").exists()


def test_each_line_is_an_event_with_its_envelope(tmp_path: Path, ledger: Ledger) -> None:
    (recorded,) = ledger.append(PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"),
                                metadata={"by": "analyst"})
    ledger.export_jsonl(tmp_path / "out.jsonl")
    [line] = (tmp_path / "out.jsonl").read_bytes().splitlines()
    data = orjson.loads(line)
    assert list(data) == ["position", "event_id", "recorded_at", "type", "schema_version", "payload", "metadata"]
    assert (data["position"], data["event_id"], data["type"]) == (1, recorded.event_id, "PatentRegistered")
    assert data["payload"]["patent"] == "US8000001" and data["metadata"] == {"by": "analyst"}
    assert data["recorded_at"].endswith("+00:00")


def seeded(tmp_path: Path) -> Path:
    with Ledger.open() as source:
        source.append(PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"))
        source.append(PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US8000001"], effective="2016-06-01"))
        source.append(PatentsAssigned(assignor="Xiaomi", assignee="Nokia", patents=["US8000001"], effective="2017-01-01"))
        source.export_jsonl(tmp_path / "good.jsonl")
    return tmp_path / "good.jsonl"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda line: line[: len(line) // 2], "not JSON"),
        (lambda line: line.replace(b'"PatentsAssigned"', b'"PatentsSold"'), "not an event type"),
        (lambda line: line.replace(b'"Microsoft"', b'""', 1), "PatentsAssigned.assignor"),
        (lambda line: line.replace(b'"recorded_at":"', b'"recorded_at":"yesterday'), "recorded_at"),
    ],
)
def test_a_bad_line_is_named_and_the_lines_before_it_kept(tmp_path: Path, ledger: Ledger, spoil, message: str) -> None:
    lines = seeded(tmp_path).read_bytes().splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(lines[0] + spoil(lines[1]) + b"\n" + lines[2])
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(ledger, bad)
    assert (caught.value.path, caught.value.where) == (str(bad), "line 2")
    assert message in caught.value.reason
    assert len(ledger) == 1
    report = import_jsonl(ledger, tmp_path / "good.jsonl")  # the good file finishes the job
    assert (report.appended, report.skipped) == (2, 1)
    assert ledger.owners_of("US8000001", on="2017-06-01") == {"Nokia"}


def test_a_line_the_ledger_refuses_is_named(tmp_path: Path, ledger: Ledger) -> None:
    lines = seeded(tmp_path).read_bytes().splitlines(keepends=True)
    data = orjson.loads(lines[2])
    data["event_id"] = "retraction-1"
    data["type"], data["payload"] = "EventRetracted", {"target": "no-such-event", "reason": "test"}
    data["schema_version"] = 1
    path = tmp_path / "refused.jsonl"
    path.write_bytes(lines[0] + lines[1] + orjson.dumps(data) + b"\n")
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(ledger, path, batch_size=10)
    assert caught.value.where == "line 3" and "no-such-event" in caught.value.reason
    assert len(ledger) == 2


def test_times_may_not_go_back(tmp_path: Path, ledger: Ledger) -> None:
    path = seeded(tmp_path)
    ledger.append(PatentRegistered(patent="US9", owner="Nokia", effective="2001"))  # recorded after the export
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(ledger, path)
    assert caught.value.where == "line 1" and "recorded_at" in caught.value.reason
    assert len(ledger) == 1


@pytest.mark.sqlite_only
def test_an_old_schema_version_is_kept_as_written_and_read_as_current(tmp_path: Path, ledger: Ledger) -> None:
    lines = seeded(tmp_path).read_bytes().splitlines(keepends=True)
    data = orjson.loads(lines[1])
    del data["payload"]["by_inventors"]
    data["schema_version"] = 1
    path = tmp_path / "old.jsonl"
    path.write_bytes(lines[0] + orjson.dumps(data) + b"\n")
    import_jsonl(ledger, path)
    stored = ledger.db.execute("SELECT schema_version, payload FROM events WHERE position = 2").fetchone()
    assert stored[0] == 1 and "by_inventors" not in stored[1]
    assert ledger.get(data["event_id"]).event.by_inventors is False
    assert ledger.verify()
    assert codec.SCHEMA_VERSIONS["PatentsAssigned"] == 2


def test_a_missing_file_is_named(tmp_path: Path, ledger: Ledger) -> None:
    with pytest.raises(ImportFailed, match="no such file"):
        import_jsonl(ledger, tmp_path / "nothing.jsonl")


def test_an_export_that_cannot_be_written_is_a_dealtrack_error(tmp_path: Path, ledger: Ledger) -> None:
    with pytest.raises(DealtrackError, match="cannot write"):
        ledger.export_jsonl(tmp_path / "no-such-folder" / "out.jsonl")
    with pytest.raises(InvalidEvent):
        ledger.export_jsonl(None)  # type: ignore[arg-type]


def test_a_restore_that_splits_an_append_folds_where_the_source_did(tmp_path: Path) -> None:
    """An import stopped part-way through one source append and run again continues that append's recorded time:
    the views still come out as the source's, row for row, and as a rebuild's."""
    from dealtrack.events import EventRetracted, LicenseGranted

    with Ledger.open() as source:
        (first, *_) = source.append(
            PatentRegistered(patent="US1", owner="Nokia", effective="2013-01-01"),
            PatentRegistered(patent="US2", owner="Nokia", effective="2013-01-01"),
        )
        source.append(
            PatentsAssigned(assignor="Nokia", assignee="Microsoft", patents=["US1", "US2"], effective="2014-04-25",
                            disclosed_count=5),
            LicenseGranted(licence_id="L1", licensor="Microsoft", licensee="Xiaomi", patents=["US1"], effective="2014-06-01"),
            EventRetracted(target=first.event_id, reason="wrong patent"),
            PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US1"], effective="2016-06-01"),
            LicenseGranted(licence_id="L2", licensor="Microsoft", licensee="HMD", patents=["US2"], effective="2016-07-01"),
        )
        path = tmp_path / "source.jsonl"
        source.export_jsonl(path)
        lines = path.read_bytes().splitlines(keepends=True)
        for cut in range(1, len(lines)):
            part = tmp_path / f"part-{cut}.jsonl"
            part.write_bytes(b"".join(lines[:cut]))
            with Ledger.open() as copy:
                import_jsonl(copy, part)
                assert import_jsonl(copy, path, batch_size=1).appended == len(lines) - cut
                assert view_rows(copy) == view_rows(source), cut
                copy.rebuild()
                assert view_rows(copy) == view_rows(source), cut
        # a line the ledger refuses in the middle of an append: the lines before it go in, the fixed file finishes
        spoiled = orjson.loads(lines[4])
        spoiled["payload"]["target"] = "no-such-event"
        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(b"".join([*lines[:4], orjson.dumps(spoiled) + b"\n", *lines[5:]]))
        with Ledger.open() as copy:
            with pytest.raises(ImportFailed) as caught:
                import_jsonl(copy, bad)
            assert caught.value.where == "line 5" and len(copy) == 4
            assert import_jsonl(copy, path).appended == len(lines) - 4
            assert view_rows(copy) == view_rows(source)


def test_an_id_freed_by_a_retraction_earlier_in_the_same_restore_may_be_used_again(tmp_path: Path) -> None:
    """Grant, retract, grant the same licence id again: three appends in the source, one restore in the copy."""
    from dealtrack.events import LicenseGranted

    grant = LicenseGranted(licence_id="L1", licensor="Microsoft", licensee="Xiaomi", effective="2015-01-01")
    with Ledger.open() as source, Ledger.open() as copy:
        (first,) = source.append(grant)
        source.retract(first.event_id, "wrong terms")
        source.append(LicenseGranted(licence_id="L1", licensor="Microsoft", licensee="Xiaomi", effective="2015-02-01"))
        source.export_jsonl(tmp_path / "source.jsonl")
        assert import_jsonl(copy, tmp_path / "source.jsonl").appended == 3
        assert view_rows(copy) == view_rows(source)
