"""The command line: every command, its --json output parsed and checked, and one-line errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dealtrack import Ledger, codec
from dealtrack.cli import main
from dealtrack.events import BanImposed, BanModified, PatentRegistered, PatentsAssigned
from dealtrack.story import seed_story

BANS = [
    BanImposed(ban_id="delhi-1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
               requested_by="Ericsson", patents=["IN203034", "IN229632"], effective="2014-12-08"),
    BanModified(ban_id="delhi-1", exempt_products=["Redmi 1S"], conditions="deposit INR 100 per device",
                effective="2014-12-16"),
]


def run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as ledger:
        ledger.append(*seed_story(), *BANS)
    return str(path)


def test_init_creates_an_empty_ledger_once(tmp_path: Path) -> None:
    db = str(tmp_path / "new.db")
    assert as_json("init", "--db", db) == {"path": db, "created": True, "events": 0}
    assert "already a ledger (0 events)" in run("init", "--db", db).output
    with Ledger.open(db) as ledger:
        assert len(ledger) == 0


def test_default_db_is_dealtrack_db_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run("init")
    assert (tmp_path / "dealtrack.db").exists()


def test_append_json_lines_and_json_arrays(tmp_path: Path) -> None:
    db = str(tmp_path / "deals.db")
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(codec.to_dict(event)) for event in seed_story()[:5]) + "\n")
    result = as_json("append", str(lines), "--db", db)
    assert [row["position"] for row in result["appended"]] == [1, 2, 3, 4, 5] and result["skipped"] == []
    array = tmp_path / "more.json"
    array.write_text(json.dumps([codec.to_dict(event) for event in seed_story()[5:]], indent=2))
    assert "appended 8 events" in run("append", str(array), "--db", db).output
    assert as_json("owners-of", "US8000001", "--on", "2016-07-01", "--db", db)[0]["owners"] == ["Xiaomi"]


def test_append_is_all_or_nothing_and_names_the_bad_line(tmp_path: Path) -> None:
    db = str(tmp_path / "deals.db")
    good = json.dumps(codec.to_dict(PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03")))
    bad = json.dumps({"type": "PatentRegistered", "patent": "US8000002", "owner": "Microsoft", "effective": "2009-13"})
    path = tmp_path / "events.jsonl"
    path.write_text(f"{good}\n{bad}\n")
    result = run("append", str(path), "--db", db, ok=False)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "events.jsonl line 2: PatentRegistered.effective" in result.stderr
    assert "Traceback" not in result.output
    with Ledger.open(db) as ledger:
        assert len(ledger) == 0


def test_append_skips_what_is_already_there(tmp_path: Path) -> None:
    db = str(tmp_path / "deals.db")
    event = PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03", natural_key="reg:US8000001")
    path = tmp_path / "one.json"
    path.write_text(json.dumps(codec.to_dict(event)))
    run("append", str(path), "--db", db)
    again = as_json("append", str(path), "--db", db)
    assert again["appended"] == [] and again["skipped"][0]["natural_key"] == "reg:US8000001"


def test_owners_with_time_travel(db: str) -> None:
    answer = as_json("owners-of", "US 8,000,001 B2", "--on", "2016-05", "--db", db)
    assert answer == [{"patent": "US8000001", "owners": ["Microsoft"], "on": "2016-05", "known_at": None,
                       "registry_at": None, "note": None}]
    assert as_json("owners-of", "EP1000001", "--on", "2017-07", "--db", db)[0]["owners"] == ["Nokia", "Xiaomi"]
    before = run("owners-of", "US8000001", "--on", "2016-07", "--known-at", "2000-01-01", "--db", db, "--json", ok=False)
    assert before.exit_code == 1 and json.loads(before.stdout)[0]["owners"] == []  # nothing was known yet
    table = run("owners-of", "US8000001", "--on", "2016-07", "--db", db).output
    assert "Owners of US8000001 on 2016-07" in table and "Xiaomi" in table


def test_portfolio(db: str) -> None:
    answer = as_json("portfolio", "Xiaomi", "--on", "2016-12-31", "--db", db)
    assert sum(row["count"] for row in answer) == 1500 and answer[-1] == {
        "party": "Xiaomi", "patent": None, "count": 1497, "on": "2016-12-31", "known_at": None, "registry_at": None}
    assert [row["patent"] for row in answer[:-1]] == ["US8000001", "US8000002", "US8000003"]
    assert "1500 patents (3 listed, 1497 undisclosed)" in run("portfolio", "Xiaomi", "--on", "2016-12-31", "--db", db).output


def test_licensees(db: str) -> None:
    answer = as_json("licensees-of", "US8000001", "--on", "2016-12-31", "--territory", "IN", "--db", db)
    assert answer == [{"patent": "US8000001", "licensees": ["Microsoft"], "territory": "IN", "on": "2016-12-31",
                       "known_at": None, "registry_at": None, "note": None}]
    (none,) = as_json("licensees-of", "US8000001", "--on", "2015-12-31", "--db", db)
    assert none["licensees"] == [] and none["note"] == "no licensee known on 2015-12-31"


def test_bans_with_products_and_territory(db: str) -> None:
    bans = as_json("active-bans", "--against", "Xiaomi", "--on", "2015-01-01", "--territory", "IN", "--db", db)
    assert [ban["ban_id"] for ban in bans] == ["delhi-1"]
    assert bans[0]["exempt_products"] == ["Redmi 1S"] and bans[0]["conditions"] == "deposit INR 100 per device"
    assert as_json("active-bans", "--on", "2015-01-01", "--product", "Redmi 1S", "--db", db) == []
    assert as_json("active-bans", "--on", "2015-01-01", "--territory", "US", "--db", db) == []
    assert "Delhi High Court" in run("active-bans", "--on", "2015-01-01", "--db", db).output


def test_standing(db: str) -> None:
    answer = as_json("standing", "Xiaomi", "--on", "2017-12-31", "--db", db)
    assert sum(row["count"] for row in answer if row["section"] == "holding") == 1501
    assert {row["licensor"] for row in answer if row["section"] == "licence_in"} == {"Microsoft", "Nokia"}
    assert [row["ban_id"] for row in answer if row["section"] == "ban"] == ["delhi-1"]
    assert {row["on"] for row in answer} == {"2017-12-31"}
    text = run("standing", "Xiaomi", "--on", "2017-12-31", "--db", db).output
    assert "licences held: 2" in text and "bans against Xiaomi: 1" in text


def test_chain(db: str) -> None:
    answer = as_json("title-chain", "ep 1 000 001", "--db", db)
    assert {span["patent"] for span in answer} == {"EP1000001"}
    assert [(span["owners"], span["joint"], span["start"], span["end"], span["certain"]) for span in answer] == [
        (["Nokia"], False, "2005-11-09", "2017-07-01", True),
        (["Nokia", "Xiaomi"], False, "2017-07-01", "2017-08-01", False),  # one of them, unknown which
        (["Xiaomi"], False, "2017-08-01", None, True),
    ]
    table = run("title-chain", "EP1000001", "--db", db).output
    assert "Chain of title of EP1000001" in table and "#13" in table and "Nokia or Xiaomi" in table


def test_registry_time(tmp_path: Path) -> None:
    db = str(tmp_path / "deals.db")
    with Ledger.open(db) as ledger:
        ledger.append(
            PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"),
            PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US8000001"],
                            effective="2016-06-01", registry_recorded="2016-09-15"),
        )
    ask = ("owners-of", "US8000001", "--on", "2016-07-01", "--db", db)
    assert as_json(*ask)[0]["owners"] == ["Xiaomi"]
    assert as_json(*ask, "--registry-at", "2016-08-31")[0]["owners"] == ["Microsoft"]
    assert as_json(*ask, "--registry-at", "2016-09")[0] == {
        "patent": "US8000001", "owners": ["Xiaomi"], "on": "2016-07-01", "known_at": None,
        "registry_at": "2016-09-30", "note": None}
    chain = as_json("title-chain", "US8000001", "--registry-at", "2016-08-31", "--db", db)
    assert [span["owners"] for span in chain] == [["Microsoft"]] and chain[0]["registry_at"] == "2016-08-31"


def test_anomalies(db: str) -> None:
    (gap,) = as_json("anomalies", "--db", db)
    assert gap["kind"] == "chain_gap" and gap["subject"] == "US8000003"
    assert "chain_gap" in run("anomalies", "--db", db).output


def test_events(db: str) -> None:
    rows = as_json("events", "--type", "BanImposed", "--type", "BanModified", "--db", db)
    assert [row["type"] for row in rows] == ["BanImposed", "BanModified"]
    assert rows[0]["details"]["authority"] == "Delhi High Court"
    assert len(as_json("events", "--after", "10", "--db", db)) == len(seed_story()) + len(BANS) - 10


def test_verify_and_rebuild(db: str) -> None:
    assert as_json("verify", "--db", db) == {"ok": True, "events_checked": 15, "problems": []}
    assert as_json("rebuild", "--db", db)["events"] == 15
    assert run("verify", "--db", db).output.startswith("ok: 15 events")


def test_demo_json(tmp_path: Path) -> None:
    answer = as_json("demo", "--db", str(tmp_path / "demo.db"))
    assert answer["events"] == 17 and answer["answers"][0] == {
        "question": "Who owned US8000001 in May 2016?", "answer": ["Microsoft"]}
    assert "illustrative" in answer["note"] and answer["verified"]["ok"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["owners-of", "hello", "--on", "2016"], "patent: not a patent id"),
        (["owners-of", "US8000001", "--on", "2016-13-01"], "--on: not an ISO date"),
        (["portfolio", "Xiaomi", "--on", "someday"], "--on: not an ISO date"),
        (["active-bans", "--on", "2016", "--territory", "India"], "--territory: "),
        (["owners-of", "US8000001", "--on", "2016", "--known-at", "yesterday"], "--known-at: "),
        (["standing", "Xiaomi", "--on", "2016", "--territory", "XXX"], "--territory: "),
        (["events", "--type", "Sale"], "not an event type"),
        (["title-chain", "hello"], "patent: not a patent id"),
        (["owners-of", "US8000001", "--on", "2016", "--registry-at", "soon"], "--registry-at: "),
    ],
)
def test_bad_input_is_one_line_and_exit_1(db: str, args: list[str], message: str) -> None:
    result = run(*args, "--db", db, ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr and result.stderr.startswith("Error: ")


def test_a_missing_ledger_is_not_created_by_a_question(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = run("owners-of", "US8000001", "--on", "2016", "--db", str(missing), ok=False)
    assert result.exit_code == 1 and "no ledger at" in result.stderr and "dealtrack init" in result.stderr
    assert not missing.exists()


def test_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("hello")
    result = run("anomalies", "--db", str(notes), ok=False)
    assert result.exit_code == 1 and "not a SQLite database" in result.stderr and "Traceback" not in result.output


def test_a_missing_events_file(tmp_path: Path) -> None:
    result = run("append", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "d.db"), ok=False)
    assert result.exit_code == 1 and "nope.jsonl" in result.stderr and result.stderr.count("\n") == 1


USPTO_XML = """<?xml version="1.0" encoding="UTF-8"?>
<us-patent-assignments dtd-version="0.8">
  <patent-assignments>
    <patent-assignment>
      <assignment-record>
        <reel-no>39871</reel-no><frame-no>412</frame-no>
        <recorded-date><date>20160822</date></recorded-date>
        <conveyance-text>ASSIGNMENT OF ASSIGNORS INTEREST (SEE DOCUMENT FOR DETAILS).</conveyance-text>
      </assignment-record>
      <patent-assignors>
        <patent-assignor><name>MICROSOFT CORPORATION</name><execution-date><date>20160601</date></execution-date></patent-assignor>
      </patent-assignors>
      <patent-assignees>
        <patent-assignee><name>XIAOMI INC.</name></patent-assignee>
      </patent-assignees>
      <patent-properties>
        <patent-property>
          <document-id><country>US</country><doc-number>8000001</doc-number><kind>B2</kind><date>20110301</date></document-id>
        </patent-property>
      </patent-properties>
    </patent-assignment>
  </patent-assignments>
</us-patent-assignments>
"""


def test_import_uspto(tmp_path: Path) -> None:
    db, xml = str(tmp_path / "deals.db"), tmp_path / "assignments.xml"
    xml.write_text(USPTO_XML)
    report = as_json("import", "uspto", str(xml), "--db", db)
    assert report["records"] == 1 and report["appended"] == 1
    assert as_json("import", "uspto", str(xml), "--db", db)["appended"] == 0  # a re-run adds nothing
    assert as_json("owners-of", "US8000001", "--on", "2016-07-01", "--db", db)[0]["owners"] != []
    assert "1 read" in run("import", "uspto", str(xml), "--db", db).output


def test_export_and_import_jsonl_round_trip(db: str, tmp_path: Path) -> None:
    exported, copy = tmp_path / "log.jsonl", str(tmp_path / "copy.db")
    assert as_json("export", "jsonl", str(exported), "--db", db) == {"path": str(exported), "events": 15}
    assert len(exported.read_text().splitlines()) == 15
    report = as_json("import", "jsonl", str(exported), "--db", copy)
    assert report["appended"] == 15
    ask = ("standing", "Xiaomi", "--on", "2017-12-31")
    assert as_json(*ask, "--db", copy) == as_json(*ask, "--db", db)
    assert as_json("verify", "--db", copy)["ok"]


def test_import_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = run("import", "jsonl", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "d.db"), ok=False)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_append_reads_stdin(tmp_path: Path) -> None:
    db = str(tmp_path / "deals.db")
    lines = "\n".join(json.dumps(codec.to_dict(event)) for event in seed_story()[:2])
    result = CliRunner().invoke(main, ["append", "-", "--db", db, "--json"], input=lines)
    assert result.exit_code == 0, result.output
    assert [row["type"] for row in json.loads(result.stdout)["appended"]] == ["PatentRegistered"] * 2


def test_refresh_catches_up_views_a_crashed_writer_left_behind(db: str) -> None:
    with sqlite3.connect(db) as raw:  # as if the writer died after the log's commit: the views never saw the log
        raw.execute("UPDATE projection_checkpoints SET position = 0")
        raw.execute("DELETE FROM ownership")
    assert as_json("refresh", "--db", db) == {"path": db, "events": 15, "caught_up": True}
    with sqlite3.connect(db) as raw:
        assert {p for (p,) in raw.execute("SELECT position FROM projection_checkpoints")} == {15}
        assert raw.execute("SELECT owner FROM current_ownership WHERE patent = 'US8000001'").fetchall() == [("Xiaomi",)]
