"""An import keeps the events it appends in memory, and the views' catch-up at its end folds those instead of
reading and decoding them back: the same views, and the same events, as a catch-up that reads them all back.

(What is kept: only events of appends that committed, at most ``loader.MAX_KEPT``; a rollback clears them.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import view_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from register_files import Record, assignment_xml
from test_import_parallel import bad_and_good, contents, records_strategy

from dealtrack import ImportFailed, Ledger, codec
from dealtrack.importers import import_assignments, loader
from dealtrack.projections.reader import KEPT


def import_keeping(path: Path, monkeypatch: pytest.MonkeyPatch, most: int, **options: Any) -> tuple[Any, ...]:
    """Import ``path`` keeping at most ``most`` events; check, as the catch-up starts, that each kept event is the
    one stored at its position; return the report, the log and the views."""
    monkeypatch.setattr(loader, "MAX_KEPT", most)
    real_refresh = Ledger.refresh
    seen: list[int] = []

    def refresh(self: Ledger) -> int:
        kept = self._store.memo.get(KEPT)
        if kept is not None:
            stored = {r.position: r for r in self.events()}
            for position, event in kept.items():
                row = stored[position]
                assert event == row.event and type(event) is type(row.event)
                assert codec.dumps(event) == codec.dumps(row.event)
            seen.append(len(kept))
        return real_refresh(self)

    monkeypatch.setattr(Ledger, "refresh", refresh)
    with Ledger.open() as ledger:
        report = import_assignments(ledger, path, **options)
        assert KEPT not in ledger._store.memo, "the kept events go once the views caught up"
        built = (report, contents(ledger), view_rows(ledger))
    monkeypatch.setattr(Ledger, "refresh", real_refresh)
    assert seen and max(seen) <= most
    return built


def file_of(records: list[Record], tmp_path: Path) -> Path:
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml(records), encoding="utf-8")
    return path


def test_the_views_from_kept_events_are_the_views_from_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = file_of(bad_and_good(30), tmp_path)
    none = import_keeping(path, monkeypatch, 0, batch_size=3)
    some = import_keeping(path, monkeypatch, 20, batch_size=3)
    every = import_keeping(path, monkeypatch, 1_000_000, batch_size=3)
    assert every == none and some == none
    assert none[0].retracted == 2  # (purged and corrective records among them: appends inside a transaction)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records_strategy, batch_size=st.integers(1, 6), most=st.integers(0, 30))
def test_any_file_builds_the_same_views_whatever_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[Record], batch_size: int, most: int) -> None:
    path = file_of(records, tmp_path)
    assert import_keeping(path, monkeypatch, most, batch_size=batch_size) == import_keeping(
        path, monkeypatch, 0, batch_size=batch_size)


def test_a_failed_import_keeps_nothing_after_it(tmp_path: Path) -> None:
    data = assignment_xml(bad_and_good()).encode()
    path = tmp_path / "ad20160102.xml"
    path.write_bytes(data[: len(data) * 2 // 3])
    with Ledger.open(tmp_path / "cut.db") as ledger:
        with pytest.raises(ImportFailed):
            import_assignments(ledger, path, batch_size=3)
        assert KEPT not in ledger._store.memo
        assert len(ledger) > 0
        rows = view_rows(ledger)
    with Ledger.open(tmp_path / "cut.db") as ledger:
        ledger.rebuild()
        assert view_rows(ledger) == rows
