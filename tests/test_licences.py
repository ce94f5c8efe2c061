"""Licences and cross-licences as of any date: SPEC rules 3 and 4, territory, expiry, anomalies."""

from __future__ import annotations

import pytest

from conftest import view_rows
from dealtrack import InvalidEvent, Ledger
from dealtrack.events import (
    CrossLicenseAgreed,
    LicenseGranted,
    LicenseTerminated,
    PartyRenamed,
    PatentRegistered,
    PatentsAssigned,
)

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def reg(patent: str, owner: str, effective: str = "2009-01-01") -> PatentRegistered:
    return PatentRegistered(patent=patent, owner=owner, effective=effective)


def licence(licence_id: str = "L1", licensor: str = "Nokia", licensee: str = "Microsoft", **kwargs) -> LicenseGranted:
    kwargs.setdefault("effective", "2014-04-25")
    return LicenseGranted(licence_id=licence_id, licensor=licensor, licensee=licensee, **kwargs)


def test_rule3_a_licence_survives_the_sale_of_the_patent(ledger: Ledger) -> None:
    ledger.append(reg("US1", "Microsoft"), licence("L1", "Microsoft", "Xiaomi", patents=["US1"], effective="2015-01-01"))
    ledger.append(PatentsAssigned(assignor="Microsoft", assignee="Buyer", patents=["US1"], effective="2016-01-01"))
    assert ledger.owners_of("US1", on="2017-01-01") == {"Buyer"}
    assert ledger.licensees_of("US1", on="2017-01-01") == {"Xiaomi"}
    assert ledger.is_licensed("Xiaomi", "US1", on="2017-01-01", territory="IN")


def test_rule4_a_portfolio_licence_covers_what_the_licensor_held_on_its_date(ledger: Ledger) -> None:
    ledger.append(
        reg("US1", "Nokia", "2005-01-01"),
        reg("US2", "Nokia", "2016-01-01"),  # granted to Nokia after the licence
        reg("US3", "Siemens", "2005-01-01"),
        licence("L1", "Nokia", "Microsoft", effective="2014-04-25"),
        PatentsAssigned(assignor="Siemens", assignee="Nokia", patents=["US3"], effective="2015-01-01"),
    )
    assert ledger.licensees_of("US1", on="2017") == {"Microsoft"}
    assert ledger.licensees_of("US2", on="2017") == frozenset()
    assert ledger.licensees_of("US3", on="2017") == frozenset()
    assert not ledger.is_licensed("Microsoft", "US3", on="2017-01-01", territory="FI")


def test_owning_counts_as_licensed_and_world_covers_every_country(ledger: Ledger) -> None:
    ledger.append(reg("US1", "Nokia"), licence("L1", patents=["US1"], territory="WORLD"))
    ledger.append(licence("L2", licensee="Xiaomi", patents=["US1"], territory=["IN"]))
    assert ledger.is_licensed("Nokia", "US1", on="2015-01-01", territory="US")
    assert ledger.is_licensed("Microsoft", "US1", on="2015-01-01", territory="BR")
    # issue 15 item 7: a licence covers a patent only in the patent's own jurisdiction, so L2 (India only)
    # covers nothing of a US patent, in India or anywhere
    assert not ledger.is_licensed("Xiaomi", "US1", on="2015-01-01", territory="IN")
    assert not ledger.is_licensed("Xiaomi", "US1", on="2015-01-01", territory="US")
    assert ledger.licensees_of("US1", on="2015-01-01", territory="US") == {"Microsoft"}
    assert ledger.licensees_of("US1", on="2015-01-01") == {"Microsoft"}
    ledger.append(reg("IN1", "Nokia"), licence("L3", licensee="Xiaomi", patents=["IN1"], territory=["IN"]))
    assert ledger.is_licensed("Xiaomi", "IN1", on="2015-01-01", territory="IN")
    assert not ledger.is_licensed("Xiaomi", "IN1", on="2014-01-01", territory="IN")  # before it began


def test_a_licence_ends_on_expiry_termination_or_retraction(ledger: Ledger) -> None:
    ledger.append(reg("US1", "Nokia"), licence("L1", patents=["US1"], expires="2024-04-24"))
    assert ledger.licensees_of("US1", on="2024-04-24") == {"Microsoft"}  # live through its expiry date
    assert ledger.licensees_of("US1", on="2024-04-25") == frozenset()
    (granted,) = ledger.append(licence("L2", licensee="Xiaomi", patents=["US1"]))
    ledger.append(LicenseTerminated(licence_id="L2", effective="2016-01-01"))
    assert "Xiaomi" in ledger.licensees_of("US1", on="2015-12-31")
    assert "Xiaomi" not in ledger.licensees_of("US1", on="2016-01-01")
    ledger.retract(granted.event_id, "never signed")
    assert "Xiaomi" not in ledger.licensees_of("US1", on="2015-12-31")
    assert "Xiaomi" in ledger.licensees_of("US1", on="2015-12-31", known_at=granted.recorded_at)


def test_a_cross_licence_runs_both_ways(ledger: Ledger) -> None:
    ledger.append(
        reg("US1", "Microsoft"),
        reg("CN1", "Xiaomi"),
        CrossLicenseAgreed(licence_id="X", parties=("Microsoft", "Xiaomi"), effective="2016-06-01"),
    )
    assert ledger.licensees_of("US1", on="2016-07") == {"Xiaomi"}
    assert ledger.licensees_of("CN1", on="2016-07") == {"Microsoft"}
    assert ledger.licensees_of("US1", on="2016-05") == frozenset()


def test_a_rename_moves_licences_held(ledger: Ledger) -> None:
    ledger.append(reg("US1", "Nokia"), licence("L1", patents=["US1"], licensee="Nokia Siemens Networks"))
    ledger.append(PartyRenamed(old="Nokia Siemens Networks", new="Nokia Solutions and Networks", effective="2015-01-01"))
    assert ledger.licensees_of("US1", on="2016") == {"Nokia Solutions and Networks"}
    assert ledger.is_licensed("Nokia Siemens Networks", "US1", on="2016-01-01", territory="FI")
    assert ledger.licensees_of("US1", on="2014-06") == {"Nokia Siemens Networks"}


def test_anomaly_two_exclusive_licences_overlap(ledger: Ledger) -> None:
    ledger.append(
        reg("US1", "Nokia"),
        licence("E1", licensee="A", patents=["US1"], exclusive=True, territory="IN", effective="2015-01-01"),
        licence("E2", licensee="B", patents=["US1"], exclusive=True, territory="WORLD", effective="2016-01-01"),
        licence("E3", licensee="C", patents=["US1"], exclusive=True, territory="US", effective="2016-01-01",
                field="automotive"),
    )
    kinds = [(a.kind, a.subject) for a in ledger.anomalies()]
    assert ("exclusive_overlap", "E1 / E2") in kinds
    assert ("exclusive_overlap", "E2 / E3") in kinds  # E2's field is unrestricted
    assert not any(subject == "E1 / E3" for _, subject in kinds)  # IN and US do not meet


def test_anomaly_licence_on_a_patent_the_licensor_did_not_hold(ledger: Ledger) -> None:
    ledger.append(reg("US1", "Microsoft"))
    (granted,) = ledger.append(licence("L1", "Nokia", "Xiaomi", patents=["US1"], effective="2016-01-01"))
    (anomaly,) = ledger.anomalies()
    assert anomaly.kind == "licence_without_title" and anomaly.subject == "US1"
    assert anomaly.event_id == granted.event_id


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([LicenseTerminated(licence_id="nope", effective="2016")], "LicenseTerminated.licence_id"),
        ([licence("L1", effective="2016-01-01"), LicenseTerminated(licence_id="L1", effective="2015-01-01")],
         "LicenseTerminated.effective"),
        ([licence("L1"), LicenseTerminated(licence_id="L1", effective="2016"),
          LicenseTerminated(licence_id="L1", effective="2017")], "LicenseTerminated.licence_id"),
    ],
)
def test_licence_validation_at_append(ledger: Ledger, events: list, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.append(*events)
    assert caught.value.field == field
    assert len(ledger) == 0


def test_cross_licence_needs_exactly_two_parties() -> None:
    for parties in (["Microsoft"], ["Microsoft", "Xiaomi", "Nokia"], ["Xiaomi", "Xiaomi"]):
        with pytest.raises(InvalidEvent) as caught:
            CrossLicenseAgreed(licence_id="X", parties=parties, effective="2016")
        assert caught.value.field == "CrossLicenseAgreed.parties"


def test_bad_territory_is_refused(ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.licensees_of("US1", on="2016", territory="India")
    assert caught.value.field == "territory"


def test_licence_views_rebuild_to_the_same_rows(ledger: Ledger) -> None:
    ledger.append(reg("US1", "Nokia"), licence("L1"), licence("L2", licensee="X", patents=["US1"]))
    (terminated,) = ledger.append(LicenseTerminated(licence_id="L1", effective="2018"))
    ledger.retract(terminated.event_id, "wrong")
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept
