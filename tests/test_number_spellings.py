"""Issue 15 item 10: application numbers without the slash, the X0 kind code, EP check digits, two grants."""

from __future__ import annotations

import pytest
from conftest import view_rows

from dealtrack import Ledger, normalize_patent
from dealtrack.events import PatentNumbersLinked, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


@pytest.mark.parametrize(("written", "normal"), [
    ("US14678893", "USAPP14678893"),  # eight digits above any grant number yet: a serial number
    ("US 14678893 X0", "USAPP14678893"),  # the register's kind code for an application
    ("US 14/678,893", "USAPP14678893"),
    ("US 29383774 X0", "USAPP29383774"),  # a design application
    ("EP16171234.5", "EP16171234"),  # an EP application: the check digit is not part of the number
    ("EP 1 234 567 A1", "EP1234567"),
    ("US 12,345,678 B2", "US12345678"),  # a grant of 2025
])
def test_register_spellings_of_numbers(written: str, normal: str) -> None:
    assert normalize_patent(written) == normal


def test_an_application_the_register_gives_two_grants_answers_by_both(ledger: Ledger) -> None:
    ledger.append(PatentsAssigned(assignor="Inventor", assignee="Acme", patents=["US14000001"], effective="2015-01-01"),
                  PatentNumbersLinked(application="USAPP14000001", grant="US9000001"))
    ledger.append(PatentsAssigned(assignor="Acme", assignee="Beta", patents=["US9000002"], effective="2016-06-01"))
    [second] = ledger.append(PatentNumbersLinked(application="US 14000001 X0", grant="US9000002"))
    for number in ("USAPP14000001", "US9000001", "US9000002"):
        assert ledger.owners_of(number, on="2017") == {"Beta"}
        assert ledger.owners_of(number, on="2015-06") == {"Acme"}
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject, anomaly.event_id) == ("two_grants", "USAPP14000001", second.event_id)
    assert "US9000001, US9000002" in anomaly.message
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept
