"""The event catalogue: construction, immutability, normalisation and validation."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from attrs.exceptions import FrozenInstanceError
from hypothesis import given
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Money, Period, Source
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

#: The fewest fields each event type needs (besides ``effective``).
MINIMAL: dict[type[Event], dict[str, Any]] = {
    PatentRegistered: {"patent": "US8000001", "owner": "Microsoft"},
    PatentsAssigned: {"assignor": "Microsoft", "assignee": "Xiaomi"},
    LicenseGranted: {"licence_id": "L1", "licensor": "Microsoft", "licensee": "Xiaomi"},
    CrossLicenseAgreed: {"licence_id": "X1", "parties": ("Nokia", "Xiaomi")},
    LicenseTerminated: {"licence_id": "L1"},
    BanImposed: {"ban_id": "B1", "against": "Xiaomi", "territory": "IN", "authority": "Delhi High Court"},
    BanModified: {"ban_id": "B1", "conditions": "deposit INR 100 per device"},
    BanLifted: {"ban_id": "B1"},
    PartyRenamed: {"old": "Nokia", "new": "HMD"},
    PartiesMerged: {"absorbed": "Nokia", "into": "Microsoft"},
    SecurityInterestGranted: {"debtor": "Xiaomi", "secured_party": "Bank", "patents": ["US8000001"]},
    SecurityInterestReleased: {"debtor": "Xiaomi", "secured_party": "Bank", "patents": ["US8000001"]},
    SecurityInterestAssigned: {"secured_party": "Bank", "successor": "Other Bank", "patents": ["US8000001"]},
    PatentLapsed: {"patent": "US8000001"},
    DealAnnounced: {"deal": "msft-xiaomi-2016", "title": "Microsoft and Xiaomi", "parties": ["Microsoft", "Xiaomi"]},
    EventRetracted: {"target": "ev-1", "reason": "misreported"},
    PatentNumbersLinked: {"application": "USAPP14678893", "grant": "US9219817"},
    RegisterRecord: {"conveyance": "OPTION AGREEMENT"},
}

#: The fields SPEC §2 gives no default.
REQUIRED_FIELDS: dict[type[Event], tuple[str, ...]] = {
    PatentRegistered: ("patent", "owner"),
    PatentsAssigned: ("assignor", "assignee"),
    LicenseGranted: ("licence_id", "licensor", "licensee"),
    CrossLicenseAgreed: ("licence_id", "parties"),
    LicenseTerminated: ("licence_id",),
    BanImposed: ("ban_id", "against", "territory", "authority"),
    BanModified: ("ban_id",),
    BanLifted: ("ban_id",),
    PartyRenamed: ("old", "new"),
    PartiesMerged: ("absorbed", "into"),
    SecurityInterestGranted: ("debtor", "secured_party", "patents"),
    SecurityInterestReleased: ("debtor", "secured_party", "patents"),
    SecurityInterestAssigned: ("secured_party", "successor", "patents"),
    PatentLapsed: ("patent",),
    DealAnnounced: ("deal", "title", "parties"),
    EventRetracted: ("target", "reason"),
    PatentNumbersLinked: ("application", "grant"),
    RegisterRecord: ("conveyance",),
}

ALL_TYPES = list(EVENT_TYPES.values())


def build(cls: type[Event], **overrides: Any) -> Event:
    kwargs: dict[str, Any] = {"effective": "2016-06-01", **MINIMAL[cls], **overrides}
    return cls(**kwargs)


def refusal(cls: type[Event], **overrides: Any) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        build(cls, **overrides)
    return caught.value


def test_the_fixtures_cover_every_event_type() -> None:
    assert set(MINIMAL) == set(REQUIRED_FIELDS) == set(ALL_TYPES)
    assert len(ALL_TYPES) == 18  # issue 15: SecurityInterestAssigned, PatentLapsed


# --- construction and immutability -------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
def test_every_event_type_builds_with_minimal_fields(cls: type[Event]) -> None:
    event = build(cls)
    assert isinstance(event, cls)
    assert EVENT_TYPES[event.type] is cls
    assert event.effective == Period.parse("2016-06-01")
    assert event.sources == ()
    assert event.note is None


def test_event_retracted_needs_no_effective_date() -> None:
    assert EventRetracted(target="ev-1", reason="misreported").effective is None


def test_only_retractions_and_number_links_need_no_effective_date() -> None:
    assert {c for c in ALL_TYPES if not c.needs_effective} == {EventRetracted, PatentNumbersLinked}


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
def test_events_are_frozen(cls: type[Event]) -> None:
    event = build(cls)
    own_field = next(iter(MINIMAL[cls]))
    with pytest.raises(FrozenInstanceError):
        event.note = "changed"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        setattr(event, own_field, "changed")
    assert event == build(cls)


def test_common_fields_are_kept() -> None:
    source = Source(publisher="Microsoft News Center", published="2016-05-31")
    event = build(
        PatentsAssigned,
        deal="msft-xiaomi-2016",
        sources=[source],
        note=" partial list ",
        registry_ref="037445/0001",
        registry_recorded="2016-07-15",
        effective="2016-06",
    )
    assert event.sources == (source,)
    assert event.deal == "msft-xiaomi-2016"
    assert event.note == "partial list"
    assert event.registry_ref == "037445/0001"
    assert str(event.registry_recorded) == "2016-07-15"
    assert event.effective == Period.parse("2016-06")


def test_lists_become_tuples() -> None:
    event = PatentsAssigned(
        assignor=["Microsoft"], assignee=["Xiaomi", "Nokia"], patents=["US8000001", "US8000002"], effective="2016"
    )
    assert event.assignor == ("Microsoft",)
    assert event.assignee == ("Xiaomi", "Nokia")
    assert event.patents == ("US8000001", "US8000002")
    ban = build(BanImposed, against=["Xiaomi"], territory=["in", "US"], products=["Redmi Note 4"])
    assert (ban.against, ban.territory, ban.products) == (("Xiaomi",), ("IN", "US"), ("Redmi Note 4",))


@pytest.mark.parametrize(
    ("cls", "field", "value", "expected"),
    [
        (PatentsAssigned, "assignor", "Microsoft", ("Microsoft",)),
        (PatentsAssigned, "assignee", "Xiaomi", ("Xiaomi",)),
        (DealAnnounced, "parties", "Xiaomi", ("Xiaomi",)),
        (BanImposed, "against", "Xiaomi", ("Xiaomi",)),
        (BanImposed, "territory", "in", ("IN",)),
        (LicenseGranted, "territory", "IN", ("IN",)),
        (CrossLicenseAgreed, "territory", "world", ("WORLD",)),
    ],
)
def test_a_single_string_is_a_one_element_tuple(cls: type[Event], field: str, value: str, expected: tuple) -> None:
    assert getattr(build(cls, **{field: value}), field) == expected


@pytest.mark.parametrize(
    ("cls", "field", "value", "expected"),
    [
        (PatentRegistered, "patent", "US 7,123,456 B2", "US7123456"),
        (PatentsAssigned, "patents", ["US 7,123,456 B2", "ep 1 234 567"], ("US7123456", "EP1234567")),
        (LicenseGranted, "patents", ["US 14/696,669"], ("USAPP14696669",)),
        (CrossLicenseAgreed, "patents", ["IN 229632"], ("IN229632",)),
        (BanImposed, "patents", ["IN 229632"], ("IN229632",)),
        (BanModified, "released_patents", ["IN 229632"], ("IN229632",)),
        (SecurityInterestGranted, "patents", ["us 8,000,001"], ("US8000001",)),
        (SecurityInterestReleased, "patents", "us 8,000,001", ("US8000001",)),
    ],
)
def test_patent_ids_are_normalised(cls: type[Event], field: str, value: object, expected: object) -> None:
    assert getattr(build(cls, **{field: value}), field) == expected


def test_licence_patents_none_means_whole_portfolio_and_defaults_hold() -> None:
    licence = build(LicenseGranted)
    assert licence.patents is None
    assert licence.territory == ("WORLD",)
    assert licence.exclusive is False and licence.sublicensable is False
    assert build(LicenseGranted, patents=[]).patents == ()


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "field"),
    [(cls, field) for cls, fields in REQUIRED_FIELDS.items() for field in fields],
    ids=lambda v: v.__name__ if isinstance(v, type) else v,
)
def test_a_missing_required_field_is_named(cls: type[Event], field: str) -> None:
    kwargs = {"effective": "2016-06-01", **MINIMAL[cls]}
    del kwargs[field]
    with pytest.raises(InvalidEvent) as caught:
        cls(**kwargs)
    assert caught.value.field == f"{cls.__name__}.{field}"


@pytest.mark.parametrize("cls", [c for c in ALL_TYPES if c.needs_effective], ids=lambda c: c.__name__)
def test_a_missing_effective_date_is_named(cls: type[Event]) -> None:
    with pytest.raises(InvalidEvent) as caught:
        cls(**MINIMAL[cls])
    assert caught.value.field == f"{cls.__name__}.effective"


@pytest.mark.parametrize(
    ("cls", "overrides", "field"),
    [
        (PatentsAssigned, {"disclosed_count": -1}, "disclosed_count"),
        (PatentsAssigned, {"patents": ["US1", "US2"], "disclosed_count": 1}, "disclosed_count"),
        (LicenseGranted, {"expires": "2016-05-31"}, "expires"),
        (LicenseGranted, {"effective": "2016", "expires": "2015-12"}, "expires"),
        (CrossLicenseAgreed, {"expires": "2016-05"}, "expires"),
        (PatentRegistered, {"expires": "2015"}, "expires"),
        (LicenseGranted, {"licensee": "Microsoft"}, "licensee"),
        (LicenseGranted, {"licensor": " Xiaomi "}, "licensee"),
        (CrossLicenseAgreed, {"parties": "Nokia"}, "parties"),
        (CrossLicenseAgreed, {"parties": ["Nokia", "Xiaomi", "Microsoft"]}, "parties"),
        (CrossLicenseAgreed, {"parties": ["Nokia", "Nokia"]}, "parties"),
        (BanModified, {"conditions": None}, "ban_id"),
        (PartyRenamed, {"new": "Nokia"}, "new"),
        (PartiesMerged, {"into": "Nokia"}, "into"),
        (SecurityInterestGranted, {"patents": []}, "patents"),
        (SecurityInterestReleased, {"patents": ()}, "patents"),
        (LicenseGranted, {"exclusive": "yes"}, "exclusive"),
        (LicenseGranted, {"sublicensable": 1}, "sublicensable"),
        (PatentsAssigned, {"disclosed_count": True}, "disclosed_count"),
        (PatentsAssigned, {"disclosed_count": 1.5}, "disclosed_count"),
        (PatentsAssigned, {"consideration": 350_000_000}, "consideration"),
        (DealAnnounced, {"value": "USD 1bn"}, "value"),
        (PatentRegistered, {"sources": ["not a Source"]}, "sources"),
        (PatentRegistered, {"sources": {"url": "x"}}, "sources"),
        (PatentRegistered, {"patent": "hello"}, "patent"),
        (PatentRegistered, {"owner": "  "}, "owner"),
        (PatentRegistered, {"effective": "2016-13"}, "effective"),
        (PatentRegistered, {"registry_recorded": "2016-05"}, "registry_recorded"),
        (LicenseGranted, {"territory": "India"}, "territory"),
        (LicenseGranted, {"territory": []}, "territory"),
        (PatentsAssigned, {"patents": 5}, "patents"),
        (PatentsAssigned, {"assignee": []}, "assignee"),
        (BanImposed, {"products": [""]}, "products"),
        (EventRetracted, {"reason": ""}, "reason"),
    ],
)
def test_validation_rules_name_the_field(cls: type[Event], overrides: dict, field: str) -> None:
    assert refusal(cls, **overrides).field == f"{cls.__name__}.{field}"


def test_refusals_carry_the_offending_value() -> None:
    assert refusal(PatentsAssigned, disclosed_count=-1).value == -1
    assert refusal(LicenseGranted, exclusive="yes").value == "yes"
    assert refusal(PatentRegistered, patent="hello").value == "hello"


@pytest.mark.parametrize(
    ("cls", "overrides"),
    [
        (PatentsAssigned, {"patents": ["US1", "US2"], "disclosed_count": 2}),
        (PatentsAssigned, {"disclosed_count": 0, "consideration": Money(0, "USD")}),
        (LicenseGranted, {"effective": "2016-06", "expires": "2016-06-01"}),
        (BanModified, {"conditions": None, "exempt_products": "Redmi Note 4"}),
        (BanModified, {"conditions": None, "released_patents": ["IN229632"]}),
    ],
)
def test_edge_values_that_are_allowed(cls: type[Event], overrides: dict) -> None:
    assert isinstance(build(cls, **overrides), cls)


# --- fuzzing: anything in any field is accepted or refused with InvalidEvent ----------------------------

FIELDS = [(cls, field.name) for cls in ALL_TYPES for field in attrs.fields(cls)]

anything = st.one_of(
    st.none(),
    st.integers(),
    st.text(),
    st.floats(),
    st.lists(st.text()),
    st.booleans(),
    st.dictionaries(st.text(), st.integers()),
)


@given(case=st.sampled_from(FIELDS), value=anything)
def test_any_value_in_any_field_is_accepted_or_refused_with_invalid_event(case: tuple[type[Event], str], value: object) -> None:
    cls, field = case
    try:
        event = build(cls, **{field: value})
    except InvalidEvent as exc:
        assert exc.field.startswith(f"{cls.__name__}.")
    else:
        assert isinstance(event, cls)
