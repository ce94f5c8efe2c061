"""A large USPTO file is parsed in a second process while the import maps and appends: the same ledger as one process.

The parallel path must give the same log, views and report as the serial one,
bad records included; raise the same typed errors after committing the same
records; stop its reading process whatever ends the import; and leave small
files (and processes it cannot safely fork) on the serial path.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import view_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from register_files import Doc, Record, assignment_xml, made_up

from dealtrack import ImportFailed, Ledger, codec
from dealtrack.importers import ImportReport, import_assignments, uspto, worker
from dealtrack.importers.records import (
    AssignmentRecord,
    Assignor,
    Property,
    Unreadable,
    packed,
    parse_day,
    unpacked,
)

ASSIGN = "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS)."
SECURITY = "SECURITY INTEREST (SEE DOCUMENT FOR DETAILS)."
RELEASE = "RELEASE BY SECURED PARTY (SEE DOCUMENT FOR DETAILS)."
MERGER = "MERGER (SEE DOCUMENT FOR DETAILS)."
LICENCE = "LICENSE (SEE DOCUMENT FOR DETAILS)."
CORRECTIVE = ("CORRECTIVE ASSIGNMENT TO CORRECT THE ASSIGNEE NAME PREVIOUSLY RECORDED AT REEL: 040000 FRAME: 0001. "
              "ASSIGNOR(S) HEREBY CONFIRMS THE ASSIGNMENT.")
OTHER = "AFFIDAVIT OF SOMETHING (SEE DOCUMENT FOR DETAILS)."


class Readers:
    """The reading processes an import started (a spy on ``uspto.ReadingProcess``)."""

    def __init__(self) -> None:
        self.started: list[worker.ReadingProcess[Any]] = []

    def pids(self) -> list[int | None]:
        return [reader._child.pid for reader in self.started]


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> Readers:
    spy = Readers()
    real = uspto.ReadingProcess

    def started(*args: Any, **options: Any) -> worker.ReadingProcess[Any]:
        reader = real(*args, **options)
        spy.started.append(reader)
        return reader

    monkeypatch.setattr(uspto, "ReadingProcess", started)
    forking_anyway(monkeypatch)
    return spy


def reading(monkeypatch: pytest.MonkeyPatch, parallel: bool = True, batch: int | None = 2) -> None:
    """Read every file in a reading process (or, ``parallel=False``, none: no file is that large), ``batch`` records
    a message (None: the module's own)."""
    monkeypatch.setattr(uspto, "PARALLEL_FROM", 0 if parallel else 1 << 62)
    if batch is not None:
        monkeypatch.setattr(worker, "BATCH", batch)


def forking_anyway(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even with a thread running: an earlier test in the run may leave one behind, and these children take
    no lock (the import itself stays serial then: see the test on threads)."""
    monkeypatch.setattr(uspto, "can_fork", lambda: True)


def contents(ledger: Ledger) -> list[tuple[str, dict[str, Any]]]:
    """The log without ids and times (a retraction's target by its position): what two ledgers built from the
    same records must share."""
    records = list(ledger.events())
    positions = {r.event_id: r.position for r in records}
    found = []
    for r in records:
        fields = codec.unstructure(r.event)
        if "target" in fields:
            fields["target"] = positions[fields["target"]]
        found.append((r.event.type, fields))
    return found


def import_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers, **options: Any,
                     ) -> tuple[tuple[ImportReport, list[Any], dict[str, Any]], ...]:
    """Import ``path`` in one process, then with a reading process (two records a message); return what each built."""
    built = []
    for parallel in (False, True):
        reading(monkeypatch, parallel)
        started = len(readers.started)
        with Ledger.open() as ledger:
            report = import_assignments(ledger, path, **options)
            built.append((report, contents(ledger), view_rows(ledger)))
        assert len(readers.started) == started + parallel, "the parallel import parses in a reading process"
    assert multiprocessing.active_children() == []
    return tuple(built)


def file_of(records: list[Record], tmp_path: Path, name: str = "ad20160102.xml") -> Path:
    path = tmp_path / name
    path.write_text(assignment_xml(records), encoding="utf-8")
    return path


def bad_and_good(count: int = 12) -> list[Record]:
    """Records of every kind, with bad ones among them (unreadable, nothing to record, purged, corrective)."""
    records = []
    for n in range(1, count + 1):
        records.append(made_up("40000", str(n), [ASSIGN, SECURITY, MERGER, LICENCE][n % 4], f"PARTY {n % 3}",
                               f"PARTY {(n + 1) % 3}", f"{14000000 + n % 5}", f"{9000000 + n % 5}"))
    records += [
        made_up("9" * 5000, "1", ASSIGN, "DOE, JANE", "ACME CORP", "14000001"),  # no usable reel
        made_up("40001", "1", SECURITY, "ACME CORP", "ACME CORP", "14000002"),  # grants to itself: nothing to record
        made_up("40001", "2", ASSIGN, "ROE, RICHARD", "ACME CORP", "14000003", purge="Y"),
        made_up("40001", "3", CORRECTIVE, "PARTY 0", "PARTY 2", "14000001", "9000001"),
        made_up("40001", "4", RELEASE, "PARTY 1", "PARTY 0", "14000002"),
        made_up("40001", "5", OTHER, "PARTY 1", "PARTY 2", "14000004"),
        made_up("40001", "6", ASSIGN, "DOE, JANE", "ACME CORP", "14000005", executed=""),
        replace(made_up("40001", "7", ASSIGN, "DOE, JANE", "ACME CORP", "14000006"), properties=[]),
    ]
    return records


@pytest.fixture
def large_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> Path:
    """A file of 48 records, bad ones among them, that imports read in a reading process, two records a message."""
    reading(monkeypatch)
    return file_of(bad_and_good(40), tmp_path)


# --- the same ledger -------------------------------------------------------------------------------------


def test_the_parallel_import_builds_what_one_process_builds_bad_records_included(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> None:
    path = file_of(bad_and_good(), tmp_path)
    serial, parallel = import_both_ways(path, monkeypatch, readers, batch_size=3)
    assert parallel == serial
    report = serial[0]
    assert report.records == 20 and report.retracted == 2 and len(report.problems) >= 4


records_strategy = st.lists(
    st.builds(
        lambda reel, frame, conveyance, assignor, assignee, apps, grant, purge, executed: Record(
            reel, str(frame), "20151230", conveyance, [(assignor, executed)], [assignee],
            [[Doc(f"{14000000 + app}", "X0")] + ([Doc(f"{9000000 + app}", "B2", "20151222")] if grant else [])
             for app in apps],
            ["A WIDGET"] * len(apps), purge),
        st.sampled_from(["40000", "40000", "40000", "", "-1"]),
        st.integers(1, 6),
        st.sampled_from([ASSIGN, ASSIGN, SECURITY, RELEASE, MERGER, LICENCE, CORRECTIVE, OTHER]),
        st.sampled_from(["ACME CORP", "DOE, JANE", "BANK OF NOWHERE"]),
        st.sampled_from(["ACME CORP", "GLOBEX INC.", "BANK OF NOWHERE"]),
        st.lists(st.integers(1, 4), max_size=3),
        st.booleans(),
        st.sampled_from(["N", "N", "N", "Y"]),
        st.sampled_from(["20150601", "20150601", "", "2015130"]),
    ),
    max_size=14,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records_strategy, batch_size=st.integers(1, 6))
def test_any_file_imports_the_same_in_parallel_as_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers, records: list[Record],
        batch_size: int) -> None:
    path = file_of(records, tmp_path)
    serial, parallel = import_both_ways(path, monkeypatch, readers, batch_size=batch_size)
    assert parallel == serial


def test_a_zip_imports_the_same_in_parallel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> None:
    archive = tmp_path / "ad20160102.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("ad20160102.xml", assignment_xml(bad_and_good(6)))
        out.writestr("ad20160103.xml", assignment_xml(bad_and_good(9)[3:]))
    serial, parallel = import_both_ways(archive, monkeypatch, readers)
    assert parallel == serial and serial[0].records == 28


def test_records_cross_the_pipe_unchanged() -> None:
    record = AssignmentRecord(
        reel=40000, frame=1, recorded=date(2015, 12, 30), conveyance=ASSIGN, kind="assignment",
        assignors=(Assignor("DOE, JANE", parse_day("20150601")), Assignor("ROE, RICHARD")),
        assignees=("ACME CORP",), properties=(Property("US9000001", "USAPP14000001", None, "A WIDGET"),),
        purged=True, inventors=True, where="record 1 (reel/frame 040000/0001)")
    for item in (record, Unreadable("record 2", "has no reel/frame number; skipped")):
        assert unpacked(pickle.loads(pickle.dumps(packed(item)))) == item
    # every field is packed: a new one must be added to packed() and unpacked() too
    assert [f.name for f in attrs.fields(AssignmentRecord)] == [
        "reel", "frame", "recorded", "conveyance", "kind", "assignors", "assignees", "properties", "purged",
        "inventors", "where"]
    assert [f.name for f in attrs.fields(Property)] == ["grant", "application", "granted", "title"]
    assert [f.name for f in attrs.fields(Assignor)] == ["name", "executed"]


# --- errors: the same, after the same records --------------------------------------------------------


def import_until_it_fails(path: Path, parallel: bool, monkeypatch: pytest.MonkeyPatch, **options: Any,
                          ) -> tuple[BaseException, list[Any]]:
    reading(monkeypatch, parallel)
    forking_anyway(monkeypatch)
    with Ledger.open() as ledger:
        with pytest.raises(BaseException) as caught:
            import_assignments(ledger, path, **options)
        return caught.value, contents(ledger)


def fail_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any,
                   ) -> tuple[tuple[BaseException, list[Any]], tuple[BaseException, list[Any]]]:
    """:func:`import_until_it_fails` in one process, then with a reading process, which it leaves stopped."""
    serial = import_until_it_fails(path, False, monkeypatch, **options)
    parallel = import_until_it_fails(path, True, monkeypatch, **options)
    assert multiprocessing.active_children() == []
    return serial, parallel


def test_a_file_cut_short_fails_alike_after_the_same_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = assignment_xml(bad_and_good()).encode()
    path = tmp_path / "ad20160102.xml"
    path.write_bytes(data[: len(data) * 2 // 3])
    (serial, kept), (parallel, kept_too) = fail_both_ways(path, monkeypatch, batch_size=3)
    assert isinstance(parallel, ImportFailed) and isinstance(serial, ImportFailed)
    assert (parallel.path, parallel.where, parallel.reason) == (serial.path, serial.where, serial.reason)
    assert "after record" in str(parallel.where) and kept_too == kept and kept


def test_strict_stops_alike_at_the_same_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = file_of(bad_and_good(), tmp_path)
    (serial, kept), (parallel, kept_too) = fail_both_ways(path, monkeypatch, strict=True)
    assert isinstance(parallel, ImportFailed) and str(parallel) == str(serial) and "strict" in str(parallel)
    assert kept_too == kept and kept


def test_an_error_raised_while_parsing_comes_back_as_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = uspto._record

    def failing(element: Any, index: int) -> Any:
        if index == 5:
            raise LookupError(f"no such thing in record {index}")
        return real(element, index)

    monkeypatch.setattr(uspto, "_record", failing)
    path = file_of(bad_and_good(), tmp_path)
    (serial, kept), (parallel, kept_too) = fail_both_ways(path, monkeypatch, batch_size=1)
    assert type(parallel) is type(serial) is LookupError and str(parallel) == str(serial)
    assert "raised in the process reading the file" in "".join(getattr(parallel, "__notes__", []))
    assert kept_too == kept


def test_a_reading_process_that_dies_is_an_import_failure_naming_the_last_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = uspto._parse

    def dying(source: Any, label: str) -> Iterator[Any]:
        for n, record in enumerate(real(source, label), start=1):
            if n == 5:
                os._exit(9)  # (only ever in the reading process: the serial path never gets here)
            yield record

    monkeypatch.setattr(uspto, "_parse", dying)
    records = bad_and_good()
    path = file_of(records, tmp_path)
    failed, kept = import_until_it_fails(path, True, monkeypatch, batch_size=1)
    assert isinstance(failed, ImportFailed) and failed.path == str(path)
    assert failed.where == "after record 4 (reel/frame 040000/0004)" and "exit code 9" in failed.reason
    assert multiprocessing.active_children() == []
    with Ledger.open() as first_four:  # what came before it stays
        import_assignments(first_four, file_of(records[:4], tmp_path, "ad20160103.xml"))
        assert kept == contents(first_four)


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("interruption", [Interrupted, KeyboardInterrupt])
def test_an_interrupted_parallel_import_stops_its_reader_and_a_rerun_ends_as_one_clean_run(
        tmp_path: Path, large_file: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers,
        interruption: type[BaseException]) -> None:
    with Ledger.open() as clean:
        import_assignments(clean, large_file, batch_size=4)
        expected = contents(clean)
    with Ledger.open(tmp_path / "interrupted.db") as ledger:
        real_append = Ledger.append
        calls = []

        def failing_append(self: Ledger, *events: Any, **options: Any) -> Any:
            calls.append(len(events))
            if len(calls) == 3:
                raise interruption("stop")
            return real_append(self, *events, **options)

        monkeypatch.setattr(Ledger, "append", failing_append)
        with pytest.raises(interruption):
            import_assignments(ledger, large_file, batch_size=4)
        assert multiprocessing.active_children() == []  # the reading process was stopped
        monkeypatch.setattr(Ledger, "append", real_append)
        assert 0 < len(ledger) < len(expected)
        report = import_assignments(ledger, large_file, batch_size=4)
        assert report.skipped > 0
        assert contents(ledger) == expected
        assert ledger.verify()
    assert len(readers.started) == 3


def import_looking_before_each_append(path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers,
                                      look: Callable[[Ledger], None]) -> None:
    """Import ``path`` into a new ledger, calling ``look`` with it before each of the import's appends; all 48
    records are imported, read in a reading process."""
    real_append = Ledger.append

    def append(self: Ledger, *events: Any, **options: Any) -> Any:
        look(self)
        return real_append(self, *events, **options)

    monkeypatch.setattr(Ledger, "append", append)
    with Ledger.open() as ledger:
        report = import_assignments(ledger, path, batch_size=4)
    assert readers.started and report.records == 48


def test_ctrl_c_is_for_the_importing_process_not_the_reading_one(
        large_file: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> None:
    def press_ctrl_c(ledger: Ledger) -> None:
        if len(ledger) == 0:
            for pid in readers.pids():
                assert pid is not None
                os.kill(pid, signal.SIGINT)  # what a terminal's Ctrl-C sends the whole process group

    import_looking_before_each_append(large_file, monkeypatch, readers, press_ctrl_c)


def test_the_reading_process_runs_in_a_session_of_its_own(
        large_file: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> None:
    """(Linux's scheduler gives each session's processes one share of a busy machine: the reader gets its own.)"""
    sessions: list[int] = []

    def note_sessions(ledger: Ledger) -> None:
        if not sessions:
            for pid in readers.pids():
                assert pid is not None
                with suppress(ProcessLookupError):  # (it may have read the whole file and ended already)
                    sessions.append(os.getsid(pid))

    import_looking_before_each_append(large_file, monkeypatch, readers, note_sessions)
    assert sessions and os.getsid(0) not in sessions


# --- when it stays in one process ----------------------------------------------------------------------


def test_a_small_file_and_a_process_with_threads_stay_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> None:
    path = file_of(bad_and_good(), tmp_path)
    assert path.stat().st_size < uspto.PARALLEL_FROM
    with Ledger.open() as ledger:
        small = import_assignments(ledger, path)
    assert readers.started == []
    reading(monkeypatch, batch=None)
    monkeypatch.setattr(uspto, "can_fork", worker.can_fork)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not worker.can_fork()  # a thread could hold a lock the child would inherit locked
        with Ledger.open() as ledger:
            assert import_assignments(ledger, path) == small
    finally:
        release.set()
        thread.join()
    assert readers.started == []


def test_no_process_to_be_had_means_reading_in_this_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers) -> None:
    path = file_of(bad_and_good(), tmp_path)
    with Ledger.open() as ledger:
        serial = import_assignments(ledger, path), contents(ledger)

    def no_fork(self: Any) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    reading(monkeypatch, batch=None)
    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", no_fork)
    with Ledger.open() as ledger:
        assert (import_assignments(ledger, path), contents(ledger)) == serial
    assert readers.started == []


def test_the_progress_bar_is_drawn_by_the_importing_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readers: Readers, capsys: pytest.CaptureFixture[str]) -> None:
    path = file_of(bad_and_good(), tmp_path)
    reading(monkeypatch, batch=None)
    with Ledger.open() as ledger:
        import_assignments(ledger, path, progress=True)
    assert readers.started and "ad20160102.xml" in capsys.readouterr().err
    with Ledger.open() as ledger:
        import_assignments(ledger, path)
    assert len(readers.started) == 2 and capsys.readouterr().err == ""


def test_import_failed_keeps_its_fields_across_processes() -> None:
    error = ImportFailed("ad20160102.xml", "record 3 (reel/frame 040000/0003)", "not well-formed XML")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.path, copy.where, copy.reason, str(copy)) == (
        ImportFailed, error.path, error.where, error.reason, str(error))
