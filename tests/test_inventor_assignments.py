"""Inventors assigning their shares (``by_inventors``): the assignees join the holders, and it is no chain gap."""

from __future__ import annotations

import json

import attrs
import pytest

from dealtrack import Ledger, codec
from dealtrack.events import PatentRegistered, PatentsAssigned
from dealtrack.storage import GENESIS_HASH, EventRow

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


def test_an_earlier_fact_arriving_after_the_catch_up_ends_the_inventors_holding_from_the_start(ledger: Ledger) -> None:
    """The inventors held from the start only while theirs was the chain's first fact: a question on a tail whose one
    new fact is dated after the day asked, but before the inventors' assignment, must see that (it once read the
    stored rows, as for any fact dated after the day)."""
    ledger.append(inventors("LU, ZHENG", "HENKEL IP & HOLDING GMBH", "2015-06-09"))
    ledger.refresh()
    assert ledger.owners_of("USAPP14729229", on="2015-01-01") == {"LU, ZHENG"}
    ledger.append(PatentsAssigned(assignor="ACME CORP", assignee="LU, ZHENG", patents=["USAPP14729229"],
                                  effective="2015-03-01"))
    on_the_tail = ledger.owners_of("USAPP14729229", on="2015-01-01"), ledger.portfolio("LU, ZHENG", on="2015-01-01")
    ledger.refresh()
    assert on_the_tail == (frozenset(), ledger.portfolio("LU, ZHENG", on="2015-01-01"))
    assert ledger.owners_of("USAPP14729229", on="2015-01-01") == frozenset()


def test_a_register_date_that_hides_the_chains_first_fact_leaves_the_inventors_first() -> None:
    """On the register of 2015-07-01 only the inventors' assignment shows: they held from the start, although the
    whole log (where an earlier-dated fact comes first) says nobody held the patent before that fact."""
    first = PatentsAssigned(assignor="ACME CORP", assignee="LU, ZHENG", patents=["USAPP14729229"], effective="2015-03-01",
                            registry_recorded="2016-01-01")
    theirs = PatentsAssigned(assignor="LU, ZHENG", assignee="HENKEL IP & HOLDING GMBH", patents=["USAPP14729229"],
                             effective="2015-06-09", by_inventors=True, registry_recorded="2015-06-20")
    with Ledger.open() as ledger, Ledger.open() as shown:
        ledger.append(first, theirs)
        ledger.refresh()
        shown.append(theirs)
        assert ledger.owners_of("USAPP14729229", on="2015-01-01") == frozenset()
        assert (ledger.owners_of("USAPP14729229", on="2015-01-01", registry_at="2015-07-01")
                == shown.owners_of("USAPP14729229", on="2015-01-01") == {"LU, ZHENG"})


def test_an_inventors_assignment_spelled_by_another_json_writer_still_hides_the_title(ledger: Ledger) -> None:
    """The register-date question finds an inventors' assignment in the stored payload however the JSON is spaced
    (it once matched the text dealtrack's codec writes, without spaces, and missed a log another writer made)."""
    first = PatentsAssigned(assignor="ACME CORP", assignee="LU, ZHENG", patents=["USAPP14729229"], effective="2015-03-01",
                            registry_recorded="2016-01-01")
    theirs = PatentsAssigned(assignor="LU, ZHENG", assignee="HENKEL IP & HOLDING GMBH", patents=["USAPP14729229"],
                             effective="2015-06-09", by_inventors=True, registry_recorded="2015-06-20")
    with Ledger.open() as written:
        written.append(first, theirs)
        rows = list(written._store.rows())
    spaced: list[EventRow] = []
    for row in rows:  # the same events, as a JSON writer with ", " and ": " stores them, the hash chain kept whole
        moved = attrs.evolve(row, payload=json.dumps(json.loads(row.payload)))
        spaced.append(attrs.evolve(moved, hash=moved.chained_hash(spaced[-1].hash if spaced else GENESIS_HASH)))
    assert '"by_inventors": true' in spaced[1].payload
    with ledger._store.transaction():
        ledger._store.insert_events(spaced)
    assert ledger.verify(), str(ledger.verify())
    assert ledger.owners_of("USAPP14729229", on="2015-01-01") == frozenset()
    assert ledger.owners_of("USAPP14729229", on="2015-01-01", registry_at="2015-07-01") == {"LU, ZHENG"}
    assert ledger.owners_of("USAPP14729229", on="2015-01-01", registry_at="2016-02-01") == frozenset()


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
