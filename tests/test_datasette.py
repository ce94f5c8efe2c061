"""A ledger file browses in Datasette as it is: views of current ownership and bans, described tables."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dealtrack import Ledger
from dealtrack.cli import main
from dealtrack.events import BanImposed, BanLifted, PatentsAssigned
from dealtrack.sqlite.browsing import NOTES, VIEWS, datasette_metadata
from dealtrack.story import seed_story

TODAY = date.today()


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:
        ledger.append(*seed_story())
        ledger.append(
            BanImposed(ban_id="delhi-1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                       patents=["IN229632"], effective="2014-12-08"),
            BanLifted(ban_id="delhi-1", effective="2015-01-08"),
            BanImposed(ban_id="standing-ban", against="Acme", territory=["DE"], authority="LG Munich",
                       effective=TODAY - timedelta(days=30)),
            # assigned next month: not today's owner yet
            PatentsAssigned(assignor="Xiaomi", assignee="Acme", patents=["US8000002"],
                            effective=TODAY + timedelta(days=31)),
        )
    return path


def test_views_show_what_holds_today(ledger_file: Path) -> None:
    conn = sqlite3.connect(ledger_file)
    owners = dict(conn.execute("SELECT patent, owner FROM current_ownership"))
    assert owners == {"US8000001": "Xiaomi", "US8000002": "Xiaomi", "US8000003": "Xiaomi",
                      "US8000004": "Microsoft", "EP1000001": "Xiaomi"}
    assert [row[0] for row in conn.execute("SELECT ban_id FROM active_bans_today")] == ["standing-ban"]
    assert conn.execute("SELECT COUNT(*) FROM ban_history WHERE ban_id = 'delhi-1'").fetchone() == (1,)
    assert conn.execute("SELECT kind, subject FROM current_anomalies").fetchall() == [("chain_gap", "US8000003")]
    described = {row[0] for row in conn.execute("SELECT name FROM dealtrack_tables")}
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    assert tables <= described | {"sqlite_stat1"}, "every table and view is described"


def test_views_follow_retractions_and_survive_a_rebuild(ledger_file: Path) -> None:
    with Ledger.open(ledger_file) as ledger:
        (wrong,) = ledger.append(PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US8000004"],
                                                 effective="2016-06-01"))
        owner = "SELECT owner FROM current_ownership WHERE patent = 'US8000004'"
        assert ledger.db.execute(owner).fetchall() == [("Xiaomi",)]
        ledger.retract(wrong.event_id, "not in the deal")
        assert ledger.db.execute(owner).fetchall() == [("Microsoft",)]
        before = {view: ledger.db.execute(f"SELECT * FROM {view}").fetchall() for view in VIEWS}
        ledger.rebuild()
        assert {view: ledger.db.execute(f"SELECT * FROM {view}").fetchall() for view in VIEWS} == before
        retracted = ledger.db.execute("SELECT retracted_by FROM event_log WHERE event_id = ?", [wrong.event_id])
        assert retracted.fetchone()[0] == len(ledger)
        assert ledger.verify()


def test_an_older_file_gains_the_views_when_opened(ledger_file: Path) -> None:
    conn = sqlite3.connect(ledger_file)
    conn.execute("DROP VIEW current_ownership")
    conn.execute("DELETE FROM projection_checkpoints WHERE name = 'browsing_views'")
    conn.commit()
    conn.close()
    with Ledger.open(ledger_file) as ledger:
        assert len(ledger.db.execute("SELECT * FROM current_ownership").fetchall()) == 5


def _get(datasette: Any, path: str) -> Any:
    async def fetch() -> Any:
        await datasette.invoke_startup()
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(fetch())


def test_datasette_serves_the_ownership_view(ledger_file: Path) -> None:
    app = pytest.importorskip("datasette.app", reason="datasette is not installed")
    datasette = app.Datasette([str(ledger_file)], metadata=datasette_metadata("deals"))
    rows = _get(datasette, "/deals/current_ownership.json?_shape=array&patent=US8000001")
    assert rows == [{"patent": "US8000001", "owner": "Xiaomi", "since": "2016-06-01", "position": 9}]
    history = _get(datasette, "/deals/title_history.json?_shape=array&patent=US8000003")
    assert [row["owner"] for row in history] == ["Microsoft", "Microsoft Technology Licensing, LLC", "Xiaomi"]
    bans = _get(datasette, "/deals/active_bans_today.json?_shape=array")
    assert [ban["ban_id"] for ban in bans] == ["standing-ban"]
    metadata = _get(datasette, "/-/metadata.json")
    assert metadata["databases"]["deals"]["tables"]["current_ownership"]["description"].startswith("Who holds")


def test_metadata_command_writes_the_datasette_document(ledger_file: Path) -> None:
    result = CliRunner().invoke(main, ["metadata", "--db", str(ledger_file), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document["databases"]["deals"]["tables"]) == set(NOTES)
    table = CliRunner().invoke(main, ["metadata", "--db", str(ledger_file)])
    assert "current_ownership" in table.output and "view" in table.output


def test_canned_queries_answer_the_common_questions(ledger_file: Path) -> None:
    app = pytest.importorskip("datasette.app", reason="datasette is not installed")
    datasette = app.Datasette([str(ledger_file)], metadata=datasette_metadata("deals"))
    owners = _get(datasette, "/deals/owners_on.json?_shape=array&patent=US8000001&on=2016-05-31")
    assert [row["owner"] for row in owners] == ["Microsoft"]
    held = _get(datasette, "/deals/portfolio_on.json?_shape=array&party=Xiaomi&on=2016-12-31")
    assert [row["patent"] for row in held] == ["US8000001", "US8000002", "US8000003"]
    bans = _get(datasette, "/deals/active_bans_on.json?_shape=array&on=2014-12-20")
    assert [ban["ban_id"] for ban in bans] == ["delhi-1"]


def test_dealtracks_own_index_tables_are_hidden_after_the_views() -> None:
    tables = datasette_metadata("deals")["databases"]["deals"]["tables"]
    hidden = {name for name, table in tables.items() if table.get("hidden")}
    assert {"title_facts", "bans_terms", "projection_checkpoints", "ledger_head"} <= hidden
    assert not hidden & {"events", "ownership", "current_ownership", "title_history", "active_bans_today"}
