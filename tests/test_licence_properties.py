"""Hypothesis: is_licensed agrees with a naive scan of the events valid on the day."""

from __future__ import annotations

import pytest

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealtrack import Ledger
from dealtrack.events import Event, LicenseGranted, LicenseTerminated, PatentsAssigned
from test_ownership_properties import PARTIES, PATENTS, assignments, days, oracle_owners, parties, registrations

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

TERRITORIES = ["IN", "US", "WORLD"]

grants = st.builds(
    lambda n, pair, ps, t, d, expiry: LicenseGranted(
        licence_id=f"L{n}", licensor=pair[0], licensee=pair[1], patents=ps, territory=t, effective=d,
        expires=None if expiry is None else d + timedelta(days=expiry)),
    st.integers(0, 5), st.lists(parties, min_size=2, max_size=2, unique=True),
    st.none() | st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2),
    st.sampled_from(TERRITORIES), days, st.none() | st.integers(0, 900),
)
terminations = st.builds(lambda n, d: LicenseTerminated(licence_id=f"L{n}", effective=d), st.integers(0, 5), days)
histories = st.lists(st.one_of(registrations, assignments, grants, grants, terminations), min_size=1, max_size=14)


def oracle_licensed(history: list[tuple[int, Event]], party: str, patent: str, day: date, territory: str) -> bool:
    """Scan the events valid on ``day``: ownership, or a live licence covering the patent there from its holder."""
    if party in oracle_owners(history, patent, day):
        return True
    for _, event in history:
        if not isinstance(event, LicenseGranted) or event.licensee != party or event.effective.start > day:
            continue
        if event.expires is not None and event.expires.end < day:
            continue
        ended = [t for _, t in history if isinstance(t, LicenseTerminated) and t.licence_id == event.licence_id]
        if any(t.effective.start <= day for t in ended):
            continue
        if territory not in event.territory and "WORLD" not in event.territory:
            continue
        if patent[:2] not in event.territory and "WORLD" not in event.territory:
            continue  # issue 15: a licence covers a patent only in the patent's own country
        holders = oracle_owners(history, patent, event.effective.start)
        if event.patents is None:
            if event.licensor in holders:
                return True
        elif patent in event.patents and (not holders or event.licensor in holders):
            return True  # issue 15: a licence from someone who did not hold the patent is no licence
    return False


def append_what_the_log_accepts(ledger: Ledger, history: list[Event]) -> list[tuple[int, Event]]:
    """Append one by one; events the log refuses (a duplicate id, an early termination) are dropped."""
    logged = []
    for event in history:
        try:
            (rec,) = ledger.append(event)
        except Exception as error:  # noqa: BLE001 - only InvalidEvent is expected; anything else fails below
            assert type(error).__name__ == "InvalidEvent", error
            continue
        logged.append((rec.position, rec.event))
    return logged


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, probe=days)
def test_is_licensed_matches_a_naive_scan(history: list[Event], probe: date) -> None:
    with Ledger.open() as ledger:
        logged = append_what_the_log_accepts(ledger, history)
        for party in PARTIES:
            for patent in PATENTS:
                for territory in ("IN", "US"):
                    expected = oracle_licensed(logged, party, patent, probe, territory)
                    assert ledger.is_licensed(party, patent, on=probe, territory=territory) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sales=st.lists(st.tuples(parties, parties, st.integers(1, 40)), max_size=6), probe=st.integers(0, 60))
def test_a_licence_never_disappears_because_its_patent_changed_hands(sales, probe: int) -> None:
    start = date(2012, 1, 1)
    with Ledger.open() as ledger:
        ledger.append(LicenseGranted(licence_id="L", licensor="Nokia", licensee="Xiaomi", patents=["US1"], effective=start))
        before = ledger.licensees_of("US1", on=start + timedelta(days=30 * probe))
        for seller, buyer, months in sales:
            ledger.append(PatentsAssigned(assignor=seller, assignee=buyer, patents=["US1"],
                                          effective=start + timedelta(days=30 * months)))
        assert before == {"Xiaomi"}
        assert ledger.licensees_of("US1", on=start + timedelta(days=30 * probe)) == {"Xiaomi"}
