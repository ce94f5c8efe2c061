"""Answers a spreadsheet takes: several patents a call, --from, every format, the basis in every row,
and empty answers that say why (issue 17)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dealtrack import Ledger
from dealtrack.cli import main
from dealtrack.events import PatentRegistered, PatentsAssigned, SecurityInterestGranted
from dealtrack.story import seed_story

PATENTS = ["US8000001", "US8000002", "EP1000001"]
FORMATS = ["json", "nl", "csv", "tsv"]
QUESTIONS = {  # command and its arguments before the patents, and options after them
    "owners-of": ([], ["--on", "2017-07"]),
    "licensees-of": ([], ["--on", "2017-07-10", "--territory", "IN"]),
    "is-licensed": (["Xiaomi"], ["--on", "2017-07-10", "--territory", "IN"]),
    "encumbrances": ([], ["--on", "2017-07-10"]),
    "title-chain": ([], []),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("formats") / "story.db"
    with Ledger.open(path) as ledger:
        ledger.append(
            *seed_story(),
            PatentRegistered(patent="USAPP14678893", owner="Nokia", effective="2015-04-27"),
            PatentsAssigned(assignor="Nokia", assignee=("Nokia", "HMD"), patents=["US8000009"], effective="2016"),
            SecurityInterestGranted(debtor="Xiaomi", secured_party="Bank", patents=["US8000002"], effective="2017"),
        )
    return str(path)


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, env=env)


def parse(fmt: str, text: str) -> list[dict[str, Any]]:
    """Rows back from a format; CSV and TSV cells holding lists are JSON."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "nl":
        return [json.loads(line) for line in text.splitlines()]
    reader = csv.DictReader(io.StringIO(text), **({"delimiter": "\t", "quoting": csv.QUOTE_NONE} if fmt == "tsv" else {}))
    return [{key: (json.loads(value) if value.startswith("[") else value or None) for key, value in row.items()}
            for row in reader]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_several_patents_and_from_stdin_give_one_row_each_in_every_format(db: str, question: str, fmt: str) -> None:
    before, after = QUESTIONS[question]
    from_args = invoke(question, *before, *PATENTS, *after, "--db", db, f"--{fmt}")
    from_stdin = invoke(question, *before, "--from", "-", *after, "--db", db, f"--{fmt}",
                        stdin="US 8,000,001 B2\n\n# a comment\nUS8000002\nep 1000001\n")
    assert from_args.exit_code == 0 and from_stdin.exit_code == 0, from_args.output + from_stdin.output
    assert from_args.stdout == from_stdin.stdout
    rows = parse(fmt, from_args.stdout)
    if question in ("title-chain", "encumbrances"):  # one row per span / right, every patent there
        assert list(dict.fromkeys(row["patent"] for row in rows)) == PATENTS
    else:
        assert [row["patent"] for row in rows] == PATENTS


@pytest.mark.parametrize("fmt", ["csv", "tsv", "nl", "json"])
def test_rows_read_back_to_the_same_answers(db: str, fmt: str) -> None:
    rows = parse(fmt, invoke("owners-of", *PATENTS, "US8000009", "--on", "2017-07", "--db", db, f"--{fmt}").stdout)
    with Ledger.open(db) as ledger:
        assert {row["patent"]: frozenset(row["owners"]) for row in rows} == dict(
            ledger.owners_of_many([*PATENTS, "US8000009"], on="2017-07"))
    assert rows[-1]["owners"] == ["HMD", "Nokia"]  # joint owners stay a list, never "HMD and Nokia"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_basis_is_in_every_row_of_every_format(db: str, fmt: str) -> None:
    for question in ("owners-of", "licensees-of", "encumbrances"):
        before, after = QUESTIONS[question]
        result = invoke(question, *before, "US8000001", *after, "--known-at", "2030-01-01T00:00:00",
                        "--registry-at", "2030-06", "--db", db, f"--{fmt}")
        for row in parse(fmt, result.stdout):
            assert str(row["known_at"]).startswith("2030-01-01T00:00:00") and row["registry_at"] == "2030-06-30"
            assert row["on"] in ("2017-07", "2017-07-10")
    bans = parse(fmt, invoke("active-bans", "--on", "2015", "--known-at", "2030-01-01", "--db", db, f"--{fmt}").stdout)
    assert all(row["on"] == "2015" for row in bans)
    log = parse(fmt, invoke("events", "--registry-at", "2030-06", "--db", db, f"--{fmt}").stdout)
    assert log and all(row["registry_at"] == "2030-06-30" for row in log)


def test_the_basis_is_in_every_table_title(db: str) -> None:
    for args in (["owners-of", "US8000001", "--on", "2017"], ["title-chain", "US8000001"],
                 ["portfolio", "Xiaomi", "--on", "2017"], ["active-bans", "--on", "2017"],
                 ["standing", "Xiaomi", "--on", "2017"], ["anomalies"], ["events"]):
        first = invoke(*args, "--known-at", "2030-01-01", "--registry-at", "2030-06-30", "--db", db).output.splitlines()[0]
        assert "known at 2030-01-01" in first and "registry at 2030-06-30" in first, first


def test_limit_cuts_every_format(db: str) -> None:
    assert len(json.loads(invoke("owners-of", *PATENTS, "--on", "2017", "--db", db, "--json", "--limit", "2").stdout)) == 2
    assert len(invoke("owners-of", *PATENTS, "--on", "2017", "--db", db, "--csv", "--limit", "1").stdout.splitlines()) == 2
    table = invoke("owners-of", *PATENTS, "--on", "2017", "--db", db, "--limit", "1").output
    assert "US8000001" in table and "EP1000001" not in table and "2 more rows" in table
    both = invoke("owners-of", "US8000001", "--on", "2017", "--db", db, "--csv", "--json")
    assert both.exit_code == 2 and "one output format" in both.output


def test_an_unknown_patent_is_not_an_ownerless_one(db: str) -> None:
    result = invoke("owners-of", "US8000001", "US9999999", "--on", "2000-01-01", "--db", db, "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert rows[0]["owners"] == [] and rows[0]["note"] == "no owner known on 2000-01-01"
    assert rows[1]["note"] == "US9999999 is not in this ledger"
    assert "Error: US9999999 is not in this ledger" in result.stderr and "US8000001" not in result.stderr
    known = invoke("owners-of", "US8000001", "--on", "2000-01-01", "--db", db)
    assert known.exit_code == 0 and "no owner known on 2000-01-01" in known.output


def test_a_compact_application_number_is_read_as_the_application(db: str) -> None:
    compact = invoke("owners-of", "US14678893", "--on", "2016", "--db", db, "--json")
    written = invoke("owners-of", "US 14/678,893", "--on", "2016", "--db", db, "--json")
    assert compact.exit_code == written.exit_code == 0
    assert json.loads(compact.stdout) == json.loads(written.stdout)
    assert json.loads(compact.stdout)[0]["patent"] == "USAPP14678893"


@pytest.mark.parametrize(("party", "hint"), [("xiaomi", "did you mean Xiaomi?"), ("Xiaomy", "did you mean Xiaomi?"),
                                             ("Samsung", "Samsung is not a party in this ledger")])
def test_an_unknown_party_fails_with_near_matches(db: str, party: str, hint: str) -> None:
    for args in (["portfolio", party, "--on", "2016"], ["standing", party, "--on", "2016"],
                 ["active-bans", "--against", party, "--on", "2016"],
                 ["is-licensed", party, "US8000001", "--on", "2016", "--territory", "IN"]):
        result = invoke(*args, "--db", db)
        assert result.exit_code == 1 and hint in result.stderr and result.stdout == "", args


def test_a_known_party_with_nothing_says_so(db: str) -> None:
    result = invoke("portfolio", "Xiaomi", "--on", "2010", "--db", db)
    assert result.exit_code == 0 and "Xiaomi held no patents then" in result.output


def test_dealtrack_db_sets_the_default_ledger(db: str, tmp_path: Path) -> None:
    result = invoke("owners-of", "US8000001", "--on", "2017", "--json", env={"DEALTRACK_DB": db})
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["owners"] == ["Xiaomi"]
    missing = invoke("owners-of", "US8000001", "--on", "2017", env={"DEALTRACK_DB": str(tmp_path / "no.db")})
    assert missing.exit_code == 1 and "no ledger at" in missing.stderr
    assert "DEALTRACK_DB" in invoke("owners-of", "--help").output


def test_retract_and_correct_from_the_shell(tmp_path: Path) -> None:
    db = str(tmp_path / "deals.db")
    with Ledger.open(db) as ledger:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2001"))
        (wrong,) = ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US1"], effective="2010"))
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({"type": "PatentsAssigned", "assignor": "Nokia", "assignee": ["HMD"],
                                 "patents": ["US1"], "effective": "2010"}))
    result = invoke("correct", wrong.event_id, str(fixed), "--reason", "the buyer was HMD", "--db", db, "--json")
    assert result.exit_code == 0 and [row["type"] for row in json.loads(result.stdout)] == [
        "EventRetracted", "PatentsAssigned"]
    assert json.loads(invoke("owners-of", "US1", "--on", "2011", "--db", db, "--json").stdout)[0]["owners"] == ["HMD"]
    last = json.loads(invoke("events", "--type", "PatentsAssigned", "--db", db, "--json").stdout)[-1]["event_id"]
    retracted = invoke("retract", last, "--reason", "no sale at all", "--db", db)
    assert retracted.exit_code == 0 and f"retracted {last}" in retracted.output
    assert json.loads(invoke("owners-of", "US1", "--on", "2011", "--db", db, "--json").stdout)[0]["owners"] == ["Nokia"]


def test_explain_names_the_events_behind_an_answer(db: str) -> None:
    rows = json.loads(invoke("explain", "owners-of", "US8000001", "--on", "2016-07-01", "--db", db, "--json").stdout)
    assert [row["type"] for row in rows] == ["PatentsAssigned"] and rows[0]["answer"] == ["Xiaomi"]
    assert invoke("explain", "is-licensed", "Xiaomi", "--on", "2017", "--db", db).exit_code == 2


def test_a_party_known_only_by_a_rename_is_known(tmp_path: Path) -> None:
    from dealtrack.events import PartyRenamed

    db = str(tmp_path / "renamed.db")
    with Ledger.open(db) as ledger:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2001"),
                      PartyRenamed(old="Nokia", new="Nokia Oyj", effective="2010"))
    rows = json.loads(invoke("portfolio", "Nokia Oyj", "--on", "2011", "--db", db, "--json").stdout)
    assert [row["patent"] for row in rows] == ["US1"]
    near = invoke("portfolio", "nokia oyj", "--on", "2011", "--db", db)
    assert near.exit_code == 1 and "did you mean Nokia Oyj or Nokia?" in near.stderr


def test_joint_owners_and_an_uncertain_either_or_read_differently(db: str) -> None:
    joint = json.loads(invoke("title-chain", "US8000009", "--db", db, "--json").stdout)[-1]
    assert joint["owners"] == ["HMD", "Nokia"] and joint["joint"] is True and joint["certain"] is True
    either = json.loads(invoke("title-chain", "EP1000001", "--db", db, "--json").stdout)[1]
    assert either["owners"] == ["Nokia", "Xiaomi"] and either["joint"] is False and either["certain"] is False
    table = invoke("title-chain", "US8000009", "EP1000001", "--db", db).output
    assert "HMD and Nokia" in table and "Nokia or Xiaomi" in table
