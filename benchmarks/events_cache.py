"""Synthetic events kept on disk, so a later run at the same seed and scale does not generate them again.

:func:`benchmarks.synth.generate` takes ~4 min per million events at the 10M
scale (39 min for 10M); reading the same items back from a file takes about a
tenth of that. A cache file is one SQLite table of ``(type, payload,
schema_version)`` rows in stream order, the payloads in dealtrack's own stored
form (a :class:`~benchmarks.synth.Retract` marker as type ``Retract``). Its
name carries the seed, the count and a digest of the code that decides the
stream (the generator, the event classes and the codec), so a changed
generator never reuses an old file. A file is written under a temporary name
and renamed once complete: a run stopped part-way leaves no cache behind.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Generator, Iterator
from pathlib import Path

import orjson

from benchmarks.synth import Item, Retract, generate
from dealtrack import codec
from dealtrack.codec import SCHEMA_VERSIONS

__all__ = ["cache_path", "cached_generate"]

ROOT = Path(__file__).resolve().parents[1]
#: the sources whose change may change the generated stream or its stored form
_SOURCES = ("benchmarks/synth.py", "dealtrack/events.py", "dealtrack/values.py", "dealtrack/codec.py")
_RETRACT = "Retract"
_CHUNK = 10_000


def _digest() -> str:
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def cache_path(directory: Path, n: int, seed: int) -> Path:
    """The file that holds (or would hold) ``generate(n, seed)``."""
    return directory / f"synth-seed{seed}-{n}-{_digest()}.db"


def cached_generate(n: int, seed: int, directory: Path | None) -> Generator[Item, None, None]:
    """``generate(n, seed=seed)``, read from ``directory``'s cache file when an earlier run wrote it.

    Otherwise the items are generated, yielded, and written to the cache as they
    pass (the file appears only once all ``n`` are written). ``None``: no cache.
    """
    if directory is None:
        yield from generate(n, seed=seed)
        return
    path = cache_path(directory, n, seed)
    if path.exists():
        yield from _read(path)
    else:
        yield from _write_through(generate(n, seed=seed), path)


def _read(path: Path) -> Generator[Item, None, None]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.execute("SELECT type, payload, schema_version FROM items ORDER BY rowid")
        decode = codec.decode_stored
        while rows := cursor.fetchmany(_CHUNK):
            for type_name, payload, version in rows:
                if type_name == _RETRACT:
                    data = orjson.loads(payload)
                    yield Retract(data["target"], data["reason"])
                else:
                    yield decode(type_name, payload, version)
    finally:
        conn.close()


def _write_through(items: Iterator[Item], path: Path) -> Generator[Item, None, None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("CREATE TABLE items (type TEXT NOT NULL, payload TEXT NOT NULL, schema_version INTEGER NOT NULL)")
    rows: list[tuple[str, str, int]] = []

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO items VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
        rows.clear()

    try:
        for item in items:
            if isinstance(item, Retract):
                rows.append((_RETRACT, orjson.dumps({"target": item.target, "reason": item.reason}).decode(), 0))
            else:
                name = type(item).__name__
                rows.append((name, codec.dumps(item), SCHEMA_VERSIONS[name]))
            if len(rows) >= _CHUNK:
                flush()
            yield item
        flush()
        conn.close()
        partial.replace(path)
    finally:
        conn.close()
        partial.unlink(missing_ok=True)
