"""Run one measurement in a fresh process and print its seconds and peak RSS as JSON.

``python3 -m benchmarks.child MODE SOURCE [DEST [N]]``, where SOURCE is a ledger file:

- ``rebuild``: open the ledger and rebuild every view;
- ``decode``: a raw read of the log, decoding each payload with orjson;
- ``floor``: the floor under a rebuild: read and orjson-decode the log, then write the
  rows of every view table of SOURCE (rebuilt) into a fresh file DEST with the same DDL,
  in one transaction, the indexes created after the load. Reading the view rows from
  SOURCE is not timed (they are fetched 50,000 at a time outside the clock);
- ``bulk``: append SOURCE's first N events into a fresh ledger DEST, 1,000 per call, in
  one ``with ledger.bulk():`` block; the time includes the views' catch-up at its end.
  Reading and decoding SOURCE is not timed;
- ``raw``: the bulk baseline: ``executemany`` SOURCE's first N rows, 1,000 per
  transaction, into DEST's ``events`` table, made with the same DDL and indexes;
- ``open``: only import dealtrack and open the ledger (the floor under the RSS figures);
- ``build``: ``python3 -m benchmarks.child build DEST N [SEED [CACHE]]``: the whole synthetic ledger of N
  events (``benchmarks/synth.py``) appended into a fresh ledger DEST, 1,000 per call, in one
  ``with ledger.bulk():`` block, views ready at its end. The time is dealtrack's (the appends and the
  catch-up); generating the events (or reading them back from the folder CACHE, where an earlier run
  with the same seed and N left them: ``benchmarks/events_cache.py``) is timed apart
  (``generate_seconds``), and its memory (the synthetic world, when generated) counts in the peak RSS.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

#: the log's own tables; every other table in a ledger file belongs to the views
LOG_TABLES = {"events", "retractions", "ledger_head", "projection_checkpoints"}
CHUNK = 50_000


def _fresh(path: str) -> sqlite3.Connection:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def decode(path: str) -> tuple[int, float]:
    import orjson

    count = 0
    start = time.perf_counter()
    conn = sqlite3.connect(path)
    for _type, payload in conn.execute("SELECT type, payload FROM events ORDER BY position"):
        orjson.loads(payload)
        count += 1
    conn.close()
    return count, time.perf_counter() - start


def floor(path: str, dest: str) -> tuple[int, float, int]:
    """Read + decode the log, then write the same final view rows; return (events, seconds, view rows)."""
    count, seconds = decode(path)
    source = sqlite3.connect(path)
    schema = source.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL"
    ).fetchall()
    tables = [(name, sql) for kind, name, _tbl, sql in schema
              if kind == "table" and name not in LOG_TABLES and not name.startswith("sqlite_")]
    indexes = [sql for kind, _name, tbl, sql in schema if kind == "index" and tbl in {name for name, _ in tables}]
    out = _fresh(dest)
    written = 0
    clock = time.perf_counter()
    out.execute("BEGIN")
    for name, sql in tables:
        out.execute(sql)
    seconds += time.perf_counter() - clock
    for name, _sql in tables:
        cursor = source.execute(f"SELECT * FROM [{name}]")
        while True:
            chunk = cursor.fetchmany(CHUNK)  # outside the clock: the rebuild computes these rows, it never reads them
            if not chunk:
                break
            marks = ", ".join("?" for _ in chunk[0])
            clock = time.perf_counter()
            out.executemany(f"INSERT INTO [{name}] VALUES ({marks})", chunk)
            seconds += time.perf_counter() - clock
            written += len(chunk)
    clock = time.perf_counter()
    for sql in indexes:
        out.execute(sql)
    out.execute("COMMIT")
    seconds += time.perf_counter() - clock
    out.close()
    source.close()
    return count, seconds, written


def _log_ddl(source: sqlite3.Connection) -> list[str]:
    return [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('table', 'index') AND sql IS NOT NULL "
        "ORDER BY type = 'index'")]


def raw(path: str, dest: str, limit: int) -> tuple[int, float]:
    """executemany the first ``limit`` rows of the log, 1,000 per transaction, into the same table and indexes."""
    source = sqlite3.connect(path)
    out = _fresh(dest)
    for sql in _log_ddl(source):
        out.execute(sql)
    cursor = source.execute("SELECT * FROM events WHERE position <= ? ORDER BY position", (limit,))
    count, seconds = 0, 0.0
    while True:
        chunk = cursor.fetchmany(1_000)
        if not chunk:
            break
        marks = ", ".join("?" for _ in chunk[0])
        clock = time.perf_counter()
        out.execute("BEGIN")
        out.executemany(f"INSERT INTO events VALUES ({marks})", chunk)
        out.execute("COMMIT")
        seconds += time.perf_counter() - clock
        count += len(chunk)
    out.close()
    source.close()
    return count, seconds


def bulk(path: str, dest: str, limit: int) -> tuple[int, float]:
    """Append the first ``limit`` events of ``path`` to a fresh ledger in one bulk block; time the appends and catch-up."""
    import attrs

    from dealtrack import Ledger, codec
    from dealtrack.events import EventRetracted

    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(path)
    ledger = Ledger.open(dest)
    cursor = source.execute(
        "SELECT type, payload, schema_version FROM events WHERE position <= ? ORDER BY position", (limit,))
    seconds = 0.0
    block = ledger.bulk()
    clock = time.perf_counter()
    block.__enter__()
    seconds += time.perf_counter() - clock
    while True:
        chunk = cursor.fetchmany(1_000)
        if not chunk:
            break
        batch: list[Any] = []
        for type_name, payload, version in chunk:
            event = codec.decode_stored(type_name, payload, version)
            if isinstance(event, EventRetracted):  # the same position here holds another id: map it (untimed)
                (target,) = source.execute("SELECT position FROM events WHERE event_id = ?", (event.target,)).fetchone()
                (row,) = ledger._store.rows_at([target])
                event = attrs.evolve(event, target=row.event_id)
            batch.append(event)
        clock = time.perf_counter()
        ledger.append(*batch)
        seconds += time.perf_counter() - clock
    count, seconds = _end_block(ledger, block, seconds)
    source.close()
    return count, seconds


def _end_block(ledger: Any, block: Any, seconds: float) -> tuple[int, float]:
    """Leave a bulk block (the views catch up: timed), check they are at the head, close: (events, seconds)."""
    clock = time.perf_counter()
    block.__exit__(None, None, None)
    seconds += time.perf_counter() - clock
    count = len(ledger)
    assert ledger._store.views_position() == (count, count), "the views are ready at the end of the block"
    ledger.close()
    return count, seconds


def build(dest: str, limit: int, seed: int, cache: str | None = None) -> tuple[int, float, float]:
    """Append ``limit`` synthetic events to a fresh ledger in one bulk block: (events, dealtrack's seconds, generator's).

    With ``cache`` (a folder) the events come from its file for this seed and count when there is one, and
    are written to it when there is not (see :mod:`benchmarks.events_cache`); either way outside the clock.
    """
    from benchmarks.events_cache import cached_generate
    from benchmarks.suite import resolve
    from dealtrack import Ledger

    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    ledger = Ledger.open(dest)
    stream = cached_generate(limit, seed, Path(cache) if cache else None)
    seconds = generating = 0.0
    clock = time.perf_counter()
    block = ledger.bulk()
    block.__enter__()
    seconds += time.perf_counter() - clock
    while True:
        clock = time.perf_counter()
        items = [item for _, item in zip(range(1_000), stream)]
        generating += time.perf_counter() - clock
        if not items:
            break
        clock = time.perf_counter()
        ledger.append(*resolve(ledger, items, 0))
        seconds += time.perf_counter() - clock
    count, seconds = _end_block(ledger, block, seconds)
    return count, seconds, generating


def main(mode: str, path: str, dest: str | None = None, limit: str | None = None, cache: str | None = None) -> None:
    extra: dict[str, Any] = {}
    if mode == "build":  # build DEST N [SEED [CACHE]]
        count, seconds, extra["generate_seconds"] = build(path, int(dest or 0), int(limit or 1), cache)
    elif mode == "decode":
        count, seconds = decode(path)
    elif mode == "floor":
        assert dest is not None
        count, seconds, extra["view_rows"] = floor(path, dest)
    elif mode == "raw":
        assert dest is not None and limit is not None
        count, seconds = raw(path, dest, int(limit))
    elif mode == "bulk":
        assert dest is not None and limit is not None
        count, seconds = bulk(path, dest, int(limit))
    else:
        from dealtrack import Ledger

        ledger = Ledger.open(path)
        count = len(ledger)
        start = time.perf_counter()
        if mode == "rebuild":
            ledger.rebuild()
        seconds = time.perf_counter() - start
        ledger.close()
    print(json.dumps({"mode": mode, "events": count, "seconds": seconds, "peak_rss_mb": peak_rss_kib() / 1024, **extra}))


def peak_rss_kib() -> int:
    """This process's peak resident memory since it started running this program.

    Linux's ``ru_maxrss`` also counts the memory of the parent copied at fork,
    before ``exec``; ``VmHWM`` belongs to this program's own address space.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main(*sys.argv[1:])
