"""Hypothesis: the narrower reads behind is_licensed and active_bans give what the wider ones gave.

- a patent's owners filtered from its whole history (read once per question) equal the indexed as-of read;
- the licences read for some licensees only equal every licence on the patent, then filtered by licensee;
- a patent's end kept per head equals the one read afresh;
- active_bans, which now tests each stretch on its row and builds objects only for the answer, equals the
  previous computation (every stretch as a Ban, then the tests);
- is_licensed, which now tests a licence's licensee and territory before its licensor's right to grant,
  equals the previous computation (every covering licence, then those to the party).
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_licence_properties import append_what_the_log_accepts, histories
from test_ownership_properties import PARTIES, PATENTS, days

from dealtrack import Ledger
from dealtrack.answers import Ban
from dealtrack.events import (
    BanImposed,
    BanLifted,
    BanModified,
    LicenseGranted,
    PartyRenamed,
    PatentLapsed,
    PatentRegistered,
    PatentsAssigned,
)
from dealtrack.projections.reading import Reading, StoredReading
from dealtrack.projections.rights import LICENCES
from dealtrack.questions import _aliases_at, _all_ended, _applies, _bans, _canonical, _field, _licences_covering, _names_of
from dealtrack.values import parse_period, parse_territory

pytestmark = pytest.mark.both_backends  # the SQL of the narrow reads runs on PostgreSQL too


def previous_is_licensed(ledger: Ledger, party: str, patent: str, on: date, territory: str) -> bool:
    """is_licensed as it was computed before the cheap tests came first."""
    period, reading = parse_period(on, "on"), ledger._reading(None, None)
    patent_id, where = reading.patent_id(patent), parse_territory(territory)
    names = set(_names_of(reading, party, period))
    if reading.owners(patent_id, period.start, period.stop) & names:
        return True
    return any(
        _canonical(reading, licence.licensee, period.end) in names
        for licence in _licences_covering(reading, patent_id, period, licensees=names)
        if _applies(licence, patent_id, where, _field(None))
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, probe=days, known=st.integers(0, 14))
def test_the_narrow_reads_equal_the_wide_ones(history: list, probe: date, known: int) -> None:
    with Ledger.open() as ledger:
        append_what_the_log_accepts(ledger, history)
        head = ledger._store.head()[0]
        stop = probe + timedelta(days=1)
        for position in sorted({min(known, head), head}):
            for patent in PATENTS:
                fresh = StoredReading(ledger._store, position, head)
                kept = StoredReading(ledger._store, position, head)
                history_rows = kept._owner_history(patent)
                assert {row[0] for row in history_rows} == {
                    row[0] for row in fresh.store.views.reads.owner_rows(patent, date.min, date.max, position)}
                for start, end in ((probe, stop), (date.min, date.max), (probe - timedelta(days=400), stop)):
                    assert kept.owners_again(patent, start, end) == fresh.owners(patent, start, end)
                assert kept.patent_ends([patent]) == Reading.patent_ends(fresh, [patent])
                everyone = fresh.licence_rows_on(patent, probe, stop)
                for party in PARTIES:
                    linked = fresh.log.rename_groups().linked({party})
                    some = fresh.licence_rows_on(patent, probe, stop, {party})
                    assert some == [row for row in everyone if row[2] in linked]
        for party in PARTIES:
            for patent in PATENTS:
                for territory in ("IN", "US"):
                    assert ledger.is_licensed(party, patent, on=probe, territory=territory) == previous_is_licensed(
                        ledger, party, patent, probe, territory)


def test_a_licence_to_one_licensee_is_found_by_the_patent_and_by_the_portfolio(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US8000001", owner="Acme", effective="2010-01-01"))
    ledger.append(LicenseGranted(licence_id="L1", licensor="Acme", licensee="Beta", patents=("US8000001",),
                                 territory=("US",), effective="2012-01-01"))
    ledger.append(LicenseGranted(licence_id="L2", licensor="Acme", licensee="Gamma", patents=None,
                                 territory=("US",), effective="2013-01-01"))
    ledger.append(PatentLapsed(patent="US8000001", effective="2020-01-01"))
    assert ledger.is_licensed("Beta", "US8000001", on="2014-06-01", territory="US")
    assert ledger.is_licensed("Gamma", "US8000001", on="2014-06-01", territory="US")
    assert not ledger.is_licensed("Delta", "US8000001", on="2014-06-01", territory="US")
    assert not ledger.is_licensed("Beta", "US8000001", on="2021-06-01", territory="US")
    reading = ledger._reading(None, None)
    rows = reading.licence_rows_on("US8000001", date(2014, 6, 1), date(2014, 6, 2), {"Gamma"})
    assert [row[list(LICENCES.columns).index("licence_id")] for row in rows] == ["L2"]



def test_an_owner_in_several_history_rows_gives_each_portfolio_licence_once(ledger: Ledger) -> None:
    # Acme holds the patent, sells it, buys it back: two ownership rows name it, each joined to its portfolio
    # licences to Gamma; the history read with them keeps every ownership row once, and each licence once
    ledger.append(PatentRegistered(patent="US8000001", owner="Acme", effective="2010-01-01"))
    ledger.append(PatentsAssigned(assignor=("Acme",), assignee=("Beta",), patents=("US8000001",), effective="2011-01-01"))
    ledger.append(PatentsAssigned(assignor=("Beta",), assignee=("Acme",), patents=("US8000001",), effective="2012-01-01"))
    for licence_id, day in (("P1", "2010-06-01"), ("P2", "2012-06-01")):
        ledger.append(LicenseGranted(licence_id=licence_id, licensor="Acme", licensee="Gamma", patents=None,
                                     territory=("US",), effective=day))
    ledger.append(LicenseGranted(licence_id="L1", licensor="Acme", licensee="Gamma", patents=("US8000001",),
                                 territory=("US",), effective="2013-01-01"))
    ledger.refresh()
    store = ledger._store
    known = store.head()[0]
    probe = date(2014, 6, 1)
    history, rows = store.views.reads.history_and_licences(
        "US8000001", list(LICENCES.columns), ["US8000001"], probe, probe + timedelta(days=1), known, ["Gamma"])
    assert sorted(history) == sorted(store.views.reads.owner_history("US8000001", known))
    assert [row[0] for row in history].count("Acme") == 2
    assert sorted(row[0] for row in rows) == ["L1", "P1", "P2"]
    assert len({row[-1] for row in rows}) == 3
    assert ledger.is_licensed("Gamma", "US8000001", on=probe, territory="US")
    assert not ledger.is_licensed("Delta", "US8000001", on=probe, territory="US")

BAN_IDS = ["B0", "B1", "B2"]
PRODUCTS = ["phone", "tablet"]
ban_events = st.one_of(
    st.builds(lambda b, who, t, ps, pr, d: BanImposed(ban_id=b, against=who, territory=t, authority="Court", patents=ps,
                                                     products=pr, effective=d),
              st.sampled_from(BAN_IDS), st.lists(st.sampled_from(PARTIES), min_size=1, max_size=2, unique=True),
              st.lists(st.sampled_from(["IN", "US", "WORLD"]), min_size=1, max_size=2, unique=True),
              st.lists(st.sampled_from(PATENTS), max_size=2, unique=True),
              st.none() | st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=2, unique=True), days),
    st.builds(lambda b, ex, rel, d: BanModified(ban_id=b, exempt_products=ex, released_patents=rel, conditions="bond",
                                                effective=d),
              st.sampled_from(BAN_IDS), st.lists(st.sampled_from(PRODUCTS), max_size=1),
              st.lists(st.sampled_from(PATENTS), max_size=1), days),
    st.builds(lambda b, d: BanLifted(ban_id=b, effective=d), st.sampled_from(BAN_IDS), days),
    st.builds(lambda p, d: PatentLapsed(patent=p, effective=d), st.sampled_from(PATENTS), days),
    st.builds(lambda pair, d: PartyRenamed(old=pair[0], new=pair[1], effective=d),
              st.lists(st.sampled_from(PARTIES), min_size=2, max_size=2, unique=True), days),
)


def previous_bans(reading: Reading, on: date, against: str | None, territory: str | None,
                  product: str | None) -> list[tuple[int, Ban]]:
    """_bans as it was computed before: every stretch as a Ban, then the tests."""
    period = parse_period(on, "on")
    names = None if against is None else set(_names_of(reading, against, period))
    found: dict[str, tuple[int, Ban]] = {}
    for position, ban in reading.ban_stretches(names, period.start, period.stop):
        aliases = _aliases_at(reading, period.end, reading.renames_of(ban.against))
        parties = tuple(dict.fromkeys(aliases.canonical(name) for name in ban.against))
        if names is not None and not names & (set(parties) | set(ban.against)):
            continue
        if territory is not None and territory not in ban.territory and "WORLD" not in ban.territory:
            continue
        if ban.patents and _all_ended(reading, ban.patents, max(ban.valid_from, period.start)):
            continue
        if product is not None and (
            (ban.products is not None and product not in ban.products) or product in ban.exempt_products
        ):
            continue
        found[ban.ban_id] = (position, attrs.evolve(ban, against=parties))
    return list(found.values())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(ban_events, min_size=1, max_size=10), probe=days)
def test_bans_tested_on_their_rows_equal_the_previous_computation(history: list, probe: date) -> None:
    with Ledger.open() as ledger:
        ledger.append(PatentRegistered(patent=PATENTS[0], owner=PARTIES[0], effective="1990-01-01"))
        append_what_the_log_accepts(ledger, history)
        reading = ledger._reading(None, None)
        for against in [None, *PARTIES]:
            for territory in (None, "IN", "US"):
                for product in (None, *PRODUCTS):
                    expected = previous_bans(reading, probe, against, territory, product)
                    assert _bans(reading, parse_period(probe, "on"), against, territory, product) == expected


def test_a_portfolio_reads_its_listed_patents_and_undisclosed_blocks_together(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US8000001", owner="Acme", effective="2010-01-01"))
    ledger.append(PatentsAssigned(assignor=("Acme",), assignee=("Beta",), patents=("US8000001",), disclosed_count=5,
                                  effective="2012-01-01"))
    held = ledger.portfolio("Beta", on="2013-01-01")
    assert held.patents == {"US8000001"} and held.undisclosed == 4
    assert ledger.portfolio("Acme", on="2013-01-01").patents == frozenset()
    assert ledger.portfolio("Acme", on="2011-01-01").patents == {"US8000001"}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories)
def test_the_position_of_a_known_at_kept_per_head_equals_a_fresh_look_up(history: list) -> None:
    with Ledger.open() as ledger:
        for event in history:
            append_what_the_log_accepts(ledger, [event])
            head = ledger._store.head()[0]
            for recorded in ledger.events():
                moment = recorded.recorded_at
                ledger.owners_of(PATENTS[0], on="2015", known_at=moment)  # (fills the memo at this head)
                assert ledger._position_at(moment, head) == ledger._store.position_at(moment)


# --- the licensor's right to grant: only the licences to the licensor's names are read ------------------

from dealtrack.events import PartiesMerged  # noqa: E402
from dealtrack.parties import party_key  # noqa: E402
from dealtrack.projections.rights import licence_from_row  # noqa: E402
from dealtrack.questions import ONE_DAY, _cannot_grant  # noqa: E402

SPELLED = [*PARTIES, "NOKIA", "Nokia Inc.", "xiaomi"]  # spellings under the keys of PARTIES
_names = st.sampled_from(SPELLED)
grant_events = st.one_of(
    st.builds(lambda p, o, d: PatentRegistered(patent=p, owner=o, effective=d), st.sampled_from(PATENTS), _names, days),
    st.builds(lambda a, b, ps, d: PatentsAssigned(assignor=(a,), assignee=(b,), patents=ps, effective=d),
              _names, _names, st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2, unique=True), days),
    st.builds(lambda n, pair, ps, sub, d: LicenseGranted(licence_id=f"L{n}", licensor=pair[0], licensee=pair[1],
                                                         patents=ps, sublicensable=sub, territory=("US",), effective=d),
              st.integers(0, 12), st.lists(_names, min_size=2, max_size=2, unique=True),
              st.none() | st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2, unique=True), st.booleans(), days),
    st.builds(lambda pair, d, merge: (PartiesMerged(absorbed=pair[0], into=pair[1], effective=d) if merge
                                      else PartyRenamed(old=pair[0], new=pair[1], effective=d)),
              st.lists(_names, min_size=2, max_size=2, unique=True), days, st.booleans()),
)


def previous_cannot_grant(reading: Reading, licence: object, patent: str, numbers: set[str]) -> tuple[str, str] | None:
    """_cannot_grant as it was computed before: every licence on the patent then, filtered to the licensor's."""
    start = licence.valid_from  # type: ignore[attr-defined]
    holders = reading.owners_again(patent, start, start + ONE_DAY)
    licensor = party_key(_canonical(reading, licence.licensor, start))  # type: ignore[attr-defined]
    if licensor in {party_key(holder) for holder in holders} or (not holders and licence.patents is not None):  # type: ignore[attr-defined]
        return None
    if licence.patents is None:  # type: ignore[attr-defined]
        return "not_in_portfolio", ""
    held = [licence_from_row(row) for row in reading.licence_rows_on(patent, start, start + ONE_DAY)
            if row[0] != licence.licence_id and party_key(_canonical(reading, row[2], start)) == licensor]  # type: ignore[attr-defined]
    held = [other for other in held if other.patents is None or not numbers.isdisjoint(other.patents)]
    if any(other.sublicensable for other in held):
        return None
    return ("sublicence_without_right" if held else "licence_without_title", "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(grant_events, min_size=1, max_size=16), known=st.integers(1, 16))
def test_the_right_to_grant_read_for_the_licensor_alone_equals_the_wide_read(history: list, known: int) -> None:
    with Ledger.open() as ledger:
        append_what_the_log_accepts(ledger, history)
        head = ledger._store.head()[0]
        for position in sorted({min(known, head), head}):
            reading = StoredReading(ledger._store, position, head)
            for licence in reading.licences_during(date.min, date.max):
                for patent in PATENTS:
                    numbers = set(reading.numbers(patent))
                    found = _cannot_grant(reading, licence, patent, numbers)
                    expected = previous_cannot_grant(reading, licence, patent, numbers)
                    assert (found and found[0]) == (expected and expected[0])


def test_a_sublicence_counts_under_another_spelling_or_an_earlier_name_of_its_licensor(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Microsoft", effective="2010-01-01"))
    ledger.append(LicenseGranted(licence_id="L0", licensor="Microsoft", licensee="Nokia", patents=("US1",),
                                 sublicensable=True, territory=("US",), effective="2011-01-01"))
    ledger.append(LicenseGranted(licence_id="L1", licensor="NOKIA", licensee="Xiaomi", patents=("US1",),
                                 territory=("US",), effective="2012-01-01"))
    ledger.append(LicenseGranted(licence_id="L2", licensor="Microsoft", licensee="HMD", patents=("US1",),
                                 sublicensable=True, territory=("US",), effective="2011-01-01"))
    ledger.append(PartyRenamed(old="HMD", new="MTL", effective="2011-06-01"))
    ledger.append(LicenseGranted(licence_id="L3", licensor="MTL", licensee="Acme", patents=("US1",),
                                 territory=("US",), effective="2012-01-01"))
    assert ledger.is_licensed("Xiaomi", "US1", on="2013-01-01", territory="US")
    assert ledger.is_licensed("Acme", "US1", on="2013-01-01", territory="US")
    assert not [a for a in ledger.anomalies() if a.kind in ("sublicence_without_right", "licence_without_title")]


# --- the patent's history and the licences that may cover it, in one statement -------------------------------


def previous_is_licensed_in_two_reads(ledger: Ledger, party: str, patent: str, on: date, territory: str) -> bool:
    """is_licensed with the patent's history and its licences read apart (as before they were read together)."""
    period, reading = parse_period(on, "on"), StoredReading(ledger._store, ledger._store.head()[0])
    patent_id, where = reading.patent_id(patent), parse_territory(territory)
    names = set(_names_of(reading, party, period))
    if reading.owners_again(patent_id, period.start, period.stop) & names:
        return True
    return any(
        _canonical(reading, licence.licensee, period.end) in names
        for licence in _licences_covering(reading, patent_id, period, licensees=names)
        if _applies(licence, patent_id, where, _field(None))
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(grant_events, min_size=1, max_size=16), probe=days, known=st.integers(1, 16))
def test_the_history_and_licences_read_together_equal_the_two_reads(history: list, probe: date, known: int) -> None:
    with Ledger.open() as ledger:
        append_what_the_log_accepts(ledger, history)
        ledger.refresh()  # (readings made by hand read the stored views: caught up)
        head = ledger._store.head()[0]
        stop = probe + timedelta(days=1)
        for position in sorted({min(known, head), head}):
            for patent in PATENTS:
                for party in SPELLED:
                    apart = StoredReading(ledger._store, position, head)
                    together = StoredReading(ledger._store, position, head)
                    groups = apart.log.rename_groups()
                    names = set(_names_of(apart, party, parse_period(probe)))
                    history_rows, rows = ledger._store.views.reads.history_and_licences(
                        patent, list(LICENCES.columns), apart.numbers(patent), probe, stop, position,
                        groups.linked(names))
                    assert history_rows == apart._owner_history(patent)  # the same rows in the same order
                    together.prefetch_licences(patent, probe, stop, names)
                    assert together.owners_again(patent, probe, stop) == apart.owners_again(patent, probe, stop)
                    expected = apart.licence_rows_on(patent, probe, stop, names)
                    assert together.licence_rows_on(patent, probe, stop, names) == expected
                    if not groups.knows(row[0] for row in history_rows):  # (else read apart too)
                        assert [row[:-1] for row in sorted(rows, key=lambda row: (row[8], row[0], row[-1]))] == expected
        for party in SPELLED:
            for patent in PATENTS:
                assert ledger.is_licensed(party, patent, on=probe, territory="US") == previous_is_licensed_in_two_reads(
                    ledger, party, patent, probe, "US")
