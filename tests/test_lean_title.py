"""A rebuild folds plain chains of title from a few fields of each stored payload (:mod:`.lean_title`):
the same rows, known over the same spans, as the general fold, and None for every chain it does not take."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta

from hypothesis import event as note, given, settings
from hypothesis import strategies as st

from dealtrack import codec
from dealtrack.events import Event, PartiesMerged, PartyRenamed, PatentRegistered, PatentsAssigned
from dealtrack.parties import former_key, party_key
from dealtrack.projections import lean_title as _lean
from dealtrack.projections.lean_title import KeptFacts, lean_title_fold
from dealtrack.projections.ownership import _title_history
from dealtrack.projections.title import _assignors, renamed_names

# spellings of one party (party_key), a former name written into another, and others
PARTIES = ["Nokia", "NOKIA CORP.", "Nokia Oyj", "HMD F/K/A Nokia", "Microsoft", "Microsoft Corporation", "MTL", "Xiaomi"]
DAY0 = date(2010, 1, 1)

days = st.integers(0, 12).map(lambda n: DAY0 + timedelta(days=n * 30))
# mostly single days, sometimes a month (an imprecise date: the general fold's)
effective = st.one_of(*[days] * 9, days.map(lambda day: f"{day.year:04d}-{day.month:02d}"))
parties = st.sampled_from(PARTIES)
registrations = st.builds(lambda o, d: PatentRegistered(patent="US1", owner=o, effective=d), parties, effective)
assignments = st.builds(
    lambda a, b, d, inventors: PatentsAssigned(assignor=a, assignee=b, patents=["US1"], effective=d, by_inventors=inventors),
    st.lists(parties, min_size=1, max_size=2, unique=True),
    st.lists(parties, min_size=1, max_size=2, unique=True),
    effective,
    st.sampled_from([False, False, False, False, False, True]),
)
# a registration first, most often, then assignments (and now and then another registration)
_renames = st.builds(
    lambda pair, d, merge: (PartiesMerged(absorbed=pair[0], into=pair[1], effective=d) if merge
                            else PartyRenamed(old=pair[0], new=pair[1], effective=d)),
    st.lists(parties, min_size=2, max_size=2, unique=True), effective, st.booleans(),
)


def lean_title_history(
    patent: str, stored: list[tuple[object, int, str, str, int]], fold_point: Callable[[int], int],
    retracted: Mapping[int, int], renames_of: Callable[[set[str]], list[tuple[int, Event]]] | None = None,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]] | None:
    """The lean fold both ways a rebuild takes it: from the chain's payloads, and from the facts noted on the
    pass that indexes them (:class:`KeptFacts`, the fold's facts by position): the same answer."""
    from_payloads = _lean.lean_title_history(patent, stored, fold_point, retracted, renames_of)
    kept = KeptFacts(max((row[1] for row in stored), default=0))
    for _, position, type_name, payload, version in stored:
        kept.add(position, type_name, codec.stored_fields(type_name, payload, version))
    facts = kept.facts([row[1] for row in stored])
    from_kept = None if facts is None else lean_title_fold(patent, facts, fold_point, retracted, renames_of)
    assert from_kept == from_payloads
    if len(stored) == 1 and renames_of is None:
        only = kept.only_fact(patent, stored[0][1], fold_point, retracted)
        assert only is None or only == from_payloads
    return from_payloads


def _names(event: Event) -> tuple[str, ...]:
    if isinstance(event, PatentRegistered):
        return (event.owner,)
    if isinstance(event, PatentsAssigned):
        return (*event.assignor, *event.assignee)
    return renamed_names(event) or ()


def _stored(history: list[tuple[tuple[object, ...], int, int | None]]) -> list[tuple[object, ...]]:
    """``_title_history``'s rows as the ownership and anomalies tables store them, each after its table's name."""
    return sorted(((*row, since, until) for row, since, until in history), key=repr)


def _lean_rows(lean: tuple[list[tuple[object, ...]], list[tuple[object, ...]]]) -> list[tuple[object, ...]]:
    """:func:`lean_title_history`'s rows as :func:`_stored` gives the general fold's."""
    owned, noted = lean
    return sorted([*(("ownership", *row) for row in owned), *(("anomalies", *row) for row in noted)], key=repr)


chains = st.builds(lambda first, rest: [*first, *rest], st.lists(registrations, max_size=1),
                   st.lists(st.one_of(assignments, assignments, assignments, assignments, registrations), max_size=9)
                   ).filter(bool)


def _in_valid_order(chain: list[Event]) -> list[Event]:
    """Most recorded chains are in valid-time order: sort by start (stable)."""
    return sorted(chain, key=lambda event: event.effective.start if event.effective else date.min)


@settings(max_examples=400, deadline=None)
@given(chain=chains, ordered=st.sampled_from([True, True, False]), spread=st.integers(0, 3),
       chained=st.sampled_from([True, True, False]), data=st.data())
def test_a_plain_chain_folds_from_its_payloads_to_the_rows_of_the_general_fold(
    chain: list[Event], ordered: bool, spread: int, chained: bool, data: st.DataObject
) -> None:
    if ordered:
        chain = _in_valid_order(chain)
    if chained:  # each assignment by whoever the previous event gave the patent to: the chains that fold lean
        holders: tuple[str, ...] = ()
        plain: list[Event] = []
        for event in chain:
            if isinstance(event, PatentsAssigned) and holders:
                event = PatentsAssigned(assignor=holders, assignee=event.assignee, patents=["US1"],
                                        effective=event.effective, by_inventors=event.by_inventors)
            plain.append(event)
            holders = (event.owner,) if isinstance(event, PatentRegistered) else tuple(event.assignee)
        chain = plain
    positions = sorted(data.draw(st.sets(st.integers(1, 60), min_size=len(chain), max_size=len(chain))))
    facts = list(zip(positions, chain))
    ends = sorted({*data.draw(st.lists(st.sampled_from(positions), max_size=3)), positions[-1]})

    def fold_point(position: int) -> int:  # appends end at ``ends`` (some events share one), ``spread`` after them
        # (a commit point is the last position of its append, whatever event is there: the point of a point is itself)
        return next((point + spread for point in ends if point + spread >= position), position)

    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in facts]
    retracted = {position: positions[-1] + 1 for position in data.draw(st.lists(st.sampled_from(positions), max_size=1))}
    lean = lean_title_history("US1", stored, fold_point, retracted)
    if lean is not None:
        assert _lean_rows(lean) == _stored(_title_history("US1", facts, retracted, fold_point))
    # renames and mergers of the parties the chain names, recorded between its facts
    renames = data.draw(st.lists(_renames, max_size=3))
    spots = data.draw(st.lists(st.integers(1, 60).filter(lambda n: n not in positions), min_size=len(renames),
                               max_size=len(renames), unique=True))
    linked = sorted(zip(spots, renames))
    names = {name for event in chain for name in _names(event)}
    lean = lean_title_history("US1", stored, fold_point, retracted,
                              lambda asked: [fact for fact in linked if asked & set(_names(fact[1]))] if asked == names else [])
    if lean is not None:
        whole = sorted([*facts, *[fact for fact in linked if names & set(_names(fact[1]))]], key=lambda fact: fact[0])
        assert _lean_rows(lean) == _stored(_title_history("US1", whole, retracted, fold_point))


def test_the_common_shapes_and_their_common_anomalies_fold_lean_and_conflicting_reports_do_not() -> None:
    registered = PatentRegistered(patent="US1", owner="Nokia", effective="2010-01-01")
    sold = PatentsAssigned(assignor=["NOKIA CORP."], assignee=["Microsoft"], patents=["US1"], effective="2012-03-04")
    gap = PatentsAssigned(assignor=["Xiaomi"], assignee=["MTL"], patents=["US1"], effective="2013-01-01")

    def stored(chain: list[Event]) -> list[tuple[str, int, str, str, int]]:
        return [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
                for position, event in enumerate(chain, 1)]

    lean = lean_title_history("US1", stored([registered, sold]), lambda position: position, {})
    assert lean is not None
    assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate([registered, sold], 1)), {},
                                                            lambda position: position))
    # a gap in the chain, or a registration while another party holds it: the anomaly noted as the general fold notes it
    for odd in ([registered, sold, gap], [registered, sold, PatentRegistered(patent="US1", owner="MTL", effective="2014-01-01")]):
        lean = lean_title_history("US1", stored(odd), lambda position: position, {})
        assert lean is not None and lean[1]
        assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate(odd, 1)), {}, lambda position: position))
    # recorded out of valid-time order: each later commit point replays what was recorded by then, in valid-time order
    lean = lean_title_history("US1", stored([sold, registered]), lambda position: position, {})
    assert lean is not None
    assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate([sold, registered], 1)), {},
                                                            lambda position: position))
    # the same assignors, the same day, to someone else: conflicting reports, even when the first came before
    # anyone was known to hold it
    first = PatentsAssigned(assignor=["Xiaomi"], assignee=["MTL"], patents=["US1"], effective="2013-01-01")
    back = PatentsAssigned(assignor=["MTL"], assignee=["Xiaomi"], patents=["US1"], effective="2013-01-01")
    again = PatentsAssigned(assignor=["Xiaomi"], assignee=["Nokia"], patents=["US1"], effective="2013-01-01")
    assert lean_title_history("US1", stored([first, back]), lambda position: position, {}) is not None
    assert lean_title_history("US1", stored([first, back, again]), lambda position: position, {}) is None
    # a holding of no length (sold the day it was bought) is no row
    chain = [registered, PatentsAssigned(assignor=["Nokia"], assignee=["MTL"], patents=["US1"], effective="2012-03-04"), sold]
    chain[2] = PatentsAssigned(assignor=["MTL"], assignee=["Microsoft"], patents=["US1"], effective="2012-03-04")
    lean = lean_title_history("US1", stored(chain), lambda position: 3, {})
    assert lean is not None
    assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate(chain, 1)), {}, lambda position: 3))


@settings(max_examples=300, deadline=None)
@given(chain=chains, data=st.data())
def test_a_plain_chain_recorded_out_of_valid_time_order_folds_lean_to_the_rows_of_the_general_fold(
    chain: list[Event], data: st.DataObject
) -> None:
    # a plain chain in valid-time order (each assignment by the holders before it, every date a day), then
    # recorded in another order: late deals with early dates, as imports bring them
    holders: tuple[str, ...] = ()
    plain: list[Event] = []
    for event in _in_valid_order(chain):
        if event.effective is not None and not event.effective.is_exact:
            continue
        if isinstance(event, PatentsAssigned):
            event = PatentsAssigned(assignor=holders or event.assignor, assignee=event.assignee, patents=["US1"],
                                    effective=event.effective)
        plain.append(event)
        holders = (event.owner,) if isinstance(event, PatentRegistered) else tuple(event.assignee)
    recorded = data.draw(st.permutations(plain))
    positions = sorted(data.draw(st.sets(st.integers(1, 60), min_size=len(recorded), max_size=len(recorded))))
    facts = list(zip(positions, recorded))
    ends = sorted({*data.draw(st.lists(st.sampled_from(positions), max_size=3)), positions[-1]} if positions else set())

    def fold_point(position: int) -> int:
        return next((point for point in ends if point >= position), position)

    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in facts]
    renames = data.draw(st.lists(_renames.filter(lambda event: event.effective is not None and event.effective.is_exact),
                                 max_size=2))
    spots = data.draw(st.lists(st.integers(1, 60).filter(lambda n: n not in positions), min_size=len(renames),
                               max_size=len(renames), unique=True))
    linked = sorted(zip(spots, renames))
    names = {name for event in recorded for name in _names(event)}
    joined = [fact for fact in linked if names & set(_names(fact[1]))]
    lean = lean_title_history("US1", stored, fold_point, {}, lambda asked: joined if asked == names else [])
    if lean is not None:
        whole = sorted([*facts, *joined], key=lambda fact: fact[0])
        assert _lean_rows(lean) == _stored(_title_history("US1", whole, {}, fold_point))


months = days.map(lambda day: f"{day.year:04d}-{day.month:02d}")
# a day or a month, as often as each other, and now and then a year or a span of days
dated = st.one_of(days, months, days.map(lambda day: f"{day.year:04d}"),
                  days.map(lambda day: f"{day.isoformat()}/{(day + timedelta(days=40)).isoformat()}"), days, months)


@settings(max_examples=500, deadline=None)
@given(chain=chains, data=st.data())
def test_a_chain_with_periods_and_retracted_facts_folds_lean_to_the_rows_of_the_general_fold(
    chain: list[Event], data: st.DataObject
) -> None:
    # a chain whose every assignment is by whoever held the patent before it (each as recorded, so not all in
    # valid-time order), dated by days, months, years or spans; some of its facts, and of the renames and
    # mergers joined to it, retracted at later positions (some in the same append as a fact)
    holders: tuple[str, ...] = ()
    plain: list[Event] = []
    for event in chain:
        effective = data.draw(dated)
        if isinstance(event, PatentsAssigned):
            event = PatentsAssigned(assignor=holders or event.assignor, assignee=event.assignee, patents=["US1"],
                                    effective=effective)
        else:
            assert isinstance(event, PatentRegistered)
            event = PatentRegistered(patent="US1", owner=event.owner, effective=effective)
        plain.append(event)
        holders = (event.owner,) if isinstance(event, PatentRegistered) else tuple(event.assignee)
    _record_and_fold_both_ways(data, plain, retractions=3)


def _record_and_fold_both_ways(data: st.DataObject, chain: list[Event], retractions: int) -> None:
    """Record ``chain`` as drawn (in its order or shuffled, at drawn positions, appends ending at drawn points),
    with renames and mergers that name its parties, and retract up to ``retractions`` of all these facts: when
    the lean fold takes the chain, alone or with the renames joined, its rows are the general fold's."""
    recorded = chain if data.draw(st.booleans()) else data.draw(st.permutations(chain))
    positions = sorted(data.draw(st.sets(st.integers(1, 60), min_size=len(recorded), max_size=len(recorded))))
    facts = list(zip(positions, recorded))
    renames = data.draw(st.lists(_renames, max_size=2))
    spots = data.draw(st.lists(st.integers(1, 60).filter(lambda n: n not in positions), min_size=len(renames),
                               max_size=len(renames), unique=True))
    names = {name for event in recorded for name in _names(event)}
    joined = [fact for fact in sorted(zip(spots, renames)) if names & set(_names(fact[1]))]
    every = [position for position, _ in [*facts, *joined]]
    retracted = {position: position + data.draw(st.integers(1, 30))
                 for position in data.draw(st.lists(st.sampled_from(every), max_size=retractions, unique=True))}
    ends = sorted({*data.draw(st.lists(st.sampled_from([*every, *retracted.values()]), max_size=3)),
                   max([*every, *retracted.values()])})

    def fold_point(position: int) -> int:  # appends end at ``ends`` (some events share one), then one per event
        return next((point for point in ends if point >= position), position)

    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in facts]
    lean = lean_title_history("US1", stored, fold_point, retracted)  # (the chain alone, no rename joined)
    note("lean" if lean is not None else "general")
    if lean is not None:
        assert _lean_rows(lean) == _stored(_title_history("US1", facts, retracted, fold_point))
    lean = lean_title_history("US1", stored, fold_point, retracted, lambda asked: joined if asked == names else [])
    if lean is not None:
        whole = sorted([*facts, *joined], key=lambda fact: fact[0])
        assert _lean_rows(lean) == _stored(_title_history("US1", whole, retracted, fold_point))


def test_a_chain_dated_by_months_with_a_retracted_fact_folds_lean() -> None:
    registered = PatentRegistered(patent="US1", owner="Nokia", effective="2010-01-01")
    sold = PatentsAssigned(assignor=["Nokia"], assignee=["Microsoft"], patents=["US1"], effective="2012-03")
    resold = PatentsAssigned(assignor=["Microsoft"], assignee=["MTL"], patents=["US1"], effective="2012-03-20")
    gap = PatentsAssigned(assignor=["Xiaomi"], assignee=["Nokia"], patents=["US1"], effective="2013")
    chain = [registered, sold, resold, gap]
    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in enumerate(chain, 1)]
    for retracted in ({}, {3: 5}, {1: 6, 2: 7}):
        lean = lean_title_history("US1", stored, lambda position: position, retracted)
        assert lean is not None
        assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate(chain, 1)), retracted,
                                                                lambda position: position))
    # Microsoft's holding fades to the end of March 2012, when MTL's (from the 20th) has settled it
    owned, _ = lean_title_history("US1", stored, lambda position: position, {}) or ([], [])
    assert ("US1", "Microsoft", "2012-03-01", "2012-03-20", 2, 3, None) in owned


INVENTORS = ["Ann Lee", "ANN LEE", "Bo Chen", "Cy Diaz"]  # (two spellings of one inventor, now and then)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_a_chain_with_assignments_by_inventors_folds_lean_to_the_rows_of_the_general_fold(data: st.DataObject) -> None:
    # inventors assigning their shares (all at once, or some now and some later, each to one or two assignees),
    # the assignees selling on, a registration before or after (or none), dated by days or months, recorded in
    # valid-time order or not, some facts retracted, renames and mergers joined
    inventors = data.draw(st.lists(st.sampled_from(INVENTORS), min_size=1, max_size=3, unique=True))
    chain: list[Event] = []
    holders: tuple[str, ...] = ()
    left = list(inventors)
    while left:
        share = data.draw(st.lists(st.sampled_from(left), min_size=1, max_size=len(left), unique=True))
        left = [name for name in left if name not in share]
        assignee = data.draw(st.lists(parties, min_size=1, max_size=2, unique=True))
        chain.append(PatentsAssigned(assignor=share, assignee=assignee, patents=["US1"], effective=data.draw(dated),
                                     by_inventors=True))
        holders = tuple(assignee)
    for _ in range(data.draw(st.integers(0, 3))):
        assignee = data.draw(st.lists(parties, min_size=1, max_size=2, unique=True))
        by_inventors = data.draw(st.sampled_from([False, False, False, True]))
        chain.append(PatentsAssigned(assignor=holders if not by_inventors else [data.draw(st.sampled_from(INVENTORS))],
                                     assignee=assignee, patents=["US1"], effective=data.draw(dated),
                                     by_inventors=by_inventors))
        holders = tuple(assignee)
    where = data.draw(st.sampled_from(["none", "none", "before", "after", "anywhere"]))
    if where != "none":
        registered = PatentRegistered(patent="US1", owner=data.draw(parties), effective=data.draw(dated))
        at = {"before": 0, "after": len(chain)}.get(where) or data.draw(st.integers(0, len(chain)))
        chain.insert(at, registered)
    if data.draw(st.booleans()):  # dated in the order they were recorded: each on or after the one before
        chain = _in_valid_order(chain)
    _record_and_fold_both_ways(data, chain, retractions=2)


def test_the_common_inventors_chain_folds_lean() -> None:
    # the inventors assign, the assignee sells on, then one inventor's assignment is recorded late
    assigned = PatentsAssigned(assignor=["Ann Lee", "Bo Chen"], assignee=["Nokia"], patents=["US1"],
                               effective="2010-01-05", by_inventors=True)
    sold = PatentsAssigned(assignor=["Nokia"], assignee=["Microsoft"], patents=["US1"], effective="2012-03")
    late = PatentsAssigned(assignor=["Cy Diaz"], assignee=["Nokia"], patents=["US1"], effective="2010-02-01",
                           by_inventors=True)
    chain = [assigned, sold, late]
    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in enumerate(chain, 1)]
    for retracted in ({}, {1: 4}, {2: 5}):
        lean = lean_title_history("US1", stored, lambda position: position, retracted)
        assert lean is not None
        assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate(chain, 1)), retracted,
                                                                lambda position: position))
    owned, noted = lean_title_history("US1", stored, lambda position: position, {}) or ([], [])
    assert ("US1", "Ann Lee", "0001-01-01", "2010-01-05", 1, 1, None) in owned and not noted
    assert ("US1", "Cy Diaz", "0001-01-01", "2010-02-01", 3, 3, None) in owned
    # the inventors' assignment recorded twice (as the register often has it): one transfer, no gap, still lean
    twice = [assigned, sold, assigned]
    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in enumerate(twice, 1)]
    lean = lean_title_history("US1", stored, lambda position: position, {})
    assert lean is not None
    assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate(twice, 1)), {}, lambda position: position))


def test_kept_facts_stop_at_their_limit_and_then_give_no_chain() -> None:
    """Past ``limit`` distinct lists of names, nothing more is noted (the fold reads the payloads back)."""
    kept = KeptFacts(10, limit=3)
    for position, owner in enumerate(["A", "B", "C", "D"], start=1):
        event = PatentRegistered(patent="US1", owner=owner, effective=DAY0)
        kept.add(position, "PatentRegistered", codec.stored_fields("PatentRegistered", codec.dumps(event), 1))
    assert kept.facts([1, 2]) is not None
    assert kept.full and kept.facts([1, 4]) is None and kept.facts([5]) is None


def _assignors_by_keys(holders: set[str], names: list[str]) -> frozenset[str]:
    """:func:`.title._assignors` as written before its shortcuts: every name looked up by its key."""
    every: dict[str, set[str]] = {}
    for holder in holders:
        every.setdefault(party_key(holder), set()).add(holder)
    return frozenset().union(*(every.get(party_key(name)) or every.get(former_key(name) or "") or {name}
                               for name in names))


@given(holders=st.sets(parties, max_size=3), names=st.lists(parties, min_size=1, max_size=3, unique=True))
def test_the_assignors_an_assignment_names_are_those_its_names_answer_to_by_key(holders: set[str], names: list[str]) -> None:
    """The shortcuts (no holder yet; the one holder spelled as it holds) name the holders the keys name."""
    assert _assignors(set(holders), names) == _assignors_by_keys(holders, names)


def test_a_holding_that_begins_and_ends_within_one_append_is_never_believed() -> None:
    """The lean fold notes each row's known_from/known_to as the replay changes the answer: a holding gained
    and handed on between two commit points (Nokia's, in one append of two assignments) is in no answer, and
    the row it ends is believed from that append on, as the general fold has it."""
    chain = [PatentRegistered(patent="US1", owner="Microsoft", effective=DAY0),
             PatentsAssigned(assignor=["Microsoft"], assignee=["Nokia"], patents=["US1"], effective="2010-02-01"),
             PatentsAssigned(assignor=["Nokia"], assignee=["Xiaomi"], patents=["US1"], effective="2010-03-01"),
             PatentsAssigned(assignor=["Xiaomi"], assignee=["MTL"], patents=["US1"], effective="2010-04-01")]
    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in enumerate(chain, 1)]

    def fold_point(position: int) -> int:  # positions 2 and 3 in one append
        return 3 if position == 2 else position

    for retracted in ({}, {4: 5}):
        lean = lean_title_history("US1", stored, fold_point, retracted)
        assert lean is not None
        assert _lean_rows(lean) == _stored(_title_history("US1", list(enumerate(chain, 1)), retracted, fold_point))
    owned, noted = lean_title_history("US1", stored, fold_point, {}) or ([], [])
    assert sorted(owned, key=repr) == sorted([
        ("US1", "Microsoft", "2010-01-01", None, 1, 1, 3), ("US1", "Microsoft", "2010-01-01", "2010-02-01", 1, 3, None),
        ("US1", "Nokia", "2010-02-01", "2010-03-01", 2, 3, None), ("US1", "Xiaomi", "2010-03-01", None, 3, 3, 4),
        ("US1", "Xiaomi", "2010-03-01", "2010-04-01", 3, 4, None), ("US1", "MTL", "2010-04-01", None, 4, 4, None)],
        key=repr) and not noted


@settings(max_examples=300, deadline=None)
@given(registered=registrations, assigned=assignments, by_owner=st.sampled_from([True, True, True, False]),
       data=st.data())
def test_a_registration_then_one_assignment_folds_lean_to_the_rows_of_the_general_fold(
    registered: PatentRegistered, assigned: PatentsAssigned, by_owner: bool, data: st.DataObject
) -> None:
    """The commonest chain of two facts takes its own short way (``_registered_then_assigned``): the same rows,
    known over the same spans, as the general fold, whether the two share an append or not."""
    if by_owner:
        assigned = PatentsAssigned(assignor=[registered.owner], assignee=assigned.assignee, patents=["US1"],
                                   effective=assigned.effective, by_inventors=assigned.by_inventors)
    chain: list[Event] = [registered, assigned]
    positions = sorted(data.draw(st.sets(st.integers(1, 9), min_size=2, max_size=2)))
    joined = data.draw(st.booleans())  # both in one append, or each in its own

    def fold_point(position: int) -> int:
        return positions[1] if joined else position

    facts = list(zip(positions, chain))
    stored = [("US1", position, type(event).__name__, codec.dumps(event), codec.SCHEMA_VERSIONS[type(event).__name__])
              for position, event in facts]
    note("short way" if _lean._registered_then_assigned(
        "US1", _lean._lean_facts(stored) or [], fold_point) is not None else "the replay")
    lean = lean_title_history("US1", stored, fold_point, {})
    if lean is not None:
        assert _lean_rows(lean) == _stored(_title_history("US1", facts, {}, fold_point))
