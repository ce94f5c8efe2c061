"""Issue 15 item 2: the same deal reported twice is one deal (its undisclosed block is counted once)."""

from __future__ import annotations

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealtrack import Ledger, Source
from dealtrack.events import PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL



def report(publisher: str = "Microsoft News Center", count: int | None = 1500, patents: tuple[str, ...] = ("US8000001",),
           effective: str = "2016-06-01") -> PatentsAssigned:
    return PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=patents, disclosed_count=count,
                           effective=effective, deal="msft-xiaomi-2016", sources=[Source(publisher=publisher)])


def test_two_reports_of_one_deal_give_xiaomi_1500_patents_not_3000(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"), report())
    ledger.append(report(publisher="Reuters"))
    assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500
    assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}


def test_the_readme_example_run_twice_still_holds(ledger: Ledger) -> None:
    for _ in range(2):
        ledger.append(PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"), report())
    assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500
    assert not [a for a in ledger.anomalies() if a.kind == "chain_gap"]  # the second report is no gap


def test_a_later_report_listing_more_patents_refines_the_block(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"), report())
    ledger.append(report(publisher="Reuters", patents=("US8000001", "US8000002", "US8000003")))
    held = ledger.portfolio("Xiaomi", on="2016-12-31")
    assert (len(held), len(held.patents), held.undisclosed) == (1500, 3, 1497)


def test_differing_counts_are_kept_side_by_side_and_flagged(ledger: Ledger) -> None:
    [first] = ledger.append(report())
    [second] = ledger.append(report(publisher="Reuters", count=1510))
    assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1510  # the latest report counts
    [conflict] = [a for a in ledger.anomalies() if a.kind == "deal_count_conflict"]
    assert (conflict.subject, conflict.event_id, conflict.related) == ("msft-xiaomi-2016", second.event_id,
                                                                       (first.event_id,))
    assert "1500, 1510" in conflict.message
    # before the second report was known, the first one's count stands
    assert len(ledger.portfolio("Xiaomi", on="2016-12-31", known_at=first.recorded_at)) == 1500


def test_a_retracted_report_no_longer_counts(ledger: Ledger) -> None:
    ledger.append(report())
    [later] = ledger.append(report(publisher="Reuters", count=1510))
    ledger.retract(later.event_id, "misreported")
    assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500
    assert not [a for a in ledger.anomalies() if a.kind == "deal_count_conflict"]


def test_blocks_of_different_deals_still_add_up(ledger: Ledger) -> None:
    ledger.append(report(), PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=[], disclosed_count=10,
                                            effective="2016-07-01", deal="nokia-xiaomi-2017"))
    assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1510


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(copies=st.integers(1, 6), publishers=st.lists(st.sampled_from(["Reuters", "Bloomberg", "MS"]), min_size=6, max_size=6),
       listed=st.lists(st.sampled_from(["US8000001", "US8000002"]), min_size=6, max_size=6))
def test_any_number_of_duplicate_reports_never_changes_the_portfolio_size(copies: int, publishers: list[str],
                                                                          listed: list[str]) -> None:
    with Ledger.open() as ledger:
        ledger.append(report())
        for publisher, patent in zip(publishers[:copies], listed):
            ledger.append(report(publisher=publisher, patents=(patent,)))
        assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500
        assert len(ledger.portfolio("Microsoft", on="2016-12-31")) == 0


# --- issue 15 item 3: part of an undisclosed block resold -------------------------------------------


def resale(count: int = 200, on: str = "2018-03-01", patents: tuple[str, ...] = (), deal: str | None = "xiaomi-intel") \
        -> PatentsAssigned:
    return PatentsAssigned(assignor="Xiaomi", assignee="Intel", patents=patents, disclosed_count=count, effective=on,
                           deal=deal)


def test_selling_part_of_an_undisclosed_block_brings_its_count_down(ledger: Ledger) -> None:
    ledger.append(report(), resale())
    assert len(ledger.portfolio("Xiaomi", on="2018-02-28")) == 1500
    held = ledger.portfolio("Xiaomi", on="2018-03-01")
    assert (len(held), held.undisclosed) == (1300, 1299)
    assert len(ledger.portfolio("Intel", on="2018-03-01")) == 200
    assert len(ledger.portfolio("Xiaomi", on="2018-03")) == 1300  # sold on the first day of the month


def test_a_resale_reported_twice_is_counted_once_and_never_below_zero(ledger: Ledger) -> None:
    ledger.append(report(), resale(), resale(count=200), resale(count=5000, on="2019-01-01", deal="xiaomi-apple"))
    assert len(ledger.portfolio("Xiaomi", on="2018-06-01")) == 1300
    assert len(ledger.portfolio("Xiaomi", on="2019-06-01")) == 1  # only the listed one is left


def test_a_party_without_a_block_is_not_touched(ledger: Ledger) -> None:
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=[], disclosed_count=10, effective="2016-01-01"))
    assert len(ledger.portfolio("Nokia", on="2017")) == 0 and len(ledger.portfolio("HMD", on="2017")) == 10
