"""Hypothesis: known_at and registry_at answers equal a naive replay of what counted on that basis.

Histories arrive late (random order, random effective dates), and get
corrected and retracted along the way; some events carry the day a register
recorded them.
"""

from __future__ import annotations

import pytest

from datetime import date, timedelta

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ownership_properties import PARTIES, PATENTS, days, events, oracle_owners, parties

from dealtrack import Ledger
from dealtrack.events import Event, PatentsAssigned

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

# Each step: (event, registry delay in 30-day months or None, what to do: append / retract / correct)
steps = st.lists(
    st.tuples(events, st.none() | st.integers(0, 12), st.sampled_from(["append", "append", "retract", "correct"])),
    min_size=1,
    max_size=12,
)


def registry_day(event: Event) -> date:
    return event.registry_recorded or event.effective.start


def with_registry(event: Event, delay: int | None) -> Event:
    if delay is None or event.effective is None:
        return event
    return attrs.evolve(event, registry_recorded=event.effective.start + timedelta(days=30 * delay))


def record(ledger: Ledger, history: list) -> list[tuple]:
    """Play the steps; return snapshots ``(recorded_at, live facts then)``."""
    live: dict[str, tuple[int, Event]] = {}
    snapshots = []
    for event, delay, action in history:
        event = with_registry(event, delay)
        if action != "append" and live:
            victim = sorted(live)[0]
            if action == "retract":
                recorded = [ledger.retract(victim, "misreported")]
            else:
                recorded = list(ledger.correct(victim, event, "corrected"))
            del live[victim]
        else:
            recorded = list(ledger.append(event))
        for envelope in recorded:
            if envelope.event.type != "EventRetracted":
                live[envelope.event_id] = (envelope.position, envelope.event)
        snapshots.append((recorded[-1].recorded_at, list(live.values())))
    return snapshots


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=steps, probe=days)
def test_known_at_answers_replay_what_was_recorded_and_not_yet_retracted(history: list, probe: date) -> None:
    with Ledger.open() as ledger:
        for moment, facts in record(ledger, history):
            for patent in PATENTS:
                assert ledger.owners_of(patent, on=probe, known_at=moment) == oracle_owners(facts, patent, probe)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=steps, probe=days, registry=days)
def test_registry_at_answers_replay_what_the_register_showed(history: list, probe: date, registry: date) -> None:
    with Ledger.open() as ledger:
        snapshots = record(ledger, history)
        for moment, facts in [snapshots[0], snapshots[-1]]:
            shown = [(pos, event) for pos, event in facts if registry_day(event) <= registry]
            for patent in PATENTS:
                expected = oracle_owners(shown, patent, probe)
                assert ledger.owners_of(patent, on=probe, known_at=moment, registry_at=registry) == expected
                assert ledger.view(known_at=moment, registry_at=registry).owners_of(patent, on=probe) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=steps, probe=days)
def test_a_registry_date_after_everything_changes_nothing(history: list, probe: date) -> None:
    """The refolding path and the stored views agree when the register shows everything."""
    with Ledger.open() as ledger:
        record(ledger, history)
        for patent in PATENTS:
            assert ledger.owners_of(patent, on=probe, registry_at="2099-12-31") == ledger.owners_of(patent, on=probe)
        for party in ("Microsoft", "Nokia", "Xiaomi", "MTL", "HMD"):
            assert ledger.portfolio(party, on=probe, registry_at="2099-12-31") == ledger.portfolio(party, on=probe)
        assert ledger.anomalies(registry_at="2099-12-31") == ledger.anomalies()


inventors_assignments = st.builds(
    lambda a, b, ps, d: PatentsAssigned(assignor=a, assignee=b, patents=ps, effective=d, by_inventors=True),
    st.lists(parties, min_size=1, max_size=2),
    st.lists(parties, min_size=1, max_size=2),
    st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2),
    days,
)
registered = st.lists(st.tuples(st.one_of(events, inventors_assignments), st.none() | st.integers(0, 12)),
                      min_size=1, max_size=10)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=registered, probe=days, registry=days, caught_up=st.booleans())
def test_registry_at_answers_as_a_ledger_of_only_what_the_register_showed(
    history: list, probe: date, registry: date, caught_up: bool
) -> None:
    """Inventors' assignments included: they bear on every day before them, so one dated later still counts."""
    recorded = [with_registry(event, delay) for event, delay in history]
    with Ledger.open() as ledger, Ledger.open() as shown:
        ledger.append(*recorded)
        visible = [event for event in recorded if registry_day(event) <= registry]
        if visible:
            shown.append(*visible)
        if caught_up:
            ledger.refresh()
        for patent in PATENTS:
            assert ledger.owners_of(patent, on=probe, registry_at=registry) == shown.owners_of(patent, on=probe), patent
        for party in PARTIES:
            assert ledger.portfolio(party, on=probe, registry_at=registry) == shown.portfolio(party, on=probe), party
