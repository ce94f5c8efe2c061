"""export_parquet: the log and every view as Parquet files that DuckDB reads, whole or not at all (issue 14)."""

from __future__ import annotations

import builtins
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealtrack import DealtrackError, Ledger, codec
from dealtrack import parquet as parquet_module
from dealtrack.cli import main
from dealtrack.errors import MissingExtra
from dealtrack.events import Event, PartiesMerged, PartyRenamed, PatentsAssigned
from dealtrack.story import seed_story
from test_ownership_properties import PARTIES, days, histories

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

pa = pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb", reason="duckdb (a test extra) is not installed")

#: Listed patents and undisclosed ones each holder held on $day, as currently known (the docs' query, by holder).
HOLDINGS = """
WITH listed AS (
    SELECT owner AS holder, count(DISTINCT patent) AS listed
    FROM read_parquet($ownership)
    WHERE known_to IS NULL AND valid_from <= $day AND (valid_to IS NULL OR valid_to > $day)
    GROUP BY owner
), undisclosed AS (
    SELECT owner AS holder, sum(patents_count) AS undisclosed
    FROM (SELECT owner, deal_position, max(patents_count) AS patents_count
          FROM read_parquet($undisclosed)
          WHERE known_to IS NULL AND valid_from <= $day AND (valid_to IS NULL OR valid_to > $day)
          GROUP BY owner, deal_position)
    GROUP BY owner
)
SELECT holder, coalesce(listed, 0) + coalesce(undisclosed, 0) AS held
FROM listed FULL OUTER JOIN undisclosed USING (holder)
"""


def held_on(folder: Path, day: date) -> dict[str, int]:
    """``holder -> patents held on day`` from the exported files alone."""
    rows = duckdb.execute(HOLDINGS, {
        "ownership": str(folder / "ownership.parquet"),
        "undisclosed": str(folder / "undisclosed_holdings.parquet"),
        "day": day,
    }).fetchall()
    return {holder: int(held) for holder, held in rows}


def table_rows(ledger: Ledger, table: str) -> int:
    store = ledger._store
    if table == "events":
        return len(ledger)
    with store.snapshot():  # (either backend)
        return sum(len(batch) for batch in store.table_batches(table))


@pytest.fixture
def story(ledger: Ledger) -> Ledger:
    ledger.append(*seed_story())
    return ledger


# --- what is written --------------------------------------------------------------------------------


def test_the_log_and_every_view_table_are_written_with_their_row_counts(story: Ledger, tmp_path: Path) -> None:
    written = story.export_parquet(tmp_path / "out")
    views = story._store.view_tables()
    assert {"ownership", "undisclosed_holdings", "licences", "bans", "security_interests", "anomalies",
            "patent_numbers", "register_records", "title_facts", "licences_facts"} <= set(views)
    assert list(written) == ["events", *views]
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(f"{t}.parquet" for t in written)
    for table, rows in written.items():
        assert rows == table_rows(story, table) == pq.read_table(tmp_path / "out" / f"{table}.parquet").num_rows


def test_the_log_round_trips_ids_positions_times_and_payloads(story: Ledger, tmp_path: Path) -> None:
    victim = list(story.events())[5]
    retraction = story.retract(victim.event_id, "wrong")
    story.export_parquet(tmp_path / "out")
    exported = pq.read_table(tmp_path / "out" / "events.parquet").to_pylist()
    stored = [(r.position, r.event_id, r.type, r.payload, r.metadata, r.hash) for r in story._store.rows()]
    assert [(r["position"], r["event_id"], r["type"], r["payload"], r["metadata"], r["hash"]) for r in exported] == stored
    logged = list(story.events())
    assert [r["recorded_at"] for r in exported] == [e.recorded_at for e in logged]
    assert all(r["recorded_at"].tzinfo is not None and r["recorded_at"].utcoffset() == timedelta(0) for r in exported)
    assert [codec.decode_stored(r["type"], r["payload"], r["schema_version"]) for r in exported] \
        == [e.event for e in logged]
    assert {r["position"]: r["retracted_by"] for r in exported if r["retracted_by"] is not None} \
        == {victim.position: retraction.position}
    deal = next(r for r in exported if r["type"] == "PatentsAssigned" and r["deal"] == "msft-xiaomi-2016")
    assert deal["effective_start"] == date(2016, 6, 1) and deal["registry_recorded"] == date(2016, 8, 22)


def test_columns_get_analytic_types(story: Ledger, tmp_path: Path) -> None:
    story.export_parquet(tmp_path / "out")
    schema = {t: pq.read_schema(tmp_path / "out" / f"{t}.parquet")
              for t in ("events", "ownership", "licences", "bans", "anomalies", "undisclosed_holdings")}
    assert schema["events"].field("effective_start").type == pa.date32()
    assert schema["events"].field("recorded_at").type == pa.timestamp("us", tz="UTC")
    assert schema["events"].field("position").type == pa.int64()
    assert schema["events"].field("payload").type == pa.string()
    assert schema["events"].field("retracted_by").type == pa.int64()
    assert schema["ownership"].field("valid_from").type == schema["ownership"].field("valid_to").type == pa.date32()
    assert schema["undisclosed_holdings"].field("patents_count").type == pa.int64()
    for column in ("patents", "territory"):
        assert schema["licences"].field(column).type == pa.list_(pa.string())
    for column in ("against", "territory", "products", "patents", "exempt_products"):
        assert schema["bans"].field(column).type == pa.list_(pa.string())
    assert schema["anomalies"].field("related").type == pa.list_(pa.int64())
    licences = pq.read_table(tmp_path / "out" / "licences.parquet").to_pylist()
    assert {tuple(row["territory"]) for row in licences} == {("WORLD",)}
    assert schema["events"].metadata[b"dealtrack.position"] == str(len(story)).encode()


def test_a_ledger_with_no_events_exports_empty_tables_with_their_columns(ledger: Ledger, tmp_path: Path) -> None:
    written = ledger.export_parquet(tmp_path / "out")
    assert set(written.values()) == {0}
    table = pq.read_table(tmp_path / "out" / "events.parquet")
    assert table.num_rows == 0 and "retracted_by" in table.column_names


def test_small_batches_write_several_row_groups_with_the_same_rows(story: Ledger, tmp_path: Path) -> None:
    story.export_parquet(tmp_path / "whole")
    parquet_module.export(story._store, tmp_path / "batched", batch_size=2, row_group_rows=4)
    assert len(story) == 13 and pq.ParquetFile(tmp_path / "batched" / "events.parquet").num_row_groups == 4  # 4+4+4+1
    for path in (tmp_path / "whole").iterdir():
        assert pq.read_table(tmp_path / "batched" / path.name).equals(pq.read_table(path))


# --- DuckDB answers as the ledger does ---------------------------------------------------------------


@pytest.mark.parametrize("day", ["2014-05-01", "2016-05-31", "2016-06-01", "2017-07-15", "2017-08-01", "2020-01-01"])
def test_duckdb_counts_each_holders_patents_as_portfolio_does(story: Ledger, tmp_path: Path, day: str) -> None:
    story.export_parquet(tmp_path / "out")
    counted = held_on(tmp_path / "out", date.fromisoformat(day))
    assert counted, "someone held something on each of these days"
    assert counted == {holder: len(story.portfolio(holder, on=day)) for holder in counted}
    parties = {"Microsoft", "Xiaomi", "Nokia", "Microsoft Technology Licensing, LLC"}
    assert {p: len(story.portfolio(p, on=day)) for p in parties - set(counted)} == dict.fromkeys(parties - set(counted), 0)


def test_the_seed_storys_counts_on_the_eve_of_the_xiaomi_deal_and_after(story: Ledger, tmp_path: Path) -> None:
    story.export_parquet(tmp_path / "out")
    assert held_on(tmp_path / "out", date(2016, 5, 31)) == {
        "Microsoft": 3, "Microsoft Technology Licensing, LLC": 1, "Nokia": 1,
    }
    assert held_on(tmp_path / "out", date(2016, 6, 1))["Xiaomi"] == 1500  # 3 listed + 1497 undisclosed


def _renamed(history: list[tuple[int, Event]], retracted: set[int], day: date) -> set[str]:
    """Names in a live rename or merger in effect by ``day``: portfolio may answer for another name then (rule 5)."""
    names: set[str] = set()
    for position, event in history:
        if position in retracted or event.effective is None or event.effective.start > day:
            continue
        if isinstance(event, PartyRenamed):
            names |= {event.old, event.new}
        elif isinstance(event, PartiesMerged):
            names |= {event.absorbed, event.into}
    return names


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, undisclosed=st.lists(st.integers(0, 20), min_size=14, max_size=14),
       probe_days=st.lists(days, min_size=3, max_size=3))
def test_duckdb_counts_equal_portfolio_on_generated_histories(
    history: list[Event], undisclosed: list[int], probe_days: list[date]
) -> None:
    """Listed and undisclosed holdings, renames, mergers and retractions: the files answer as the ledger does."""
    with Ledger.open() as ledger, tempfile.TemporaryDirectory() as scratch:
        logged: list[tuple[int, Event]] = []
        retracted: set[int] = set()
        # one deal at most moves unlisted patents: the files hold each report's block as recorded, while
        # portfolio() also nets out unlisted patents sold on out of a block (see docs/analytics.md)
        # (and then no rename may join its seller and buyer into one name: that too is a sale portfolio() nets out)
        blocks = 0
        renames = any(isinstance(event, (PartyRenamed, PartiesMerged)) for event in history)
        for event, extra in zip(history, undisclosed):
            if isinstance(event, PatentsAssigned) and extra and not blocks and not renames:
                blocks += 1
                event = PatentsAssigned(assignor=event.assignor, assignee=event.assignee, patents=event.patents,
                                        effective=event.effective, disclosed_count=len(event.patents) + extra)
            (recorded,) = ledger.append(event)
            logged.append((recorded.position, event))
            if extra % 5 == 1:
                ledger.retract(recorded.event_id, "test")
                retracted.add(recorded.position)
        folder = Path(scratch) / "out"
        ledger.export_parquet(folder)
        for day in probe_days:
            counted = held_on(folder, day)
            assert counted == {holder: len(ledger.portfolio(holder, on=day)) for holder in counted}
            renamed = _renamed(logged, retracted, day)
            for party in set(PARTIES) - set(counted):  # held nothing that day, or answers for a holder's new name
                held = len(ledger.portfolio(party, on=day))
                assert held == 0 or (party in renamed and held in counted.values()), party


# --- whole or not at all ------------------------------------------------------------------------------


def test_a_failure_part_way_leaves_no_folder_and_no_partial_files(
    story: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = parquet_module.write_table
    calls = []

    def fail_after_the_first(path: Path, *args: Any) -> int:
        if calls:
            raise OSError(28, "No space left on device")
        calls.append(path)
        return real_write(path, *args)

    monkeypatch.setattr(parquet_module, "write_table", fail_after_the_first)
    with pytest.raises(DealtrackError, match="No space left"):
        story.export_parquet(tmp_path / "out")
    assert calls and calls[0].name == "events.parquet"
    assert list(tmp_path.iterdir()) == []  # neither the folder nor the hidden one it was being written into


def test_an_error_of_any_kind_part_way_cleans_up_too(
    story: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(parquet_module, "write_table", broken)
    with pytest.raises(KeyboardInterrupt):
        story.export_parquet(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_folder_is_replaced_and_a_full_one_or_a_file_is_refused(story: Ledger, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert story.export_parquet(tmp_path / "empty")["events"] == len(story)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    (tmp_path / "file").write_text("mine")
    for occupied in ("full", "file", "empty"):  # "empty" now holds the first export
        before = sorted(p.name for p in tmp_path.rglob("*"))
        with pytest.raises(DealtrackError, match="new or empty folder"):
            story.export_parquet(tmp_path / occupied)
        assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


def test_a_bad_directory_argument_is_an_invalid_value(story: Ledger) -> None:
    for bad in ("", None, 42):
        with pytest.raises(DealtrackError, match="directory"):
            story.export_parquet(bad)  # type: ignore[arg-type]


def test_files_are_one_state_even_when_another_writer_appends_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    events = seed_story()
    with Ledger.open(path) as ours, Ledger.open(path) as theirs:
        ours.append(*events[:6])
        ours.refresh()
        theirs.append(*events[6:])  # only the log: our views have not seen these yet
        written = parquet_module.export(ours._store, tmp_path / "out")  # no catch-up first
        assert written["events"] == 6  # the log is cut where the views stand
        exported = pq.read_table(tmp_path / "out" / "ownership.parquet").to_pylist()
        assert max(row["known_from"] for row in exported) <= 6
        assert ours.export_parquet(tmp_path / "again")["events"] == len(events)


def test_a_missing_pyarrow_names_the_extra_and_writes_nothing(
    story: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_pyarrow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(MissingExtra, match=r'pip install "dealtrack\[parquet\]"') as caught:
        story.export_parquet(tmp_path / "out")
    assert isinstance(caught.value, DealtrackError) and caught.value.extra == "parquet"
    assert list(tmp_path.iterdir()) == []


def test_the_store_reads_only_its_view_tables(story: Ledger) -> None:
    store = story._store
    assert "events" not in store.view_tables() and "projection_checkpoints" not in store.view_tables()
    with pytest.raises(ValueError, match="view tables"):
        list(store.table_batches("events; DROP TABLE events", 10))


# --- the command line ---------------------------------------------------------------------------------


def test_the_cli_exports_parquet_and_refuses_an_occupied_folder(tmp_path: Path) -> None:
    db, out = str(tmp_path / "deals.db"), tmp_path / "out"
    with Ledger.open(db) as ledger:
        ledger.append(*seed_story())
    runner = CliRunner()
    result = runner.invoke(main, ["export", "parquet", str(out), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["path"] == str(out) and report["tables"]["events"] == len(seed_story())
    assert report["tables"]["ownership"] == pq.read_table(out / "ownership.parquet").num_rows
    again = runner.invoke(main, ["export", "parquet", str(out), "--db", db])
    assert again.exit_code == 1 and "new or empty folder" in again.output
    table = runner.invoke(main, ["export", "parquet", str(tmp_path / "second"), "--db", db])
    assert table.exit_code == 0 and "ownership.parquet" in table.output
    with sqlite3.connect(db) as raw:  # the file itself was only read
        assert raw.execute("SELECT COUNT(*) FROM events").fetchone()[0] == len(seed_story())


def test_a_missing_parent_folder_is_an_error_that_creates_nothing(story: Ledger, tmp_path: Path) -> None:
    with pytest.raises(DealtrackError, match="cannot write Parquet files"):
        story.export_parquet(tmp_path / "no" / "such" / "out")
    assert list(tmp_path.iterdir()) == []
