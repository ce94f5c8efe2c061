"""Events to JSON and back: round trips, refusals of bad payloads, schema versions and upcasters."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Money, Source, codec
from dealtrack.events import (
    EVENT_TYPES,
    BanImposed,
    BanLifted,
    BanModified,
    CrossLicenseAgreed,
    DealAnnounced,
    Event,
    EventRetracted,
    LicenseGranted,
    LicenseTerminated,
    PartiesMerged,
    PartyRenamed,
    PatentLapsed,
    PatentNumbersLinked,
    PatentRegistered,
    PatentsAssigned,
    RegisterRecord,
    SecurityInterestAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)

# --- strategies: valid events of every type ---------------------------------------------------

patents = st.from_regex(r"US[1-9][0-9]{6}", fullmatch=True)
patent_lists = st.lists(patents, max_size=3)
party = st.sampled_from(["Microsoft", "Xiaomi", "Nokia", "Ericsson", "Intellectual Ventures"])
two_parties = st.lists(party, min_size=2, max_size=2, unique=True)
some_parties = party | st.lists(party, min_size=1, max_size=3)
ids = st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True)
words = st.text(max_size=20)
non_blank = st.text(min_size=1, max_size=20).filter(str.strip)
territories = st.lists(st.sampled_from(["WORLD", "IN", "US", "CN", "de"]), min_size=1, max_size=3)
products = st.lists(st.sampled_from(["Redmi Note 4", "Mi 3", "Redmi 1S"]), max_size=2)


@st.composite
def periods(draw: st.DrawFn) -> str:
    """A day, month or year in 1990..2030, as a user would write it."""
    day = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)))
    return draw(st.sampled_from([day.isoformat(), f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}"]))


expiries = st.none() | st.sampled_from(["2040", "2041-03", "2045-12-31"])  # always after any effective date
sources = st.builds(
    Source,
    url=st.none() | st.just("https://news.example.com/a"),
    title=st.none() | words,
    publisher=st.sampled_from(["Reuters", "Microsoft News Center"]),
    published=st.none() | periods(),
)
money = st.builds(
    Money,
    amount=st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(["USD", "eur", "INR"]),
)


def common(**overrides: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "effective": periods(),
        "deal": st.none() | ids,
        "sources": st.lists(sources, max_size=2),
        "note": st.none() | words,
        "registry_ref": st.none() | st.just("037445/0001"),
        "registry_recorded": st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    }
    fields.update(overrides)
    return st.fixed_dictionaries(fields)


@st.composite
def license_granted(draw: st.DrawFn) -> LicenseGranted:
    licensor, licensee = draw(two_parties)
    return LicenseGranted(
        licence_id=draw(ids),
        licensor=licensor,
        licensee=licensee,
        patents=draw(st.none() | patent_lists),
        territory=draw(territories),
        field=draw(st.none() | st.sampled_from(["smartphones", "video codecs"])),
        exclusive=draw(st.booleans()),
        sublicensable=draw(st.booleans()),
        expires=draw(expiries),
        **draw(common()),
    )


@st.composite
def ban_modified(draw: st.DrawFn) -> BanModified:
    exempt, released = draw(products), draw(patent_lists)
    conditions = draw(st.none() | st.just("deposit INR 100 per device"))
    if not (exempt or released or conditions):
        conditions = "deposit INR 100 per device"
    return BanModified(
        ban_id=draw(ids), exempt_products=exempt, released_patents=released, conditions=conditions, **draw(common())
    )


def two_names(cls: type[Event], first: str, second: str) -> st.SearchStrategy[Event]:
    return st.builds(lambda pair, kw: cls(**{first: pair[0], second: pair[1]}, **kw), two_parties, common())


STRATEGIES: dict[str, st.SearchStrategy[Event]] = {
    "PatentRegistered": st.builds(
        lambda kw, **own: PatentRegistered(**own, **kw),
        common(),
        patent=patents,
        owner=party,
        title=st.none() | words,
        filed=st.none() | periods(),
        expires=expiries,
    ),
    "PatentsAssigned": st.builds(
        lambda kw, **own: PatentsAssigned(**own, **kw),
        common(),
        assignor=some_parties,
        assignee=some_parties,
        patents=patent_lists,
        disclosed_count=st.none() | st.integers(3, 2000),
        consideration=st.none() | money,
    ),
    "LicenseGranted": license_granted(),
    "CrossLicenseAgreed": st.builds(
        lambda kw, **own: CrossLicenseAgreed(**own, **kw),
        common(),
        licence_id=ids,
        parties=two_parties,
        patents=st.none() | patent_lists,
        territory=territories,
        field=st.none() | words,
        expires=expiries,
    ),
    "LicenseTerminated": st.builds(lambda kw, **own: LicenseTerminated(**own, **kw), common(), licence_id=ids),
    "BanImposed": st.builds(
        lambda kw, **own: BanImposed(**own, **kw),
        common(),
        ban_id=ids,
        against=some_parties,
        territory=territories,
        authority=st.sampled_from(["Delhi High Court", "ITC"]),
        requested_by=st.none() | party,
        patents=patent_lists,
        products=st.none() | products,
        case=st.none() | st.just("CS(OS) 3775/2014"),
    ),
    "BanModified": ban_modified(),
    "BanLifted": st.builds(lambda kw, **own: BanLifted(**own, **kw), common(), ban_id=ids),
    "PartyRenamed": two_names(PartyRenamed, "old", "new"),
    "PartiesMerged": two_names(PartiesMerged, "absorbed", "into"),
    "SecurityInterestGranted": st.builds(
        lambda kw, **own: SecurityInterestGranted(**own, **kw),
        common(),
        debtor=party,
        secured_party=party,
        patents=st.lists(patents, min_size=1, max_size=3),
    ),
    "SecurityInterestReleased": st.builds(
        lambda kw, **own: SecurityInterestReleased(**own, **kw),
        common(),
        debtor=party,
        secured_party=party,
        patents=st.lists(patents, min_size=1, max_size=3),
        interest=st.none() | st.just("037388/0948"),
    ),
    "SecurityInterestAssigned": st.builds(
        lambda pair, kw, **own: SecurityInterestAssigned(secured_party=pair[0], successor=pair[1], **own, **kw),
        two_parties,
        common(),
        patents=st.lists(patents, min_size=1, max_size=3),
        debtor=st.none() | party,
        interest=st.none() | st.just("037388/0948"),
    ),
    "PatentLapsed": st.builds(
        lambda kw, **own: PatentLapsed(**own, **kw),
        common(),
        patent=patents,
        reason=st.none() | st.just("maintenance fees not paid"),
    ),
    "DealAnnounced": st.builds(
        lambda kw, **own: DealAnnounced(**own, **kw),
        common(deal=ids),
        title=non_blank,
        parties=some_parties,
        value=st.none() | money,
    ),
    "EventRetracted": st.builds(
        lambda kw, **own: EventRetracted(**own, **kw),
        common(effective=st.none() | periods()),
        target=ids,
        reason=non_blank,
    ),
    "PatentNumbersLinked": st.builds(
        lambda kw, **own: PatentNumbersLinked(**own, **kw),
        common(effective=st.none() | periods()),
        application=st.from_regex(r"USAPP[0-9]{8}", fullmatch=True),
        grant=patents,
    ),
    "RegisterRecord": st.builds(
        lambda kw, **own: RegisterRecord(**own, **kw),
        common(),
        conveyance=non_blank,
        assignor=st.lists(party, max_size=2),
        assignee=st.lists(party, max_size=2),
        patents=patent_lists,
    ),
}

any_event = st.one_of(*STRATEGIES.values())


def test_there_is_a_strategy_for_every_event_type() -> None:
    assert set(STRATEGIES) == set(EVENT_TYPES)


# --- round trips -----------------------------------------------------------------------------


def assert_round_trips(event: Event) -> None:
    version = codec.SCHEMA_VERSIONS[event.type]
    assert codec.loads(event.type, codec.dumps(event), version) == event
    assert codec.from_dict(codec.to_dict(event)) == event
    # to_dict is plain JSON data: the standard library can write and read it
    assert codec.from_dict(json.loads(json.dumps(codec.to_dict(event)))) == event


@given(any_event)
def test_any_event_round_trips(event: Event) -> None:
    assert_round_trips(event)


@pytest.mark.parametrize("type_name", list(EVENT_TYPES))
@given(data=st.data())
def test_each_event_type_round_trips(type_name: str, data: st.DataObject) -> None:
    event = data.draw(STRATEGIES[type_name])
    assert type(event) is EVENT_TYPES[type_name]
    assert_round_trips(event)


def test_to_dict_tags_type_and_schema_version() -> None:
    event = PatentRegistered(patent="US 8,000,001", owner="Microsoft", effective="2009-03")
    data = codec.to_dict(event)
    assert data["type"] == "PatentRegistered"
    assert data["schema_version"] == codec.SCHEMA_VERSIONS["PatentRegistered"] == 1
    assert data["patent"] == "US8000001"
    assert data["effective"] == "2009-03"
    assert "type" not in json.loads(codec.dumps(event))


def test_from_dict_accepts_a_missing_schema_version() -> None:
    event = BanLifted(ban_id="b1", effective="2015")
    data = codec.to_dict(event)
    del data["schema_version"]
    assert codec.from_dict(data) == event


# --- refusals ----------------------------------------------------------------------------------

LICENCE = {"type": "LicenseGranted", "licence_id": "l1", "licensor": "Microsoft", "licensee": "Xiaomi", "effective": "2016"}


@pytest.mark.parametrize("data", [{"type": "PatentBurned", "effective": "2016"}, {"effective": "2016"}, {"type": ["BanLifted"]}, {"type": 1}])
def test_from_dict_refuses_unknown_or_missing_type(data: dict) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict(data)
    assert caught.value.field == "type"


def test_from_dict_refuses_extra_keys() -> None:
    data = {**codec.to_dict(BanLifted(ban_id="b1", effective="2015")), "colour": "red"}
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict(data)
    assert caught.value.field.startswith("BanLifted")
    assert "colour" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("licence_id", 1),
        ("licensor", 1),
        ("exclusive", "no"),
        ("sublicensable", 0),
        ("patents", [1]),
        ("patents", 5),
        ("territory", "India"),
        ("territory", [None]),
        ("sources", [1]),
        ("sources", {"url": "x"}),
        ("sources", [{"url": 1}]),
        ("note", 3.5),
    ],
)
def test_from_dict_refuses_wrong_json_types(key: str, bad: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict({**LICENCE, key: bad})
    assert caught.value.field.startswith(("LicenseGranted", "Source"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "PatentsAssigned", "assignor": "A", "assignee": ["B"], "effective": "2016", "disclosed_count": "3"}, "PatentsAssigned"),
        ({"type": "PatentsAssigned", "assignor": ["A"], "assignee": ["B"], "effective": "2016", "disclosed_count": -3}, "PatentsAssigned.disclosed_count"),
        ({"type": "PatentsAssigned", "assignor": ["A"], "assignee": ["B"], "effective": "2016", "consideration": {"amount": "lots", "currency": "USD"}}, "PatentsAssigned"),
        ({"type": "PatentsAssigned", "assignor": ["A"], "assignee": ["B"], "effective": "2016", "consideration": {"amount": "-1", "currency": "USD"}}, "Money.amount"),
        ({"type": "PatentsAssigned", "assignor": ["A"], "assignee": ["B"], "effective": "2016", "consideration": 100}, "PatentsAssigned"),
        ({**LICENCE, "licensee": "Microsoft"}, "LicenseGranted.licensee"),
        ({**LICENCE, "expires": "2015"}, "LicenseGranted.expires"),
        ({"type": "BanLifted", "ban_id": "b1"}, "BanLifted.effective"),
    ],
)
def test_from_dict_refusals_name_what_is_wrong(data: dict, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict(data)
    assert caught.value.field == field


@pytest.mark.parametrize(("key", "bad"), [("effective", 1), ("effective", "2016-13"), ("registry_recorded", 20160601)])
def test_from_dict_bad_dates_name_the_event_and_field(key: str, bad: object) -> None:
    # The structure hooks for dates name the field "period"/"date", losing which event field was wrong.
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict({**LICENCE, key: bad})
    assert caught.value.field == f"LicenseGranted.{key}"


@pytest.mark.parametrize("data", [None, [LICENCE], "LicenseGranted", 42])
def test_from_dict_refuses_non_objects(data: object) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict(data)
    assert caught.value.field == "event"


@pytest.mark.parametrize("payload", ["{not json", "", b"\xff", '{"licence_id": "l1",}'])
def test_loads_refuses_invalid_json(payload: str | bytes) -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.loads("LicenseTerminated", payload)
    assert caught.value.field == "payload"


@pytest.mark.parametrize("payload", ["[1, 2]", "null", '"text"', "3"])
def test_loads_refuses_json_that_is_not_an_object(payload: str) -> None:
    with pytest.raises(InvalidEvent):
        codec.loads("LicenseTerminated", payload)


def test_loads_refuses_an_unknown_type() -> None:
    with pytest.raises(InvalidEvent) as caught:
        codec.loads("PatentBurned", '{"effective": "2016"}')
    assert caught.value.field == "type"


@pytest.mark.parametrize(
    ("key", "value"),
    [("assignee", "Xiaomi"), ("assignor", "Microsoft")],
)
def test_from_dict_never_splits_a_string_into_characters(key: str, value: str) -> None:
    # A JSON string where a list of parties is expected must be read as one party
    # (as the event classes do) or refused -- never turned into one party per letter.
    data = {"type": "PatentsAssigned", "assignor": ["Microsoft"], "assignee": ["Xiaomi"], "effective": "2016", key: value}
    try:
        event = codec.from_dict(data)
    except InvalidEvent:
        return
    assert getattr(event, key) == (value,)


# --- schema versions and upcasters -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", 1.0, True, [1]])
def test_from_dict_refuses_a_schema_version_that_is_not_a_whole_number(version: object) -> None:
    data = {**codec.to_dict(BanLifted(ban_id="b1", effective="2015")), "schema_version": version}
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict(data)
    assert caught.value.field == "schema_version"


def test_a_newer_schema_version_than_known_is_refused() -> None:
    event = BanLifted(ban_id="b1", effective="2015")
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict({**codec.to_dict(event), "schema_version": 2})
    assert caught.value.field == "schema_version"
    assert caught.value.value == 2
    with pytest.raises(InvalidEvent):
        codec.loads("BanLifted", codec.dumps(event), 2)


@pytest.mark.parametrize("version", [0, -1])
def test_a_schema_version_below_the_first_is_refused(version: int) -> None:
    # There is no upcaster from a version that never existed: that must be an InvalidEvent, not a KeyError.
    event = BanLifted(ban_id="b1", effective="2015")
    with pytest.raises(InvalidEvent) as caught:
        codec.from_dict({**codec.to_dict(event), "schema_version": version})
    assert caught.value.field == "schema_version"


def test_a_registered_upcaster_turns_an_old_payload_into_the_current_event(monkeypatch: pytest.MonkeyPatch) -> None:
    def rename_new_name_to_new(data: dict[str, Any]) -> dict[str, Any]:
        data = dict(data)
        data["new"] = data.pop("new_name")
        return data

    monkeypatch.setitem(codec.SCHEMA_VERSIONS, "PartyRenamed", 2)
    monkeypatch.setitem(codec.UPCASTERS, ("PartyRenamed", 1), rename_new_name_to_new)
    current = PartyRenamed(old="Nokia", new="HMD", effective="2016-12")
    old_payload = {"old": "Nokia", "new_name": "HMD", "effective": "2016-12"}

    assert codec.from_dict({"type": "PartyRenamed", "schema_version": 1, **old_payload}) == current
    assert codec.loads("PartyRenamed", json.dumps(old_payload), 1) == current
    # the current version is read as it is, and written with the new version number
    assert codec.to_dict(current)["schema_version"] == 2
    assert codec.from_dict(codec.to_dict(current)) == current
    # an old payload read as current is refused: the upcaster is what made it readable
    with pytest.raises(InvalidEvent):
        codec.loads("PartyRenamed", json.dumps(old_payload), 2)

    monkeypatch.undo()
    assert codec.SCHEMA_VERSIONS["PartyRenamed"] == 1
    assert ("PartyRenamed", 1) not in codec.UPCASTERS


def test_upcasters_chain_in_version_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(codec.SCHEMA_VERSIONS, "BanLifted", 3)
    monkeypatch.setitem(codec.UPCASTERS, ("BanLifted", 1), lambda d: {**d, "note": "v1"})
    monkeypatch.setitem(codec.UPCASTERS, ("BanLifted", 2), lambda d: {**d, "note": d["note"] + "->v2"})
    event = codec.from_dict({"type": "BanLifted", "schema_version": 1, "ban_id": "b1", "effective": "2015"})
    assert event.note == "v1->v2"
    event = codec.from_dict({"type": "BanLifted", "schema_version": 2, "ban_id": "b1", "effective": "2015", "note": "v2"})
    assert event.note == "v2->v2"
