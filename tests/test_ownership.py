"""Who owned what, when: SPEC section 4 rules 1, 2, 5, 6 and 7 for ownership."""

from __future__ import annotations

import pytest

from conftest import view_rows
from dealtrack import InvalidEvent, Ledger
from dealtrack.events import PartiesMerged, PartyRenamed, PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


def assign(assignor, assignee, patents, effective, **kwargs) -> PatentsAssigned:
    return PatentsAssigned(assignor=assignor, assignee=assignee, patents=patents, effective=effective, **kwargs)


def reg(patent="US1", owner="Microsoft", effective="2009-03-03") -> PatentRegistered:
    return PatentRegistered(patent=patent, owner=owner, effective=effective)


def test_seller_holds_until_the_day_before_the_transfer(ledger: Ledger) -> None:
    ledger.append(reg(), assign("Microsoft", "Xiaomi", ["US1"], "2016-06-01"))
    assert ledger.owners_of("US1", on="2016-05-31") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-06-01") == {"Xiaomi"}
    assert ledger.owners_of("US1", on="2009-03-02") == frozenset()


def test_a_period_answers_everyone_who_held_it_at_some_moment(ledger: Ledger) -> None:
    ledger.append(reg(), assign("Microsoft", "Xiaomi", ["US1"], "2016-06-15"))
    assert ledger.owners_of("US1", on="2016-06") == {"Microsoft", "Xiaomi"}
    assert ledger.owners_of("US1", on="2016-05") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2017") == {"Xiaomi"}


def test_rule1_valid_time_orders_history_not_append_order(ledger: Ledger) -> None:
    ledger.append(reg(), assign("Microsoft", "Xiaomi", ["US1"], "2016-06-01"))
    assert ledger.owners_of("US1", on="2015-06-01") == {"Microsoft"}
    # recorded late: Microsoft had moved the patent to its subsidiary in 2014
    ledger.append(assign("Microsoft", "MTL", ["US1"], "2014-10-14"))
    assert ledger.owners_of("US1", on="2015-06-01") == {"MTL"}
    assert ledger.owners_of("US1", on="2016-07-01") == {"Xiaomi"}


def test_rule1_ties_on_the_same_day_go_by_position(ledger: Ledger) -> None:
    ledger.append(reg(), assign("Microsoft", "A", ["US1"], "2016-06-01"), assign("A", "B", ["US1"], "2016-06-01"))
    assert ledger.owners_of("US1", on="2016-06-01") == {"B"}
    assert ledger.anomalies() == []


def test_rule2_chain_of_title_gap_is_kept_and_reported(ledger: Ledger) -> None:
    ledger.append(reg(owner="Microsoft"))
    (gap,) = ledger.append(assign("Nokia", "Xiaomi", ["US1"], "2016-06-01"))
    assert ledger.owners_of("US1", on="2016-07-01") == {"Xiaomi"}
    (anomaly,) = ledger.anomalies()
    assert anomaly.kind == "chain_gap"
    assert anomaly.subject == "US1"
    assert anomaly.event_id == gap.event_id
    assert "Nokia" in anomaly.message and "Microsoft" in anomaly.message


def test_rule2_a_patent_first_seen_in_an_assignment_has_no_gap(ledger: Ledger) -> None:
    ledger.append(assign("Inventor", "Microsoft", ["US1"], "2008-01-01"))
    ledger.append(assign("Microsoft", "Xiaomi", ["US1"], "2016-06-01"))
    assert ledger.owners_of("US1", on="2010") == {"Microsoft"}
    assert ledger.anomalies() == []


def test_joint_assignees_own_jointly_and_each_conveys_only_its_share(ledger: Ledger) -> None:
    ledger.append(reg(), assign("Microsoft", ["Xiaomi", "Foxconn"], ["US1"], "2016-06-01"))
    assert ledger.owners_of("US1", on="2016-07") == {"Xiaomi", "Foxconn"}
    ledger.append(assign("Foxconn", "HMD", ["US1"], "2017-01-01"))
    assert ledger.owners_of("US1", on="2017-02") == {"Xiaomi", "HMD"}
    assert ledger.anomalies() == []


def test_rule5_rename_moves_holdings_and_both_names_answer_after_it(ledger: Ledger) -> None:
    ledger.append(reg(owner="Nokia Siemens Networks"), assign("Nokia Siemens Networks", "X", ["US2"], "2012-01-01"))
    ledger.append(PartyRenamed(old="Nokia Siemens Networks", new="Nokia Solutions and Networks", effective="2013-08-01"))
    assert ledger.owners_of("US1", on="2013-07-31") == {"Nokia Siemens Networks"}
    assert ledger.owners_of("US1", on="2013-08-01") == {"Nokia Solutions and Networks"}
    after_old = ledger.portfolio("Nokia Siemens Networks", on="2014-01-01")
    after_new = ledger.portfolio("Nokia Solutions and Networks", on="2014-01-01")
    assert set(after_old) == set(after_new) == {"US1"}
    # before the rename the new name held nothing
    assert set(ledger.portfolio("Nokia Solutions and Networks", on="2013-01-01")) == set()
    # an assignment made under the old name after the rename is no chain gap
    ledger.append(assign("Nokia Siemens Networks", "Xiaomi", ["US1"], "2017-07-05"))
    assert ledger.owners_of("US1", on="2018") == {"Xiaomi"}
    assert ledger.anomalies() == []


def test_rule5_merger_moves_holdings_and_undisclosed_counts(ledger: Ledger) -> None:
    ledger.append(
        reg(owner="Alcatel-Lucent"),
        assign("Someone", "Alcatel-Lucent", [], "2010-01-01", disclosed_count=10),
        PartiesMerged(absorbed="Alcatel-Lucent", into="Nokia", effective="2016-01-14"),
    )
    assert ledger.owners_of("US1", on="2016-02") == {"Nokia"}
    nokia = ledger.portfolio("Nokia", on="2016-02-01")
    assert set(nokia) == {"US1"} and nokia.undisclosed == 10 and len(nokia) == 11
    assert len(ledger.portfolio("Alcatel-Lucent", on="2016-02-01")) == 11
    assert len(ledger.portfolio("Nokia", on="2015-12-31")) == 0


def test_rename_recorded_late_rewrites_history(ledger: Ledger) -> None:
    ledger.append(reg(owner="Old"), assign("New", "Buyer", ["US1"], "2015-01-01"))
    assert [a.kind for a in ledger.anomalies()] == ["chain_gap"]
    ledger.append(PartyRenamed(old="Old", new="New", effective="2012-01-01"))
    assert ledger.anomalies() == []
    assert ledger.owners_of("US1", on="2013") == {"New"}


def test_rule6_retraction_hides_the_event_from_later_knowledge_only(ledger: Ledger) -> None:
    ledger.append(reg())
    (wrong,) = ledger.append(assign("Microsoft", "Xiaomi", ["US1"], "2016-06-01"))
    retraction = ledger.retract(wrong.event_id, "not in the deal")
    assert ledger.owners_of("US1", on="2016-07-01") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-07-01", known_at=wrong.recorded_at) == {"Xiaomi"}
    assert ledger.owners_of("US1", on="2016-07-01", known_at=retraction.recorded_at) == {"Microsoft"}
    # naive datetimes are UTC
    naive = wrong.recorded_at.replace(tzinfo=None)
    assert ledger.owners_of("US1", on="2016-07-01", known_at=naive) == {"Xiaomi"}
    # before anything was recorded, nothing is known
    before = ledger.owners_of("US1", on="2016-07-01", known_at="2000-01-01T00:00:00")
    assert before == frozenset()


def test_rule6_retracting_an_undisclosed_deal_removes_its_count(ledger: Ledger) -> None:
    (deal,) = ledger.append(assign("Microsoft", "Xiaomi", [], "2016-06-01", disclosed_count=1500))
    assert len(ledger.portfolio("Xiaomi", on="2016-07")) == 1500
    ledger.retract(deal.event_id, "duplicate report")
    assert len(ledger.portfolio("Xiaomi", on="2016-07")) == 0
    assert len(ledger.portfolio("Xiaomi", on="2016-07", known_at=deal.recorded_at)) == 1500


def test_retraction_errors(ledger: Ledger) -> None:
    (rec,) = ledger.append(reg())
    with pytest.raises(InvalidEvent) as caught:
        ledger.retract("no-such-id", "typo")
    assert caught.value.field == "EventRetracted.target"
    retraction = ledger.retract(rec.event_id, "wrong")
    with pytest.raises(InvalidEvent, match="already retracted"):
        ledger.retract(rec.event_id, "again")
    with pytest.raises(InvalidEvent, match="cannot be retracted"):
        ledger.retract(retraction.event_id, "undo")
    assert len(ledger) == 2


def test_imprecise_date_means_either_holder_inside_the_period(ledger: Ledger) -> None:
    ledger.append(reg("EP1000001", "Nokia", "2005-11-09"), assign("Nokia", "Xiaomi", ["EP1000001"], "2017-07"))
    assert ledger.owners_of("EP1000001", on="2017-06-30") == {"Nokia"}
    assert ledger.owners_of("EP1000001", on="2017-07-01") == {"Nokia", "Xiaomi"}
    assert ledger.owners_of("EP1000001", on="2017-07-31") == {"Nokia", "Xiaomi"}
    assert ledger.owners_of("EP1000001", on="2017-08-01") == {"Xiaomi"}


def test_a_precise_event_inside_an_imprecise_one_settles_it(ledger: Ledger) -> None:
    ledger.append(
        reg(),
        assign("Microsoft", "A", ["US1"], "2016-05"),
        assign("A", "B", ["US1"], "2016-05-20"),
    )
    assert ledger.owners_of("US1", on="2016-05-10") == {"Microsoft", "A"}
    assert ledger.owners_of("US1", on="2016-05-20") == {"B"}


def test_portfolio_counts_undisclosed_patents(ledger: Ledger) -> None:
    ledger.append(reg(), assign("Microsoft", "Xiaomi", ["US1"], "2016-06-01", disclosed_count=1500))
    portfolio = ledger.portfolio("Xiaomi", on="2016-12-31")
    assert len(portfolio) == 1500
    assert set(portfolio) == {"US1"} and portfolio.undisclosed == 1499
    assert "US1" in portfolio
    assert portfolio.to_rows() == [
        {"party": "Xiaomi", "patent": "US1", "count": 1},
        {"party": "Xiaomi", "patent": None, "count": 1499},
    ]
    assert len(ledger.portfolio("Xiaomi", on="2016-05-31")) == 0


def test_any_spelling_of_a_patent_works(ledger: Ledger) -> None:
    ledger.append(reg("US 7,123,456 B2"))
    assert ledger.owners_of("us7123456", on="2010") == {"Microsoft"}
    assert ledger.owners_of("US 7,123,456 B1", on="2010") == {"Microsoft"}


def test_unknown_patent_has_no_owners(ledger: Ledger) -> None:
    assert ledger.owners_of("US9999999", on="2016") == frozenset()


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda l: l.owners_of("hello", on="2016"), "patent"),
        (lambda l: l.owners_of("US1", on="2016-13"), "on"),
        (lambda l: l.owners_of("US1", on=None), "on"),
        (lambda l: l.owners_of("US1", on="2016", known_at="yesterday"), "known_at"),
        (lambda l: l.owners_of("US1", on="2016", known_at=12), "known_at"),
        (lambda l: l.portfolio("", on="2016"), "party"),
        (lambda l: l.portfolio(["Xiaomi"], on="2016"), "party"),
        (lambda l: l.get("nope"), "event_id"),
    ],
)
def test_bad_arguments_raise_invalid_event_naming_the_field(ledger: Ledger, call, field: str) -> None:
    ledger.append(reg())
    with pytest.raises(InvalidEvent) as caught:
        call(ledger)
    assert caught.value.field == field
    assert len(ledger) == 1


def test_rule7_rebuild_gives_the_same_rows(ledger: Ledger) -> None:
    ledger.append(reg(), reg("US2", "Nokia"), assign("Nokia", "Xiaomi", ["US2"], "2017-07"))
    (late,) = ledger.append(assign("Microsoft", "MTL", ["US1"], "2014-10-14"))
    ledger.append(assign("Microsoft", "Xiaomi", ["US1"], "2016-06-01", disclosed_count=1500))
    ledger.append(PartyRenamed(old="Xiaomi", new="Xiaomi Corporation", effective="2018-01-01"))
    ledger.retract(late.event_id, "wrong date")
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept
    assert ledger.verify()
