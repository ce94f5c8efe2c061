"""Issue 15 item 5: expiry and ``PatentLapsed`` end rights; owners stay owners for the record."""

from __future__ import annotations

import pytest
from conftest import view_rows

from dealtrack import InvalidEvent, Ledger
from dealtrack.events import BanImposed, LicenseGranted, PatentLapsed, PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    ledger.append(
        PatentRegistered(patent="IN203034", owner="Ericsson", effective="2005-01-01", expires="2020-12-31"),
        PatentRegistered(patent="IN229632", owner="Ericsson", effective="2006-01-01"),
        PatentRegistered(patent="US8000001", owner="Ericsson", effective="2006-01-01"),
        LicenseGranted(licence_id="e-x", licensor="Ericsson", licensee="Xiaomi", effective="2016-01-01"),
        BanImposed(ban_id="delhi-1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                   patents=["IN203034", "IN229632"], effective="2014-12-08"),
    )
    return ledger


def test_a_lapsed_patent_keeps_its_owners_but_confers_no_rights(story: Ledger) -> None:
    story.append(PatentLapsed(patent="IN229632", effective="2018-03-01", reason="renewal fee not paid"))
    assert story.owners_of("IN229632", on="2019") == {"Ericsson"}
    assert story.licensees_of("IN229632", on="2018-02") == {"Xiaomi"}
    assert story.licensees_of("IN229632", on="2018") == {"Xiaomi"}  # live at some moment of 2018
    assert story.licensees_of("IN229632", on="2018-03") == frozenset()  # lapsed from the 1st
    assert story.is_licensed("Xiaomi", "IN229632", on="2017", territory="IN")
    assert not story.is_licensed("Xiaomi", "IN229632", on="2019", territory="IN")
    assert [e.kind for e in story.encumbrances("IN229632", on="2019")] == []


def test_a_ban_resting_only_on_expired_patents_is_no_longer_in_force(story: Ledger) -> None:
    assert [b.ban_id for b in story.active_bans(on="2019", against="Xiaomi")] == ["delhi-1"]
    story.append(PatentLapsed(patent="IN229632", effective="2018-03-01"))
    assert [b.ban_id for b in story.active_bans(on="2019", against="Xiaomi")] == ["delhi-1"]  # IN203034 still runs
    assert story.active_bans(on="2021", against="Xiaomi") == []  # and it expired at the end of 2020
    assert [b.ban_id for b in story.active_bans(on="2020-12-31")] == ["delhi-1"]


def test_live_only_leaves_expired_and_lapsed_patents_out_of_a_portfolio(story: Ledger) -> None:
    story.append(PatentLapsed(patent="US8000001", effective="2017-01-01"),
                 PatentsAssigned(assignor="Ericsson", assignee="Xiaomi", patents=[], disclosed_count=5,
                                 effective="2016-01-01"))
    assert len(story.portfolio("Ericsson", on="2021")) == 3
    held = story.portfolio("Ericsson", on="2021", live_only=True)
    assert held.patents == {"IN229632"}
    assert story.portfolio("Ericsson", on="2016", live_only=True).patents == {"IN203034", "IN229632", "US8000001"}
    assert len(story.portfolio("Xiaomi", on="2021", live_only=True)) == 5  # undisclosed ones cannot be told apart
    with pytest.raises(InvalidEvent):
        story.portfolio("Ericsson", on="2021", live_only="yes")


def test_known_at_sees_the_lapse_only_once_recorded(story: Ledger) -> None:
    [last] = story.append(PatentRegistered(patent="US8000002", owner="Ericsson", effective="2006-01-01"))
    story.append(PatentLapsed(patent="US8000001", effective="2017-01-01"))
    assert "US8000001" in story.portfolio("Ericsson", on="2021", live_only=True, known_at=last.recorded_at).patents
    assert "US8000001" not in story.portfolio("Ericsson", on="2021", live_only=True).patents


def test_the_term_view_rebuilt_equals_the_kept_one(story: Ledger) -> None:
    story.append(PatentLapsed(patent="US8000001", effective="2017-01-01"))
    kept = view_rows(story)
    story.rebuild()
    assert view_rows(story) == kept


def test_registry_time_hides_a_lapse_the_register_had_not_shown(story: Ledger) -> None:
    story.append(PatentLapsed(patent="IN229632", effective="2018-03-01", registry_recorded="2018-09-01"))
    assert story.licensees_of("IN229632", on="2019", registry_at="2018-06-01") == {"Xiaomi"}
    assert story.licensees_of("IN229632", on="2019", registry_at="2018-12-01") == frozenset()
