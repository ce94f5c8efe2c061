"""The fast paths give the same answers as the simple ones they stand in for.

- ``codec.dumps`` (generated code) writes the bytes cattrs' unstructure would;
- ``codec.decode_stored`` (no re-validation) builds the event the checked ``loads`` builds,
  and falls back to the checked path, with its errors, on anything unexpected;
- ``RenameGroups`` (union-find) finds the renames ``relevant_renames`` grows one by one;
- ``history.advance`` carried append by append ends in the rows ``believed_rows`` computes at once;
- a rebuild's one replay of a chain of title (``fold_title_steps``) stores the rows folding at each point does.
"""

from __future__ import annotations

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealtrack import InvalidEvent, codec
from dealtrack.events import Event, PartiesMerged, PartyRenamed
from dealtrack.projections.history import advance, believed_rows
from dealtrack.projections.ownership import relevant_renames
from dealtrack.projections.reader import RenameGroups
from dealtrack.projections.title import fold_title
from test_codec import STRATEGIES, any_event
from test_ownership_properties import histories

keys = st.none() | st.from_regex(r"uspto:[0-9]{6}/[0-9]{4}", fullmatch=True)


@settings(max_examples=300)
@given(event=any_event, key=keys)
def test_dumps_writes_what_cattrs_writes(event: Event, key: str | None) -> None:
    event = attrs.evolve(event, natural_key=key)
    assert codec.dumps(event) == orjson.dumps(codec.converter.unstructure(event)).decode()


@settings(max_examples=300)
@given(event=any_event, key=keys)
def test_decode_stored_builds_what_the_checked_path_builds(event: Event, key: str | None) -> None:
    event = attrs.evolve(event, natural_key=key)
    payload = codec.dumps(event)
    version = codec.SCHEMA_VERSIONS[event.type]
    lean = codec.decode_stored(event.type, payload, version)
    assert lean == codec.loads(event.type, payload, version) == event
    assert type(lean) is type(event)
    assert codec.dumps(lean) == payload


@pytest.mark.parametrize(
    ("type_name", "payload"),
    [
        ("LicenseTerminated", "not json"),
        ("LicenseTerminated", '{"licence_id": "L1"}'),  # a field missing
        ("LicenseTerminated", '{"licence_id": "L1", "effective": "2016", "surplus": 1, "deal": null, "sources": [],'
                              ' "note": null, "registry_ref": null, "registry_recorded": null, "natural_key": null}'),
        ("PatentBurned", "{}"),
    ],
)
def test_decode_stored_falls_back_to_the_checked_path_and_its_errors(type_name: str, payload: str) -> None:
    with pytest.raises(InvalidEvent):
        codec.decode_stored(type_name, payload, 1)


@given(history=histories, names=st.sets(st.sampled_from(["Microsoft", "Nokia", "Xiaomi", "MTL", "HMD", "Other"])))
def test_rename_groups_find_the_renames_relevant_renames_grows(history: list[Event], names: set[str]) -> None:
    renames = [(pos, event) for pos, event in enumerate(history, 1) if isinstance(event, (PartyRenamed, PartiesMerged))]
    expected = sorted(relevant_renames(renames, names), key=lambda fact: fact[0])
    assert RenameGroups(renames).renames_of(names) == expected


def _title_rows(live: list[tuple[int, Event]]) -> list[tuple[str, str, object, object, int]]:
    return [("US1", h.owner, h.valid_from, h.valid_to, h.position) for h in fold_title("US1", live)[0]]


def _log(history: list[Event], retract: list[int]) -> tuple[list[tuple[int, Event]], dict[int, int]]:
    """The facts at positions 1..n, then the retractions of ``retract`` (one position each, the first of each only)."""
    facts = list(enumerate(history, 1))
    retracted: dict[int, int] = {}
    for offset, target in enumerate(retract, 1):
        if target <= len(facts) and target not in retracted:
            retracted[target] = len(facts) + offset
    return facts, retracted


def _carried(facts: list, retracted: dict[int, int], ends: list[int], fold_point=lambda position: position) -> list:
    """The rows stored by carrying them append by append, each append ending at one of ``ends``."""
    stored: dict[int, list] = {}  # handle -> [row, known_from, known_to]
    after = 0
    for cut in ends:
        seen = [fact for fact in facts if fact[0] <= cut]
        known = {target: by for target, by in retracted.items() if by <= cut}
        believed = {row: (since, handle) for handle, (row, since, until) in stored.items() if until is None}
        closed, new = advance(seen, known, _title_rows, believed, after, fold_point)
        for handle, until in closed:
            stored[handle][2] = until
        for row, since, until in new:
            stored[len(stored)] = [row, since, until]
        after = cut
    return sorted(map(tuple, stored.values()), key=repr)


@given(history=histories, cuts=st.lists(st.integers(1, 14), max_size=4), retract=st.lists(st.integers(1, 14), max_size=3))
def test_advance_append_by_append_ends_where_believed_rows_does(
    history: list[Event], cuts: list[int], retract: list[int]
) -> None:
    """Appends end at ``cuts``; carrying the stored rows append by append gives the rows a rebuild computes at once."""
    facts, retracted = _log(history, retract)
    end = len(facts) + len(retract)
    ends = sorted({c for c in cuts if c < end} | {end})
    assert _carried(facts, retracted, ends) == sorted(believed_rows(facts, retracted, _title_rows), key=repr)


@given(history=histories, cuts=st.lists(st.integers(1, 14), max_size=4), retract=st.lists(st.integers(1, 14), max_size=3))
def test_folding_at_commit_points_believes_at_each_point_what_folding_every_position_does(
    history: list[Event], cuts: list[int], retract: list[int]
) -> None:
    """Appends end at ``cuts``: folding once per append gives, at each append's end, the rows folding every position
    gives there, and carrying them append by append ends where a rebuild at those points does."""
    facts, retracted = _log(history, retract)
    end = len(facts) + len(retract)
    ends = sorted({c for c in cuts if c < end} | {end})

    def fold_point(position: int) -> int:
        return next(point for point in ends if point >= position)

    def believed_at(rows: list, point: int) -> set:
        return {row for row, since, until in rows if since <= point and (until is None or until > point)}

    every = believed_rows(facts, retracted, _title_rows)
    at_points = believed_rows(facts, retracted, _title_rows, fold_point)
    for point in ends:
        assert believed_at(at_points, point) == believed_at(every, point)
    assert {since for _, since, _ in at_points} <= set(ends)
    assert _carried(facts, retracted, ends, fold_point) == sorted(at_points, key=repr)


@given(history=histories, cuts=st.lists(st.integers(1, 14), max_size=4), retract=st.lists(st.integers(1, 14), max_size=3))
def test_one_replay_of_a_chain_stores_the_rows_folding_at_each_point_does(
    history: list[Event], cuts: list[int], retract: list[int]
) -> None:
    """A rebuild folds a chain of title once where it can (facts in valid-time order, none retracted) and
    notes its answer at each commit point: the same rows, known over the same spans, as folding each point."""
    from dealtrack.projections.ownership import _title_fold, _title_history

    facts, retracted = _log(history, retract)
    end = len(facts) + len(retract)
    ends = sorted({c for c in cuts if c < end} | {end})

    def fold_point(position: int) -> int:
        return next(point for point in ends if point >= position)

    for known in (retracted, {}):
        expected = advance(facts, known, _title_fold("US1"), {}, 0, fold_point)[1]
        assert sorted(_title_history("US1", facts, known, fold_point), key=repr) == sorted(expected, key=repr)


@given(history=histories, point=st.integers(1, 3))
def test_a_chain_of_one_fact_stores_the_rows_folding_it_does(history: list[Event], point: int) -> None:
    """A rebuild writes a chain of one fact (a third of them) without a replay: the rows ``advance`` stores."""
    from dealtrack.projections.ownership import _title_fold, _title_history

    for fact in enumerate(history[:3], 1):
        facts = [fact]
        expected = advance(facts, {}, _title_fold("US1"), {}, 0, lambda position: position + point)[1]
        assert sorted(_title_history("US1", facts, {}, lambda position: position + point), key=repr) == sorted(expected, key=repr)


@given(event=st.one_of(STRATEGIES["PatentRegistered"], STRATEGIES["PatentLapsed"], any_event))
def test_a_keyed_view_reads_the_keys_of_a_stored_event_off_its_fields_as_off_the_event(event: Event) -> None:
    """A rebuild of a view with ``stored_keys`` (patent terms) never builds the events it reads its keys from."""
    from dealtrack.projections.rights import PATENT_TERMS

    assert PATENT_TERMS.stored_keys is not None
    if event.type not in PATENT_TERMS.types:
        return
    fields = codec.stored_fields(event.type, codec.dumps(event), codec.SCHEMA_VERSIONS[event.type])
    assert list(PATENT_TERMS.stored_keys(event.type, fields)) == list(PATENT_TERMS.keys(event))


# --- the licence index: listed patents by term, portfolio licences by linked licensor -------------------

from datetime import date, timedelta  # noqa: E402

from dealtrack import Ledger  # noqa: E402
from dealtrack.events import LicenseGranted, CrossLicenseAgreed  # noqa: E402
from dealtrack.projections.reading import Reading, StoredReading  # noqa: E402
from dealtrack.questions import _canonical, _licences_covering, _names_of  # noqa: E402
from dealtrack.values import Period  # noqa: E402
from test_ownership_properties import PARTIES, PATENTS, assignments, days, parties, registrations, renames  # noqa: E402

_grants = st.builds(
    lambda n, pair, ps, d: LicenseGranted(licence_id=f"L{n}", licensor=pair[0], licensee=pair[1], patents=ps, effective=d),
    st.integers(0, 30), st.lists(parties, min_size=2, max_size=2, unique=True),
    st.none() | st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2), days,
)
_cross = st.builds(
    lambda n, pair, d: CrossLicenseAgreed(licence_id=f"X{n}", parties=pair, effective=d),
    st.integers(0, 30), st.lists(parties, min_size=2, max_size=2, unique=True), days,
)
_rights_histories = st.lists(st.one_of(registrations, assignments, renames, _grants, _grants, _cross), min_size=1, max_size=16)


def _append_what_the_log_takes(ledger: Ledger, history: list[Event]) -> None:
    """Append each event alone; one the log refuses (an id used twice, a lift before its ban) is left out."""
    for event in history:
        try:
            ledger.append(event)
        except InvalidEvent:
            pass


class _Scanning(StoredReading):
    """The same reading, but looking through every licence instead of the index."""

    licence_rows_on = Reading.licence_rows_on


@settings(max_examples=80, deadline=None)
@given(history=_rights_histories, probes=st.lists(days, min_size=2, max_size=2))
def test_the_licence_index_finds_what_a_scan_of_every_licence_finds(history: list[Event], probes: list[date]) -> None:
    with Ledger.open() as ledger:
        _append_what_the_log_takes(ledger, history)
        store = ledger._store
        for known in {len(ledger), max(1, len(ledger) // 2)}:
            for day in probes:
                period = Period(day, day + timedelta(days=40))
                for patent in PATENTS:
                    fast = _licences_covering(StoredReading(store, known), patent, period)
                    scan = _licences_covering(_Scanning(store, known), patent, period)
                    assert sorted(fast, key=repr) == sorted(scan, key=repr)  # the two directions of a cross-licence tie
                    for party in PARTIES:  # is_licensed asks only about licences to one party's names
                        reading = StoredReading(store, known)
                        names = set(_names_of(reading, party, period))
                        to_party = [lic for lic in _licences_covering(reading, patent, period, licensees=names)
                                    if _canonical(reading, lic.licensee, period.end) in names]
                        expected = [lic for lic in scan if _canonical(reading, lic.licensee, period.end) in names]
                        assert sorted(to_party, key=repr) == sorted(expected, key=repr)


# --- the ban index: bans by the parties they are against ---------------------------------------------

from dealtrack.events import BanImposed, BanLifted  # noqa: E402
from dealtrack.questions import _bans  # noqa: E402

_impositions = st.builds(
    lambda n, who, d: BanImposed(ban_id=f"B{n}", against=who, territory=("IN",), authority="Delhi High Court", effective=d),
    st.integers(0, 20), st.lists(parties, min_size=1, max_size=2), days,
)
_lifts = st.builds(lambda n, d: BanLifted(ban_id=f"B{n}", effective=d), st.integers(0, 20), days)
_ban_histories = st.lists(st.one_of(renames, renames, _impositions, _impositions, _lifts), min_size=1, max_size=16)


class _ScanningBans(StoredReading):
    """The same reading, but looking through every ban instead of the index."""

    ban_rows_against = Reading.ban_rows_against


@settings(max_examples=80, deadline=None)
@given(history=_ban_histories, probes=st.lists(days, min_size=2, max_size=2))
def test_the_ban_index_finds_what_a_scan_of_every_ban_finds(history: list[Event], probes: list[date]) -> None:
    with Ledger.open() as ledger:
        _append_what_the_log_takes(ledger, history)
        store = ledger._store
        for known in {len(ledger), max(1, len(ledger) // 2)}:
            for day in probes:
                period = Period(day, day + timedelta(days=40))
                for party in [*PARTIES, "Nobody"]:
                    fast = _bans(StoredReading(store, known), period, party, None, None)
                    scan = _bans(_ScanningBans(store, known), period, party, None, None)
                    assert fast == scan


# --- bans by party: the rows of bans once per party banned, one seek by party and date -----------------------

from dealtrack.events import BanModified  # noqa: E402
from dealtrack.projections.rights import BANS, as_list  # noqa: E402
from dealtrack.projections.tail import TailReading, read_tail  # noqa: E402

_places = st.sampled_from([("IN",), ("US", "IN"), ("WORLD",), ("DE",)])
_banned = st.builds(
    lambda n, who, where, d: BanImposed(ban_id=f"B{n}", against=who, territory=where, authority="Delhi High Court",
                                        effective=d),
    st.integers(0, 6), st.lists(parties, min_size=1, max_size=3), _places, days,
)
_changed = st.builds(lambda n, d, p: BanModified(ban_id=f"B{n}", exempt_products=(p,), effective=d),
                     st.integers(0, 6), days, st.sampled_from(["Mi 3", "Redmi Note"]))
_lifted = st.builds(lambda n, d: BanLifted(ban_id=f"B{n}", effective=d), st.integers(0, 6), days)
_retracted = st.integers(0, 30)  # retract the event appended that many appends ago (when there is one)
_ban_changes = st.lists(st.one_of(renames, _banned, _banned, _changed, _lifted, _retracted), min_size=1, max_size=18)


def _append_bans(ledger: Ledger, history: list[Event | int]) -> None:
    """Append each event alone (one the log refuses is left out); an int retracts an earlier append."""
    ids: list[str] = []
    for event in history:
        try:
            if isinstance(event, int):
                if event < len(ids):
                    ledger.retract(ids[-1 - event], "recorded in error")
            else:
                ids.append(ledger.append(event)[0].event_id)
        except InvalidEvent:
            pass


@settings(max_examples=80, deadline=None)
@given(history=_ban_changes, probes=st.lists(days, min_size=2, max_size=2), span=st.sampled_from([1, 40]))
def test_bans_by_party_read_what_the_bans_against_the_party_are(history: list[Event | int], probes: list[date],
                                                               span: int) -> None:
    # the per-party rows of a ban are its bans rows: on any basis, the rows against some of a set of names in a
    # window (and a territory) are the bans rows in that window whose parties hold one of them, each once, in order
    with Ledger.open() as ledger:
        _append_bans(ledger, history)
        ledger.refresh()
        store, columns = ledger._store, tuple(BANS.columns)
        for known in {len(ledger), max(1, len(ledger) // 2), max(1, len(ledger) // 3)}:
            for day in probes:
                stop = day + timedelta(days=span)
                every = store.views.reads.ban_rows(columns, day, stop, known)
                for names in [{party} for party in [*PARTIES, "Nobody"]] + [set(PARTIES[:2]), set(PARTIES)]:
                    for territory in (None, "IN", "US", "WORLD"):
                        found = store.views.reads.bans_against(columns, names, day, stop, known, territory)
                        expected = [row for row in every if names & set(as_list(row[1]) or ())]
                        if territory is not None:  # (less those whose territory holds neither it nor the world)
                            expected = [row for row in expected if row[2] is not None
                                        and (f'"{territory}"' in row[2] or '"WORLD"' in row[2])]
                        assert found == expected
                for party in [*PARTIES, "Nobody"]:  # and active_bans answers as through every ban
                    for territory in (None, "IN", "US"):
                        period = Period(day, stop - timedelta(days=1))
                        fast = _bans(StoredReading(store, known), period, party, territory, None)
                        scan = _bans(_ScanningBans(store, known), period, party, territory, None)
                        assert fast == scan


@settings(max_examples=40, deadline=None)
@given(history=_ban_changes, more=_ban_changes, probes=st.lists(days, min_size=2, max_size=2))
def test_bans_against_a_party_on_a_tail_answer_what_the_caught_up_views_answer(
    history: list[Event | int], more: list[Event | int], probes: list[date]
) -> None:
    # events appended since the last catch-up (a tail folded at question time) over the stored per-party rows
    with Ledger.open() as ledger:
        _append_bans(ledger, history)
        ledger.refresh()
        _append_bans(ledger, [event for event in more if not isinstance(event, int) and
                              type(event).__name__ not in ("PartyRenamed", "PartiesMerged")])
        store = ledger._store
        head, views = store.views_position()
        tail = read_tail(store, head, views) if views is not None and views != head else None
        answers = []
        if tail is not None:
            reading = TailReading(store, head, tail)
            for day in probes:
                period = Period(day, day + timedelta(days=30))
                answers += [_bans(reading, period, party, territory, None)
                            for party in PARTIES for territory in (None, "IN", "US")]
        ledger.refresh()
        if tail is not None:
            reading = StoredReading(store, len(ledger))
            expected = []
            for day in probes:
                period = Period(day, day + timedelta(days=30))
                expected += [_bans(reading, period, party, territory, None)
                             for party in PARTIES for territory in (None, "IN", "US")]
            assert answers == expected


# --- a portfolio's patents as a set: held_patents gives what holdings gives, without the positions -----------

from dealtrack.events import PatentsAssigned  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(history=histories, undisclosed=st.lists(st.integers(0, 20), min_size=14, max_size=14),
       probes=st.lists(days, min_size=2, max_size=2))
def test_held_patents_are_the_patents_and_blocks_of_the_holdings(history: list[Event], undisclosed: list[int],
                                                                 probes: list[date]) -> None:
    with Ledger.open() as ledger:
        for event, extra in zip(history, undisclosed):
            if isinstance(event, PatentsAssigned) and extra:  # some deals move patents they do not list
                event = PatentsAssigned(assignor=event.assignor, assignee=event.assignee, patents=event.patents,
                                        effective=event.effective, disclosed_count=len(event.patents) + extra)
            (recorded,) = ledger.append(event)
            if extra % 5 == 1:
                ledger.retract(recorded.event_id, "recorded in error")
        ledger.refresh()
        store = ledger._store
        for known in {len(ledger), max(1, len(ledger) // 2)}:
            reading = StoredReading(store, known)
            for day in probes:
                for stop in (day + timedelta(days=1), day + timedelta(days=400)):
                    for names in [[party] for party in PARTIES] + [PARTIES[:2], ["Nobody"]]:
                        patents, blocks = reading.holdings(names, day, stop)
                        assert reading.held_patents(names, day, stop) == (frozenset(p for p, _ in patents), blocks)
                        assert Reading.held_patents(reading, names, day, stop) == reading.held_patents(names, day, stop)


# --- names through renames: only the renames linked to a name can change it ------------------------

from dealtrack.projections.title import Aliases  # noqa: E402
from dealtrack.projections.title import renamed_names as _pair  # noqa: E402
from dealtrack.questions import _aliases_at  # noqa: E402

_name_histories = st.lists(st.one_of(renames, renames, registrations), min_size=1, max_size=14)


def _names_through_every_rename(reading: Reading, party: str, period: Period) -> list[str]:
    """The original ``_names_of``: walk every rename in the ledger."""
    aliases, names = Aliases(), []
    for _, event in reading.renames():
        if event.effective.start > period.start and aliases.canonical(party) not in names:
            names.append(aliases.canonical(party))
        if event.effective.start >= period.stop:
            break
        aliases.move(*_pair(event))
    if aliases.canonical(party) not in names:
        names.append(aliases.canonical(party))
    return names


@settings(max_examples=120, deadline=None)
@given(history=_name_histories, probes=st.lists(days, min_size=2, max_size=2), span=st.integers(0, 400))
def test_names_through_linked_renames_equal_names_through_every_rename(
    history: list[Event], probes: list[date], span: int
) -> None:
    with Ledger.open() as ledger:
        for event in history:
            ledger.append(event)
        for known in {len(ledger), max(1, len(ledger) // 2)}:
            reading = StoredReading(ledger._store, known)
            for day in probes:
                period = Period(day, day + timedelta(days=span))
                for party in [*PARTIES, "Nobody"]:
                    assert _names_of(reading, party, period) == _names_through_every_rename(reading, party, period)
                    every = _aliases_at(reading, day).canonical(party)
                    assert _aliases_at(reading, day, reading.renames_of([party])).canonical(party) == every


# --- transaction times: isoformat writes what strftime wrote, and reads back -------------------------

from datetime import datetime, timezone  # noqa: E402

from dealtrack.sqlite.store import _TIME_FORMAT, format_instant, parse_instant_column  # noqa: E402


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)))
def test_format_instant_writes_the_stored_text_and_reads_back(moment: datetime) -> None:
    text = format_instant(moment)
    assert text == moment.strftime(_TIME_FORMAT)
    assert parse_instant_column(text) == moment


# --- a rebuild's party names: read off the title events by the ownership view's rebuild ----------------

from hypothesis import HealthCheck  # noqa: E402

from conftest import view_rows  # noqa: E402
from dealtrack.projections import runner  # noqa: E402
from dealtrack.projections.parties import PartiesProjection  # noqa: E402


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=_rights_histories)
def test_the_party_names_rebuilt_alone_are_those_a_whole_rebuild_notes_on_its_way(history: list[Event]) -> None:
    """A whole rebuild hands the party-name view the names the ownership view read; alone, it reads them itself."""
    with Ledger.open() as ledger:
        _append_what_the_log_takes(ledger, history)
        ledger.rebuild()
        whole = view_rows(ledger)["party_names"]
        store = ledger._store
        with store.transaction():
            runner._rebuild(store, [PartiesProjection()])
        assert view_rows(ledger)["party_names"] == whole


# --- a rebuild's patent terms: the registrations' keys read off by the ownership view's rebuild -------------

from unittest import mock  # noqa: E402

from dealtrack.events import PatentLapsed, PatentRegistered  # noqa: E402
from dealtrack.projections import ownership  # noqa: E402
from dealtrack.projections.rights import PATENT_TERMS  # noqa: E402

_expiring = st.builds(lambda patent, owner, day, years: PatentRegistered(
    patent=patent, owner=owner, effective=day, expires=None if years is None else day + timedelta(days=365 * years)),
    st.sampled_from(PATENTS), parties, days, st.one_of(st.none(), st.integers(1, 20)))
_lapses = st.builds(lambda patent, day: PatentLapsed(patent=patent, effective=day), st.sampled_from(PATENTS), days)
_term_histories = st.lists(st.one_of(_expiring, _lapses, assignments, renames), min_size=1, max_size=14)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=_term_histories, noted=st.sampled_from([0, 1, 50_000]))
def test_the_patent_terms_rebuilt_alone_are_those_a_whole_rebuild_folds_from_the_keys_noted_on_its_way(
        history: list[Event], noted: int) -> None:
    """A whole rebuild hands the patent-term view the keys of the registrations the ownership view read (up to a
    bound: past it, the view reads them itself); alone, it reads them itself: the same rows, as kept by appends."""
    with Ledger.open() as ledger:
        _append_what_the_log_takes(ledger, history)
        kept = view_rows(ledger)
        with mock.patch.object(ownership, "_NOTED_KEYS", noted), mock.patch.object(ownership, "_CHUNK", 1):
            ledger.rebuild()
        assert view_rows(ledger) == kept
        store = ledger._store
        with store.transaction():
            runner._rebuild(store, [PATENT_TERMS])
        assert view_rows(ledger) == kept


# --- is_licensed: the licence rows tested on their territory's text before any becomes a Licence ----------------

from dealtrack.questions import _applies, _on  # noqa: E402

_placed_grants = st.builds(
    lambda n, pair, ps, places, d: LicenseGranted(licence_id=f"L{n}", licensor=pair[0], licensee=pair[1], patents=ps,
                                                  territory=places, effective=d),
    st.integers(0, 30), st.lists(parties, min_size=2, max_size=2, unique=True),
    st.none() | st.lists(st.sampled_from(PATENTS), min_size=1, max_size=2),
    st.lists(st.sampled_from(["US", "IN", "DE", "WORLD"]), min_size=1, max_size=3, unique=True), days,
)
_placed_histories = st.lists(st.one_of(registrations, assignments, renames, _placed_grants, _placed_grants, _cross),
                             min_size=1, max_size=16)


def _licensed_simply(reading: Reading, party: str, patent: str, day: date, territory: str) -> bool:
    """is_licensed as the licences' objects answer it: an owner's name, or a licence (every one covering the patent,
    scanned) to one of the party's names that applies in the territory."""
    period = _on(day)
    names = set(_names_of(reading, party, period))
    if reading.owners(patent, period.start, period.stop) & names:
        return True
    return any(_applies(licence, patent, territory, None) and _canonical(reading, licence.licensee, period.end) in names
               for licence in _licences_covering(reading, patent, period))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=_placed_histories, probes=st.lists(days, min_size=2, max_size=2))
def test_is_licensed_answers_what_the_licences_objects_answer(history: list[Event], probes: list[date]) -> None:
    with Ledger.open() as ledger:
        _append_what_the_log_takes(ledger, history)
        ledger.refresh()  # (the reference reads the stored views)
        store = ledger._store
        middle = store.rows_at([max(1, len(ledger) // 2)])[0].recorded_at
        for known_at in (None, middle):
            known = ledger._basis(known_at, None).position
            for day in probes:
                for patent in PATENTS:
                    for party in PARTIES:
                        for territory in ("US", "IN", "DE"):
                            expected = _licensed_simply(_Scanning(store, known), party, patent, day, territory)
                            assert ledger.is_licensed(party, patent, on=day, territory=territory,
                                                      known_at=known_at) == expected
