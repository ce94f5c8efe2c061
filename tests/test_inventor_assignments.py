"""Inventors assigning their shares (``by_inventors``): the assignees join the holders, and it is no chain gap."""

from __future__ import annotations

import pytest

from dealtrack import Ledger, codec
from dealtrack.events import PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def inventors(assignor: str | list[str], assignee: str | list[str], day: str, flag: bool = True) -> PatentsAssigned:
    return PatentsAssigned(assignor=assignor, assignee=assignee, patents=["USAPP14729229"], effective=day,
                           by_inventors=flag)


def test_each_inventors_share_joins_the_holders(ledger: Ledger) -> None:
    ledger.append(
        inventors(["LU, ZHIXIANG", "LU, ZHENG"], "HENKEL IP & HOLDING GMBH", "2015-06-09"),
        inventors(["LI, JINYOU", "ZHANG, YONG"], "HENKEL AG & CO. KGAA", "2015-11-01"),
    )
    assert ledger.owners_of("USAPP14729229", on="2015-12-01") == {"HENKEL IP & HOLDING GMBH", "HENKEL AG & CO. KGAA"}
    # the inventors who had not assigned yet still hold their shares (issue 15 item 11)
    assert ledger.owners_of("USAPP14729229", on="2015-07-01") == {"HENKEL IP & HOLDING GMBH", "LI, JINYOU", "ZHANG, YONG"}
    assert ledger.anomalies() == []


def test_before_the_first_assignment_from_its_inventors_the_inventors_own_it(ledger: Ledger) -> None:
    ledger.append(
        inventors(["LU, ZHIXIANG", "LU, ZHENG"], "HENKEL IP & HOLDING GMBH", "2015-06-09"),
        inventors(["LI, JINYOU", "ZHANG, YONG"], "HENKEL AG & CO. KGAA", "2015-11-01"),
    )
    everyone = {"LU, ZHIXIANG", "LU, ZHENG", "LI, JINYOU", "ZHANG, YONG"}
    assert ledger.owners_of("USAPP14729229", on="2015-06-08") == everyone
    assert ledger.owners_of("USAPP14729229", on="2001") == everyone
    assert "USAPP14729229" in ledger.portfolio("LU, ZHENG", on="2015-01-01").patents
    assert "USAPP14729229" not in ledger.portfolio("LU, ZHENG", on="2015-07-01").patents


def test_a_registered_owner_comes_before_the_inventors(ledger: Ledger) -> None:
    ledger.append(
        PatentRegistered(patent="USAPP14729229", owner="HENKEL IP & HOLDING GMBH", effective="2015-01-01"),
        inventors(["LI, JINYOU"], "HENKEL AG & CO. KGAA", "2015-11-01"),
    )
    assert ledger.owners_of("USAPP14729229", on="2014") == frozenset()
    assert ledger.owners_of("USAPP14729229", on="2015-07-01") == {"HENKEL IP & HOLDING GMBH"}


def test_the_same_records_without_the_flag_are_a_gap(ledger: Ledger) -> None:
    ledger.append(
        inventors(["LU, ZHIXIANG", "LU, ZHENG"], "HENKEL IP & HOLDING GMBH", "2015-06-09", flag=False),
        inventors(["LI, JINYOU", "ZHANG, YONG"], "HENKEL AG & CO. KGAA", "2015-11-01", flag=False),
    )
    assert ledger.owners_of("USAPP14729229", on="2015-12-01") == {"HENKEL AG & CO. KGAA"}
    assert [a.kind for a in ledger.anomalies()] == ["chain_gap"]


def test_an_inventor_who_held_the_patent_passes_it_on(ledger: Ledger) -> None:
    ledger.append(
        PatentRegistered(patent="USAPP14729229", owner="LU, ZHENG", effective="2015-06-01"),
        inventors("LU, ZHENG", "HENKEL IP & HOLDING GMBH", "2015-06-09"),
    )
    assert ledger.owners_of("USAPP14729229", on="2015-07-01") == {"HENKEL IP & HOLDING GMBH"}


def test_a_version_1_payload_reads_as_not_by_inventors() -> None:
    event = inventors("DOE, JANE", "ACME CORP", "2015-06-09", flag=False)
    old = {key: value for key, value in codec.to_dict(event).items() if key != "by_inventors"}
    assert codec.from_dict({**old, "schema_version": 1}) == event
    assert codec.to_dict(event)["schema_version"] == codec.SCHEMA_VERSIONS["PatentsAssigned"] == 2
