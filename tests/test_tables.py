"""Answers as tables: to_rows / to_frame on every collection, HTML for Jupyter, text for a REPL."""

from __future__ import annotations

import builtins
from datetime import date
from typing import Any

import pytest

from dealtrack import DealtrackError, Ledger
from dealtrack.errors import MissingExtra
from dealtrack.events import BanImposed, SecurityInterestGranted
from dealtrack.story import seed_story
from dealtrack.tables import cell, html_table, text_table

pandas = pytest.importorskip("pandas", reason="the pandas extra is not installed")


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    ledger.append(*seed_story())
    ledger.append(
        BanImposed(ban_id="delhi-1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                   patents=["IN229632"], effective="2014-12-08"),
        SecurityInterestGranted(debtor="Xiaomi", secured_party="Bank", patents=["US8000001"], effective="2016-09-01"),
    )
    return ledger


def test_portfolio_rows_and_frame(story: Ledger) -> None:
    portfolio = story.portfolio("Xiaomi", on="2016-12-31")
    rows = portfolio.to_rows()
    assert rows[-1] == {"party": "Xiaomi", "patent": None, "count": 1497}
    frame = portfolio.to_frame()
    assert list(frame.columns) == ["party", "patent", "count"]
    assert frame["count"].sum() == len(portfolio) == 1500


def test_anomalies_bans_encumbrances_are_lists_and_tables(story: Ledger) -> None:
    anomalies = story.anomalies()
    assert isinstance(anomalies, list) and anomalies == list(anomalies)
    assert anomalies.to_frame()["kind"].tolist() == ["chain_gap"]
    bans = story.active_bans(against="Xiaomi", on="2015-01-01")
    frame = bans.to_frame()
    assert frame["ban_id"].tolist() == ["delhi-1"] and frame["territory"][0] == ("IN",)
    encumbrances = story.encumbrances("US8000001", on="2016-12-31")
    rows = sorted((row["kind"], row["holder"]) for row in encumbrances.to_rows())
    assert rows == [("licence", "Microsoft"), ("security_interest", "Bank")]  # the cross-licence, Xiaomi's way


def test_empty_answers_keep_their_columns(story: Ledger) -> None:
    frame = story.active_bans(against="Nobody", on="2015-01-01").to_frame()
    assert frame.empty and "ban_id" in frame.columns and "valid_to" in frame.columns


def test_standing_and_its_licences(story: Ledger) -> None:
    standing = story.standing("Xiaomi", on="2017-12-31")
    sections = {row["section"] for row in standing.to_rows()}
    assert sections == {"holding", "licence_in", "licence_out", "ban"}
    held = standing.licences_in.to_frame()
    assert set(held["licensor"]) == {"Microsoft", "Nokia"}
    assert standing.to_frame()["section"].value_counts()["licence_in"] == 2


def test_events_log_to_frame(story: Ledger) -> None:
    frame = story.events(types="PatentsAssigned").to_frame()
    assert len(frame) == 3 and set(frame["type"]) == {"PatentsAssigned"}
    assert list(frame["details"][1]["assignee"]) == ["Xiaomi"] and frame["deal"][1] == "msft-xiaomi-2016"
    log = story.events()
    first = next(log)
    assert first.position == 1
    assert [row["position"] for row in log.to_rows()][:2] == [2, 3]  # the rest of the log


def test_to_frame_without_pandas_says_how_to_install(story: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pandas(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(MissingExtra, match=r'pip install "dealtrack\[pandas\]"') as caught:
        story.anomalies().to_frame()
    assert isinstance(caught.value, DealtrackError)


def test_html_views_escape_and_show_the_answer(story: Ledger) -> None:
    html = story.standing("Xiaomi", on="2017-12-31")._repr_html_()
    assert html.count("<table") == 4 and "msft-xiaomi-xl" in html and "1497" in html
    assert "&lt;b&gt;" in html_table([{"name": "<b>"}])
    ledger_html = story._repr_html_()
    assert "PatentRegistered" in ledger_html and f"{len(story)} events" in ledger_html


def test_text_views_read_well_in_a_repl(story: Ledger) -> None:
    text = repr(story.standing("Xiaomi", on="2015-01-01", territory="IN"))
    assert text.splitlines()[0].startswith("Xiaomi on 2015-01-01 in IN: holds 0 patents")
    assert "delhi-1" in text and "Delhi High Court" in text
    assert str(story).splitlines()[0].startswith("dealtrack ledger (in memory): 15 events")
    assert "chain_gap" in str(story.anomalies())
    assert repr(story.anomalies()).startswith("[Anomaly(")


def test_cells_and_text_tables() -> None:
    assert cell(None) == "" and cell(("IN", "US")) == "IN, US" and cell(frozenset({"b", "a"})) == "a, b"
    assert cell(date(2016, 6, 1)) == "2016-06-01"
    table = text_table([{"a": 1, "b": "x" * 100}] * 30, title="t")
    lines = table.splitlines()
    assert lines[0] == "t" and lines[-1] == "... 5 more rows" and len(lines[3]) < 60
    assert text_table([], ["a"]) == "(none)"


def test_title_chain_as_table_html_and_text(story: Ledger) -> None:
    chain = story.title_chain("EP1000001")
    frame = chain.to_frame()
    assert frame["owners"].tolist() == [["Nokia"], ["Nokia", "Xiaomi"], ["Xiaomi"]]
    assert frame["certain"].tolist() == [True, False, True]
    text = repr(chain)
    assert text.splitlines()[0] == "Chain of title of EP1000001"
    assert "Nokia or Xiaomi" in text and "False" in text
    assert "<table" in chain._repr_html_() and "Nokia or Xiaomi" in chain._repr_html_()
    pinned = story.title_chain("EP1000001", registry_at="2000-01-01")
    assert "registry at 2000-01-01" in repr(pinned)
