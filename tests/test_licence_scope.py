"""Issue 15 items 6 and 7: a licence's field of use, who may grant it, and the patent's own jurisdiction."""

from __future__ import annotations

import pytest

from dealtrack import InvalidEvent, Ledger
from dealtrack.events import LicenseGranted, PatentRegistered

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def reg(patent: str, owner: str = "Microsoft") -> PatentRegistered:
    return PatentRegistered(patent=patent, owner=owner, effective="2010-01-01")


def grant(licence_id: str, licensor: str = "Microsoft", licensee: str = "Xiaomi", patents=("US8000001",),
          **kwargs) -> LicenseGranted:
    return LicenseGranted(licence_id=licence_id, licensor=licensor, licensee=licensee, patents=patents,
                          effective="2016-01-01", **kwargs)


def test_a_licence_limited_to_a_field_covers_only_that_field(ledger: Ledger) -> None:
    ledger.append(reg("US8000001"), grant("phones", field="mobile phones"))
    assert ledger.is_licensed("Xiaomi", "US8000001", on="2017", territory="US", field="Mobile  Phones")
    assert not ledger.is_licensed("Xiaomi", "US8000001", on="2017", territory="US", field="televisions")
    assert ledger.licensees_of("US8000001", on="2017", field="televisions") == frozenset()
    assert ledger.licensees_of("US8000001", on="2017", field="mobile phones") == {"Xiaomi"}


def test_without_a_field_the_answer_says_when_coverage_depends_on_it(ledger: Ledger) -> None:
    ledger.append(reg("US8000001"), grant("phones", field="mobile phones"),
                  grant("all", licensee="Nokia"))
    found = ledger.licensees_of("US8000001", on="2017")
    assert found == {"Xiaomi", "Nokia"}
    assert found.fields == {"Xiaomi": ("mobile phones",)}  # Nokia's licence has no field: it does not depend
    assert ledger.is_licensed("Xiaomi", "US8000001", on="2017", territory="US")
    assert ledger.licensees_of("US8000001", on="2017", field="cars").fields == {}
    with pytest.raises(InvalidEvent):
        ledger.licensees_of("US8000001", on="2017", field="  ")


def test_a_licence_from_a_party_that_did_not_hold_the_patent_is_no_licence(ledger: Ledger) -> None:
    ledger.append(reg("US8000001"))
    [granted] = ledger.append(grant("bogus", licensor="Nokia"))
    assert not ledger.is_licensed("Xiaomi", "US8000001", on="2017", territory="US")
    assert ledger.licensees_of("US8000001", on="2017") == frozenset()
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject, anomaly.event_id) == ("licence_without_title", "US8000001", granted.event_id)
    assert "not counted as a licence" in anomaly.message
    assert ledger.encumbrances("US8000001", on="2017") == []


def test_a_licence_from_another_spelling_of_the_holder_counts(ledger: Ledger) -> None:
    ledger.append(reg("US8000001", "Microsoft Corporation"), grant("ms", licensor="MICROSOFT CORP."))
    assert ledger.is_licensed("Xiaomi", "US8000001", on="2017", territory="US")
    assert ledger.anomalies() == []


def test_a_sublicence_counts_only_under_a_licence_that_allows_it(ledger: Ledger) -> None:
    ledger.append(reg("US8000001"), reg("US8000002"),
                  grant("may", licensee="Foxconn", patents=("US8000001",), sublicensable=True),
                  grant("may-not", licensee="Foxconn", patents=("US8000002",)),
                  grant("sub-1", licensor="Foxconn", patents=("US8000001",)),
                  grant("sub-2", licensor="Foxconn", patents=("US8000002",)))
    assert ledger.is_licensed("Xiaomi", "US8000001", on="2017", territory="US")
    assert not ledger.is_licensed("Xiaomi", "US8000002", on="2017", territory="US")
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject) == ("sublicence_without_right", "US8000002")
    assert "may-not" in anomaly.message


def test_a_licence_covers_a_patent_only_in_its_own_jurisdiction(ledger: Ledger) -> None:
    ledger.append(reg("IN229632", "Ericsson"), reg("EP1000001", "Nokia"),
                  grant("in-cn", licensor="Ericsson", patents=("IN229632",), territory=["CN"]),
                  grant("in-in", licensor="Ericsson", licensee="Oppo", patents=("IN229632",), territory=["IN"]),
                  grant("ep-de", licensor="Nokia", patents=("EP1000001",), territory=["DE"]))
    assert ledger.licensees_of("IN229632", on="2017") == {"Oppo"}
    assert not ledger.is_licensed("Xiaomi", "IN229632", on="2017", territory="CN")
    assert ledger.is_licensed("Oppo", "IN229632", on="2017", territory="IN")
    assert ledger.is_licensed("Xiaomi", "EP1000001", on="2017", territory="DE")  # a European patent: validated there
