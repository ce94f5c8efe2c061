"""The benchmark figures: each measured next to its baseline in the same run.

Every function returns result rows (see :func:`benchmarks.measure.result`).
The ledger under test is a file ledger (WAL, ``synchronous=NORMAL``, the
defaults); the raw baselines write the same rows to a second file with the
same settings through plain :mod:`sqlite3`.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from dealtrack import Ledger
from dealtrack.events import (
    BanImposed,
    Event,
    EventRetracted,
    LicenseGranted,
    PatentRegistered,
)
from dealtrack.projections.runner import REBUILD_SHARE

from .measure import Timer, result
from .synth import Item, Retract

__all__ = [
    "Sampler",
    "build",
    "catch_up_all",
    "child",
    "child_runs",
    "raw_database",
    "read_back",
    "refreshes",
    "resolve",
    "single_appends",
]

ROOT = Path(__file__).resolve().parents[1]
BATCH = 1_000


def resolve(ledger: Ledger, items: Sequence[Item], offset: int) -> list[Event]:
    """Turn :class:`Retract` markers into retractions of the event recorded for their target item."""
    found: list[Event] = []
    for item in items:
        if isinstance(item, Retract):
            # nothing is skipped in a synthetic ledger, so item i sits at position offset + i + 1; read the
            # log through the store: ``ledger.db`` would catch the views up inside the timed loop
            (row,) = ledger._store.rows_at([offset + item.target + 1])
            found.append(EventRetracted(target=row.event_id, reason=item.reason))
        else:
            found.append(item)
    return found


def raw_database(ledger_path: Path, raw_path: Path) -> sqlite3.Connection:
    """A second file with the ``events`` table exactly as the ledger lays it out (indexes, no triggers) and a bare copy."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{raw_path}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(ledger_path)
    ddl = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('table', 'index') AND sql IS NOT NULL"
        )
    ]
    source.close()
    raw = sqlite3.connect(raw_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        raw.execute(sql)
    table_sql = ddl[0].replace("[events]", "[events_bare]").replace('"events"', '"events_bare"')
    raw.execute(table_sql.replace("CREATE TABLE events", "CREATE TABLE events_bare", 1))
    return raw


def _log_rows(ledger: Ledger, where: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of the ``events`` table as stored, read through the store (``ledger.db`` would catch the views up)."""
    return ledger._store.conn.execute(f"SELECT * FROM events WHERE {where} ORDER BY position", params).fetchall()


def _copy_rows(raw: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" for _ in rows[0])
    raw.execute("BEGIN IMMEDIATE")
    raw.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    raw.execute("COMMIT")


class Sampler:
    """What the questions are asked about, gathered while the ledger streams past (bounded memory).

    Reservoir samples of the registered patents, the licences listing patents
    and the bans, the original owners, and the first ``keep`` records (for the
    eventsourcing peer).
    """

    def __init__(self, seed: int = 7, size: int = 20_000, keep: int = 0) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.keep = keep
        self.first: list[Item] = []
        self.seen: dict[str, int] = {"patents": 0, "licences": 0, "bans": 0}
        self.patents: list[str] = []
        self.licences: list[LicenseGranted] = []
        self.bans: list[BanImposed] = []
        self.parties: set[str] = set()

    def _reservoir(self, kind: str, pool: list[Any], value: Any) -> None:
        self.seen[kind] += 1
        if len(pool) < self.size:
            pool.append(value)
        else:
            slot = self.rng.randrange(self.seen[kind])
            if slot < self.size:
                pool[slot] = value

    def note(self, item: Item) -> None:
        if len(self.first) < self.keep:
            self.first.append(item)
        if isinstance(item, PatentRegistered):
            self._reservoir("patents", self.patents, item.patent)
            self.parties.add(item.owner)
        elif isinstance(item, LicenseGranted) and item.patents:
            self._reservoir("licences", self.licences, item)
        elif isinstance(item, BanImposed):
            self._reservoir("bans", self.bans, item)


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(
    scale: str,
    items: Iterable[Item],
    ledger_path: Path,
    raw_path: Path,
    segments: int = 10,
    sampler: Sampler | None = None,
    total: int | None = None,
) -> tuple[list[dict[str, Any]], Ledger, sqlite3.Connection, list[float]]:
    """Append ``items`` in batches of 1,000 and, batch by batch, insert the same rows raw.

    Throughputs are taken over each tenth of the ledger (min/median/max over the
    tenths). ``items`` may be a stream (give ``total``); ``sampler`` notes what
    the questions will ask about as it passes.
    """
    if total is None:
        items = list(items)
        total = len(items)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ledger_path}{suffix}").unlink(missing_ok=True)
    ledger = Ledger.open(ledger_path)
    raw = raw_database(ledger_path, raw_path)
    per_segment = max(BATCH, total // segments // BATCH * BATCH)
    ours, indexed, bare = [], [], []
    t_ours, t_indexed, t_bare = Timer(), Timer(), Timer()
    done = 0
    for chunk in _batches(items, BATCH):
        if sampler is not None:
            for item in chunk:
                sampler.note(item)
        batch = resolve(ledger, chunk, 0)
        with t_ours:
            ledger.append(*batch)
        rows = _log_rows(ledger, "position > ?", (done,))
        with t_indexed:
            _copy_rows(raw, "events", rows)
        with t_bare:
            _copy_rows(raw, "events_bare", rows)
        done += len(batch)
        if done % per_segment == 0 or done == total:
            ours.append(done_in(t_ours, per_segment, done, total))
            indexed.append(done_in(t_indexed, per_segment, done, total))
            bare.append(done_in(t_bare, per_segment, done, total))
            t_ours, t_indexed, t_bare = Timer(), Timer(), Timer()
    rows_out = [
        result(scale, "batched append, 1,000 per call", "events/s", ours,
               "sqlite3 executemany of the same rows, same table and indexes", indexed, target=">= 0.35"),
        result(scale, "batched append, 1,000 per call", "events/s", ours,
               "sqlite3 executemany of the same rows, table without indexes", bare),
    ]
    return rows_out, ledger, raw, ours


def done_in(timer: Timer, per_segment: int, done: int, total: int) -> float:
    """Events per second over one segment (the last one may be shorter)."""
    size = per_segment if done % per_segment == 0 else done % per_segment
    return size / timer.seconds


def single_appends(scale: str, ledger: Ledger, raw: sqlite3.Connection, items: Sequence[Item], offset: int) -> list[dict[str, Any]]:
    """Append ``items`` one per call, each followed by the same row inserted raw in its own transaction."""
    ours, theirs = [], []
    for item in items:
        (event,) = resolve(ledger, [item], 0)
        with Timer() as timer:
            (recorded,) = ledger.append(event)
        ours.append(timer.seconds)
        (row,) = _log_rows(ledger, "position = ?", (recorded.position,))
        with Timer() as timer:
            _copy_rows(raw, "events", [row])
        theirs.append(timer.seconds)
    return [
        result(scale, "single-event append latency", "s", ours, "sqlite3 one-row transaction, same table", theirs,
               target="<= 3", p99=True),
    ]


def _raw_read(ledger: Ledger, after: int) -> tuple[int, float]:
    """Read the log's rows after ``after`` and orjson-decode each payload: how many, and the seconds."""
    count = 0
    with Timer() as timer:
        for _type, payload in ledger._store.conn.execute(
            "SELECT type, payload FROM events WHERE position > ? ORDER BY position", (after,)
        ):
            orjson.loads(payload)
            count += 1
    return count, timer.seconds


def catch_up_all(scale: str, ledger: Ledger) -> list[dict[str, Any]]:
    """The first ``refresh()`` after the whole log was appended without views (it rebuilds), vs raw read + decode."""
    with Timer() as timer:
        new = ledger.refresh()
    count, seconds = _raw_read(ledger, 0)
    return [result(scale, "refresh() after appending the whole log (a rebuild)", "events/s", [new / timer.seconds],
                   "raw read of the log + orjson decode", [count / seconds])]


def refreshes(
    scale: str, ledger: Ledger, items: Iterator[Item], plan: Sequence[tuple[int, int]] = ((1_000, 5), (10_000, 3))
) -> list[dict[str, Any]]:
    """``refresh()`` after N events appended (1,000 per call) since the last catch-up, ``repeats`` times per N.

    ``plan`` is ``(N, repeats)`` pairs; ``items`` continue the ledger's stream.
    The baseline reads and decodes the same N rows raw. Whether a catch-up
    folds the new events or rebuilds depends on their share of the log
    (:data:`dealtrack.projections.runner.REBUILD_SHARE`); the note says which.
    """
    rows = []
    ledger.refresh()
    for size, repeats in plan:
        ours, theirs, paths = [], [], set()
        for _ in range(repeats):
            before = len(ledger)
            for chunk in _batches(_take(items, size), BATCH):
                ledger.append(*resolve(ledger, chunk, 0))
            new = len(ledger) - before
            paths.add("rebuilds" if new > REBUILD_SHARE * len(ledger) else "folds")
            with Timer() as timer:
                caught = ledger.refresh()
            assert caught == new, (caught, new)
            ours.append(new / timer.seconds)
            count, seconds = _raw_read(ledger, before)
            theirs.append(count / seconds)
        rows.append(result(scale, f"refresh() after {size:,} appended events", "events/s", ours,
                           "raw read of the same rows + orjson decode", theirs,
                           note=f"{' and '.join(sorted(paths))}; log of {len(ledger):,} events"))
    return rows


def _take(items: Iterator[Item], size: int) -> list[Item]:
    taken = list(itertools.islice(items, size))
    if len(taken) < size:
        raise ValueError(f"the stream ran out: {len(taken)} of {size} items left")
    return taken


def child_runs(scale: str, ledger_path: Path, count: int, repeats: int, workdir: Path) -> list[dict[str, Any]]:
    """The whole-ledger figures, each in a fresh process, interleaved ``repeats`` times.

    ``bulk()`` of the first ``count`` events of ``ledger_path`` into a fresh
    ledger (views ready at the end) vs raw executemany of the same rows; then,
    on the ledger the bulk made, a full rebuild vs the floor (read + decode the
    log, write the same view rows, indexes after) and vs a raw read + decode;
    and the peak RSS of the bulk load and of the rebuild.
    """
    made = workdir / f"bulk-{scale}.db"
    raws, bulks, decodes, floors, rebuilds = [], [], [], [], []
    for _ in range(repeats):
        raws.append(child("raw", ledger_path, workdir / f"rawbulk-{scale}.db", count))
        bulks.append(child("bulk", ledger_path, made, count))
        decodes.append(child("decode", made))
        floors.append(child("floor", made, workdir / f"floor-{scale}.db"))
        rebuilds.append(child("rebuild", made))
    opened = child("open", made)

    def rate(runs: list[dict[str, Any]]) -> list[float]:
        return [r["events"] / r["seconds"] for r in runs]

    rss_note = f"{count:,} events; target applies at 1M events"
    view_rows = floors[-1]["view_rows"]
    return [
        result(scale, "bulk() end to end, views ready (1,000 per append)", "events/s", rate(bulks),
               "sqlite3 executemany of the same rows, 1,000 per transaction, same table and indexes", rate(raws),
               target=">= 0.25"),
        result(scale, "peak RSS of bulk() (child process)", "MB", [r["peak_rss_mb"] for r in bulks],
               "the same process after only opening the ledger", [opened["peak_rss_mb"]], target="<= 300",
               absolute=True, note=rss_note),
        result(scale, "full rebuild of every view", "events/s", rate(rebuilds),
               "the floor: read + orjson-decode the log, write the same view rows, indexes after", rate(floors),
               target=">= 0.35", note=f"{view_rows / count:.1f} view rows per event"),
        result(scale, "full rebuild of every view", "events/s", rate(rebuilds), "raw read of the log + orjson decode",
               rate(decodes)),
        result(scale, "peak RSS of a rebuild (child process)", "MB", [r["peak_rss_mb"] for r in rebuilds],
               "the same process after only opening the ledger", [opened["peak_rss_mb"]], target="<= 300",
               absolute=True, note=rss_note),
    ]


def child(mode: str, *args: Any) -> dict[str, Any]:
    """Run ``benchmarks.child MODE ARGS...`` in a fresh process; return the JSON it prints."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "benchmarks.child", mode, *map(str, args)], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_back(scale: str, ledger: Ledger, repeats: int = 3) -> tuple[list[dict[str, Any]], list[float]]:
    """Read every event back as :class:`Recorded` vs the raw read-and-decode of the same file, ``repeats`` times each."""
    ours, theirs = [], []
    count = len(ledger)
    for _ in range(repeats):
        with Timer() as timer:
            for _recorded in ledger.events():
                pass
        ours.append(count / timer.seconds)
        read, seconds = _raw_read(ledger, 0)
        theirs.append(read / seconds)
    return [result(scale, "read every event back (ledger.events())", "events/s", ours,
                   "raw read of the log + orjson decode", theirs)], ours
