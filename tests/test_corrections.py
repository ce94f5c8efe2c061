"""Issue 15 item 8: corrections and duplicate recordings correct a transfer; F/K/A is a rename, not a gap."""

from __future__ import annotations

import pytest

from pathlib import Path

from register_files import assignment_xml, made_up

from dealtrack import Ledger
from dealtrack.events import PatentRegistered, PatentsAssigned
from dealtrack.importers import import_assignments

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

ASSIGN = "ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS)."


def test_a_corrective_record_executed_later_keeps_the_buyer_s_title_from_the_first_date(tmp_path: Path,
                                                                                      ledger: Ledger) -> None:
    first = tmp_path / "ad20150102.xml"
    first.write_text(assignment_xml([
        made_up("40000", "1", ASSIGN, "ACME CORP", "BETA CROP", "14000001", "9000001", executed="20150601",
                recorded="20150610"),
    ]))
    import_assignments(ledger, first)
    fix = tmp_path / "ad20160106.xml"
    fix.write_text(assignment_xml([
        made_up("41000", "7", "CORRECTIVE ASSIGNMENT TO CORRECT THE ASSIGNEE NAME PREVIOUSLY RECORDED AT REEL: "
                "040000 FRAME: 0001. ASSIGNOR(S) HEREBY CONFIRMS THE ASSIGNMENT.", "ACME CORP", "BETA CORP",
                "14000001", "9000001", executed="20151201", recorded="20160105"),
    ]))
    import_assignments(ledger, fix)
    assert ledger.owners_of("US9000001", on="2015-07-01") == {"BETA CORP"}  # not stripped between the two dates
    assert ledger.anomalies() == []
    [corrected] = [r.event for r in ledger.events(types="PatentsAssigned")][-1:]
    assert str(corrected.effective) == "2015-06-01" and corrected.registry_ref == "041000/0007"


def test_a_transfer_executed_again_later_is_one_transfer(ledger: Ledger) -> None:
    ledger.append(
        PatentRegistered(patent="US9000001", owner="Acme Corp", effective="2010-01-01"),
        PatentsAssigned(assignor="Acme Corp", assignee="Beta Corp", patents=["US9000001"], effective="2015-06-01"),
        PatentsAssigned(assignor="ACME CORP.", assignee="BETA CORP", patents=["US9000001"], effective="2015-12-01",
                        note="executed again to fix an error"),
    )
    assert ledger.owners_of("US9000001", on="2015-07") == {"Beta Corp"}
    assert ledger.owners_of("US9000001", on="2016") == {"Beta Corp"}
    assert ledger.anomalies() == []
    assert len(ledger.transfers("2015", "2015")) == 1


def test_formerly_known_as_in_a_name_is_a_rename_not_a_gap(ledger: Ledger) -> None:
    ledger.append(
        PatentRegistered(patent="US9000001", owner="WIDGET INC", effective="2010-01-01"),
        PatentsAssigned(assignor="ACME CORP F/K/A WIDGET INC", assignee="Beta Corp", patents=["US9000001"],
                        effective="2015-06-01"),
    )
    assert ledger.owners_of("US9000001", on="2016") == {"Beta Corp"}
    assert ledger.anomalies() == []
