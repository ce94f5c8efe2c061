"""Recorded times from outside (JSON Lines imports) are checked against the clock: one line cannot brick a ledger."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from dealtrack import ImportFailed, Ledger, limits
from dealtrack.events import PatentRegistered
from dealtrack.importers import import_jsonl
from dealtrack.story import seed_story


def export_with_time(tmp_path: Path, stamp: str) -> Path:
    """An export of the seed story whose last line claims to have been recorded at ``stamp``."""
    source = tmp_path / "source.jsonl"
    with Ledger.open() as ledger:
        ledger.append(*seed_story())
        ledger.export_jsonl(source)
    lines = source.read_bytes().splitlines()
    last = orjson.loads(lines[-1])
    last["recorded_at"] = stamp
    source.write_bytes(b"\n".join([*lines[:-1], orjson.dumps(last)]) + b"\n")
    return source


def later_event() -> PatentRegistered:
    return PatentRegistered(patent="US9000001", owner="Nokia", effective="2020-01-01")


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59.999999+00:00", "2999-01-01T00:00:00+00:00",
                                   "9999-12-31T23:00:00-05:00"])
def test_a_line_recorded_in_the_future_is_refused_and_the_ledger_stays_appendable(tmp_path: Path, stamp: str) -> None:
    source = export_with_time(tmp_path, stamp)
    with Ledger.open(tmp_path / "deals.db") as ledger:
        with pytest.raises(ImportFailed, match="recorded_at"):
            import_jsonl(ledger, source)
        before = len(ledger)
        recorded = ledger.append(later_event())[0]
        assert recorded.recorded_at <= datetime.now(timezone.utc)
        assert len(ledger) == before + 1 and ledger.verify()
        assert ledger.owners_of("US9000001", on="2021", known_at=datetime.now(timezone.utc)) == {"Nokia"}


def test_a_ledger_already_holding_the_last_possible_time_stays_appendable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = export_with_time(tmp_path, "9999-12-31T23:59:59.999999+00:00")
    with Ledger.open(tmp_path / "deals.db") as ledger:
        with monkeypatch.context() as patched:  # as an older dealtrack, which did not check, imported it
            patched.setattr(limits, "check_recorded_at", lambda *_: None)
            import_jsonl(ledger, source)
        first = ledger.append(later_event())
        second = ledger.append(PatentRegistered(patent="US9000002", owner="Nokia", effective="2020-01-01"))
        assert first[0].recorded_at == second[0].recorded_at == datetime.max.replace(tzinfo=timezone.utc)
        assert [p.kind for p in ledger.verify().problems] == ["time_in_future"]  # said, and nothing else wrong
        assert ledger.owners_of("US9000002", on="2021") == {"Nokia"}
        kept = {name: ledger.db.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall() for name in ("ownership",)}
        ledger.rebuild()
        assert kept == {name: ledger.db.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall() for name in kept}


def test_verify_names_a_recorded_time_in_the_future(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = export_with_time(tmp_path, "2999-01-01T00:00:00+00:00")
    with Ledger.open(tmp_path / "deals.db") as ledger:
        monkeypatch.setattr(limits, "check_recorded_at", lambda *_: None)
        import_jsonl(ledger, source)
        report = ledger.verify()
        assert not report and [p.kind for p in report.problems] == ["time_in_future"]
