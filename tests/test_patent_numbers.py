"""An application and the patent it issued as are one property: a question by either number answers for it."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from conftest import view_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ownership_properties import oracle_owners

from dealtrack import InvalidEvent, Ledger
from dealtrack.events import (
    LicenseGranted,
    PatentNumbersLinked,
    PatentsAssigned,
    RegisterRecord,
    SecurityInterestGranted,
    SecurityInterestReleased,
)

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

APP, GRANT = "USAPP14678893", "US9219817"
LINK = PatentNumbersLinked(application="US 14/678,893", grant="US 9,219,817 B2", effective="2015-12-22")


def assigned(assignor: str, assignee: str, patent: str, day: str) -> PatentsAssigned:
    return PatentsAssigned(assignor=assignor, assignee=assignee, patents=[patent], effective=day)


def test_a_link_normalises_both_numbers_and_refuses_them_swapped() -> None:
    assert (LINK.application, LINK.grant) == (APP, GRANT)
    with pytest.raises(InvalidEvent) as caught:
        PatentNumbersLinked(application=GRANT, grant=APP)
    assert caught.value.field == "PatentNumbersLinked.application"
    with pytest.raises(InvalidEvent) as caught:
        PatentNumbersLinked(application=APP, grant="EP1234567")
    assert caught.value.field == "PatentNumbersLinked.grant"


def test_either_number_answers_for_the_property(ledger: Ledger) -> None:
    ledger.append(LINK, assigned("Inventor", "SoundBite", GRANT, "2006-03-30"))
    for number in (APP, GRANT, "US 14/678,893", "US 9,219,817 B2"):
        assert ledger.owners_of(number, on="2016-01-01") == {"SoundBite"}
    assert list(ledger.portfolio("SoundBite", on="2016-01-01")) == [GRANT]


def test_a_chain_begun_under_the_application_continues_under_the_grant(ledger: Ledger) -> None:
    """Filed and assigned while pending; sold after grant: one chain, no gap, whichever link arrives when."""
    ledger.append(assigned("Inventor", "SoundBite", APP, "2006-03-30"))
    assert ledger.owners_of(APP, on="2016-01-01") == {"SoundBite"}
    assert ledger.owners_of(GRANT, on="2016-01-01") == frozenset()  # not yet known to be the same property
    ledger.append(assigned("SoundBite", "Genesys", GRANT, "2016-02-01"))
    ledger.append(LINK)
    for number in (APP, GRANT):
        assert ledger.owners_of(number, on="2016-01-01") == {"SoundBite"}
        assert ledger.owners_of(number, on="2016-03-01") == {"Genesys"}
    assert [a.kind for a in ledger.anomalies()] == []
    assert list(ledger.portfolio("Genesys", on="2016-03-01")) == [GRANT]
    assert list(ledger.portfolio("SoundBite", on="2016-01-01")) == [GRANT]


def test_retracting_the_link_parts_the_chains_again(ledger: Ledger) -> None:
    ledger.append(assigned("Inventor", "SoundBite", APP, "2006-03-30"), assigned("SoundBite", "Genesys", GRANT, "2016-02-01"))
    (link,) = ledger.append(LINK)
    ledger.retract(link.event_id, "wrong grant")
    assert ledger.owners_of(APP, on="2016-03-01") == {"SoundBite"}
    assert ledger.owners_of(GRANT, on="2016-03-01") == {"Genesys"}


def test_rights_recorded_under_either_number_apply_to_the_property(ledger: Ledger) -> None:
    ledger.append(
        LINK,
        assigned("Inventor", "SoundBite", GRANT, "2006-03-30"),
        SecurityInterestGranted(debtor="SoundBite", secured_party="Bank", patents=[APP], effective="2010-01-01"),
        LicenseGranted(licence_id="L1", licensor="SoundBite", licensee="Acme", patents=[APP], effective="2011-01-01"),
    )
    assert ledger.licensees_of(GRANT, on="2012-01-01") == {"Acme"}
    assert ledger.is_licensed("Acme", GRANT, on="2012-01-01", territory="US")
    assert [(e.kind, e.patent, e.holder) for e in ledger.encumbrances(GRANT, on="2012-01-01")] == [
        ("security_interest", GRANT, "Bank"),
        ("licence", GRANT, "Acme"),
    ]
    # a release naming both numbers closes the interest recorded under the application
    ledger.append(SecurityInterestReleased(debtor="SoundBite", secured_party="Bank", patents=[GRANT, APP], effective="2013-01-01"))
    assert [e.kind for e in ledger.encumbrances(APP, on="2014-01-01")] == ["licence"]


def test_views_rebuilt_with_links_equal_the_kept_ones(ledger: Ledger) -> None:
    ledger.append(assigned("Inventor", "SoundBite", APP, "2006-03-30"))
    ledger.append(assigned("SoundBite", "Genesys", GRANT, "2016-02-01"), LINK)
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept
    assert ledger.verify()


def test_an_unclassified_register_record_changes_nothing_and_is_listed(ledger: Ledger) -> None:
    ledger.append(assigned("Inventor", "SoundBite", GRANT, "2006-03-30"))
    (record,) = ledger.append(
        RegisterRecord(conveyance="OPTION AGREEMENT (SEE DOCUMENT FOR DETAILS).", assignor="SoundBite",
                       assignee="Genesys", patents=[GRANT], effective="2015-06-01", registry_ref="037388/0092")
    )
    assert ledger.owners_of(GRANT, on="2016-01-01") == {"SoundBite"}
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject, anomaly.event_id) == ("unclassified", "037388/0092", record.event_id)
    assert "OPTION AGREEMENT" in anomaly.message
    retraction = ledger.retract(record.event_id, "read by hand: an option, nothing passed")
    assert ledger.anomalies() == []
    assert [a.kind for a in ledger.anomalies(known_at=record.recorded_at)] == ["unclassified"]
    assert retraction.recorded_at > record.recorded_at
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept


def test_registry_time_and_title_chains_follow_both_numbers(ledger: Ledger) -> None:
    ledger.append(
        PatentsAssigned(assignor="Inventor", assignee="SoundBite", patents=[APP], effective="2006-03-30",
                        registry_recorded="2006-04-10"),
        PatentsAssigned(assignor="SoundBite", assignee="Genesys", patents=[GRANT], effective="2016-02-01",
                        registry_recorded="2016-03-01"),
        LINK,
    )
    for number in (APP, GRANT):
        assert ledger.owners_of(number, on="2016-02-15", registry_at="2016-02-20") == {"SoundBite"}
        assert ledger.owners_of(number, on="2016-02-15", registry_at="2016-03-01") == {"Genesys"}
        chain = ledger.title_chain(number)
        assert chain.patent == GRANT
        assert [span.owners for span in chain.spans] == [frozenset({"SoundBite"}), frozenset({"Genesys"})]
        assert [span.owners for span in ledger.title_chain(number, registry_at="2016-02-20").spans] == [
            frozenset({"SoundBite"})]


def test_unclassified_records_show_on_the_register_only_once_recorded(ledger: Ledger) -> None:
    ledger.append(RegisterRecord(conveyance="OPTION AGREEMENT", assignor="SoundBite", assignee="Genesys",
                                 patents=[GRANT], effective="2015-06-01", registry_recorded="2015-07-01"))
    assert ledger.anomalies(registry_at="2015-06-30") == []
    assert [a.kind for a in ledger.anomalies(registry_at="2015-07-01")] == ["unclassified"]


# --- hypothesis: linking and unlinking numbers at any point gives what a replay under today's links gives ---

NUMBERS = [APP, GRANT, "USAPP14000002", "US8000001"]
PEOPLE = ["Inventor", "SoundBite", "Genesys", "Bank"]
days = st.integers(0, 40).map(lambda n: date(2006, 1, 1) + timedelta(days=90 * n))
sales = st.builds(
    lambda a, b, ps, d: PatentsAssigned(assignor=a, assignee=b, patents=ps, effective=d),
    st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3), days,
)
links = st.sampled_from([LINK, PatentNumbersLinked(application="USAPP14000002", grant=GRANT),
                         PatentNumbersLinked(application="USAPP14000002", grant="US8000001")])
steps = st.lists(st.one_of(sales, links, st.just("retract a link")), min_size=1, max_size=12)


def replay_owners(live: list[tuple[int, object]], patent: str, day: date) -> set[str]:
    """The naive answer: map every number to its property under the live links, then replay."""
    grants: dict[str, list[str]] = {}
    for _, event in live:
        if isinstance(event, PatentNumbersLinked):
            grants.setdefault(event.application, []).append(event.grant)
    property_id = {number: min(grants[number]) if number in grants else number for number in NUMBERS}
    for number in NUMBERS:  # a grant one application shares with another grant goes by the smaller (issue 15)
        firsts = [min(linked) for linked in grants.values() if number in linked]
        if firsts:
            property_id[number] = min(firsts)
    mapped = [(position, attrs.evolve(event, patents=[property_id[p] for p in event.patents]))
              for position, event in live if isinstance(event, PatentsAssigned)]
    return oracle_owners(mapped, property_id[patent], day)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=steps, probe=days)
def test_links_and_retractions_match_a_replay_under_todays_links(history: list, probe: date) -> None:
    with Ledger.open() as ledger:
        live: dict[str, tuple[int, object]] = {}
        for step in history:
            if step == "retract a link":
                linked = [event_id for event_id, (_, e) in live.items() if isinstance(e, PatentNumbersLinked)]
                if not linked:
                    continue
                ledger.retract(linked[0], "test")
                del live[linked[0]]
            else:
                (recorded,) = ledger.append(step)
                live[recorded.event_id] = (recorded.position, recorded.event)
        facts = sorted(live.values(), key=lambda fact: fact[0])
        for number in NUMBERS:
            assert ledger.owners_of(number, on=probe) == replay_owners(facts, number, probe)
        kept = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == kept


def test_an_application_linked_to_a_second_grant_moves_its_chain(ledger: Ledger) -> None:
    """A register error links one application to two grants: it goes by the smaller, wherever its facts were."""
    ledger.append(assigned("Inventor", "SoundBite", "USAPP14000002", "2006-03-30"))
    ledger.append(PatentNumbersLinked(application="USAPP14000002", grant=GRANT))
    assert ledger.owners_of(GRANT, on="2010-01-01") == {"SoundBite"}
    ledger.append(PatentNumbersLinked(application="USAPP14000002", grant="US8000001"))
    assert ledger.owners_of("US8000001", on="2010-01-01") == {"SoundBite"}
    assert ledger.owners_of(GRANT, on="2010-01-01") == {"SoundBite"}  # both grants answer (issue 15 item 10)
    assert [a.kind for a in ledger.anomalies()] == ["two_grants"]
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept


@pytest.mark.sqlite_only  # the browsing views are the SQLite file's, for Datasette
def test_the_browsing_view_lists_unclassified_records(ledger: Ledger) -> None:
    (record,) = ledger.append(RegisterRecord(conveyance="OPTION AGREEMENT", assignor="SoundBite", assignee="Genesys",
                                             patents=[GRANT], effective="2015-06-01", registry_ref="037388/0092"))
    rows = ledger.db.execute("SELECT kind, subject, event_id, found_by FROM current_anomalies").fetchall()
    assert rows == [("unclassified", "037388/0092", record.event_id, "register")]
