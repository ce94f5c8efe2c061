"""Encumbrances and the one-call standing report."""

from __future__ import annotations

import pytest

from dealtrack import Ledger
from dealtrack.events import (
    BanImposed,
    LicenseGranted,
    PatentRegistered,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from dealtrack.story import seed_story

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def test_a_security_interest_encumbers_without_changing_owners(ledger: Ledger) -> None:
    ledger.append(
        PatentRegistered(patent="US1", owner="Nokia", effective="2005-01-01"),
        SecurityInterestGranted(debtor="Nokia", secured_party="Bank", patents=["US1"], effective="2015-01-01"),
        LicenseGranted(licence_id="L", licensor="Nokia", licensee="Microsoft", patents=["US1"], effective="2014-04-25"),
    )
    assert ledger.owners_of("US1", on="2016") == {"Nokia"}
    kinds = sorted((e.kind, e.holder) for e in ledger.encumbrances("US1", on="2016-01-01"))
    assert kinds == [("licence", "Microsoft"), ("security_interest", "Bank")]
    ledger.append(SecurityInterestReleased(debtor="Nokia", secured_party="Bank", patents=["US1"], effective="2017-01-01"))
    assert [e.kind for e in ledger.encumbrances("US1", on="2017-01-01")] == ["licence"]
    assert [e.kind for e in ledger.encumbrances("US1", on="2016-12-31")] == ["security_interest", "licence"]
    assert ledger.encumbrances("US1", on="2014-01-01") == []


def test_standing_report_of_a_party(ledger: Ledger) -> None:
    ledger.append(*seed_story())
    ledger.append(BanImposed(ban_id="B", against="Xiaomi", territory="IN", authority="Delhi High Court",
                             effective="2014-12-08"))
    standing = ledger.standing("Xiaomi", on="2017-08-01", territory="IN")
    assert len(standing.portfolio) == 1501  # 1,500 from Microsoft and Nokia's EP1000001
    assert {lic.licence_id for lic in standing.licences_in} == {"msft-xiaomi-xl", "nokia-xiaomi-sep-xl"}
    assert {lic.licensee for lic in standing.licences_out} == {"Microsoft", "Nokia"}
    assert [ban.ban_id for ban in standing.bans] == ["B"]
    rows = standing.to_rows()
    assert {row["section"] for row in rows} == {"holding", "licence_in", "licence_out", "ban"}
    assert sum(row["count"] for row in rows if row["section"] == "holding") == 1501
    assert ledger.standing("Xiaomi", on="2017-08-01", territory="US").bans == ()
