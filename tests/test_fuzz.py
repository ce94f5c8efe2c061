"""Fuzzing: arbitrary values into every event constructor and every question give only DealtrackErrors.

Never a bare TypeError, KeyError, AttributeError or sqlite3 error, and never a
partial write: when a call fails, the log's length and head are as they were.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealtrack import DealtrackError, InvalidEvent, Ledger, Money, Period, Source
from dealtrack.events import (
    EVENT_TYPES,
    BanImposed,
    BanLifted,
    BanModified,
    Event,
    EventRetracted,
    LicenseTerminated,
    PartiesMerged,
    PartyRenamed,
    PatentNumbersLinked,
    PatentRegistered,
    RegisterRecord,
    PatentLapsed,
    SecurityInterestAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from dealtrack.story import seed_story

#: Examples per test; raise it for a deeper run: DEALTRACK_FUZZ_EXAMPLES=2000 python3 -m pytest tests/test_fuzz.py
EXAMPLES = int(os.environ.get("DEALTRACK_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Values a user might plausibly pass, so that some calls get far enough to reach the log.
PLAUSIBLE: list[Any] = [
    "US8000001", "US 8,000,002 B2", "EP1000001", "IN229632", "2016-06-01", "2016-05", "2016", "2014-12-10",
    "Xiaomi", "Microsoft", "Nokia", "Ericsson", "IN", "WORLD", "us", "msft-xiaomi-xl", "nokia-microsoft-2014",
    "ericsson-v-xiaomi-in", "Mi 3", "owners_of", "PatentsAssigned", "2016-06-01T12:00:00Z",
    Source(publisher="Reuters"), Money(1, "USD"), Period(date(2016, 1, 1), date(2016, 12, 31)),
    date(2016, 6, 1), datetime(2016, 6, 1, tzinfo=timezone.utc), ("Microsoft", "Xiaomi"), ["US8000001"], ("IN",),
    [Source(url="https://example.com")], True, False, 0, 1, 1500, -1,
    date.min, date.max, datetime.max, datetime.min, "9999-12-31", "0001-01-01", "\ud800", "\x00", " ", "",
]

scalars = st.one_of(
    st.none(), st.text(max_size=12), st.integers(), st.floats(), st.booleans(), st.binary(max_size=8),
    st.dates(), st.datetimes(), st.decimals(), st.sampled_from(PLAUSIBLE),
)
junk = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.tuples(scalars),
    st.dictionaries(st.text(max_size=4), scalars, max_size=2),
    st.frozensets(st.integers(), max_size=2),
    st.builds(object),
)
#: One story ledger per test run: the questions read it, nothing should change it.
_STORY: list[Event] = [
    *seed_story(),
    PatentRegistered(patent="IN229632", owner="Ericsson", effective="2009"),
    BanImposed(ban_id="ericsson-v-xiaomi-in", against="Xiaomi", territory="IN", authority="Delhi High Court",
               patents=["IN229632"], effective="2014-12-08"),
    SecurityInterestGranted(debtor="Xiaomi", secured_party="Bank", patents=["US8000001"], effective="2017"),
    PartyRenamed(old="Bank", new="Bank plc", effective="2018"),
]


@pytest.fixture(scope="module")
def story() -> Iterator[Ledger]:
    with Ledger.open() as ledger:
        ledger.append(*_STORY)
        yield ledger


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Ledger]:
    """Open a new copy of a file ledger holding _STORY (copying a file is faster than building one)."""
    folder = tmp_path_factory.mktemp("fuzz")
    with Ledger.open(folder / "template.db") as template:
        template.append(*_STORY)
    data = (folder / "template.db").read_bytes()
    copy = folder / "copy.db"

    def open_copy() -> Ledger:
        for leftover in (copy.with_name("copy.db-wal"), copy.with_name("copy.db-shm")):
            leftover.unlink(missing_ok=True)
        copy.write_bytes(data)
        return Ledger.open(copy)

    return open_copy


def unchanged(ledger: Ledger, call: Callable[[], Any]) -> Any:
    """Run ``call``; it may answer or raise a DealtrackError, and if it raises, nothing was written."""
    before = (len(ledger), ledger.head())
    try:
        result = call()
        if inspect.isgenerator(result):
            result = list(result)
    except DealtrackError:
        assert (len(ledger), ledger.head()) == before
        return None
    return result


# --- event constructors ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [*EVENT_TYPES.values(), Source, Money, Period], ids=lambda c: c.__name__)
@FUZZ
@given(data=st.data())
def test_constructors_raise_only_invalid_event(cls: type, data: st.DataObject) -> None:
    fields = attrs.fields(cls)
    # an event's missing field is an InvalidEvent too; Money and Period are called with both of theirs
    required = {f.name: junk for f in fields if f.default is attrs.NOTHING}
    optional = {f.name: junk for f in fields if f.default is not attrs.NOTHING}
    kwargs = data.draw(st.fixed_dictionaries(required, optional=optional))
    try:
        built = cls(**kwargs)
    except InvalidEvent:
        return
    assert isinstance(built, cls)


patent_like = st.from_regex(r"(US|EP|IN|us|WO) ?[0-9][0-9,. ]{0,10}( ?[AB][12])?", fullmatch=True)
partial_dates = st.from_regex(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", fullmatch=True)


def _money_or_junk(amount: Any, currency: Any) -> Any:
    try:
        return Money(amount, currency)
    except InvalidEvent:
        return (amount, currency)


def odd_like(field: str, value: Any) -> st.SearchStrategy[Any]:
    """Values of the same kind as ``value`` but otherwise arbitrary: most pass the field's parser, some do not."""
    if field in ("patent", "patents", "released_patents"):
        return st.lists(patent_like, max_size=3) if field != "patent" else patent_like
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers()
    if isinstance(value, (Period, date)) or field in ("effective", "expires", "filed", "registry_recorded"):
        return st.dates() | partial_dates | st.datetimes()
    if isinstance(value, tuple):
        inner = st.sampled_from(["IN", "WORLD", "us", "XX"]) if field == "territory" else st.text(max_size=8)
        return st.lists(inner, max_size=3) | st.tuples(inner) | inner
    if isinstance(value, Money) or field in ("consideration", "value"):
        return st.builds(_money_or_junk, st.decimals(allow_nan=True) | st.integers(), st.text(max_size=4))
    return st.text(max_size=16) | st.none()


#: A valid event of every type that can follow _STORY; the fuzz replaces some of its fields.
BASES: dict[str, Event] = {
    event.type: event
    for event in [
        *_STORY,
        *(attrs.evolve(e, licence_id=f"fuzz-{e.licence_id}") for e in _STORY if hasattr(e, "licence_id")),
        *(attrs.evolve(e, ban_id="fuzz-ban") for e in _STORY if isinstance(e, BanImposed)),
        EventRetracted(target="<an event id of the story>", reason="reported twice"),
        LicenseTerminated(licence_id="msft-xiaomi-xl", effective="2020"),
        BanModified(ban_id="ericsson-v-xiaomi-in", exempt_products=["Mi 3"], effective="2014-12-16"),
        BanLifted(ban_id="ericsson-v-xiaomi-in", effective="2016-04"),
        PartiesMerged(absorbed="Nokia", into="Microsoft", effective="2019"),
        SecurityInterestReleased(debtor="Xiaomi", secured_party="Bank", patents=["US8000001"], effective="2018-06"),
        SecurityInterestAssigned(secured_party="Bank", successor="Other Bank, as successor agent",
                                 patents=["US8000001"], effective="2018-01"),
        PatentLapsed(patent="US8000002", effective="2019-03-01", reason="maintenance fees not paid"),
        PatentNumbersLinked(application="USAPP14696669", grant="US8000004", effective="2012-01-10"),
        RegisterRecord(conveyance="OPTION AGREEMENT", assignor="Microsoft", assignee="Xiaomi",
                       patents=["US8000002"], effective="2016-05-20", registry_ref="039000/0001"),
    ]
}


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@FUZZ
@given(data=st.data())
def test_events_append_whole_or_not_at_all(fresh: Callable[[], Ledger], name: str, data: st.DataObject) -> None:
    """Some fields of a valid event replaced by anything: it appends whole (and reads back equal) or not at all."""
    with fresh() as ledger:
        ids = [r.event_id for r in ledger.events()]
        base = BASES[name]
        if isinstance(base, EventRetracted):
            base = attrs.evolve(base, target=data.draw(st.sampled_from(ids)))
        names = [field.name for field in attrs.fields(type(base))]
        fields = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        changes = {field: data.draw(odd_like(field, getattr(base, field)) | junk, label=field) for field in fields}
        try:
            event = attrs.evolve(base, **changes)
        except InvalidEvent:
            return
        appended = unchanged(ledger, lambda: ledger.append(event, metadata=data.draw(st.none() | junk)))
        if appended:
            [recorded] = appended
            assert ledger.get(recorded.event_id).event == event
            assert ledger.verify()
            assert isinstance(ledger.anomalies(), list)


# --- questions -------------------------------------------------------------------------------------

QUESTIONS = ["owners_of", "portfolio", "title_chain", "licensees_of", "is_licensed", "encumbrances", "active_bans",
             "standing", "anomalies", "events", "get", "view", "verify"]


def _parameters(name: str) -> list[str]:
    return [p.name for p in inspect.signature(getattr(Ledger, name)).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("question", QUESTIONS)
@FUZZ
@given(data=st.data())
def test_questions_raise_only_dealtrack_errors_and_write_nothing(story: Ledger, question: str, data: st.DataObject) -> None:
    kwargs = data.draw(st.fixed_dictionaries({name: junk for name in _parameters(question)}))
    before = (len(story), story.head())
    unchanged(story, lambda: getattr(story, question)(**kwargs))
    assert (len(story), story.head()) == before


@FUZZ
@given(question=junk, args=st.lists(junk, max_size=4), kwargs=st.dictionaries(st.text(max_size=8), junk, max_size=3))
def test_explain_with_anything(story: Ledger, question: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    unchanged(story, lambda: story.explain(question, *args, **kwargs))


@FUZZ
@given(data=st.data())
def test_view_questions_with_anything(story: Ledger, data: st.DataObject) -> None:
    view = unchanged(story, lambda: story.view(known_at=data.draw(junk), registry_at=data.draw(junk)))
    if view is not None:
        question = data.draw(st.sampled_from(QUESTIONS[:9]))
        kwargs = data.draw(st.fixed_dictionaries({name: junk for name in _parameters(question)}))
        unchanged(story, lambda: getattr(view, question)(**kwargs))


# --- writing with junk -----------------------------------------------------------------------------


@FUZZ
@given(events=st.lists(junk, max_size=3), metadata=junk, expected=junk)
def test_append_with_junk_writes_nothing(
    fresh: Callable[[], Ledger], events: list[Any], metadata: Any, expected: Any
) -> None:
    with fresh() as ledger:
        result = unchanged(ledger, lambda: ledger.append(*events, metadata=metadata, expected_position=expected))
        assert result is None or (not events and len(result) == 0)
        assert len(ledger) == len(_STORY)


@FUZZ
@given(data=st.data())
def test_retract_and_correct_with_junk(fresh: Callable[[], Ledger], data: st.DataObject) -> None:
    with fresh() as ledger:
        ids = [r.event_id for r in ledger.events()]
        target = data.draw(junk | st.sampled_from(ids))
        reason = data.draw(junk)
        retracted = unchanged(ledger, lambda: ledger.retract(target, reason))
        assert retracted is None or len(ledger) == len(_STORY) + 1
        replacement = data.draw(junk | st.sampled_from(_STORY))
        unchanged(ledger, lambda: ledger.correct(data.draw(junk | st.sampled_from(ids)), replacement, data.draw(junk)))
        assert ledger.verify()


def test_a_failure_late_in_an_append_leaves_no_trace() -> None:
    """The last of three events is refused at append (unknown ban): the first two are not written either."""
    with Ledger.open() as ledger:
        ledger.append(*_STORY)
        head = ledger.head()
        with pytest.raises(InvalidEvent, match="ban_id"):
            ledger.append(
                PatentRegistered(patent="US9000001", owner="Nokia", effective="2010"),
                SecurityInterestGranted(debtor="Nokia", secured_party="Bank", patents=["US9000001"], effective="2011"),
                BanLifted(ban_id="no-such-ban", effective="2012"),
            )
        assert ledger.head() == head and ledger.verify()
        assert ledger.owners_of("US9000001", on="2011") == frozenset()


def test_values_that_used_to_escape_as_other_errors() -> None:
    """Each of these once raised TypeError, KeyError, ValueError, OverflowError or a sqlite3 error."""
    with Ledger.open() as ledger:
        ledger.append(*_STORY)
        cases: list[Callable[[], Any]] = [
            lambda: ledger.owners_of("US8000001", on=date.max),
            lambda: ledger.owners_of("US8000001", on=Period("a", "b")),  # type: ignore[arg-type]
            lambda: ledger.owners_of("US8000001", on=Period(date(2020, 1, 1), date(2019, 1, 1))),
            lambda: ledger.append(PatentRegistered(patent="US1", owner="\ud800", effective="2016")),
            lambda: ledger.append(Event(effective="2016")),
            lambda: list(ledger.events(types=5)),  # type: ignore[arg-type]
            lambda: list(ledger.events(types=[["x"]])),  # type: ignore[list-item]
            lambda: list(ledger.events(deal={})),  # type: ignore[arg-type]
            lambda: ledger.get({}),  # type: ignore[arg-type]
            lambda: ledger.get("\ud800"),
            lambda: list(ledger.events(deal="\ud800")),
            lambda: Money(10**5000, "USD"),
            lambda: Money(Decimal("NaN"), "USD"),
            lambda: ledger.verify(anchor=1),  # type: ignore[arg-type]
        ]
        for case in cases:
            with pytest.raises(DealtrackError):
                case()
        assert len(ledger) == len(_STORY) and ledger.verify()
