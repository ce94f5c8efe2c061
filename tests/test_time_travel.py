"""The three time axes: valid time (on), known time (known_at) and registry time (registry_at).

Also corrections, pinned views, imprecise dates, conflicting reports, title chains and explanations.
"""

from __future__ import annotations

from datetime import date

import pytest

from dealtrack import InvalidEvent, Ledger, Source
from dealtrack.events import (
    BanImposed,
    BanModified,
    LicenseGranted,
    PatentRegistered,
    PatentsAssigned,
    SecurityInterestGranted,
)

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

REUTERS = Source(publisher="Reuters", url="https://example.com/reuters")
BLOG = Source(publisher="IP blog", url="https://example.com/blog")


def registered(patent: str = "US1", owner: str = "Microsoft") -> PatentRegistered:
    return PatentRegistered(patent=patent, owner=owner, effective="2009-03-03")


def sale(to: str, effective: str, *, by: str = "Microsoft", patent: str = "US1", **extra: object) -> PatentsAssigned:
    return PatentsAssigned(assignor=by, assignee=to, patents=[patent], effective=effective, **extra)


# --- 1. known_at -----------------------------------------------------------------------------


def test_known_at_sees_a_late_arrival_only_from_when_it_was_recorded(ledger: Ledger) -> None:
    (first,) = ledger.append(registered())
    (late,) = ledger.append(sale("Xiaomi", "2016-06-01"))
    assert ledger.owners_of("US1", on="2016-07-01", known_at=first.recorded_at) == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-07-01", known_at=late.recorded_at) == {"Xiaomi"}


def test_known_at_applies_a_retraction_only_from_when_it_was_recorded(ledger: Ledger) -> None:
    ledger.append(registered())
    (wrong,) = ledger.append(sale("Nokia", "2016-06-01"))
    retraction = ledger.retract(wrong.event_id, "misreported")
    assert ledger.owners_of("US1", on="2016-07-01", known_at=wrong.recorded_at) == {"Nokia"}
    assert ledger.owners_of("US1", on="2016-07-01", known_at=retraction.recorded_at) == {"Microsoft"}


def test_every_question_answers_as_known_at(ledger: Ledger) -> None:
    """Rule 6 on each question: a retracted fact shows before its retraction and not after."""
    (first,) = ledger.append(registered())
    facts = ledger.append(
        sale("Xiaomi", "2016-06-01"),
        LicenseGranted(licence_id="L1", licensor="Xiaomi", licensee="Nokia", patents=["US1"], effective="2016-07-01"),
        SecurityInterestGranted(debtor="Xiaomi", secured_party="Bank", patents=["US1"], effective="2016-07-01"),
        BanImposed(ban_id="B1", against="Nokia", territory=["IN"], authority="Delhi High Court", effective="2016-07-01"),
        sale("Huawei", "2016-06-01", by="Nokia"),  # a chain gap
    )
    retractions = [ledger.retract(fact.event_id, "wrong") for fact in reversed(facts)]
    then, now = facts[-1].recorded_at, None
    day = "2016-08-01"

    def answers(known: object) -> tuple:
        return (
            ledger.owners_of("US1", on=day, known_at=known),
            len(ledger.portfolio("Huawei", on=day, known_at=known)),
            ledger.licensees_of("US1", on=day, known_at=known),
            ledger.is_licensed("Nokia", "US1", on=day, territory="IN", known_at=known),
            len(ledger.active_bans(on=day, known_at=known)),
            len(ledger.encumbrances("US1", on=day, known_at=known)),
            len(ledger.standing("Nokia", on=day, known_at=known).bans),
            len(ledger.anomalies(known_at=known)),
            len(ledger.title_chain("US1", known_at=known)),
            len(list(ledger.events(known_at=known))),
        )

    # the chain gap leaves Huawei the holder when Xiaomi licenses Nokia: no licence then (issue 15 item 7)
    assert answers(then) == ({"Huawei"}, 1, frozenset(), False, 1, 1, 1, 2, 2, 6)
    assert answers(now) == ({"Microsoft"}, 0, frozenset(), False, 0, 0, 0, 0, 1, 11)
    assert answers(first.recorded_at) == ({"Microsoft"}, 0, frozenset(), False, 0, 0, 0, 0, 1, 1)
    midway = answers(retractions[0].recorded_at)  # only the chain-gap sale retracted so far
    assert midway[0] == {"Xiaomi"} and midway[7] == 0
    assert midway[2:4] == ({"Nokia"}, True) and midway[5] == 2  # Xiaomi held it: the licence counts


# --- 2. registry_at ---------------------------------------------------------------------------


def test_registry_at_hides_a_transfer_the_register_had_not_recorded_yet(ledger: Ledger) -> None:
    ledger.append(registered(), sale("Xiaomi", "2016-06-01", registry_recorded="2016-09-15", registry_ref="039871/0412"))
    assert ledger.owners_of("US1", on="2016-07-01") == {"Xiaomi"}
    assert ledger.owners_of("US1", on="2016-07-01", registry_at="2016-09-14") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-07-01", registry_at="2016-09-15") == {"Xiaomi"}
    assert ledger.portfolio("Xiaomi", on="2016-12-31", registry_at="2016-08-01").patents == frozenset()
    assert ledger.portfolio("Microsoft", on="2016-12-31", registry_at="2016-08-01").patents == {"US1"}


def test_registry_at_counts_an_unregistered_event_from_its_effective_date(ledger: Ledger) -> None:
    ledger.append(registered(), sale("Xiaomi", "2016-06-01"))
    assert ledger.owners_of("US1", on="2016-07-01", registry_at="2016-05-31") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-07-01", registry_at="2016-06-01") == {"Xiaomi"}


def test_registry_at_reaches_licences_bans_and_security_interests(ledger: Ledger) -> None:
    ledger.append(
        registered(),
        LicenseGranted(licence_id="L1", licensor="Microsoft", licensee="Xiaomi", patents=["US1"],
                       effective="2016-06-01", registry_recorded="2016-10-01"),
        SecurityInterestGranted(debtor="Microsoft", secured_party="Bank", patents=["US1"],
                                effective="2016-06-01", registry_recorded="2016-10-01"),
        BanImposed(ban_id="B1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                   patents=["US1"], effective="2016-06-01", registry_recorded="2016-10-01"),
    )
    for registry, seen in (("2016-09-30", False), ("2016-10-01", True)):
        assert (ledger.licensees_of("US1", on="2016-07-01", registry_at=registry) == {"Xiaomi"}) is seen
        assert ledger.is_licensed("Xiaomi", "US1", on="2016-07-01", territory="IN", registry_at=registry) is seen
        assert bool(ledger.active_bans(on="2016-07-01", registry_at=registry)) is seen
        assert len(ledger.encumbrances("US1", on="2016-07-01", registry_at=registry)) == (2 if seen else 0)
        assert bool(ledger.standing("Xiaomi", on="2016-07-01", registry_at=registry).licences_in) is seen


def test_events_as_the_register_showed_them(ledger: Ledger) -> None:
    ledger.append(registered(), sale("Xiaomi", "2016-06-01", registry_recorded="2016-09-15"))
    assert [r.event.type for r in ledger.events(registry_at="2016-09-14")] == ["PatentRegistered"]
    assert len(list(ledger.events(registry_at="2016-09-15"))) == 2
    assert len(list(ledger.view(registry_at="2016-09-14").events())) == 1


def test_registry_at_and_known_at_combine(ledger: Ledger) -> None:
    (first,) = ledger.append(registered())
    (transfer,) = ledger.append(sale("Xiaomi", "2016-06-01", registry_recorded="2016-09-15"))
    assert ledger.owners_of("US1", on="2016-07-01", known_at=first.recorded_at, registry_at="2016-12-31") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-07-01", known_at=transfer.recorded_at, registry_at="2016-12-31") == {"Xiaomi"}


def test_registry_at_must_be_a_date(ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.owners_of("US1", on="2016", registry_at="last tuesday")
    assert caught.value.field == "registry_at"


# --- 3. correct() -------------------------------------------------------------------------------


def test_correct_retracts_and_replaces_in_one_append(ledger: Ledger) -> None:
    ledger.append(registered())
    (wrong,) = ledger.append(sale("Nokia", "2016-06-01"))
    retraction, replacement = ledger.correct(wrong.event_id, sale("Xiaomi", "2016-06-01"), reason="wrong buyer")
    assert retraction.event.target == wrong.event_id and retraction.event.reason == "wrong buyer"
    assert replacement.event.assignee == ("Xiaomi",)
    assert retraction.recorded_at == replacement.recorded_at
    assert ledger.owners_of("US1", on="2016-07-01") == {"Xiaomi"}
    assert ledger.owners_of("US1", on="2016-07-01", known_at=wrong.recorded_at) == {"Nokia"}


def test_a_correction_that_fails_writes_nothing(ledger: Ledger) -> None:
    ledger.append(registered())
    (wrong,) = ledger.append(sale("Nokia", "2016-06-01"))
    bad = LicenseGranted(licence_id="L1", licensor="Microsoft", licensee="Xiaomi", effective="2016-06-01")
    ledger.append(bad)
    with pytest.raises(InvalidEvent):
        ledger.correct(wrong.event_id, bad, reason="duplicate licence id makes the replacement invalid")
    assert len(ledger) == 3
    assert ledger.owners_of("US1", on="2016-07-01") == {"Nokia"}


def test_a_correction_may_carry_the_natural_key_of_what_it_replaces(ledger: Ledger) -> None:
    ledger.append(registered())
    (wrong,) = ledger.append(sale("Nokia", "2016-06-01", natural_key="039871/0412"))
    _, fixed = ledger.correct(wrong.event_id, sale("Xiaomi", "2016-06-01", natural_key="039871/0412"), "typo")
    assert fixed.event.natural_key == "039871/0412"
    assert len(ledger.append(sale("Nokia", "2016-06-01", natural_key="039871/0412"))) == 0  # a re-import adds nothing
    _, again = ledger.correct(fixed.event_id, sale("HMD", "2016-06-01", natural_key="039871/0412"), "second fix")
    assert ledger.owners_of("US1", on="2016-07-01") == {"HMD"}


def test_correct_refuses_a_retraction_as_replacement(ledger: Ledger) -> None:
    (first,) = ledger.append(registered())
    with pytest.raises(InvalidEvent) as caught:
        ledger.correct(first.event_id, "not an event", reason="x")  # type: ignore[arg-type]
    assert caught.value.field == "replacement"


# --- 4. view() ----------------------------------------------------------------------------------


def test_a_view_answers_the_same_however_the_log_grows(ledger: Ledger) -> None:
    ledger.append(registered(), sale("Xiaomi", "2016-06-01"))
    view = ledger.view()
    before = (view.owners_of("US1", on="2016-07-01"), len(view.portfolio("Xiaomi", on="2016-07-01")),
              list(view.events()))
    (late,) = ledger.append(sale("Nokia", "2016-06-15", by="Xiaomi"))
    ledger.retract(late.event_id, "never happened")
    ledger.append(sale("HMD", "2016-01-01"))
    assert (view.owners_of("US1", on="2016-07-01"), len(view.portfolio("Xiaomi", on="2016-07-01")),
            list(view.events())) == before
    assert view.basis.position == 2 and view.basis.registry_at is None
    with pytest.raises(InvalidEvent):
        view.get(late.event_id)


def test_a_view_pinned_to_known_at_and_registry_at(ledger: Ledger) -> None:
    (first,) = ledger.append(registered())
    ledger.append(sale("Xiaomi", "2016-06-01", registry_recorded="2016-09-15"))
    past = ledger.view(known_at=first.recorded_at)
    assert past.basis.position == 1 and past.basis.known_at == first.recorded_at
    assert past.owners_of("US1", on="2016-07-01") == {"Microsoft"}
    register = ledger.view(registry_at="2016-08-01")
    assert register.basis.registry_at == date(2016, 8, 1)
    assert register.owners_of("US1", on="2016-07-01") == {"Microsoft"}
    assert register.owners_of("US1", on="2016-07-01", registry_at="2017-01-01") == {"Microsoft"}  # never past the basis
    assert register.owners_of("US1", on="2016-07-01", registry_at="2016-01-01") == {"Microsoft"}


# --- 5. imprecise dates --------------------------------------------------------------------------


def test_an_imprecise_transfer_leaves_both_holders_possible_inside_its_period(ledger: Ledger) -> None:
    ledger.append(registered(), sale("Xiaomi", "2016-05"))
    assert ledger.owners_of("US1", on="2016-04-30") == {"Microsoft"}
    assert ledger.owners_of("US1", on="2016-05-01") == {"Microsoft", "Xiaomi"}
    assert ledger.owners_of("US1", on="2016-05-31") == {"Microsoft", "Xiaomi"}
    assert ledger.owners_of("US1", on="2016-06-01") == {"Xiaomi"}
    chain = ledger.title_chain("US1")
    assert [(set(s.owners), s.start, s.end, s.certain) for s in chain] == [
        ({"Microsoft"}, date(2009, 3, 3), date(2016, 5, 1), True),
        ({"Microsoft", "Xiaomi"}, date(2016, 5, 1), date(2016, 6, 1), False),
        ({"Xiaomi"}, date(2016, 6, 1), None, True),
    ]


# --- 6. conflicting reports ----------------------------------------------------------------------


def test_conflicting_reports_keep_both_assignees_until_one_is_retracted(ledger: Ledger) -> None:
    ledger.append(registered())
    (one,) = ledger.append(sale("Xiaomi", "2016-06", sources=[REUTERS]))
    (other,) = ledger.append(sale("Huawei", "2016-06-01", sources=[BLOG]))
    assert ledger.owners_of("US1", on="2016-08-01") == {"Xiaomi", "Huawei"}
    (conflict,) = [a for a in ledger.anomalies() if a.kind == "conflicting_reports"]
    assert {conflict.event_id, *conflict.related} == {one.event_id, other.event_id}
    assert "Reuters" in conflict.message and "IP blog" in conflict.message
    assert [s.certain for s in ledger.title_chain("US1")][-1] is False
    ledger.retract(other.event_id, "the blog was wrong")
    assert ledger.owners_of("US1", on="2016-08-01") == {"Xiaomi"}
    assert [a.kind for a in ledger.anomalies()] == []
    assert ledger.title_chain("US1")[-1].certain is True


def test_transfers_in_separate_periods_are_a_chain_not_a_conflict(ledger: Ledger) -> None:
    ledger.append(registered(), sale("Xiaomi", "2016-06-01"), sale("Huawei", "2017-06-01"))
    assert ledger.owners_of("US1", on="2017-08-01") == {"Huawei"}
    assert [a.kind for a in ledger.anomalies()] == ["chain_gap"]


# --- 7. provenance ----------------------------------------------------------------------------


def test_title_chain_gives_each_holding_with_its_events_and_sources(ledger: Ledger) -> None:
    (reg,) = ledger.append(registered())
    (deal,) = ledger.append(sale("Xiaomi", "2016-06-01", sources=[REUTERS]))
    chain = ledger.title_chain("US 1")
    assert chain.patent == "US1"
    first, second = chain
    assert (first.owners, first.start, first.end, first.certain) == ({"Microsoft"}, date(2009, 3, 3), date(2016, 6, 1), True)
    assert [r.event_id for r in first.events] == [reg.event_id]
    assert (second.owners, second.end) == ({"Xiaomi"}, None)
    assert [r.event_id for r in second.events] == [deal.event_id]
    assert second.sources == (REUTERS,)
    assert chain.to_rows()[1]["owners"] == ["Xiaomi"]  # a list, as in JSON and frames


def test_title_chain_as_known_and_as_registered(ledger: Ledger) -> None:
    (first,) = ledger.append(registered())
    ledger.append(sale("Xiaomi", "2016-06-01", registry_recorded="2016-09-15"))
    assert len(ledger.title_chain("US1", known_at=first.recorded_at)) == 1
    assert len(ledger.title_chain("US1", registry_at="2016-09-01")) == 1
    assert len(ledger.title_chain("US1")) == 2
    assert ledger.title_chain("US9").spans == ()


def test_explain_names_the_events_behind_each_answer(ledger: Ledger) -> None:
    (reg,) = ledger.append(registered())
    deal, licence, ban, change = ledger.append(
        sale("Xiaomi", "2016-06-01", sources=[REUTERS]),
        LicenseGranted(licence_id="L1", licensor="Xiaomi", licensee="Nokia", patents=["US1"], effective="2016-07-01"),
        BanImposed(ban_id="B1", against="Xiaomi", territory=["IN"], authority="Delhi High Court", effective="2016-08-01"),
        BanModified(ban_id="B1", exempt_products=["Mi 4"], effective="2016-09-01"),
    )
    owners = ledger.explain("owners_of", "US1", on="2016-07-01")
    assert owners.answer == {"Xiaomi"} and [r.event_id for r in owners.events] == [deal.event_id]
    assert owners.sources == (REUTERS,)
    licensed = ledger.explain("is_licensed", "Nokia", "US1", "2016-07-02", "IN")
    assert licensed.answer is True and [r.event_id for r in licensed.events] == [licence.event_id]
    bans = ledger.explain("active_bans", on="2016-10-01")
    assert [r.event_id for r in bans.events] == [ban.event_id, change.event_id]
    portfolio = ledger.explain("portfolio", "Microsoft", on="2010")
    assert [r.event_id for r in portfolio.events] == [reg.event_id]
    assert [r.event_id for r in ledger.explain("licensees_of", "US1", "2016-07-02").events] == [licence.event_id]
    assert [r.event_id for r in ledger.explain("encumbrances", "US1", on="2016-07-02").events] == [licence.event_id]
    before = ledger.explain("owners_of", "US1", "2016-07-01", reg.recorded_at)
    assert before.answer == {"Microsoft"} and [r.event_id for r in before.events] == [reg.event_id]


def test_explain_refuses_what_it_cannot_explain(ledger: Ledger) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.explain("drop_table", "US1")
    assert caught.value.field == "question"
    with pytest.raises(InvalidEvent) as caught:
        ledger.explain("owners_of", "US1", colour="red")
    assert caught.value.field == "arguments"
