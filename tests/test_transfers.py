"""Issue 15 item 12: ``ledger.transfers(start, end, party=None, known_at=None)`` and ``dealtrack transfers``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealtrack import InvalidEvent, Ledger
from dealtrack.cli import main
from dealtrack.events import PartyRenamed, PatentsAssigned
from dealtrack.story import seed_story
from dealtrack.values import Period

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    ledger.append(*seed_story())
    return ledger


def test_every_change_of_title_in_the_period_one_row_per_patent(story: Ledger) -> None:
    found = story.transfers("2016", "2017")
    assert [(t.patent, t.assignor, t.assignee, t.effective) for t in found] == [
        ("US8000001", ("Microsoft",), ("Xiaomi",), Period.parse("2016-06-01")),
        ("US8000002", ("Microsoft",), ("Xiaomi",), Period.parse("2016-06-01")),
        ("US8000003", ("Microsoft",), ("Xiaomi",), Period.parse("2016-06-01")),
        ("EP1000001", ("Nokia",), ("Xiaomi",), Period.parse("2017-07")),
    ]
    assert {t.deal for t in found} == {"msft-xiaomi-2016", "nokia-xiaomi-2017"}
    assert story.get(found[0].event_id).event.deal == "msft-xiaomi-2016"


def test_the_period_bounds_are_included_and_nothing_outside_is_listed(story: Ledger) -> None:
    assert [t.patent for t in story.transfers("2014-10-14", "2014-10-14")] == ["US8000003"]
    assert story.transfers("2015-01-01", "2016-05-31") == []
    with pytest.raises(InvalidEvent):
        story.transfers("2017", "2016")


def test_a_party_filter_keeps_transfers_to_or_from_it_under_any_name(story: Ledger) -> None:
    assert {t.patent for t in story.transfers("2010", "2020", party="Nokia")} == {"EP1000001"}
    assert {t.patent for t in story.transfers("2010", "2020", party="XIAOMI INC.")} == {
        "US8000001", "US8000002", "US8000003", "EP1000001"}
    story.append(PartyRenamed(old="Xiaomi", new="Xiaomi Holdings", effective="2018-01-01"),
                 PatentsAssigned(assignor="Xiaomi Holdings", assignee="Oppo", patents=["EP1000001"],
                                 effective="2018-06-01"))
    assert [t.patent for t in story.transfers("2018", "2018", party="Xiaomi")] == ["EP1000001"]


def test_known_at_and_retractions_apply(story: Ledger) -> None:
    before = story.events().to_rows()[-1]["recorded_at"]
    [late] = story.append(PatentsAssigned(assignor="Xiaomi", assignee="Oppo", patents=["US8000001"],
                                          effective="2016-12-01"))
    assert "US8000001" in [t.patent for t in story.transfers("2016-12", "2016-12")]
    assert story.transfers("2016-12", "2016-12", known_at=before) == []
    story.retract(late.event_id, "never happened")
    assert story.transfers("2016-12", "2016-12") == []


def test_the_same_transfer_recorded_twice_is_listed_once(ledger: Ledger) -> None:
    twice = PatentsAssigned(assignor="Acme", assignee="Beta LLC", patents=["US9000001"], effective="2016-01-01")
    ledger.append(twice)
    ledger.append(PatentsAssigned(assignor="ACME", assignee="Beta LLC.", patents=["US9000001"], effective="2016-01-01"))
    assert len(ledger.transfers("2016", "2016")) == 1


def test_the_cli_command_mirrors_the_method(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:
        ledger.append(*seed_story())
    result = CliRunner().invoke(main, ["transfers", "2016", "2017", "--party", "Nokia", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["patent"], row["assignor"], row["assignee"], row["effective"]) == ("EP1000001", "Nokia", "Xiaomi", "2017-07")
    table = CliRunner().invoke(main, ["transfers", "2016", "2017", "--db", str(path)])
    assert table.exit_code == 0 and "US8000002" in table.output
    parties = CliRunner().invoke(main, ["parties", "xiaomi", "--on", "2018", "--db", str(path), "--json"])
    assert json.loads(parties.stdout)[0]["key"] == "XIAOMI"
