"""The USPTO assignment XML importer, on the real daily file of 2016-01-01 and on made-up files in its shape."""

from __future__ import annotations

import gc
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from conftest import view_rows
from register_files import (
    REAL_FILE,
    Record,
    assignment_xml,
    kind_of,
    made_up,
    needs_real_file,
)
from register_files import read_records as read_independently

from dealtrack import ImportFailed, InvalidEvent, Ledger, codec
from dealtrack.events import (
    Event,
    EventRetracted,
    LicenseGranted,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from dealtrack.importers import ImportReport, import_assignments
from dealtrack.importers.loader import Loader, links_for
from dealtrack.importers.records import AssignmentRecord, Assignor, Property
from dealtrack.importers.uspto import read_records

pytestmark = needs_real_file
OWNERSHIP = {"assignment", "nunc_pro_tunc", "merger", "change_of_name"}


@pytest.fixture(scope="module")
def real_records() -> list[Record]:
    return read_independently(REAL_FILE)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, ImportReport]:
    ledger = Ledger.open(tmp_path_factory.mktemp("uspto") / "register.db")
    yield ledger, import_assignments(ledger, REAL_FILE)
    ledger.close()


def ledger_contents(ledger: Ledger) -> list[tuple[str, dict]]:
    """The log without ids and times: what two ledgers built from the same records must share."""
    return [(r.event.type, codec.unstructure(r.event)) for r in ledger.events()]


# --- the real file ----------------------------------------------------------------------------------


def test_counts_by_conveyance_kind_match_the_file(imported, real_records: list[Record]) -> None:
    _, report = imported
    assert report.records == report.appended == len(real_records) == 199
    assert report.by_kind == dict(Counter(kind_of(r) for r in real_records))
    assert report.by_kind == {"assignment": 140, "change_of_name": 1, "licence": 1, "merger": 35,
                              "nunc_pro_tunc": 2, "release": 7, "security_interest": 13}
    assert report.problems == ()
    assert sum(len(r.properties) for r in real_records) == 578


def test_owners_the_day_after_recording_are_the_assignees(imported, real_records: list[Record]) -> None:
    """For each property touched by one ownership record, asked by grant and by application number."""
    ledger, _ = imported
    ownership = [r for r in real_records if kind_of(r) in OWNERSHIP]
    touches = Counter(p for r in ownership for p in set(r.property_ids()))
    checked = 0
    for record in ownership:
        after = record.recorded_day + timedelta(days=1)
        for patent in record.property_ids():
            if touches[patent] == 1:
                assert ledger.owners_of(patent, on=after) == set(record.assignees), (record.ref, patent)
                checked += 1
        for application in record.application_ids():
            if all(touches[p] == 1 for p in record.property_ids()):
                assert ledger.owners_of(application, on=after) == set(record.assignees), (record.ref, application)
    assert checked > 300


def test_an_application_and_its_grant_answer_for_the_same_property(imported) -> None:
    ledger, _ = imported
    soundbite = {"SOUNDBITE COMMUNICATIONS, INC."}
    assert ledger.owners_of("US 9,219,817 B2", on="2016-01-01") == soundbite
    assert ledger.owners_of("US 14/678,893", on="2016-01-01") == soundbite
    assert "US9219817" in ledger.portfolio("SOUNDBITE COMMUNICATIONS, INC.", on="2016-01-01")


def test_registry_time_hides_a_transfer_until_the_register_recorded_it(imported) -> None:
    ledger, _ = imported
    # 037388/0092: executed 2006-03-30, recorded 2015-12-30
    assert ledger.owners_of("US9219817", on="2006-04-01") == {"SOUNDBITE COMMUNICATIONS, INC."}
    assert ledger.owners_of("US9219817", on="2006-04-01", registry_at="2015-12-29") == frozenset()
    assert ledger.owners_of("US9219817", on="2006-04-01", registry_at="2015-12-30") == {"SOUNDBITE COMMUNICATIONS, INC."}


def test_a_security_interest_never_changes_owners(imported, real_records: list[Record]) -> None:
    ledger, _ = imported
    without = Ledger.open()
    without.append(*(r.event for r in ledger.events()
                     if not isinstance(r.event, (SecurityInterestGranted, SecurityInterestReleased))))
    secured = [r for r in real_records if kind_of(r) in ("security_interest", "release")]
    assert secured
    for record in secured:
        for patent in record.property_ids():
            for on in (record.executed_day - timedelta(days=1), record.executed_day, record.recorded_day + timedelta(days=1)):
                assert ledger.owners_of(patent, on=on) == without.owners_of(patent, on=on)
    granted = next(r for r in secured if kind_of(r) == "security_interest")
    patent = granted.property_ids()[0]
    [interest] = [e for e in ledger.encumbrances(patent, on=granted.recorded_day) if e.kind == "security_interest"]
    assert (interest.grantor, interest.holder) == (granted.assignors[0][0], granted.assignees[0])


def test_a_release_ends_the_interest_and_a_licence_is_a_licence(imported, real_records: list[Record]) -> None:
    ledger, _ = imported
    [licence] = [r for r in real_records if kind_of(r) == "licence"]
    patent = licence.property_ids()[0]
    assert ledger.licensees_of(patent, on=licence.recorded_day, territory="US") == set(licence.assignees)
    released = [r for r in real_records if kind_of(r) == "release"]
    for record in released:
        for patent in record.property_ids():
            after = ledger.encumbrances(patent, on=record.executed_day + timedelta(days=1))
            assert not [e for e in after if e.kind == "security_interest" and e.holder == record.assignors[0][0]]


def test_inventor_assignments_of_properties_first_seen_are_no_chain_gaps(imported) -> None:
    """Several inventors of one application assign in separate records: all of them, no gap, no one dropped."""
    ledger, _ = imported
    # releases of liens granted before this file was recorded match no lien in it: listed, not silent (issue 15)
    assert [a for a in ledger.anomalies() if a.kind != "unmatched_release"] == []
    # 037388/0711 (PENNEY -> Dana-Farber and Brigham) then 037388/0705 (LODA, TYEKUCHEVA -> Dana-Farber)
    assert ledger.owners_of("USAPP14441716", on="2016-01-01") == {
        "DANA-FARBER CANCER INSTITUTE, INC.", "THE BRIGHAM AND WOMEN'S HOSPITAL, INC."}


def test_a_second_import_appends_nothing(imported) -> None:
    ledger, first = imported
    before = len(ledger)
    again = import_assignments(ledger, REAL_FILE)
    assert (again.appended, again.skipped, again.events) == (0, 199, 0)
    assert again.by_kind == first.by_kind
    assert len(ledger) == before
    assert ledger.verify()


def test_events_carry_the_register_reference_dates_and_source(imported) -> None:
    ledger, _ = imported
    [first] = [r for r in ledger.events(types="PatentsAssigned") if r.event.registry_ref == "037388/0092"]
    event = first.event
    assert (event.natural_key, str(event.effective), str(event.registry_recorded)) == ("037388/0092", "2006-03-30", "2015-12-30")
    assert event.assignor == ("WEINSTEIN, DAMON", "SEGALL, TIMOTHY R.", "LAIOSA, VINCENT E.")
    assert event.by_inventors
    [source] = event.sources
    assert source.publisher == "USPTO" and "037388/0092" in (source.title or "")
    metadata = ledger.db.execute("SELECT metadata FROM events WHERE position = ?", [first.position]).fetchone()[0]
    assert '"file":"ad20160101.xml"' in metadata


def test_the_views_are_what_a_rebuild_gives(imported) -> None:
    ledger, _ = imported
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept


def test_a_zipped_file_imports_the_same(tmp_path: Path, imported) -> None:
    ledger, _ = imported
    archive = tmp_path / "ad20160101.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.write(REAL_FILE, arcname="ad20160101.xml")
    with Ledger.open() as zipped:
        report = import_assignments(zipped, archive)
        assert (report.records, report.appended, report.source) == (199, 199, "ad20160101.zip")
        assert ledger_contents(zipped) == ledger_contents(ledger)


def test_parsing_alone_reads_every_record() -> None:
    records = list(read_records(REAL_FILE))
    assert len(records) == 199 and sum(len(r.properties) for r in records) == 578
    assert records[0].ref == "037388/0092"


# --- progress ------------------------------------------------------------------------------------------


def test_quiet_unless_stderr_is_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with Ledger.open() as ledger:
        import_assignments(ledger, REAL_FILE)
    assert capsys.readouterr().err == ""
    with Ledger.open() as ledger:
        import_assignments(ledger, REAL_FILE, progress=True)
    assert "ad20160101.xml" in capsys.readouterr().err


# --- interrupted and bad files -----------------------------------------------------------------------


class Interrupted(Exception):
    pass


def test_an_interrupted_import_run_again_ends_as_one_clean_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Ledger.open() as clean:
        import_assignments(clean, REAL_FILE, batch_size=100)
        expected = ledger_contents(clean)
    with Ledger.open(tmp_path / "interrupted.db") as ledger:
        real_append = Ledger.append
        calls = []

        def failing_append(self: Ledger, *events, **options):
            calls.append(len(events))
            if len(calls) == 3:
                raise Interrupted("the machine went down")
            return real_append(self, *events, **options)

        monkeypatch.setattr(Ledger, "append", failing_append)
        with pytest.raises(Interrupted):
            import_assignments(ledger, REAL_FILE, batch_size=100)
        monkeypatch.undo()
        committed = len(ledger)
        assert 0 < committed < len(expected)
        report = import_assignments(ledger, REAL_FILE, batch_size=100)
        assert report.skipped > 0 and report.appended + report.skipped == 199
        assert ledger_contents(ledger) == expected
        assert ledger.verify()


def test_a_file_cut_short_names_the_file_and_line_and_keeps_what_it_read(tmp_path: Path) -> None:
    cut = tmp_path / "ad20160101.xml"
    data = REAL_FILE.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with Ledger.open() as ledger:
        with pytest.raises(ImportFailed) as caught:
            import_assignments(ledger, cut, batch_size=50)
        assert caught.value.path == str(cut)
        assert caught.value.where.startswith("line ") and "after record" in caught.value.where
        assert len(ledger) > 0  # the whole records before the cut are kept
        cut.write_bytes(data)  # the full file arrives: running again finishes the job
        report = import_assignments(ledger, cut)
        assert report.skipped > 0 and report.appended + report.skipped == 199
        with Ledger.open() as clean:
            import_assignments(clean, REAL_FILE)
            assert ledger_contents(ledger) == ledger_contents(clean)


def test_a_file_of_another_kind_is_refused(tmp_path: Path, ledger: Ledger) -> None:
    other = tmp_path / "grants.xml"
    other.write_text(assignment_xml([], root="us-patent-grant"))
    with pytest.raises(ImportFailed) as caught:
        import_assignments(ledger, other)
    assert (caught.value.path, caught.value.where) == (str(other), "root element")
    assert "us-patent-grant" in str(caught.value)
    with pytest.raises(ImportFailed):
        import_assignments(ledger, tmp_path / "missing.xml")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("readme.txt", "nothing here")
    with pytest.raises(ImportFailed, match="no .xml file"):
        import_assignments(ledger, empty)
    assert len(ledger) == 0


def test_a_record_without_properties_is_reported_and_skipped(tmp_path: Path, ledger: Ledger) -> None:
    good = made_up("40000", "1", "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).", "DOE, JANE", "ACME CORP", "14000001")
    bare = replace(good, frame="2", properties=[])
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml([good, bare]))
    report = import_assignments(ledger, path)
    assert (report.records, report.appended) == (2, 1)
    [problem] = report.problems
    assert problem.record == "record 2 (reel/frame 040000/0002)" and "no properties" in problem.reason


# --- purged, corrective and unclassified records -----------------------------------------------------


ASSIGN = "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS)."


def test_a_purged_record_is_retracted(tmp_path: Path, ledger: Ledger) -> None:
    kept = made_up("40000", "1", ASSIGN, "DOE, JANE", "ACME CORP", "14000001")
    purged = made_up("40000", "2", ASSIGN, "ROE, RICHARD", "ACME CORP", "14000002", purge="Y")
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml([kept, purged]))
    report = import_assignments(ledger, path)
    assert (report.appended, report.retracted) == (2, 1)
    assert ledger.owners_of("USAPP14000002", on="2016-01-01") == frozenset()
    assert ledger.owners_of("USAPP14000001", on="2016-01-01") == {"ACME CORP"}
    [retraction] = ledger.events(types="EventRetracted")
    assert "purged" in retraction.event.reason
    assert (import_assignments(ledger, path).events, len(ledger)) == (0, len(ledger))


def test_a_corrective_record_replaces_the_record_it_names(tmp_path: Path, ledger: Ledger) -> None:
    wrong = made_up("40000", "1", ASSIGN, "DOE, JANE", "ACME CROP", "14000001", "9000001")
    first = tmp_path / "ad20160102.xml"
    first.write_text(assignment_xml([wrong]))
    import_assignments(ledger, first)
    fix = made_up("40100", "7", "CORRECTIVE ASSIGNMENT TO CORRECT THE ASSIGNEE NAME PREVIOUSLY RECORDED AT REEL: "
                  "040000 FRAME: 0001. ASSIGNOR(S) HEREBY CONFIRMS THE ASSIGNMENT.", "DOE, JANE", "ACME CORP",
                  "14000001", "9000001", recorded="20160105")
    second = tmp_path / "ad20160106.xml"
    second.write_text(assignment_xml([fix]))
    report = import_assignments(ledger, second)
    assert (report.by_kind, report.retracted, report.problems) == ({"corrective": 1}, 1, ())
    assert ledger.owners_of("US9000001", on="2016-01-01") == {"ACME CORP"}
    [retraction] = ledger.events(types="EventRetracted")
    assert retraction.event.reason == "corrected by USPTO record 040100/0007"
    assert ledger.get(retraction.event.target).event.registry_ref == "040000/0001"
    assert import_assignments(ledger, second).skipped == 1


def test_a_corrective_record_whose_original_is_unknown_is_an_ordinary_assignment(tmp_path: Path, ledger: Ledger) -> None:
    fix = made_up("40100", "7", "CORRECTIVE ASSIGNMENT TO CORRECT THE ASSIGNEE NAME PREVIOUSLY RECORDED ON REEL "
                  "012345 FRAME 0678. ASSIGNOR(S) HEREBY CONFIRMS THE SECURITY INTEREST.", "ACME CORP", "BANK N.A.",
                  "14000001")
    path = tmp_path / "ad20160106.xml"
    path.write_text(assignment_xml([fix]))
    report = import_assignments(ledger, path)
    [problem] = report.problems
    assert "corrects 012345/0678, which is not in the ledger; imported as an ordinary security interest" in problem.reason
    assert [e.kind for e in ledger.encumbrances("USAPP14000001", on="2016-01-01")] == ["security_interest"]


def test_an_unclassified_record_changes_nothing_and_shows_in_anomalies(tmp_path: Path, ledger: Ledger) -> None:
    owned = made_up("40000", "1", ASSIGN, "DOE, JANE", "ACME CORP", "14000001")
    option = made_up("40000", "2", "OPTION AGREEMENT (SEE DOCUMENT FOR DETAILS).", "ACME CORP", "BIG CO", "14000001",
                     executed="20150701")
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml([owned, option]))
    report = import_assignments(ledger, path)
    assert report.by_kind == {"assignment": 1, "unclassified": 1}
    assert ledger.owners_of("USAPP14000001", on="2016-01-01") == {"ACME CORP"}
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject) == ("unclassified", "040000/0002")


def test_the_report_is_a_frozen_value(imported) -> None:
    _, report = imported
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        report.appended = 0  # type: ignore[misc]
    assert "199 read, 199 appended" in str(report)


def test_a_record_the_ledger_refuses_is_reported_and_the_rest_of_its_batch_kept(tmp_path: Path, ledger: Ledger) -> None:
    ledger.append(LicenseGranted(licence_id="USPTO 040000/0002", licensor="ACME CORP", licensee="BIG CO",
                                 effective="2015-01-01"))  # the id the importer would give the licence record
    records = [
        made_up("40000", "1", ASSIGN, "DOE, JANE", "ACME CORP", "14000001"),
        made_up("40000", "2", "LICENSE (SEE DOCUMENT FOR DETAILS).", "ACME CORP", "SMALL CO", "14000001"),
        made_up("40000", "3", ASSIGN, "ROE, RICHARD", "ACME CORP", "14000002"),
    ]
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml(records))
    report = import_assignments(ledger, path)
    assert (report.records, report.appended) == (3, 2)
    [problem] = report.problems
    assert problem.record == "record 2 (reel/frame 040000/0002)"
    assert "refused by the ledger" in problem.reason and "licence_id" in problem.reason
    assert ledger.owners_of("USAPP14000002", on="2016-01-01") == {"ACME CORP"}


def test_arguments_that_are_not_a_ledger_or_a_path_are_named(tmp_path: Path, ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent) as caught:
        import_assignments(ledger, 42)  # type: ignore[arg-type]
    assert caught.value.field == "path"
    with pytest.raises(InvalidEvent) as caught:
        import_assignments("register.db", REAL_FILE)  # type: ignore[arg-type]
    assert caught.value.field == "ledger"
    damaged = tmp_path / "ad20160101.zip"
    with zipfile.ZipFile(damaged, "w") as out:
        out.write(REAL_FILE, arcname="ad20160101.xml")
    data = damaged.read_bytes()
    damaged.write_bytes(data[:200] + bytes(400) + data[600:])  # the compressed member is damaged
    with pytest.raises(ImportFailed) as caught:
        import_assignments(ledger, damaged)
    assert caught.value.path.startswith(str(damaged))


# --- number links: the loader's shortcut against building every link --------------------------------

_NUMBERS = st.sampled_from([(None, "USAPP14000001"), ("US9000001", "USAPP14000001"), ("US9000002", "USAPP14000002"),
                            ("US9000002", None), ("US9000003", "USAPP14000003"), ("USRE42871", "USAPP14000004")])


@st.composite
def register_records(draw: st.DrawFn) -> list[AssignmentRecord]:
    """Records listing a few properties from a small pool (so that they recur, within a record and across)."""
    records = []
    for frame in range(1, draw(st.integers(1, 8)) + 1):
        listed = draw(st.lists(_NUMBERS, min_size=1, max_size=4))
        records.append(AssignmentRecord(
            reel=40000, frame=frame, recorded=date(2015, 12, 30), conveyance="ASSIGNMENT OF ASSIGNORS INTEREST",
            kind="assignment", assignors=(Assignor("ROE, RICHARD", date(2015, 1, 1)),), assignees=("ACME CORP",),
            properties=tuple(Property(grant=g, application=a, granted=draw(st.sampled_from([None, date(2015, 6, 1)])))
                             for g, a in listed)))
    return records


@given(register_records())
def test_the_links_a_loader_brings_are_the_unseen_ones_of_every_link(records: list[AssignmentRecord]) -> None:
    """Checking keys before building links gives what building every link and dropping the seen ones gave."""
    loader = Loader.__new__(Loader)  # only the link bookkeeping is used
    loader._links_seen = set()
    seen: set[str] = set()
    for record in records:
        naive = []
        for link in links_for(record):
            assert link.natural_key is not None
            if link.natural_key not in seen:
                seen.add(link.natural_key)
                naive.append(link)
        assert loader._links(record) == naive
        assert loader._links_seen == seen


def test_a_purged_record_the_ledger_refuses_leaves_its_links_to_a_later_record(
    tmp_path: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    purged = made_up("40000", "2", "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).", "ROE, RICHARD",
                     "ACME CORP", "14000002", purge="Y")
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml([purged]))
    real_append = Ledger.append

    def refuse_the_retraction(self: Ledger, *events: Event, **options: Any) -> Any:
        if any(isinstance(e, EventRetracted) for e in events):
            raise InvalidEvent("events", "retraction", "refused for this test")
        return real_append(self, *events, **options)

    loader = Loader(ledger, "test", importer="test")
    record = next(r for r in read_records(path) if isinstance(r, AssignmentRecord))
    record = attrs.evolve(record, properties=(Property(grant="US9000002", application="USAPP14000002"),))
    with monkeypatch.context() as patched:
        patched.setattr(Ledger, "append", refuse_the_retraction)
        loader.add(record)
    assert len(ledger) == 0 and loader._links_seen == set()
    later = attrs.evolve(record, frame=3, purged=False)
    loader.add(later)
    loader.flush()
    assert [e.event.type for e in ledger.events()] == ["PatentNumbersLinked", "PatentsAssigned"]


def test_an_import_pauses_the_cyclic_collector_and_leaves_no_cycles_for_it(tmp_path: Path) -> None:
    """The loader turns the collector off while it runs (it only re-walked live objects); that is safe because an
    import leaves no reference cycles behind: nothing it made is left for the collector afterwards."""
    assert gc.isenabled()
    with Ledger.open(tmp_path / "register.db") as ledger:
        gc.collect()
        report = import_assignments(ledger, REAL_FILE)
        assert gc.isenabled()  # back as it was
        assert report.appended > 100
        assert gc.collect() < 10  # what opening the ledger's statements may leave; none per record
    gc.disable()
    try:
        with Ledger.open(tmp_path / "again.db") as ledger:
            import_assignments(ledger, REAL_FILE)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_a_record_that_cannot_be_built_leaves_its_links_to_a_later_record(tmp_path: Path, ledger: Ledger) -> None:
    # a security interest its grantor grants to itself is no event; the next record of the same property
    # still brings the property's number link
    unbuildable = made_up("40000", "4", "SECURITY INTEREST", "ACME CORP", "ACME CORP", "14000004", "9000004")
    later = made_up("40000", "5", "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).", "ACME CORP",
                    "ROE HOLDINGS LLC", "14000004", "9000004")
    path = tmp_path / "ad20160104.xml"
    path.write_text(assignment_xml([unbuildable, later]))
    report = import_assignments(ledger, path)
    assert report.appended == 1 and "same party on both sides" in report.problems[0].reason
    assert [e.event.type for e in ledger.events()] == ["PatentNumbersLinked", "PatentsAssigned"]
    assert ledger.owners_of("US9000004", on="2016-01-01") == {"ROE HOLDINGS LLC"}
