"""Hypothesis: the ownership view agrees with a naive replay, at any valid and known time."""

from __future__ import annotations

import pytest

from datetime import date, timedelta
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import view_rows
from dealtrack import Ledger
from dealtrack.projections import lean_title, ownership
from dealtrack.events import Event, PartiesMerged, PartyRenamed, PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

PATENTS = ["US1", "US2", "US3"]
PARTIES = ["Microsoft", "Nokia", "Xiaomi", "MTL", "HMD"]
DAY0 = date(2010, 1, 1)

days = st.integers(min_value=0, max_value=60).map(lambda n: DAY0 + timedelta(days=n * 30))
parties = st.sampled_from(PARTIES)

registrations = st.builds(lambda p, o, d: PatentRegistered(patent=p, owner=o, effective=d), st.sampled_from(PATENTS), parties, days)
assignments = st.builds(
    lambda a, b, ps, d: PatentsAssigned(assignor=a, assignee=b, patents=ps, effective=d),
    st.lists(parties, min_size=1, max_size=2),
    st.lists(parties, min_size=1, max_size=2),
    st.lists(st.sampled_from(PATENTS), min_size=1, max_size=3),
    days,
)
renames = st.builds(
    lambda pair, d, merge: (PartiesMerged(absorbed=pair[0], into=pair[1], effective=d) if merge
                            else PartyRenamed(old=pair[0], new=pair[1], effective=d)),
    st.lists(parties, min_size=2, max_size=2, unique=True), days, st.booleans(),
)
events = st.one_of(registrations, assignments, assignments, renames)
histories = st.lists(events, min_size=1, max_size=14)


def oracle_owners(history: list[tuple[int, Event]], patent: str, day: date) -> set[str]:
    """Replay the events in effect by ``day``, sorted by (effective, position).

    Two reports of the same assignors giving the patent to different assignees
    in overlapping periods conflict: both assignees are kept as possible owners.
    The same transfer recorded again, when some of its assignors no longer hold
    the patent and its assignees already do, is one transfer: it changes nothing.
    """
    holders: set[str] = set()
    successor: dict[str, str] = {}
    transfers: list[tuple[set[str], set[str], Event]] = []

    def canonical(name: str) -> str:
        seen = {name}
        while name in successor and successor[name] not in seen:
            name = successor[name]
            seen.add(name)
        return name

    for _, event in sorted(history, key=lambda pe: (pe[1].effective.start, pe[0])):
        if event.effective.start > day:
            break
        if isinstance(event, (PartyRenamed, PartiesMerged)):
            old, new = (event.old, event.new) if isinstance(event, PartyRenamed) else (event.absorbed, event.into)
            current = canonical(old)
            successor.pop(new, None)
            if current != new:
                successor[current] = new
            successor[old] = new
            if current in holders:
                holders = (holders - {current}) | {new}
        elif isinstance(event, PatentRegistered) and event.patent == patent:
            holders = {canonical(event.owner)}
        elif isinstance(event, PatentsAssigned) and patent in event.patents:
            assignors = {canonical(n) for n in event.assignor}
            assignees = {canonical(n) for n in event.assignee}
            conflicting = any(
                before == assignors and after != assignees
                and other.effective.start <= event.effective.end and event.effective.start <= other.effective.end
                for before, after, other in transfers
            )
            repeated = any(before == assignors and after == assignees for before, after, _ in transfers)
            transfers.append((assignors, assignees, event))
            held = assignors & holders
            if assignors - holders and repeated and assignees <= holders:
                continue  # the same transfer recorded again, by parties not all holding it now: one transfer
            if holders and conflicting:
                holders = holders | assignees
            else:
                holders = (holders - held) | assignees if held else assignees
    return holders


def test_a_transfer_recorded_again_when_one_of_its_assignors_holds_a_share_again_changes_nothing() -> None:
    # (hypothesis found it) Nokia and Xiaomi sell to Microsoft on 1 January; on 31 January Microsoft sells Nokia a
    # share, and the January sale is recorded again that day. Xiaomi holds nothing: the record is the old sale.
    history: list[Event] = [
        PatentsAssigned(assignor=["Microsoft"], assignee=["Microsoft", "Nokia"], patents=["US1"], effective="2010-01-31"),
        PatentsAssigned(assignor=["Nokia", "Xiaomi"], assignee=["Microsoft"], patents=["US1"], effective="2010-01-01"),
        PatentsAssigned(assignor=["Nokia", "Xiaomi"], assignee=["Microsoft"], patents=["US1"], effective="2010-01-31"),
    ]
    with Ledger.open() as ledger:
        ledger.append(*history)
        for day in (date(2010, 1, 1), date(2010, 1, 31), date(2010, 2, 1)):
            expected = oracle_owners(list(enumerate(history, 1)), "US1", day)
            assert ledger.owners_of("US1", on=day) == expected
            ledger.rebuild()
            assert ledger.owners_of("US1", on=day) == expected
        assert ledger.owners_of("US1", on="2010-02-01") == {"Microsoft", "Nokia"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, batches=st.lists(st.integers(1, 4), min_size=14, max_size=14), probe_days=st.lists(days, min_size=3, max_size=3))
def test_owners_of_matches_a_naive_replay(history: list[Event], batches: list[int], probe_days: list[date]) -> None:
    with Ledger.open() as ledger:
        recorded = []
        rest = list(history)
        for size in batches:  # append in random batch sizes, in random (generated) order
            if not rest:
                break
            recorded += ledger.append(*rest[:size])
            rest = rest[size:]
        logged = [(r.position, r.event) for r in recorded]
        for day in probe_days:
            for patent in PATENTS:
                assert ledger.owners_of(patent, on=day) == oracle_owners(logged, patent, day)


def _note(ledger: Ledger, appended: list, live: dict, snapshots: list, retract: bool) -> None:
    """Note what is live after an append, then maybe retract the oldest live event and note that too."""
    live.update((r.event_id, (r.position, r.event)) for r in appended)
    snapshots.append((appended[-1].recorded_at, list(live.values())))
    if retract and len(live) > 1:
        victim = min(live)
        retraction = ledger.retract(victim, "test")
        del live[victim]
        snapshots.append((retraction.recorded_at, list(live.values())))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, retract=st.lists(st.booleans(), min_size=14, max_size=14), probe=days)
def test_known_at_matches_a_replay_of_what_was_known(history: list[Event], retract: list[bool], probe: date) -> None:
    """Rule 6: at each known time, answers replay what was recorded and not yet retracted."""
    with Ledger.open() as ledger:
        snapshots = []  # (recorded_at, live facts at that time)
        live: dict[str, tuple[int, Event]] = {}
        for event, wants_retraction in zip(history, retract):
            recorded = ledger.append(event)
            _note(ledger, recorded, live, snapshots, wants_retraction)
        for moment, facts in snapshots:
            for patent in PATENTS:
                assert ledger.owners_of(patent, on=probe, known_at=moment) == oracle_owners(facts, patent, probe)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, undisclosed=st.lists(st.integers(0, 20), min_size=14, max_size=14))
def test_rebuilt_views_equal_the_kept_ones(history: list[Event], undisclosed: list[int]) -> None:
    """Rule 7: a rebuild from scratch gives the same rows as event-by-event upkeep."""
    with Ledger.open() as ledger:
        for event, extra in zip(history, undisclosed):
            if isinstance(event, PatentsAssigned) and extra:
                event = PatentsAssigned(assignor=event.assignor, assignee=event.assignee, patents=event.patents,
                                        effective=event.effective, disclosed_count=len(event.patents) + extra)
            (rec,) = ledger.append(event)
            if extra % 5 == 1:
                ledger.retract(rec.event_id, "test")
        kept = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, batches=st.lists(st.integers(1, 5), min_size=14, max_size=14),
       retract=st.lists(st.booleans(), min_size=14, max_size=14), limit=st.sampled_from([0, 1, 3, 100_000]))
def test_a_rebuild_whose_kept_facts_fill_up_reads_the_payloads_back_to_the_same_rows(
    history: list[Event], batches: list[int], retract: list[bool], limit: int
) -> None:
    """A rebuild keeps each title fact it indexes for the fold (:class:`.lean_title.KeptFacts`) up to a limit
    of distinct names; past it, the fold reads the chains' payloads back: the same rows either way."""
    with Ledger.open() as ledger:
        rest = list(history)
        for size, wants_retraction in zip(batches, retract):
            if not rest:
                break
            recorded = ledger.append(*rest[:size])
            rest = rest[size:]
            if wants_retraction:
                ledger.retract(recorded[0].event_id, "test")
        kept = view_rows(ledger)

        class Small(lean_title.KeptFacts):
            def __init__(self, last: int) -> None:
                super().__init__(last, limit)

        with mock.patch.object(ownership, "KeptFacts", Small):
            ledger.rebuild()
        assert view_rows(ledger) == kept


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, batches=st.lists(st.integers(1, 5), min_size=14, max_size=14),
       retract=st.lists(st.booleans(), min_size=14, max_size=14), probe=days)
def test_batched_appends_answer_at_each_commit_point_what_a_replay_gives(
    history: list[Event], batches: list[int], retract: list[bool], probe: date
) -> None:
    """Views fold once per append (its commit point), yet every known time still sees exactly what was recorded by then."""
    with Ledger.open() as ledger:
        snapshots = []  # (recorded_at, live facts at that time)
        live: dict[str, tuple[int, Event]] = {}
        rest = list(history)
        for size, wants_retraction in zip(batches, retract):
            if not rest:
                break
            _note(ledger, ledger.append(*rest[:size]), live, snapshots, wants_retraction)
            rest = rest[size:]
        for moment, facts in snapshots:
            for patent in PATENTS:
                assert ledger.owners_of(patent, on=probe, known_at=moment) == oracle_owners(facts, patent, probe)
        kept = view_rows(ledger)
        ledger.rebuild()  # rule 7 with batches: a rebuild folds at the same commit points
        assert view_rows(ledger) == kept
