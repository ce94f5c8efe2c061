"""An import keeps the events it appends in memory, and the views' catch-up at its end folds those instead of
reading and decoding them back: the same views, and the same events, as a catch-up that reads them all back.

(What is kept: only events of appends that committed, at most ``loader.MAX_KEPT``; a rollback clears them.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import view_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from register_files import Record, assignment_xml, made_up
from test_import_parallel import ASSIGN, bad_and_good, contents, records_strategy

from dealtrack import EventRetracted, ImportFailed, InvalidEvent, Ledger, codec
from dealtrack.importers import import_assignments, loader
from dealtrack.projections.reader import KEPT

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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
    try:
        with Ledger.open() as ledger:
            report = import_assignments(ledger, path, **options)
            assert KEPT not in ledger._store.memo, "the kept events go once the views caught up"
            problems = [(p.record, _ID.sub("<event id>", p.reason)) for p in report.problems]  # (ids differ by run)
            built = (attrs.evolve(report, problems=()), problems, contents(ledger), view_rows(ledger))
    finally:
        monkeypatch.setattr(Ledger, "refresh", real_refresh)
    # (none at all when a rollback cleared them and nothing was appended after it)
    assert max(seen, default=0) <= most
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


def test_a_rollback_drops_what_was_kept_and_the_import_keeps_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A purged record the ledger refuses rolls back its transaction, which clears the store's memo: the events
    kept before it are decoded from the log instead, and those appended after it are kept again."""
    records = bad_and_good(12)
    purged = made_up("40001", "8", ASSIGN, "DOE, JANE", "ACME CORP", "14000007", purge="Y")
    later = [made_up("40002", str(n), ASSIGN, f"PARTY {n}", "GLOBEX INC.", f"{14000100 + n}") for n in range(1, 6)]
    path = file_of([*records, purged, *later], tmp_path)
    real_append = Ledger.append
    refused = []

    def append(self: Ledger, *events: Any, **options: Any) -> Any:
        if any(isinstance(e, EventRetracted) and "purged" in (e.reason or "") and "040001/0008" in e.reason
               for e in events):
            refused.append(KEPT in self._store.memo)
            raise InvalidEvent("events", "retraction", "refused for the test")
        return real_append(self, *events, **options)

    monkeypatch.setattr(Ledger, "append", append)
    sizes: list[int] = []
    real_refresh = Ledger.refresh

    def refresh(self: Ledger) -> int:
        sizes.append(len(self._store.memo.get(KEPT) or {}))
        return real_refresh(self)

    monkeypatch.setattr(Ledger, "refresh", refresh)
    with Ledger.open() as ledger:
        ledger.refresh()  # (before the import: nothing kept)
        import_assignments(ledger, path, batch_size=2)
        rows = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == rows
    assert refused == [True]
    assert 0 < sizes[1] <= 10, "kept again after the rollback: the five records after it, a link each"


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
