"""verify(): tampering is caught and named, even by someone who drops the triggers through raw sqlite3.

Each test edits the file the way an insider with the sqlite3 shell could, then
checks that verify() names the first bad position and what is wrong. A forger
who also recomputes every later hash and the ledger head leaves a log that is
consistent in itself; only an anchor kept elsewhere (ledger.head()) shows it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs
import pytest

from click.testing import CliRunner

from dealtrack import Anchor, InvalidEvent, Ledger, LedgerFileError
from dealtrack.cli import main
from dealtrack.sqlite.store import EVENT_COLUMNS, GENESIS_HASH, EventRow, chain_hash
from dealtrack.story import seed_story

STORY = len(seed_story())  # 13 events


@pytest.fixture
def story_file(ledger_path: Path) -> Path:
    with Ledger.open(ledger_path) as ledger:
        ledger.append(*seed_story())
        ledger.retract(ledger.append(*seed_story()[:1])[0].event_id, "recorded twice")  # positions 14 and 15
    return ledger_path


def tamper(path: Path, *statements: str) -> None:
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER events_refuse_update")
    raw.execute("DROP TRIGGER events_refuse_delete")
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def forge_chain(path: Path, head: bool = True) -> None:
    """Recompute every row's hash (and, with ``head``, the ledger head and the views) as a forger who read store.py would."""
    raw = sqlite3.connect(path)
    previous = GENESIS_HASH
    rows = [EventRow(*values) for values in raw.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY position")]
    for row in rows:
        previous = chain_hash(previous, row)
        raw.execute("UPDATE events SET hash = ? WHERE position = ?", (previous, row.position))
    if head:
        raw.execute("UPDATE ledger_head SET position = ?, hash = ?", (rows[-1].position, previous))
        raw.execute("UPDATE projection_checkpoints SET position = ?", (rows[-1].position,))
    raw.commit()
    raw.close()
    if head:
        with Ledger.open(path) as ledger:
            ledger.rebuild()  # and the views recounted from the forged log: verify() recounts them too


def report_of(path: Path, anchor: Anchor | str | None = None):  # type: ignore[no-untyped-def]
    with Ledger.open(path) as ledger:
        return ledger.verify(anchor=anchor)


def first(report) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    assert not report, "verify() should have failed"
    assert report.first is report.problems[0]  # problems come in position order
    return report.first.kind, report.first.position


def test_a_sound_log_verifies(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        report = ledger.verify()
        assert report and report.ok and report.events_checked == STORY + 2
        assert report.problems == () and report.first is None
        assert ledger.verify(anchor=ledger.head())
        assert "ok: 15 events" in str(report)


def test_the_head_is_an_anchor_that_reads_back_from_its_text(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        anchor = ledger.head()
        assert anchor.position == 15 and len(anchor.hash) == 64
        assert Anchor.parse(str(anchor)) == anchor
        assert ledger.verify(anchor=str(anchor))
        with pytest.raises(AttributeError):
            anchor.position = 3  # type: ignore[misc]  # frozen


def test_an_empty_ledger_has_the_genesis_anchor() -> None:
    with Ledger.open() as ledger:
        assert ledger.head() == Anchor(0, GENESIS_HASH)
        assert ledger.verify(anchor=ledger.head())


@pytest.mark.parametrize("bad", ["", "15", "x:abc", "15:" + "0" * 63, "-1:" + "0" * 64, 15, None, ("15", "0" * 64)])
def test_a_malformed_anchor_is_refused(story_file: Path, bad: object) -> None:
    if bad is None:
        assert report_of(story_file, None)  # None means: no anchor
        return
    with pytest.raises(InvalidEvent) as caught:
        report_of(story_file, bad)  # type: ignore[arg-type]
    assert caught.value.field.startswith(("anchor", "Anchor"))


@pytest.mark.parametrize(
    "edit",
    [
        "payload = replace(payload, 'Xiaomi', 'Huawei')",
        "recorded_at = '2001-01-01T00:00:00.000000+00:00'",
        "event_id = '00000000-0000-7000-8000-000000000000'",
        "metadata = '{\"loaded_by\":\"someone else\"}'",
        "type = 'PatentRegistered'",
        "deal = 'another-deal'",
    ],
)
def test_an_edited_row_is_caught_at_its_position(story_file: Path, edit: str) -> None:
    tamper(story_file, f"UPDATE events SET {edit} WHERE position = 9")
    assert first(report_of(story_file)) == ("hash_mismatch", 9)


def test_an_edited_payload_is_the_only_problem_reported(story_file: Path) -> None:
    tamper(story_file, "UPDATE events SET payload = replace(payload, 'Xiaomi', 'Huawei') WHERE position = 9")
    report = report_of(story_file)
    assert [(p.kind, p.position) for p in report.problems] == [("hash_mismatch", 9)]
    assert "edited" in report.first.message
    assert "position 9: hash_mismatch" in str(report)


def test_a_deleted_row_is_caught(story_file: Path) -> None:
    tamper(story_file, "DELETE FROM events WHERE position = 4")
    report = report_of(story_file)
    assert first(report) == ("missing_rows", 4)
    assert [(p.kind, p.position) for p in report.problems] == [("missing_rows", 4)]  # no echo at position 5


def test_a_deleted_row_hidden_by_renumbering_is_caught(story_file: Path) -> None:
    tamper(
        story_file,
        "DELETE FROM events WHERE position = 4",
        "CREATE TEMP TABLE later AS SELECT * FROM events WHERE position > 4",
        "DELETE FROM events WHERE position > 4",
        "UPDATE later SET position = position - 1",
        "INSERT INTO events SELECT * FROM later",
    )
    report = report_of(story_file)
    assert first(report) == ("missing_rows", 4)
    assert "renumbered" in report.first.message
    assert ("cut_tail", 15) in {(p.kind, p.position) for p in report.problems}


def forged_row(path: Path, position: int, after: str | None = None) -> EventRow:
    """A well-formed row copied from position 1, placed at ``position``; chained onto hash ``after`` if given."""
    raw = sqlite3.connect(path)
    values = raw.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE position = 1").fetchone()
    (last_recorded,) = raw.execute("SELECT max(recorded_at) FROM events").fetchone()
    raw.close()
    row = attrs.evolve(EventRow(*values), position=position, event_id=f"00000000-0000-7000-8000-{position:012d}",
                       recorded_at=last_recorded)
    return row if after is None else attrs.evolve(row, hash=chain_hash(after, row))


def insert(path: Path, row: EventRow) -> None:
    raw = sqlite3.connect(path)
    raw.execute(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})",
                attrs.astuple(row))
    raw.commit()
    raw.close()


def test_a_row_appended_behind_the_ledgers_back_is_caught_even_with_a_good_hash(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        head = ledger.head()
    insert(story_file, forged_row(story_file, 16, after=head.hash))
    report = report_of(story_file)
    assert first(report) == ("inserted_row", 16)
    assert [p.kind for p in report.problems] == ["inserted_row"]


def test_a_row_inserted_before_the_start_is_caught(story_file: Path) -> None:
    insert(story_file, forged_row(story_file, 0))
    assert first(report_of(story_file)) == ("inserted_row", 0)


def test_a_row_inserted_in_the_middle_by_renumbering_is_caught(story_file: Path) -> None:
    tamper(
        story_file,
        "CREATE TEMP TABLE later AS SELECT * FROM events WHERE position > 5",
        "DELETE FROM events WHERE position > 5",
        "UPDATE later SET position = position + 1",
        "INSERT INTO events SELECT * FROM later",
    )
    insert(story_file, forged_row(story_file, 6))
    report = report_of(story_file)
    assert first(report) == ("inserted_row", 6)
    assert "renumbered" in report.first.message


def test_a_cut_tail_is_caught(story_file: Path) -> None:
    tamper(story_file, "DELETE FROM events WHERE position > 10")
    report = report_of(story_file)
    assert first(report) == ("cut_tail", 11)
    assert "11..15" in report.first.message


def test_a_cut_tail_with_a_rewritten_head_is_caught_by_an_anchor(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        kept = ledger.head()  # the user keeps this somewhere else
    tamper(story_file, "DELETE FROM events WHERE position > 10", "DELETE FROM retractions WHERE position > 10")
    forge_chain(story_file)  # the head and the view checkpoints now say 10: the log is consistent in itself
    assert report_of(story_file)  # without an anchor nothing shows
    report = report_of(story_file, anchor=kept)
    assert first(report) == ("cut_tail", 11)
    assert "anchor" in report.first.message


def test_a_rewritten_history_is_caught_by_an_anchor(story_file: Path) -> None:
    with Ledger.open(story_file) as ledger:
        kept = ledger.head()
        early = Anchor(3, ledger.db.execute("SELECT hash FROM events WHERE position = 3").fetchone()[0])
    tamper(story_file, "UPDATE events SET payload = replace(payload, 'Microsoft', 'Google') WHERE position = 4")
    forge_chain(story_file)
    assert report_of(story_file)  # every hash recomputed: consistent in itself
    report = report_of(story_file, anchor=kept)
    assert first(report) == ("anchor_mismatch", 15)
    assert "rewritten" in report.first.message
    assert report_of(story_file, anchor=early)  # an anchor vouches for what came before it, not after


def test_an_anchor_beyond_the_log_is_a_cut_tail(story_file: Path) -> None:
    report = report_of(story_file, anchor=Anchor(40, "a" * 64))
    assert first(report) == ("cut_tail", 16)


def test_a_dropped_retraction_note_is_caught(story_file: Path) -> None:
    raw = sqlite3.connect(story_file)
    raw.execute("DELETE FROM retractions WHERE target = 14")  # the retracted event would count again
    raw.commit()
    raw.close()
    report = report_of(story_file)
    assert first(report) == ("retraction_mismatch", 14)


def test_garbage_in_a_row_is_reported_not_raised(story_file: Path) -> None:
    tamper(story_file, "UPDATE events SET payload = X'00FF' WHERE position = 7",
           "UPDATE events SET recorded_at = 12 WHERE position = 8")
    report = report_of(story_file)
    kinds = {(p.kind, p.position) for p in report.problems}
    assert first(report) == ("hash_mismatch", 7)
    assert ("unreadable_event", 7) in kinds and ("time_went_back", 8) in kinds


def test_a_dropped_table_is_refused_on_open(story_file: Path) -> None:
    raw = sqlite3.connect(story_file)
    raw.execute("DROP TABLE ledger_head")
    raw.commit()
    raw.close()
    with pytest.raises(LedgerFileError, match="ledger_head"):
        Ledger.open(story_file)


def test_the_command_line_prints_an_anchor_and_verifies_against_it(story_file: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(main, ["head", "--db", str(story_file)])
    assert printed.exit_code == 0
    anchor = printed.output.strip()
    assert Anchor.parse(anchor).position == 15
    assert runner.invoke(main, ["verify", "--db", str(story_file), "--anchor", anchor]).exit_code == 0
    tamper(story_file, "DELETE FROM events WHERE position > 12", "DELETE FROM retractions")
    forge_chain(story_file)
    assert runner.invoke(main, ["verify", "--db", str(story_file)]).exit_code == 0
    caught = runner.invoke(main, ["verify", "--db", str(story_file), "--anchor", anchor])
    assert caught.exit_code == 1 and "position 13: cut_tail" in caught.output
    refused = runner.invoke(main, ["verify", "--db", str(story_file), "--anchor", "nonsense"])
    assert refused.exit_code == 1 and "anchor" in refused.output and "Traceback" not in refused.output


def test_the_command_line_does_not_create_a_ledger_it_was_asked_to_check(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["verify", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1 and "no ledger at" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()
