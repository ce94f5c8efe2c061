"""One bad record never blocks an import, and a purged record is never live (issue 16, items 8 and 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from register_files import assignment_xml, made_up

from dealtrack import ImportFailed, Ledger
from dealtrack.cli import main
from dealtrack.importers import import_assignments

ASSIGN = "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS)."

BAD_REELS = {
    "5,000 digits": "9" * 5_000,
    "superscript digits": "\u00b2\u00b3",
    "Arabic-Indic digits": "\u0663\u0664",
    "a sign": "-1",
    "empty": "",
}


def xml_with(tmp_path: Path, bad_reel: str) -> Path:
    records = [
        made_up("40000", "1", ASSIGN, "DOE, JANE", "ACME CORP", "14000001"),
        made_up(bad_reel, "2", ASSIGN, "ROE, RICHARD", "ACME CORP", "14000002"),
        made_up("40000", "3", ASSIGN, "POE, EDGAR", "ACME CORP", "14000003"),
    ]
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml(records))
    return path


@pytest.mark.parametrize("case", BAD_REELS)
def test_a_record_with_a_bad_reel_is_skipped_and_reported_and_the_rest_goes_in(tmp_path: Path, ledger: Ledger,
                                                                               case: str) -> None:
    path = xml_with(tmp_path, BAD_REELS[case])
    report = import_assignments(ledger, path)
    assert report.appended == 2 and len(report.problems) == 1
    problem = report.problems[0]
    assert "record 2" in problem.record and "reel" in problem.reason and len(problem.reason) < 300
    assert ledger.owners_of("USAPP14000003", on="2016") == {"ACME CORP"}
    again = import_assignments(ledger, path)  # a re-run does not fail at the same place either
    assert again.appended == 0 and again.skipped == 2


def test_strict_makes_a_bad_record_fatal_and_keeps_what_came_before(tmp_path: Path, ledger: Ledger) -> None:
    path = xml_with(tmp_path, "9" * 5_000)
    with pytest.raises(ImportFailed, match="record 2.*strict"):
        import_assignments(ledger, path, strict=True)
    assert ledger.owners_of("USAPP14000001", on="2016") == {"ACME CORP"}
    assert ledger.owners_of("USAPP14000003", on="2016") == frozenset()


def test_the_cli_reports_and_with_strict_fails(tmp_path: Path) -> None:
    path = xml_with(tmp_path, "9" * 5_000)
    db = str(tmp_path / "deals.db")
    lenient = CliRunner().invoke(main, ["import", "uspto", str(path), "--db", db])
    assert lenient.exit_code == 0 and "record 2" in lenient.output
    strict = CliRunner().invoke(main, ["import", "uspto", str(path), "--strict", "--db", str(tmp_path / "b.db")])
    assert strict.exit_code == 1 and "record 2" in strict.output


def test_a_purged_record_is_recorded_and_retracted_in_one_transaction(
    tmp_path: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    purged = made_up("40000", "2", ASSIGN, "ROE, RICHARD", "ACME CORP", "14000002", purge="Y")
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml([purged]))
    real_append = Ledger.append

    def crash_on_the_retraction(self: Ledger, *events: object, **options: object) -> object:
        if any(type(e).__name__ == "EventRetracted" for e in events):
            raise KeyboardInterrupt("the process died between the record and its retraction")
        return real_append(self, *events, **options)  # type: ignore[arg-type]

    with monkeypatch.context() as patched:
        patched.setattr(Ledger, "append", crash_on_the_retraction)
        with pytest.raises(KeyboardInterrupt):
            import_assignments(ledger, path)
    assert len(ledger) == 0  # nothing of the purged record is live, not even for a moment
    report = import_assignments(ledger, path)
    assert (report.appended, report.retracted) == (1, 1)
    assert ledger.owners_of("USAPP14000002", on="2016") == frozenset()
    first, second = ledger.events()
    assert first.recorded_at == second.recorded_at  # one transaction: never known live
