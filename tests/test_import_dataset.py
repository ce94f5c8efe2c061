"""The Patent Assignment Dataset (CSV tables) importer: the same ledger as the XML importer for the same records."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from register_files import (
    REAL_FILE,
    Record,
    made_up,
    needs_real_file,
    read_records,
    write_dataset,
)

from dealtrack import ImportFailed, Ledger, codec
from dealtrack.cli import main
from dealtrack.importers import import_assignments, import_dataset

pytestmark = needs_real_file


@pytest.fixture(scope="module")
def real_records() -> list[Record]:
    return read_records(REAL_FILE)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, real_records: list[Record]):
    folder = write_dataset(real_records, tmp_path_factory.mktemp("dataset") / "csv")
    with Ledger.open() as from_xml, Ledger.open() as from_csv:
        xml_report = import_assignments(from_xml, REAL_FILE)
        csv_report = import_dataset(from_csv, folder)
        yield from_xml, xml_report, from_csv, csv_report, folder


def contents(ledger: Ledger) -> list[str]:
    return sorted(repr((r.event.type, codec.unstructure(r.event))) for r in ledger.events())


def test_both_importers_read_the_same_records(both) -> None:
    _, xml_report, _, csv_report, _ = both
    assert (csv_report.records, csv_report.appended, csv_report.problems) == (199, 199, ())
    assert csv_report.by_kind == xml_report.by_kind
    assert csv_report.events == xml_report.events


def test_both_importers_record_the_same_events(both) -> None:
    from_xml, _, from_csv, _, _ = both
    assert contents(from_csv) == contents(from_xml)


def test_both_ledgers_give_the_same_answers(both, real_records: list[Record]) -> None:
    from_xml, _, from_csv, _, _ = both
    for record in real_records:
        days = {record.recorded_day - timedelta(days=1), record.executed_day, record.recorded_day + timedelta(days=1),
                date(2016, 6, 1)}
        for patent in record.property_ids() + record.application_ids():
            for day in days:
                assert from_csv.owners_of(patent, on=day) == from_xml.owners_of(patent, on=day)
                assert from_csv.encumbrances(patent, on=day) == from_xml.encumbrances(patent, on=day)
                assert from_csv.licensees_of(patent, on=day) == from_xml.licensees_of(patent, on=day)
    party = real_records[0].assignees[0]
    assert from_csv.portfolio(party, on="2016-01-01") == from_xml.portfolio(party, on="2016-01-01")
    assert [(a.kind, a.subject) for a in from_csv.anomalies()] == [(a.kind, a.subject) for a in from_xml.anomalies()]


def test_a_second_import_appends_nothing(both) -> None:
    _, _, from_csv, _, folder = both
    before = len(from_csv)
    again = import_dataset(from_csv, folder)
    assert (again.appended, again.skipped, len(from_csv)) == (0, 199, before)


def rewrite(path: Path, change) -> None:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    rows = change(rows)
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_a_missing_column_names_the_table_and_the_column(tmp_path: Path, real_records: list[Record], ledger: Ledger) -> None:
    folder = write_dataset(real_records[:3], tmp_path / "csv")
    rewrite(folder / "assignor.csv", lambda rows: [row[:2] + row[3:] for row in rows])  # drop exec_dt
    with pytest.raises(ImportFailed) as caught:
        import_dataset(ledger, folder)
    assert caught.value.path.endswith("assignor.csv")
    assert caught.value.where == "line 1 (the header)"
    assert "exec_dt" in caught.value.reason
    assert len(ledger) == 0


def test_a_missing_table_is_named(tmp_path: Path, real_records: list[Record], ledger: Ledger) -> None:
    folder = write_dataset(real_records[:3], tmp_path / "csv")
    (folder / "documentid.csv").unlink()
    with pytest.raises(ImportFailed, match="documentid"):
        import_dataset(ledger, folder)
    with pytest.raises(ImportFailed, match="no such folder"):
        import_dataset(ledger, tmp_path / "nowhere")


def test_a_bad_row_is_reported_with_its_line_and_the_rest_imported(tmp_path: Path, real_records: list[Record], ledger: Ledger) -> None:
    folder = write_dataset(real_records[:3], tmp_path / "csv")

    def spoil_second_date(rows: list[list[str]]) -> list[list[str]]:
        rows[2][rows[0].index("record_dt")] = "30/12/2015"
        return rows

    rewrite(folder / "assignment.csv", spoil_second_date)
    report = import_dataset(ledger, folder)
    assert (report.records, report.appended) == (3, 2)
    [problem] = report.problems
    assert problem.record.startswith("assignment.csv line 3 (reel/frame ")
    assert "30/12/2015" in problem.reason


def test_employer_assign_marks_inventor_assignments(tmp_path: Path, ledger: Ledger) -> None:
    record = made_up("40000", "1", "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).",
                     "JANE DOE", "ACME", "14000001")  # names the heuristic cannot read as person and company
    folder = write_dataset([record], tmp_path / "csv")
    import_dataset(ledger, folder)
    [plain] = ledger.events(types="PatentsAssigned")
    assert not plain.event.by_inventors
    rewrite(folder / "assignment_conveyance.csv", lambda rows: [rows[0], [rows[1][0], "employee", "1"]])
    with Ledger.open() as fresh:
        import_dataset(fresh, folder)
        [flagged] = fresh.events(types="PatentsAssigned")
        assert flagged.event.by_inventors


def test_the_command_line_imports_the_tables(both) -> None:
    _, _, _, _, folder = both
    db = str(folder.parent / "cli.db")
    result = CliRunner().invoke(main, ["import", "dataset", str(folder), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["appended"] == 199


def test_a_table_that_is_not_utf8_is_named(tmp_path: Path, real_records: list[Record], ledger: Ledger) -> None:
    folder = write_dataset(real_records[:3], tmp_path / "csv")
    (folder / "assignee.csv").write_bytes("rf_id,ee_name\n1,SOCIÉTÉ\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as caught:
        import_dataset(ledger, folder)
    assert caught.value.path.endswith("assignee.csv") and "UTF-8" in caught.value.reason
