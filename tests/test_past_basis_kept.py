"""What the readings at one head share, whatever their basis: a party's plain names, the renames of a group of
names, the term rows of a patent. Each is read once per head (on every basis) and each reading picks what counts
on its own basis; the answers must equal those of a reading that shares nothing, and those of a ledger that asks
only on that basis, however the questions at other bases (the current one first, as the benchmark suite asks)
filled the shared caches before.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ownership_properties import PATENTS, days
from test_question_reads import SPELLED

from dealtrack import Ledger
from dealtrack.events import (
    BanImposed,
    BanLifted,
    EventRetracted,
    PartiesMerged,
    PartyRenamed,
    PatentLapsed,
    PatentRegistered,
)
from dealtrack.projections.reading import Reading, StoredReading

pytestmark = pytest.mark.sqlite_only  # (what is kept between questions: PostgreSQL keeps nothing)

_names = st.sampled_from(SPELLED)
_events = st.one_of(
    st.builds(lambda p, o, d: PatentRegistered(patent=p, owner=o, effective=d), st.sampled_from(PATENTS), _names, days),
    st.builds(lambda p, d: PatentLapsed(patent=p, effective=d), st.sampled_from(PATENTS), days),
    st.builds(lambda n, against, ps, d: BanImposed(ban_id=f"B{n}", against=against, territory=("US",), authority="ITC",
                                                   patents=ps, effective=d),
              st.integers(0, 3), st.lists(_names, min_size=1, max_size=2, unique=True),
              st.lists(st.sampled_from(PATENTS), max_size=2, unique=True), days),
    st.builds(lambda n, d: BanLifted(ban_id=f"B{n}", effective=d), st.integers(0, 3), days),
    st.builds(lambda pair, d, merge: (PartiesMerged(absorbed=pair[0], into=pair[1], effective=d) if merge
                                      else PartyRenamed(old=pair[0], new=pair[1], effective=d)),
              st.lists(_names, min_size=2, max_size=2, unique=True), days, st.booleans()),
)
# each step appends its event, or retracts the n-th event still standing (a rename, a lapse, a ban ...)
_steps = st.lists(st.tuples(_events, st.none() | st.integers(0, 20)), min_size=1, max_size=14)


def _play(ledger: Ledger, steps: list) -> None:
    standing: list[str] = []
    for event, retract in steps:
        if retract is not None and standing:
            ledger.append(EventRetracted(target=standing.pop(retract % len(standing)), reason="misreported"))
            continue
        try:
            (recorded,) = ledger.append(event)
        except Exception as error:  # noqa: BLE001 - only InvalidEvent is expected (a ban lifted before imposed ...)
            assert type(error).__name__ == "InvalidEvent", error
            continue
        standing.append(recorded.event_id)


def _asked(ledger: Ledger, on: date, known_at: object) -> list[object]:
    return [sorted(ban.ban_id for ban in ledger.active_bans(against=party, on=on, known_at=known_at))
            for party in SPELLED] + [sorted(ban.ban_id for ban in ledger.active_bans(on=on, known_at=known_at))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=_steps, probe=days)
def test_what_readings_at_one_head_share_equals_what_each_reads_alone(tmp_path: Path, steps: list, probe: date) -> None:
    path = tmp_path / f"deals-{abs(hash((repr(steps), probe)))}.db"
    with Ledger.open(path) as ledger:
        _play(ledger, steps)
        ledger.refresh()
        store = ledger._store
        head = store.head()[0]
        moments = {row.position: row.recorded_at for row in ledger.events()}
        # the current basis first (it fills what the readings at this head share), then each past one
        _asked(ledger, probe, None)
        for position in range(head, 0, -1):
            shared = ledger._stored_reading(position, head, store.views_key)  # (kept per head, as questions keep it)
            alone = StoredReading(store, position, None)  # (a reading that keeps nothing beyond itself)
            for party in SPELLED:
                assert shared.plain_names(party) == Reading.plain_names(alone, party)
                spelled = alone.spellings([party])
                assert shared.renames_of(spelled) == Reading.renames_of(alone, spelled)
            assert shared.patent_ends(PATENTS) == Reading.patent_ends(alone, PATENTS)
        warm = {position: _asked(ledger, probe, moments[position]) for position in moments}
    for position, answers in warm.items():  # a ledger asking on that basis only, first
        with Ledger.open(path) as cold:
            assert _asked(cold, probe, moments[position]) == answers


def test_a_known_at_text_parsed_once_names_the_same_moment_and_bad_text_is_refused_every_time(tmp_path: Path) -> None:
    from dealtrack import InvalidEvent

    with Ledger.open(tmp_path / "deals.db") as ledger:
        first, second = (ledger.append(BanImposed(ban_id=f"B{n}", against="Xiaomi", territory="US", authority="ITC",
                                                  effective="2015"))[0] for n in (1, 2))
        for _ in range(2):  # (asked again: the text's moment is kept)
            for text, expected in ((first.recorded_at.isoformat(), ["B1"]), (second.recorded_at.isoformat(), ["B1", "B2"]),
                                   ("2000-01-01", [])):
                assert sorted(b.ban_id for b in ledger.active_bans(against="Xiaomi", on="2016", known_at=text)) == expected
            assert sorted(b.ban_id for b in ledger.active_bans(against="Xiaomi", on="2016",
                                                               known_at=first.recorded_at)) == ["B1"]
            with pytest.raises(InvalidEvent):
                ledger.active_bans(against="Xiaomi", on="2016", known_at="not a moment")
