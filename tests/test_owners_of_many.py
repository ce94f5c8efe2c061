"""owners_of_many: owners_of for many patents at once, on one basis, as a mapping that is also a table."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Ledger
from dealtrack.answers import OwnersByPatent
from dealtrack.events import PatentRegistered, PatentsAssigned
from dealtrack.story import seed_story
from test_ownership_properties import DAY0, PATENTS, histories

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

ASKED = [*PATENTS, "US 1", "US9"]  # a second spelling and a patent the ledger never heard of


@pytest.fixture
def story() -> Ledger:
    ledger = Ledger.open()
    ledger.append(*seed_story())
    return ledger


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, st.integers(min_value=0, max_value=2000), st.sampled_from(["", "-05", "-05-31"]),
       st.booleans())
def test_owners_of_many_equals_owners_of_per_patent(events, offset, part, pinned) -> None:
    with Ledger.open() as ledger:
        first = ledger.append(*events[: len(events) // 2])
        ledger.append(*events[len(events) // 2:])
        day = DAY0.fromordinal(DAY0.toordinal() + offset)
        on = f"{day.year}{part}" if part != "-05-31" else day.isoformat()
        known_at = first[-1].recorded_at if pinned and first else None
        many = ledger.owners_of_many(ASKED, on=on, known_at=known_at)
        assert list(many) == ["US1", "US2", "US3", "US9"]
        for patent in ASKED:
            assert many[patent.replace(" ", "")] == ledger.owners_of(patent, on=on, known_at=known_at)


def test_a_mapping_that_is_also_a_table_with_its_basis(story: Ledger) -> None:
    many = story.owners_of_many(["US 8,000,001 B2", "EP1000001", "US14678893"], on="2017-07",
                                registry_at="2017-12-31")
    assert isinstance(many, OwnersByPatent)
    assert dict(many) == {"US8000001": {"Xiaomi"}, "EP1000001": {"Nokia", "Xiaomi"}, "USAPP14678893": frozenset()}
    rows = many.to_rows()
    assert rows[1] == {"patent": "EP1000001", "owners": ["Nokia", "Xiaomi"], "on": "2017-07", "known_at": None,
                       "registry_at": date(2017, 12, 31)}
    frame = many.to_frame()
    assert frame["owners"].tolist() == [["Xiaomi"], ["Nokia", "Xiaomi"], []]
    assert str(frame["registry_at"].dtype).startswith("datetime64")
    assert "<table" in many._repr_html_() and "registry at 2017-12-31" in str(many)
    assert many.caption().startswith("Owners of 3 patents on 2017-07")
    assert story.owners_of_many(["US8000001"], on="2017-07").caption() == "Owners of 1 patent on 2017-07"


def test_one_string_is_not_a_list_of_patents(story: Ledger) -> None:
    with pytest.raises(InvalidEvent, match="patents"):
        story.owners_of_many("US8000001", on="2016")


def test_a_thousand_patents_read_once(ledger: Ledger) -> None:
    ledger.append(*(PatentRegistered(patent=f"US{7000000 + n}", owner="Nokia", effective="2001") for n in range(1000)),
                  PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US7000001"], effective="2017"))
    many = ledger.owners_of_many((f"US{7000000 + n}" for n in range(1000)), on="2018")
    assert len(many) == 1000 and many["US7000001"] == {"Xiaomi"} and many["US7000002"] == {"Nokia"}
