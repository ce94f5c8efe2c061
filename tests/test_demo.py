"""The main job: `dealtrack demo` builds the seed story and prints time-travel answers."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealtrack import Ledger
from dealtrack.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_demo_builds_the_story_and_answers(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "built now" in lines[0]
    assert any(line.startswith("Who owned US8000001 in May 2016?") and line.endswith("Microsoft") for line in lines)
    assert any("1500 patents (3 listed, 1497 undisclosed)" in line for line in lines)
    assert any("US8000003 assigned by Microsoft" in line for line in lines)
    assert any("before the correction" in line and line.endswith("Xiaomi") for line in lines)
    assert any("as the US register showed it on 2016-08-01" in line and line.endswith("Microsoft") for line in lines)
    assert "  2017-07-01 .. 2017-08-01: Nokia, Xiaomi  (uncertain: the transfer is dated only to the month)" in lines
    assert lines[-1].startswith("Log check: ok")
    assert "illustrative" in lines[0]
    assert any("Nokia's patents" in line and "yes" in line for line in lines)  # the Nokia-Xiaomi cross-licence
    assert any("Redmi Note in India on 2014-12-10?" in line and "Delhi High Court" in line for line in lines)
    assert any("Redmi 1S in India on 2014-12-20?" in line and "INR 100" in line for line in lines)
    with Ledger.open(db) as ledger:
        assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}


def test_demo_run_twice_reuses_the_ledger(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--db", str(db)])
    second = runner.invoke(main, ["demo", "--db", str(db)])
    assert second.exit_code == 0 and "built earlier" in second.output
    assert first.output.splitlines()[1:] == second.output.splitlines()[1:]


def test_demo_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["demo"]).exit_code == 0
    assert (tmp_path / "dealtrack-demo.db").exists()


def test_demo_refuses_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("not a database")
    result = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.output and "Traceback" not in result.output


def test_verify_command(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    runner = CliRunner()
    runner.invoke(main, ["demo", "--db", str(db)])
    result = runner.invoke(main, ["verify", "--db", str(db)])
    assert result.exit_code == 0 and result.output.startswith("ok: 17 events")


def test_seed_story_example_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["seed_story.py"])
    runpy.run_path(str(ROOT / "examples" / "seed_story.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "Xiaomi's portfolio on 2016-06-01: 1500 patents (1497 undisclosed)" in out
    assert "believed Xiaomi before the correction, Microsoft after it" in out


def test_ericsson_example_shows_what_could_be_sold_when(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "ericsson_xiaomi_india.py"), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2014-12-01: Mi 3 may be sold") and "no ban in force" in lines[0]
    assert "Redmi 1S may not be sold" in lines[1] and "rests on 8 patents" in lines[1]
    assert "Redmi 1S may be sold, Redmi Note may not be sold" in lines[2] and "INR 100" in lines[2]
    assert "rests on 6 patents" in lines[3]
