"""Questions on views that trail the log: keys the tail touches are folded at question time, nothing is written.

A question at current knowledge that finds the views a few events behind reads
the stored views for every key those events leave alone and folds the keys they
touch afresh (dealtrack/projections/tail.py); a tail holding a rename, merger,
number link, retraction or register record, or too long, is caught up first as
before. Either way every answer equals what the same question gives on the same
log refreshed first.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, suppress
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Ledger, codec
from dealtrack.events import (
    BanImposed,
    BanLifted,
    BanModified,
    DealAnnounced,
    LicenseGranted,
    LicenseTerminated,
    Event,
    PartiesMerged,
    PartyRenamed,
    PatentLapsed,
    PatentNumbersLinked,
    PatentRegistered,
    PatentsAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from dealtrack.parties import party_key
from dealtrack.projections import tail
from dealtrack.projections.lean_title import lean_event, lean_holdings_before
from dealtrack.projections.title import Holding, fold_title, holdings_before
from test_licence_properties import grants, terminations
from test_ownership_properties import DAY0, PARTIES, PATENTS, assignments, days, parties, registrations, renames

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

late_registrations = st.builds(
    lambda p, o, d, years: PatentRegistered(patent=p, owner=o, effective=d,
                                            expires=None if years is None else d + timedelta(days=365 * years)),
    st.sampled_from(PATENTS), parties, days, st.none() | st.integers(1, 3))
undisclosed = st.builds(
    lambda a, b, d, deal, extra: PatentsAssigned(assignor=a, assignee=b, patents=["US1"], effective=d, deal=deal,
                                                 disclosed_count=None if extra is None else 1 + extra),
    parties, parties, days, st.none() | st.sampled_from(["D1", "D2"]), st.none() | st.integers(0, 2))
bans = st.one_of(
    st.builds(lambda n, who, d, t: BanImposed(ban_id=f"B{n}", against=who, territory=[t], authority="Court",
                                              effective=d, patents=["US2"] if n % 2 else []),
              st.integers(0, 3), st.lists(parties, min_size=1, max_size=2), days, st.sampled_from(["IN", "US"])),
    st.builds(lambda n, d: BanLifted(ban_id=f"B{n}", effective=d), st.integers(0, 3), days),
    st.builds(lambda n, d: BanModified(ban_id=f"B{n}", exempt_products=["phone"], effective=d), st.integers(0, 3), days),
)
others = st.one_of(
    st.builds(lambda d: PatentNumbersLinked(application="USAPP1", grant="US3", effective=d), days),
    st.builds(lambda p, d: PatentLapsed(patent=p, effective=d), st.sampled_from(PATENTS), days),
    st.builds(lambda who, p, d: SecurityInterestGranted(debtor=who, secured_party="Bank", patents=[p], effective=d),
              parties, st.sampled_from([*PATENTS, "USAPP1"]), days),
    st.builds(lambda who, p, d: SecurityInterestReleased(debtor=who, secured_party="Bank", patents=[p], effective=d),
              parties, st.sampled_from(PATENTS), days),
    st.builds(lambda who, d: DealAnnounced(deal="D1", title="A deal", parties=who, effective=d),
              st.lists(parties, min_size=1, max_size=2), days),
    st.builds(lambda who, d: PatentsAssigned(assignor=who, assignee="Nokia Oyj", patents=["USAPP1"], effective=d),
              parties, days),
)
# a chain holding one of these is replayed from decoded events at question time; any other, from small tuples
general_title = st.one_of(
    st.builds(lambda a, b, p, d: PatentsAssigned(assignor=a, assignee=b, patents=[p], effective=f"{d.year}-{d.month:02d}"),
              parties, parties, st.sampled_from(PATENTS), days),
    st.builds(lambda a, b, p, d: PatentsAssigned(assignor=a, assignee=b, patents=[p], effective=d, by_inventors=True),
              parties, parties, st.sampled_from(PATENTS), days),
)
any_event = st.one_of(late_registrations, assignments, assignments, grants, terminations, bans, renames, undisclosed,
                      others, general_title)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(any_event, min_size=1, max_size=3)),
        st.tuples(st.just("append"), st.lists(any_event, min_size=1, max_size=3)),
        st.tuples(st.just("retract"), st.integers(0, 40)),
        st.tuples(st.just("refresh"), st.none()),
        st.tuples(st.just("rolled back"), st.lists(any_event, min_size=1, max_size=3)),
        st.tuples(st.just("ask"), days),
        st.tuples(st.just("ask"), days),
    ),
    min_size=1,
    max_size=14,
)
# Only events a question folds itself (no rename, link, retraction...): long tails over many keys.
local_event = st.one_of(late_registrations, assignments, assignments, grants, grants, terminations, bans, general_title,
                        st.builds(lambda p, d: PatentLapsed(patent=p, effective=d), st.sampled_from(PATENTS), days),
                        st.builds(lambda who, p, d: SecurityInterestGranted(debtor=who, secured_party="Bank",
                                                                            patents=[p], effective=d),
                                  parties, st.sampled_from(PATENTS), days))
local_operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(local_event, min_size=1, max_size=3)),
        st.tuples(st.just("append"), st.lists(local_event, min_size=1, max_size=3)),
        st.tuples(st.just("append"), st.lists(local_event, min_size=1, max_size=3)),
        st.tuples(st.just("ask"), days),
        st.tuples(st.just("ask twice"), days),
    ),
    min_size=1,
    max_size=14,
)


def answers(ledger: Ledger, probe: date, known_at: Any = None, registry_at: Any = None) -> dict[str, Any]:
    """Every question on one basis, and what the explanations cite."""
    basis = {"known_at": known_at, "registry_at": registry_at}
    end = probe + timedelta(days=400)
    found: dict[str, Any] = {
        "anomalies": ledger.anomalies(**basis),
        "bans": ledger.active_bans(on=probe, **basis),
        "bans IN": ledger.active_bans(on=probe, territory="IN", product="phone", **basis),
        "many": ledger.owners_of_many([*PATENTS, "USAPP1"], on=probe, **basis),
        "events": [(r.position, r.event_id) for r in ledger.events(**basis)],
        "parties": ledger.parties(on=probe, known_at=known_at),
        "transfers": ledger.transfers(DAY0, end, known_at=known_at),
    }
    if registry_at is None:
        found["party names"] = ledger._party_names()
    for patent in [*PATENTS, "USAPP1"]:
        found[f"owners {patent}"] = ledger.owners_of(patent, on=probe, **basis)
        found[f"licensees {patent}"] = ledger.licensees_of(patent, on=probe, **basis)
        found[f"chain {patent}"] = ledger.title_chain(patent, **basis)
        found[f"encumbrances {patent}"] = ledger.encumbrances(patent, on=probe, **basis)
        found[f"knows {patent}"] = ledger._knows_patent(patent, **basis)
        found[f"explain {patent}"] = ledger.explain("owners_of", patent, on=probe, **basis)
        found[f"explain licensees {patent}"] = ledger.explain("licensees_of", patent, on=probe, **basis)
        for party in PARTIES[:2]:
            found[f"licensed {party} {patent}"] = ledger.is_licensed(party, patent, on=probe, territory="IN", **basis)
    for party in [*PARTIES[:4], "Nokia Oyj", "Bank"]:
        found[f"portfolio {party}"] = ledger.portfolio(party, on=probe, **basis)
        found[f"standing {party}"] = ledger.standing(party, on=probe, **basis)
        found[f"bans against {party}"] = ledger.active_bans(against=party, on=probe, **basis)
        found[f"explain bans {party}"] = ledger.explain("active_bans", against=party, on=probe, **basis)
        found[f"explain portfolio {party}"] = ledger.explain("portfolio", party, on=probe, **basis)
        if registry_at is None and known_at is None:
            found[f"knows {party}"] = ledger._knows_party(party)
    return found


def copy_new_events(source: Ledger, target: Ledger) -> None:
    """Append to ``target`` the events of ``source`` it lacks, with their ids and recorded times."""
    envelopes = [
        codec.read_envelope(orjson.loads(codec.envelope_line(
            row.position, row.event_id, row.recorded_at, row.type, row.schema_version, row.payload, row.metadata)))
        for row in source._store.rows() if row.position > len(target)
    ]
    if envelopes:
        appended, refused = target._restore(envelopes)
        assert refused is None and len(appended) == len(envelopes)


def append_or_skip(ledger: Ledger, batch: list[Event]) -> None:
    with suppress(InvalidEvent):
        ledger.append(*batch)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=operations, probe=days)
def test_questions_on_a_tail_answer_as_the_same_log_refreshed_first(
    fresh_ledger: Callable[[], AbstractContextManager[Ledger]], plan: list[tuple[str, Any]], probe: date
) -> None:
    """``ledger`` is refreshed only when the plan says; ``eager`` holds the same log and is refreshed before each question."""
    with fresh_ledger() as ledger:  # (one per example: a failure replays from its plan alone)
        play(ledger, plan, probe)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=local_operations, probe=days)
def test_questions_on_a_long_tail_of_key_local_events_answer_as_the_same_log_refreshed_first(
    fresh_ledger: Callable[[], AbstractContextManager[Ledger]], plan: list[tuple[str, Any]], probe: date
) -> None:
    with fresh_ledger() as ledger:
        play(ledger, plan, probe, other_bases=False)
        assert {position for _, position in ledger._store.checkpoints().values()} == {1}  # never caught up


def play(ledger: Ledger, plan: list[tuple[str, Any]], probe: date, other_bases: bool = True) -> None:
    """Run ``plan`` on ``ledger``; at each question compare its answers with a copy of its log refreshed first
    (with ``other_bases``, on a past ``known_at`` and a ``registry_at`` too: those catch the views up)."""
    with Ledger.open() as eager:
        for action, argument in [("append", [PatentRegistered(patent="US1", owner="Nokia", effective=DAY0)]),
                                 ("ask", probe), *plan, ("ask", probe)]:
            if action == "append":
                append_or_skip(ledger, argument)
            elif action == "retract":
                live = [r for r in ledger.events() if r.event.type != "EventRetracted"]
                with suppress(InvalidEvent):  # already retracted
                    ledger.retract(live[argument % len(live)].event_id, "misreported")
            elif action == "refresh":
                ledger.refresh()
            elif action == "rolled back":  # appended in a transaction that never lands: the tail must not keep them
                with suppress(InvalidEvent, _RolledBack), ledger._atomic():
                    ledger.append(*argument)
                    raise _RolledBack
            else:
                copy_new_events(ledger, eager)
                eager.refresh()
                expected = answers(eager, argument)
                assert answers(ledger, argument) == expected
                if action == "ask twice":  # the same head again: answered from what the first asking kept
                    assert answers(ledger, argument) == expected
                if not other_bases:
                    continue
                moments = sorted({r.recorded_at for r in ledger.events()})
                assert answers(ledger, argument, known_at=moments[-2] if len(moments) > 1 else None,
                               registry_at=argument) == answers(
                    eager, argument, known_at=moments[-2] if len(moments) > 1 else None, registry_at=argument)


class _RolledBack(Exception):
    pass


def test_an_append_hands_its_events_to_the_tail_and_a_rolled_back_one_does_not(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
    ledger.refresh()
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
    assert ledger.owners_of("US1", on="2013") == {"HMD"}  # (the tail is read from the log once)
    views = type(ledger._store.views)
    with monkeypatch.context() as patched:  # from now on the tail is handed each append, never reads it back
        patched.setattr(views, "rows_after", lambda self, position: pytest.fail("read the log back"))
        ledger.append(PatentsAssigned(assignor="HMD", assignee="Xiaomi", patents=["US1"], effective="2014"))
        assert ledger.owners_of("US1", on="2015") == {"Xiaomi"}
        assert ledger.owners_of("US1", on="2015") == {"Xiaomi"}  # asked twice on one head
    found = ledger._store.memo["tail"].titles["US1"]
    assert found == [(r.position, r.event) for r in ledger.events(after=1)]  # as decoded from the log
    with suppress(_RolledBack), ledger._atomic():
        ledger.append(PatentsAssigned(assignor="Xiaomi", assignee="Apple", patents=["US1"], effective="2014"))
        assert ledger.owners_of("US1", on="2015") == {"Apple"}
        raise _RolledBack
    ledger.append(PatentsAssigned(assignor="Xiaomi", assignee="Sony", patents=["US1"], effective="2014"))
    assert ledger.owners_of("US1", on="2015") == {"Sony"}
    assert checkpoint(ledger) == {1}


def checkpoint(ledger: Ledger) -> set[int]:
    return {position for _, position in ledger._store.checkpoints().values()}


def test_a_question_on_a_key_changed_since_the_catch_up_answers_it_and_writes_nothing(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"),
                  PatentRegistered(patent="US2", owner="Nokia", effective="2010"))
    ledger.refresh()
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US1"], effective="2015"))
    ledger.append(BanImposed(ban_id="B1", against="Xiaomi", territory=["IN"], authority="Court", effective="2016"))
    assert ledger.owners_of("US1", on="2016") == {"Xiaomi"}
    assert ledger.owners_of("US2", on="2016") == {"Nokia"}
    assert ledger.portfolio("Xiaomi", on="2016").patents == {"US1"}
    assert [ban.ban_id for ban in ledger.active_bans(against="Xiaomi", on="2017")] == ["B1"]
    assert checkpoint(ledger) == {2}  # the views stayed where they were
    ledger.append(PatentsAssigned(assignor="Xiaomi", assignee="HMD", patents=["US1"], effective="2017"))
    assert ledger.owners_of("US1", on="2018") == {"HMD"}  # the tail grew: the key is folded again
    assert checkpoint(ledger) == {2}


def test_inventors_assigning_after_the_period_asked_held_the_patent_in_it(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
    ledger.refresh()
    # their shares were theirs from the start of time: a fact dated after the period still bears on it
    ledger.append(PatentsAssigned(assignor="Inventor", assignee="Xiaomi", patents=["US3"], effective="2014-02-09",
                                  by_inventors=True))
    assert ledger.owners_of("US3", on="2010-12-27") == {"Inventor"}
    assert ledger.portfolio("Inventor", on="2010-12-27").patents == {"US3"}
    assert checkpoint(ledger) == {1}
    ledger.refresh()
    assert ledger.owners_of("US3", on="2010-12-27") == {"Inventor"}


def test_a_rename_in_the_tail_catches_the_views_up_first(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
    ledger.refresh()
    ledger.append(PartyRenamed(old="Nokia", new="Nokia Oyj", effective="2012"))
    assert ledger.owners_of("US1", on="2013") == {"Nokia Oyj"}
    assert checkpoint(ledger) == {2}


def test_a_tail_longer_than_the_limit_catches_the_views_up(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tail, "TAIL_LIMIT", 2)
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
    ledger.refresh()
    for year in (2011, 2012):
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="Nokia", patents=["US1"], effective=str(year)))
    assert ledger.owners_of("US1", on="2013") == {"Nokia"}
    assert checkpoint(ledger) == {1}  # two events: still a tail
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2013"))
    assert ledger.owners_of("US1", on="2014") == {"HMD"}
    assert checkpoint(ledger) == {4}


@pytest.mark.sqlite_only
def test_a_read_only_ledger_answers_over_a_short_tail_another_program_appended(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as writer:  # (open while the reader is: the file has a write-ahead log to follow)
        writer.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
        writer.refresh()
        with Ledger.open(path, readonly=True) as reader:
            assert reader.owners_of("US1", on="2013") == {"Nokia"}
            store = reader._store
            writer.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
            assert reader.owners_of("US1", on="2013") == {"HMD"}
            assert reader._store is store  # answered from the file, with no copy in memory to catch up in
            writer.append(PartyRenamed(old="HMD", new="HMD Global", effective="2012"))
            assert reader.owners_of("US1", on="2013") == {"HMD Global"}  # (caught up in a copy in memory)


# (lapses more often than among local events: a patent's end is what a tail keeps of the stored views)
kept_event = st.one_of(local_event, st.builds(lambda p, d: PatentLapsed(patent=p, effective=d), st.sampled_from(PATENTS), days))
two_connections = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(kept_event, min_size=1, max_size=3)),
        st.tuples(st.just("append"), st.lists(kept_event, min_size=1, max_size=3)),
        st.tuples(st.just("other appends"), st.lists(kept_event, min_size=1, max_size=3)),
        st.tuples(st.just("retract"), st.integers(0, 40)),
        st.tuples(st.just("other retracts"), st.integers(0, 40)),
        st.tuples(st.just("ask"), days),
        st.tuples(st.just("ask"), days),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.sqlite_only
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=two_connections, probe=days)
def test_what_a_tail_keeps_between_questions_follows_either_connection_and_retractions(
    plan: list[tuple[str, Any]], probe: date
) -> None:
    """A question on a tail keeps, for the tail, what it read of the stored views (patents' ends, names' keys,
    spellings) and extends the tail with the positions appended since: by this connection (handed over), by
    another one (read from the log), or a retraction (the views catch up, and the tail starts again). Every
    answer equals the same log's refreshed first; the views are never caught up but for a retraction."""
    with tempfile.TemporaryDirectory() as folder, Ledger.open(Path(folder) / "deals.db") as ledger, \
            Ledger.open(Path(folder) / "deals.db") as other, Ledger.open() as eager:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective=DAY0))
        ledger.refresh()
        retracted = False
        for action, argument in [("ask", probe), *plan, ("ask", probe)]:
            if action in ("append", "other appends"):
                append_or_skip(ledger if action == "append" else other, argument)
            elif action in ("retract", "other retracts"):
                by = ledger if action == "retract" else other
                live = [r for r in by.events() if r.event.type != "EventRetracted"]
                with suppress(InvalidEvent):  # already retracted
                    by.retract(live[argument % len(live)].event_id, "misreported")
                    retracted = True
            else:
                copy_new_events(ledger, eager)
                eager.refresh()
                expected = answers(eager, argument)
                expected["live portfolios"] = [eager.portfolio(party, on=argument, live_only=True) for party in PARTIES[:4]]
                found = answers(ledger, argument)
                found["live portfolios"] = [ledger.portfolio(party, on=argument, live_only=True) for party in PARTIES[:4]]
                assert found == expected
                if not retracted:
                    assert checkpoint(ledger) == {1}  # answered over the tail, never caught up


@pytest.mark.sqlite_only
def test_a_patent_lapsed_in_the_tail_ends_though_its_end_was_kept_before(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger, Ledger.open(path) as other:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"),
                      PatentRegistered(patent="US2", owner="Nokia", effective="2010"),
                      LicenseGranted(licence_id="L1", licensor="Nokia", licensee="HMD", patents=["US1", "US2"],
                                     territory=["US"], effective="2010"))
        ledger.refresh()
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US3"], effective="2011"))
        assert ledger.portfolio("Nokia", on="2013", live_only=True).patents == {"US1", "US2"}  # (ends kept)
        assert ledger.is_licensed("HMD", "US1", on="2013", territory="US")
        other.append(PatentLapsed(patent="US1", effective="2012"))  # another connection: read from the log
        assert ledger.portfolio("Nokia", on="2013", live_only=True).patents == {"US2"}
        assert not ledger.is_licensed("HMD", "US1", on="2013", territory="US")
        ledger.append(PatentLapsed(patent="US2", effective="2012"))  # this one: handed to the tail
        assert ledger.portfolio("Nokia", on="2013", live_only=True).patents == set()
        assert not ledger.is_licensed("HMD", "US2", on="2013", territory="US")
        assert checkpoint(ledger) == {3}
        lapse = next(r for r in other.events() if r.event.type == "PatentLapsed")
        other.retract(lapse.event_id, "misreported")  # a retraction: the views catch up, the tail starts again
        assert ledger.portfolio("Nokia", on="2013", live_only=True).patents == {"US1"}
        assert ledger.is_licensed("HMD", "US1", on="2013", territory="US")
        assert checkpoint(ledger) == {7}


def test_a_portfolio_licence_of_whoever_the_tail_makes_the_holder_covers_the_patent(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"),
                  LicenseGranted(licence_id="L1", licensor="HMD", licensee="Microsoft", patents=None,
                                 territory=["US"], effective="2013"))
    ledger.refresh()
    assert not ledger.is_licensed("Microsoft", "US1", on="2014", territory="US")
    # the licences that may cover the patent are found by its holders: the tail's, not the stored views'
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
    assert ledger.is_licensed("Microsoft", "US1", on="2014", territory="US")
    assert checkpoint(ledger) == {2}


def test_a_view_pinned_before_the_tail_does_not_see_it(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
    ledger.refresh()
    today = ledger.view()
    ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
    assert today.owners_of("US1", on="2013") == {"Nokia"}
    assert ledger.owners_of("US1", on="2013") == {"HMD"}
    assert today.owners_of("US1", on="2013") == {"Nokia"}


# Dates of every precision (an imprecise one leaves its period in doubt) and assignments by inventors (whose
# holdings reach back to the start of time): what a replay cut short at a question's end must still get right.
some_days = st.one_of(days, days.map(lambda d: f"{d.year}-{d.month:02d}"), days.map(lambda d: str(d.year)))
title_events = st.one_of(
    st.builds(lambda o, d: PatentRegistered(patent="US1", owner=o, effective=d), parties, some_days),
    st.builds(lambda a, b, d, inventors: PatentsAssigned(assignor=a, assignee=b, patents=["US1"], effective=d,
                                                         by_inventors=inventors),
              st.lists(parties, min_size=1, max_size=2), st.lists(parties, min_size=1, max_size=2), some_days,
              st.booleans()),
    renames,
)


@settings(max_examples=300, deadline=None)
@given(history=st.lists(title_events, min_size=1, max_size=12), start=days, length=st.integers(1, 900))
def test_a_replay_cut_short_at_the_end_of_a_period_holds_what_the_whole_one_holds_in_it(
    history: list[Event], start: date, length: int
) -> None:
    facts = list(enumerate(history, start=1))
    stop = start + timedelta(days=length)

    def during(holdings: list[Holding]) -> set[tuple[str, int]]:
        return {(h.owner, h.position) for h in holdings
                if h.valid_from < stop and (h.valid_to is None or h.valid_to > start)}

    assert during(holdings_before("US1", facts, stop)) == during(fold_title("US1", facts)[0])


# Chains whose every fact is dated to a day, with spellings of one party and former names, same-day rivals and
# transfers recorded twice: what a question on a touched patent folds from small tuples (lean_holdings_before).
spelled = st.sampled_from([*PARTIES, "Nokia Oyj", "NOKIA", "Nokia Corp.", "HMD F/K/A Nokia", "Acme"])
few_days = st.integers(0, 8).map(lambda n: DAY0 + timedelta(days=n * 30))
day_title_events = st.one_of(
    st.builds(lambda o, d: PatentRegistered(patent="US1", owner=o, effective=d), spelled, few_days),
    st.builds(lambda a, b, d: PatentsAssigned(assignor=a, assignee=b, patents=["US1"], effective=d),
              st.lists(spelled, min_size=1, max_size=2), st.lists(spelled, min_size=1, max_size=2), few_days),
    st.builds(lambda a, b, d: PatentsAssigned(assignor=a, assignee=b, patents=["US1"], effective=d),
              st.lists(spelled, min_size=1, max_size=2), st.lists(spelled, min_size=1, max_size=2), few_days),
    st.builds(lambda pair, d, merge: (PartiesMerged(absorbed=pair[0], into=pair[1], effective=d) if merge
                                      else PartyRenamed(old=pair[0], new=pair[1], effective=d)),
              st.lists(spelled, min_size=2, max_size=2, unique=True), few_days, st.booleans()),
)


@settings(max_examples=500, deadline=None)
@given(history=st.lists(st.one_of(day_title_events, title_events), min_size=1, max_size=14),
       stop=few_days.map(lambda d: d + timedelta(days=15)) | days)
def test_a_replay_from_small_tuples_holds_what_the_general_replay_holds(history: list[Event], stop: date) -> None:
    facts = list(enumerate(history, start=1))
    leans = [lean_event(fact) for fact in facts]
    whole = {(h.owner, h.valid_from.isoformat(), h.valid_to.isoformat() if h.valid_to else None, h.position)
             for h in holdings_before("US1", facts, stop)}
    if any(lean is None for lean in leans):  # an imprecise date or an assignment by inventors: the general fold
        assume(False)
    found = lean_holdings_before([lean for lean in leans if lean is not None], stop.isoformat())
    assert sorted(found, key=repr) == sorted(whole, key=repr)
    assert len(found) == len(whole)


@settings(max_examples=500, deadline=None)
@given(history=st.lists(day_title_events, min_size=1, max_size=14),
       start=few_days.map(lambda d: d - timedelta(days=20)) | days, length=st.integers(1, 400))
def test_the_whole_replay_from_small_tuples_holds_in_any_window_what_the_general_replay_up_to_its_end_holds(
    history: list[Event], start: date, length: int
) -> None:
    # a question keeps one lean replay of a touched chain for every window (TailReading._holdings_before)
    facts = list(enumerate(history, start=1))
    stop = start + timedelta(days=length)
    leans = [lean_event(fact) for fact in facts]
    assume(all(lean is not None for lean in leans))
    first, last = start.isoformat(), stop.isoformat()

    def during(held: Iterable[tuple[str, str, str | None, int]]) -> set[tuple[str, int]]:
        return {(owner, position) for owner, since, until, position in held
                if since < last and (until is None or until > first)}

    whole = lean_holdings_before([lean for lean in leans if lean is not None], tail._END_OF_TIME)
    cut = {(h.owner, h.valid_from.isoformat(), h.valid_to.isoformat() if h.valid_to else None, h.position)
           for h in holdings_before("US1", facts, stop)}
    assert during(whole) == during(cut)


# Licences the tail grants, each asked about on its first day: the licensor's right to grant it (its own licences
# on that day, with or without the right to sublicense) is read with the question's licences (TailReading.
# prefetch_licences); spellings of one party among licensors and licensees.
licence_parties = st.sampled_from([*PARTIES[:3], "Nokia Oyj", "NOKIA"])
day_grants = st.builds(
    lambda n, pair, ps, d, sub, expiry: LicenseGranted(
        licence_id=f"L{n}", licensor=pair[0], licensee=pair[1], patents=ps, territory=["WORLD"], effective=d,
        sublicensable=sub, expires=None if expiry is None else d + timedelta(days=expiry)),
    st.integers(0, 6), st.lists(licence_parties, min_size=2, max_size=2, unique=True),
    st.none() | st.lists(st.sampled_from(PATENTS[:2]), min_size=1, max_size=2), few_days, st.booleans(),
    st.none() | st.integers(0, 90))
title_on_few_days = st.one_of(
    st.builds(lambda p, o, d: PatentRegistered(patent=p, owner=o, effective=d), st.sampled_from(PATENTS[:2]),
              licence_parties, few_days),
    st.builds(lambda a, b, p, d: PatentsAssigned(assignor=a, assignee=b, patents=[p], effective=d),
              licence_parties, licence_parties, st.sampled_from(PATENTS[:2]), few_days),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(stored=st.lists(st.one_of(title_on_few_days, day_grants, day_grants), max_size=10),
       tail_events=st.lists(st.one_of(day_grants, day_grants, title_on_few_days), min_size=1, max_size=5))
def test_a_licence_in_the_tail_asked_on_its_first_day_answers_as_the_log_refreshed_first(
    fresh_ledger: Callable[[], AbstractContextManager[Ledger]], stored: list[Event], tail_events: list[Event]
) -> None:
    with fresh_ledger() as ledger, Ledger.open() as eager:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective=DAY0),
                      PatentRegistered(patent="US2", owner="Microsoft", effective=DAY0))
        for event in stored:
            append_or_skip(ledger, [event])
        ledger.refresh()
        caught_up = len(ledger)
        for event in tail_events:
            append_or_skip(ledger, [event])
        copy_new_events(ledger, eager)
        eager.refresh()
        asked = [(licence.licensee, patent, licence.effective.start)
                 for licence in tail_events if isinstance(licence, LicenseGranted) and licence.effective is not None
                 for patent in licence.patents or PATENTS[:2]]
        for party, patent, day in asked:
            for who in (party, "Nokia"):
                expected = eager.is_licensed(who, patent, on=day, territory="IN")
                assert ledger.is_licensed(who, patent, on=day, territory="IN") == expected, (who, patent, day)
        assert {position for _, position in ledger._store.checkpoints().values()} == {caught_up}  # asked on a tail


@pytest.mark.parametrize("sublicensable", [True, False])
def test_a_sublicence_in_the_tail_counts_only_when_its_licensor_may_sublicense(ledger: Ledger, sublicensable: bool) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective=DAY0),
                  LicenseGranted(licence_id="L1", licensor="Nokia", licensee="Microsoft Corp.", patents=["US1"],
                                 territory=["WORLD"], effective=DAY0, sublicensable=sublicensable))
    ledger.refresh()
    day = DAY0 + timedelta(days=40)
    ledger.append(LicenseGranted(licence_id="L2", licensor="Microsoft", licensee="HMD", patents=["US1"],
                                 territory=["WORLD"], effective=day))
    assert ledger.is_licensed("HMD", "US1", on=day, territory="IN") is sublicensable
    assert {position for _, position in ledger._store.checkpoints().values()} == {2}  # asked on the tail
    ledger.refresh()
    assert ledger.is_licensed("HMD", "US1", on=day, territory="IN") is sublicensable


# Names spelled several ways (three under the party key "MICROSOFT"), for the spellings a question looks up
SPELLED = ["Microsoft", "Microsoft Corp.", "MICROSOFT CORPORATION", "Nokia", "HMD"]
spelled = st.sampled_from(SPELLED)
spelled_grants = st.builds(
    lambda n, pair, ps, d, sub: LicenseGranted(licence_id=f"L{n}", licensor=pair[0], licensee=pair[1], patents=ps,
                                               territory=["WORLD"], effective=d, sublicensable=sub),
    st.integers(0, 1), st.lists(spelled, min_size=2, max_size=2, unique=True),
    st.none() | st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2), days, st.booleans())
spelled_bans = st.one_of(
    st.builds(lambda n, who, d, t: BanImposed(ban_id=f"B{n}", against=who, territory=[t], authority="Court", effective=d),
              st.integers(0, 1), st.lists(spelled, min_size=1, max_size=2), days, st.sampled_from(["IN", "US"])),
    st.builds(lambda n, d: BanLifted(ban_id=f"B{n}", effective=d), st.integers(0, 1), days),
)
# (few keys: the tail's facts mostly land on keys with stored facts)
spelled_events = st.one_of(spelled_grants, spelled_bans,
                           st.builds(lambda n, d: LicenseTerminated(licence_id=f"L{n}", effective=d), st.integers(0, 1), days),
                           st.builds(lambda a, b, p, d: PatentsAssigned(assignor=a, assignee=b, patents=[p], effective=d),
                                     spelled, spelled, st.sampled_from(PATENTS), days))
keyed_questions = st.one_of(
    st.tuples(st.just("licensed"), spelled, st.sampled_from(PATENTS), days),
    st.tuples(st.just("bans"), spelled, days, st.none() | st.just("IN")),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(stored=st.lists(spelled_events, max_size=8),
       steps=st.lists(st.one_of(st.tuples(st.just("append"), st.lists(spelled_events, min_size=1, max_size=3)),
                                st.tuples(st.just("ask"), st.lists(keyed_questions, min_size=1, max_size=4))),
                      min_size=1, max_size=8))
def test_keyed_questions_on_names_spelled_several_ways_answer_as_the_log_refreshed_first(
    fresh_ledger: Callable[[], AbstractContextManager[Ledger]], stored: list[Event], steps: list[tuple[str, Any]]
) -> None:
    """A tail's questions keep the stored spellings they looked up (TailReading.spellings) and add the tail's own:
    in any order, under any spelling, each answers as on the log refreshed first."""
    with fresh_ledger() as ledger, Ledger.open() as eager:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective=DAY0),
                      PatentRegistered(patent="US2", owner="Microsoft Corp.", effective=DAY0))
        for event in stored:
            append_or_skip(ledger, [event])
        ledger.refresh()
        caught_up = len(ledger)
        for action, argument in steps:
            if action == "append":
                append_or_skip(ledger, argument)
                continue
            copy_new_events(ledger, eager)
            eager.refresh()
            logged = [recorded.event for recorded in eager.events()]  # and the keys of the log, on their days
            derived = [("licensed", event.licensee, patent, event.effective.start) for event in logged
                       if isinstance(event, LicenseGranted) and event.effective is not None
                       for patent in (event.patents or PATENTS)[:1]]
            derived += [("bans", event.against[0], event.effective.start, None) for event in logged
                        if isinstance(event, BanImposed) and event.effective is not None]
            # each asked under another spelling too (the stored spellings of its key, or the tail's, must find it)
            derived += [(kind, other, *rest) for kind, party, *rest in derived for other in SPELLED
                        if other != party and party_key(other) == party_key(party)][:6]
            for question in [*argument, *derived]:
                if question[0] == "licensed":
                    _, party, patent, day = question
                    expected: Any = eager.is_licensed(party, patent, on=day, territory="IN")
                    assert ledger.is_licensed(party, patent, on=day, territory="IN") == expected, question
                else:
                    _, party, day, territory = question
                    expected = eager.active_bans(against=party, on=day, territory=territory)
                    assert ledger.active_bans(against=party, on=day, territory=territory) == expected, question
        assert checkpoint(ledger) == {caught_up}  # every question was asked on a tail


def test_spellings_under_keys_are_what_the_party_name_index_files_under_them(ledger: Ledger) -> None:
    ledger.append(BanImposed(ban_id="B1", against=["Nokia Corp.", "Nokia", "HMD"], territory=["IN"], authority="Court",
                             effective=DAY0))
    ledger.refresh()
    reads, views = ledger._store.views.reads, ledger._store.views
    for keys in (["NOKIA"], ["NOKIA", "HMD", "NOBODY"], [], [f"KEY {n}" for n in range(600)] + ["HMD"]):
        assert sorted(reads.spellings_under(keys)) == sorted(views.values_under("party_names", "name", keys))
    assert sorted(reads.spellings_under(["NOKIA", "HMD"])) == ["HMD", "Nokia", "Nokia Corp."]


@pytest.mark.sqlite_only
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(st.one_of(st.tuples(st.sampled_from(["append", "other appends"]),
                                         st.lists(st.one_of(spelled_events, local_event), min_size=1, max_size=3)),
                               st.tuples(st.just("ask"), days)), min_size=1, max_size=10), probe=days)
def test_one_reading_is_kept_for_a_tail_and_moved_on_to_each_head(plan: list[tuple[str, Any]], probe: date) -> None:
    """The reading of a tail lives from one question to the next (tail.tail_reading), moved on to each new head,
    whichever connection appended: its answers (names, spellings, renames, keys folded) equal a reading made
    afresh at that head, and the same log's refreshed first."""
    with tempfile.TemporaryDirectory() as folder, Ledger.open(Path(folder) / "deals.db") as ledger, \
            Ledger.open(Path(folder) / "deals.db") as other, Ledger.open() as eager:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective=DAY0),
                      PartyRenamed(old="HMD", new="HMD Global", effective=DAY0 + timedelta(days=40)),
                      BanImposed(ban_id="B9", against=["Nokia Corp."], territory=["IN"], authority="Court",
                                 effective=DAY0))
        ledger.refresh()
        readings: dict[int, set[int]] = {}  # id of a tail -> ids of the readings asked on it
        tails = []
        for action, argument in [("ask", probe), *plan, ("ask", probe)]:
            if action != "ask":
                append_or_skip(ledger if action == "append" else other, argument)
                continue
            copy_new_events(ledger, eager)
            eager.refresh()
            found = answers(ledger, argument)
            kept = ledger._store.memo.get("tail")
            if kept is not None and kept.reading is not None:
                tails.append((kept, reading := kept.reading))  # (kept alive: ids stay unique)
                readings.setdefault(id(kept), set()).add(id(reading))
                kept.reading = None  # the same questions on a reading made afresh at this head
                assert answers(ledger, argument) == found
                kept.reading = reading
            assert found == answers(eager, argument)
        assert checkpoint(ledger) == {3}  # never caught up
        # one reading per tail, moved on (a refused append rolls back, and the next question starts a tail again)
        assert all(len(ids) == 1 for ids in readings.values())
