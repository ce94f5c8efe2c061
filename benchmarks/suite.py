"""The benchmark figures: each measured next to its baseline in the same run.

Every function returns result rows (see :func:`benchmarks.measure.result`).
The ledger under test is a file ledger (WAL, ``synchronous=NORMAL``, the
defaults); the raw baselines write the same rows to a second file with the
same settings through plain :mod:`sqlite3`.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
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

from .measure import Timer, latencies, result
from .synth import Item, Retract

__all__ = [
    "Sampler",
    "build",
    "child_runs",
    "questions",
    "raw_database",
    "read_back",
    "single_appends",
]

ROOT = Path(__file__).resolve().parents[1]
BATCH = 1_000


def _events(ledger: Ledger, items: Sequence[Item], offset: int) -> list[Event]:
    """Turn :class:`Retract` markers into retractions of the event recorded for their target item."""
    found: list[Event] = []
    for item in items:
        if isinstance(item, Retract):
            # nothing is skipped in a synthetic ledger, so item i sits at position offset + i + 1
            (event_id,) = ledger.db.execute(
                "SELECT event_id FROM events WHERE position = ?", (offset + item.target + 1,)
            ).fetchone()
            found.append(EventRetracted(target=event_id, reason=item.reason))
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
        batch = _events(ledger, chunk, 0)
        with t_ours:
            ledger.append(*batch)
        rows = ledger.db.execute("SELECT * FROM events WHERE position > ? ORDER BY position", (done,)).fetchall()
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
               "sqlite3 executemany of the same rows, same table and indexes", indexed, target=">= 0.33"),
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
        (event,) = _events(ledger, [item], 0)
        with Timer() as timer:
            (recorded,) = ledger.append(event)
        ours.append(timer.seconds)
        row = ledger.db.execute("SELECT * FROM events WHERE position = ?", (recorded.position,)).fetchone()
        with Timer() as timer:
            _copy_rows(raw, "events", [row])
        theirs.append(timer.seconds)
    return [
        result(scale, "single-event append latency", "s", ours, "sqlite3 one-row transaction, same table", theirs, p99=True),
    ]


def child_runs(scale: str, ledger_path: Path, repeats: int) -> list[dict[str, Any]]:
    """Rebuilds and raw read-and-decodes, each in a fresh process, alternating; and the rebuild's peak RSS."""
    rebuilds, decodes = [], []
    for _ in range(repeats):
        decodes.append(_child("decode", ledger_path))
        rebuilds.append(_child("rebuild", ledger_path))
    opened = _child("open", ledger_path)
    rate = [r["events"] / r["seconds"] for r in rebuilds]
    raw_rate = [r["events"] / r["seconds"] for r in decodes]
    return [
        result(scale, "full rebuild of every view", "events/s", rate, "raw read of the log + orjson decode", raw_rate,
               target=">= 0.25"),
        result(scale, "peak RSS of a rebuild (child process)", "MB", [r["peak_rss_mb"] for r in rebuilds],
               "the same process after only opening the ledger", [opened["peak_rss_mb"]],
               note="target: <= 300 MB at 1M events"),
    ]


def _child(mode: str, path: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "benchmarks.child", mode, str(path)], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_back(scale: str, ledger: Ledger, raw: sqlite3.Connection, repeats: int = 3) -> tuple[list[dict[str, Any]], list[float]]:
    """Read every event back as :class:`Recorded` vs the raw read-and-decode, ``repeats`` times each."""
    ours, theirs = [], []
    count = len(ledger)
    for _ in range(repeats):
        with Timer() as timer:
            for _recorded in ledger.events():
                pass
        ours.append(count / timer.seconds)
        with Timer() as timer:
            for _type, payload in raw.execute("SELECT type, payload FROM events ORDER BY position"):
                orjson.loads(payload)
        theirs.append(count / timer.seconds)
    return [result(scale, "read every event back (ledger.events())", "events/s", ours,
                   "raw read of the log + orjson decode", theirs)], ours


# --- questions -----------------------------------------------------------------------------


def _samples(sampler: Sampler, count: int, seed: int) -> dict[str, list[Any]]:
    """Question arguments drawn from the synthetic world: patents, licences and bans that exist."""
    rng = random.Random(seed)
    patents, licences, bans = sampler.patents, sampler.licences, sampler.bans
    parties = sorted(sampler.parties)

    def day() -> date:
        return date(1995, 1, 1) + timedelta(days=rng.randrange(31 * 365))

    owners = [(rng.choice(patents), day()) for _ in range(count)]
    licensed = []
    for _ in range(count):
        if licences and rng.random() < 0.5:
            licence = rng.choice(licences)
            start = licence.effective.start
            licensed.append((licence.licensee, rng.choice(licence.patents), start + timedelta(days=rng.randrange(2_000)),
                             "US"))
        else:
            licensed.append((rng.choice(parties), rng.choice(patents), day(), "US"))
    banned = []
    for _ in range(count):
        who = rng.choice(bans).against[0] if bans and rng.random() < 0.7 else rng.choice(parties)
        banned.append((who, day(), rng.choice(["US", "IN", "DE"])))
    return {"owners": owners, "licensed": licensed, "bans": banned}


def _raw_views(ledger: Ledger, raw: sqlite3.Connection) -> None:
    """Denormalised as-of tables with covering indexes in the raw file: the baseline look-ups' data."""
    raw.execute("DROP TABLE IF EXISTS raw_ownership")
    raw.execute("DROP TABLE IF EXISTS raw_licence_patents")
    raw.execute("DROP TABLE IF EXISTS raw_bans")
    raw.execute("CREATE TABLE raw_ownership (patent TEXT, valid_from TEXT, valid_to TEXT, owner TEXT)")
    raw.execute("CREATE TABLE raw_licence_patents (licensee TEXT, patent TEXT, valid_from TEXT, valid_to TEXT, territory TEXT)")
    raw.execute("CREATE TABLE raw_bans (against TEXT, valid_from TEXT, valid_to TEXT, ban_id TEXT, territory TEXT)")
    db = ledger.db
    raw.execute("BEGIN")
    raw.executemany("INSERT INTO raw_ownership VALUES (?, ?, ?, ?)", db.execute(
        "SELECT patent, valid_from, valid_to, owner FROM ownership WHERE known_to IS NULL"))
    raw.executemany("INSERT INTO raw_licence_patents VALUES (?, ?, ?, ?, ?)", [
        (licensee, patent, start, end, territory)
        for licensee, patents, start, end, territory in db.execute(
            "SELECT licensee, patents, valid_from, valid_to, territory FROM licences WHERE known_to IS NULL AND patents IS NOT NULL")
        for patent in orjson.loads(patents)
    ])
    raw.executemany("INSERT INTO raw_bans VALUES (?, ?, ?, ?, ?)", [
        (party, start, end, ban_id, territory)
        for ban_id, against, start, end, territory in db.execute(
            "SELECT ban_id, against, valid_from, valid_to, territory FROM bans WHERE known_to IS NULL")
        for party in orjson.loads(against)
    ])
    raw.execute("COMMIT")
    raw.execute("CREATE INDEX raw_ownership_asof ON raw_ownership (patent, valid_from, valid_to, owner)")
    raw.execute("CREATE INDEX raw_licence_asof ON raw_licence_patents (licensee, patent, valid_from, valid_to, territory)")
    raw.execute("CREATE INDEX raw_bans_asof ON raw_bans (against, valid_from, valid_to, ban_id, territory)")
    raw.execute("ANALYZE")


_RAW_OWNERS = ("SELECT owner FROM raw_ownership WHERE patent = ? AND valid_from <= ? "
               "AND (valid_to IS NULL OR valid_to > ?)")
_RAW_LICENCE = ("SELECT 1 FROM raw_licence_patents WHERE licensee = ? AND patent = ? AND valid_from <= ? "
                "AND (valid_to IS NULL OR valid_to > ?) LIMIT 1")
_RAW_BANS = ("SELECT ban_id, territory FROM raw_bans WHERE against = ? AND valid_from <= ? "
             "AND (valid_to IS NULL OR valid_to > ?)")


def questions(scale: str, ledger: Ledger, raw: sqlite3.Connection, items: Sampler | Iterable[Item],
              count: int = 1_000) -> list[dict[str, Any]]:
    """Median and p99 latency of the questions vs one raw indexed look-up of the same shape."""
    _raw_views(ledger, raw)
    if not isinstance(items, Sampler):
        sampler = Sampler()
        for item in items:
            sampler.note(item)
        items = sampler
    samples = _samples(items, count, seed=7)
    owners = samples["owners"]

    def raw_owner(sample: tuple[str, date]) -> object:
        day = sample[1].isoformat()
        return raw.execute(_RAW_OWNERS, (sample[0], day, day)).fetchall()

    def raw_licensed(sample: tuple[str, str, date, str]) -> object:
        day = sample[2].isoformat()
        return (raw.execute(_RAW_OWNERS, (sample[1], day, day)).fetchall(),
                raw.execute(_RAW_LICENCE, (sample[0], sample[1], day, day)).fetchall())

    def raw_bans(sample: tuple[str, date, str]) -> object:
        day = sample[1].isoformat()
        return raw.execute(_RAW_BANS, (sample[0], day, day)).fetchall()

    # a moment in the middle of the log: what was known when half of it was recorded
    (middle,) = ledger.db.execute("SELECT recorded_at FROM events WHERE position = ?", (len(ledger) // 2,)).fetchone()
    rows = []
    for _ in range(2):  # warm both sides once, then measure
        ours_owners = latencies(lambda s: ledger.owners_of(s[0], on=s[1]), owners)
        base_owners = latencies(raw_owner, owners)
    rows.append(result(scale, "owners_of latency", "s", ours_owners, "raw indexed as-of look-up", base_owners,
                       target="<= 5", p99=True))
    known = latencies(lambda s: ledger.owners_of(s[0], on=s[1], known_at=middle), owners)
    rows.append(result(scale, "owners_of known_at (mid-log) vs current knowledge", "s", known,
                       "the same owners_of at current knowledge", ours_owners, target="<= 2", p99=True))
    licensed = samples["licensed"]
    ours = latencies(lambda s: ledger.is_licensed(s[0], s[1], on=s[2], territory=s[3]), licensed)
    rows.append(result(scale, "is_licensed latency", "s", ours, "raw indexed look-ups (owner, licence)",
                       latencies(raw_licensed, licensed), p99=True))
    known = latencies(lambda s: ledger.is_licensed(s[0], s[1], on=s[2], territory=s[3], known_at=middle), licensed)
    rows.append(result(scale, "is_licensed known_at (mid-log) vs current knowledge", "s", known,
                       "the same is_licensed at current knowledge", ours, target="<= 2", p99=True))
    banned = samples["bans"]
    ours = latencies(lambda s: ledger.active_bans(against=s[0], on=s[1], territory=s[2]), banned)
    rows.append(result(scale, "active_bans latency", "s", ours, "raw indexed look-up (bans by party)",
                       latencies(raw_bans, banned), p99=True))
    return rows
