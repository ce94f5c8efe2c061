"""The SQLite log: schema, append, read, the immutability triggers and the hash chain.

This is the one module that knows how events are laid out in SQL. The
``events`` table is append-only: triggers make SQLite itself refuse an UPDATE
or DELETE, even from a raw ``sqlite3`` connection. Each row carries a SHA-256
hash chained over the previous row's hash, so an edit made after dropping the
triggers still shows in :meth:`dealtrack.Ledger.verify`.

:class:`Store` is the SQLite backend of the storage contract in
:mod:`dealtrack.storage` (which also holds :class:`EventRow` and the hash chain).
"""

from __future__ import annotations

import operator
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import LedgerBusy, LedgerFileError
from .sqlite import SQLiteViewTables
from .storage import EVENT_COLUMNS, GENESIS_HASH, EventRow, chain_hash

# EventRow, EVENT_COLUMNS, GENESIS_HASH and chain_hash live in .storage (backend-neutral); imported here as before.
__all__ = ["EVENT_COLUMNS", "GENESIS_HASH", "EventRow", "Store", "chain_hash"]

APPLICATION_ID = 0x44544C47  # "DTLG": marks the file as a dealtrack ledger
FORMAT_VERSION = 2  # PRAGMA user_version: the layout of the dealtrack tables (1: no natural_key column, no type index)
_SQLITE_HEADER = b"SQLite format 3\x00"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"

_ROW_VALUES = operator.attrgetter(*EVENT_COLUMNS)
_INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"


def format_instant(moment: datetime) -> str:
    """Transaction times are stored as fixed-width UTC ISO text, so they sort as text.

    The same text as ``strftime(_TIME_FORMAT)`` (years always four digits), several times faster.
    """
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_instant_column(text: str) -> datetime:
    if len(text) == 32 and text.endswith("+00:00"):  # as format_instant writes it: the fast path
        return datetime.fromisoformat(text)
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=timezone.utc)


def new_event_id(moment: datetime) -> str:
    """A time-ordered UUID (version 7 layout), so the unique index stays append-only."""
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")  # 80 random bits, one system call: 12 then 62 of them are used
    value = (millis << 80) | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_CACHE_KIB = 64 * 1024
_WAL_PAGES = 10_000
_BUSY_TIMEOUT = 5.0  # seconds SQLite itself waits for another writer's lock
_LOCK_ATTEMPTS = 8  # then back off and retry this many times in all

# (name, SQL) of indexes on the log that later dealtrack versions rely on: found by type (renames, one view's events)
_LATER_INDEXES = [("idx_events_type", "CREATE INDEX IF NOT EXISTS idx_events_type ON events (type)")]

_TRIGGERS = [
    """CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'dealtrack: the events log is append-only; append a correction instead'); END""",
    """CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'dealtrack: the events log is append-only; retract the event instead'); END""",
]


class Store:
    """A connection to one ledger file and the SQL that reads and writes its log."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.retries = 0  # how often a write had to wait for another writer, for the stress benchmark
        # Decoded log facts that never change (positions are immutable), kept per connection: e.g. the renames.
        self.memo: dict[str, Any] = {}
        self.views = SQLiteViewTables(conn)  # the SQL of view upkeep (dealtrack.sqlite), as storage.ViewTables names it

    # --- opening ------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None, *, synchronous: str = "NORMAL") -> Store:
        """Open or create the ledger at ``path`` (``None``: in memory)."""
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        if path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None)
        else:
            _refuse_foreign_file(Path(path))
            conn = sqlite3.connect(os.fspath(path), isolation_level=None, timeout=_BUSY_TIMEOUT)
        try:
            if path is not None:
                conn.execute("PRAGMA journal_mode=WAL")
                # Copy the WAL back into the file every ~40 MB rather than every 4 MB: an append rewrites
                # index pages all over the views, and a page changed by several appends is then copied once.
                conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES}")
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            # A 64 MB page cache (SQLite's default is 2 MB): an append or a rebuild touches index pages all over
            # the views, and with a small cache they are written out and read back within one transaction.
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            store = cls(conn)
            store._ensure_schema()
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        self.conn.close()

    def _pragma(self, name: str) -> int:
        return int(self.conn.execute(f"PRAGMA {name}").fetchone()[0])

    def _ensure_indexes(self) -> None:
        """Indexes added since a file was made (they change no layout, so no format version either)."""
        have = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        missing = [(name, sql) for name, sql in _LATER_INDEXES if name not in have]
        if missing:
            with self.transaction():
                for _, sql in missing:
                    self.conn.execute(sql)

    def _ensure_schema(self) -> None:
        """Create the tables of a new ledger, or upgrade an older one; safe when several processes open at once."""
        if self._pragma("application_id") != APPLICATION_ID:
            with self.transaction():  # re-check under the write lock: another process may have just created it
                if self._pragma("application_id") != APPLICATION_ID:
                    self._create()
        version = self._pragma("user_version")
        if version > FORMAT_VERSION:
            raise LedgerFileError(f"this ledger was written by a newer dealtrack (format {version}); upgrade dealtrack")
        if version < FORMAT_VERSION:
            self._upgrade()
        self._ensure_indexes()

    def _create(self) -> None:
        """The tables, indexes and triggers of a new ledger (inside the caller's transaction)."""
        self.db.table("events").create(
            {name: (int if name in ("position", "schema_version") else str) for name in EVENT_COLUMNS},
            pk="position",
            not_null=["event_id", "type", "schema_version", "recorded_at", "payload", "hash"],
        )
        self.db.table("events").create_index(["event_id"], unique=True)
        self.db.table("events").create_index(["recorded_at"])
        self.db.table("events").create_index(["stream"])
        self.db.table("events").create_index(["deal"])
        self.db.table("events").create_index(["natural_key"])
        self.db.table("events").create_index(["type"])
        self.db.table("retractions").create({"target": int, "position": int}, pk="target", not_null=["position"])
        self.db.table("ledger_head").create({"id": int, "position": int, "hash": str, "recorded_at": str}, pk="id")
        self.db.table("ledger_head").insert({"id": 1, "position": 0, "hash": GENESIS_HASH, "recorded_at": None})
        self.db.table("projection_checkpoints").create({"name": str, "version": int, "position": int}, pk="name")
        for trigger in _TRIGGERS:
            self.conn.execute(trigger)
        self.conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        self.conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")

    def _upgrade(self) -> None:
        """Bring an older file's layout up to :data:`FORMAT_VERSION` (adding, never rewriting, log rows)."""
        with self.transaction():
            version = self._pragma("user_version")  # under the write lock: another process may have upgraded it
            if version >= FORMAT_VERSION:
                return
            if version < 2:
                self.conn.execute("ALTER TABLE events ADD COLUMN natural_key TEXT")
                self.db.table("events").create_index(["natural_key"], if_not_exists=True)
                self.db.table("events").create_index(["type"], if_not_exists=True)
            self.conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")

    def ensure_view_table(
        self,
        name: str,
        columns: dict[str, type],
        pk: str | tuple[str, ...] | None = None,
        indexes: Iterable[Sequence[str]] = (),
        *,
        without_rowid: bool = False,
    ) -> None:
        """Create a view's table, or re-create it empty when its columns changed (views are rebuilt from the log).

        ``without_rowid`` (with a ``pk``) stores the rows in their key's order in
        one b-tree instead of two: half the pages an append touches.
        """
        table = self.db.table(name)
        if table.exists():
            same_layout = (table.schema.upper().rstrip().endswith("WITHOUT ROWID")) == without_rowid
            if list(table.columns_dict) == list(columns) and same_layout:
                for index in indexes:  # an index a later version added
                    table.create_index(list(index), if_not_exists=True)
                return
            table.drop()
        if without_rowid and pk is not None:
            keys = [pk] if isinstance(pk, str) else list(pk)
            types = {int: "INTEGER", str: "TEXT", float: "REAL"}
            body = ", ".join(f"[{column}] {types.get(kind, 'TEXT')}" for column, kind in columns.items())
            self.conn.execute(
                f"CREATE TABLE [{name}] ({body}, PRIMARY KEY ({', '.join(f'[{k}]' for k in keys)})) WITHOUT ROWID"
            )
        else:
            table.create(columns, pk=pk)
        for index in indexes:
            table.create_index(list(index))

    # --- transactions ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE): all of it lands or none.

        When another process holds the write lock, SQLite waits up to its busy
        timeout; past that we back off and try again a few times before giving up.
        """
        for attempt in range(_LOCK_ATTEMPTS):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not is_lock_error(exc):
                    raise
                self.retries += 1
                if attempt == _LOCK_ATTEMPTS - 1:
                    raise LedgerBusy(f"the ledger stayed locked by another writer: {exc}") from None
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # SQLite may already have rolled back (e.g. a full disk)
                self.conn.execute("ROLLBACK")
            self.memo.clear()  # it may hold facts of the positions just given back
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees the log as it stood at the first one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    # --- the head of the log ----------------------------------------------------------

    def head(self) -> tuple[int, str, str | None]:
        """``(position, hash, recorded_at)`` of the last event (position 0 when empty)."""
        row = self.conn.execute("SELECT position, hash, recorded_at FROM ledger_head WHERE id = 1").fetchone()
        return int(row[0]), str(row[1]), row[2]

    def checkpoints(self) -> dict[str, tuple[int, int]]:
        """``view name -> (version, position)``: how far each view has read the log."""
        cursor = self.conn.execute("SELECT name, version, position FROM projection_checkpoints")
        return {name: (int(version), int(position)) for name, version, position in cursor}

    def views_position(self) -> tuple[int, int | None]:
        """``(head position, the position every view has reached)``; the second is None when views disagree."""
        head, low, high = self.conn.execute(
            "SELECT (SELECT position FROM ledger_head WHERE id = 1), MIN(position), MAX(position) "
            "FROM projection_checkpoints"
        ).fetchone()
        return int(head), (low if low == high else None)

    def next_instant(self, last: str | None = None) -> datetime:
        """The transaction time for a new append: now, but always after the last one (``last``, when the caller
        has just read the head, saves reading it again)."""
        now = datetime.now(timezone.utc)
        if last is None:
            last = self.head()[2]
        if last is not None:
            previous = parse_instant_column(last)
            if now <= previous:
                now = previous + timedelta(microseconds=1)
        return now

    # --- writing -------------------------------------------------------------------

    def insert_events(self, rows: Sequence[EventRow]) -> None:
        """Insert rows (inside the caller's transaction) and move the head to the last one."""
        self.conn.executemany(_INSERT_EVENT, [_ROW_VALUES(row) for row in rows])
        last = rows[-1]
        self.conn.execute(
            "UPDATE ledger_head SET position = ?, hash = ?, recorded_at = ? WHERE id = 1",
            (last.position, last.hash, last.recorded_at),
        )

    def insert_retractions(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Note ``(target position, retracting position)`` pairs."""
        pairs = list(pairs)
        if pairs:
            self.conn.executemany("INSERT INTO retractions (target, position) VALUES (?, ?)", pairs)

    # --- reading ---------------------------------------------------------------------

    def rows(self, where: str = "", params: Sequence[Any] = (), order: str = "position") -> Iterator[EventRow]:
        """Stream event rows in ``order`` (a raw SQL fragment chosen by dealtrack, never by users)."""
        sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
        if where:
            sql += f" WHERE {where}"
        cursor = self.conn.execute(f"{sql} ORDER BY {order}", params)
        for values in cursor:
            yield EventRow(*values)

    def payloads(self, where: str = "", params: Sequence[Any] = (), order: str = "position") -> Iterator[tuple[int, str, str, int]]:
        """Stream ``(position, type, payload, schema_version)``: the columns a fold needs, nothing more."""
        sql = "SELECT position, type, payload, schema_version FROM events"
        if where:
            sql += f" WHERE {where}"
        return iter(self.conn.execute(f"{sql} ORDER BY {order}", params))

    def payloads_at(self, positions: Iterable[int]) -> list[tuple[int, str, str, int]]:
        """``(position, type, payload, schema_version)`` at the given positions, in position order."""
        wanted = sorted(set(positions))
        found: list[tuple[int, str, str, int]] = []
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            found.extend(self.payloads(f"position IN ({', '.join('?' for _ in chunk)})", chunk))
        return found

    def _pairs_in(self, sql: str, values: Iterable[Any]) -> dict[Any, int]:
        """``key -> position`` from ``sql`` (its ``{marks}`` an IN list) over ``values``, 500 at a time."""
        wanted = sorted(set(values))
        found: dict[Any, int] = {}
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update((key, int(position)) for key, position in self.conn.execute(sql.format(marks=marks), chunk))
        return found

    def positions_of(self, event_ids: Iterable[str]) -> dict[str, int]:
        """``event_id -> position`` for those of ``event_ids`` that are in the log."""
        return self._pairs_in("SELECT event_id, position FROM events WHERE event_id IN ({marks})", event_ids)

    def retractions_of(self, targets: Iterable[int]) -> dict[int, int]:
        """``target position -> retracting position`` for those of ``targets`` that are retracted."""
        return self._pairs_in("SELECT target, position FROM retractions WHERE target IN ({marks})", targets)

    def rows_at(self, positions: Iterable[int]) -> list[EventRow]:
        """The rows at the given positions, in position order."""
        wanted = sorted(set(positions))
        found: list[EventRow] = []
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            found.extend(self.rows(f"position IN ({', '.join('?' for _ in chunk)})", chunk))
        return found

    def position_of(self, event_id: str) -> int | None:
        """The position of the event with ``event_id`` (None when there is none, or the id cannot be one)."""
        try:
            row = self.conn.execute("SELECT position FROM events WHERE event_id = ?", (event_id,)).fetchone()
        except UnicodeEncodeError:  # e.g. a lone surrogate: no stored id can equal it
            return None
        return None if row is None else int(row[0])

    def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before ``moment`` (0 when none was)."""
        # recorded_at never decreases along the log, so the last index entry at or before it is the answer.
        row = self.conn.execute(
            "SELECT position FROM events WHERE recorded_at <= ? ORDER BY recorded_at DESC, position DESC LIMIT 1",
            (format_instant(moment),),
        ).fetchone()
        return 0 if row is None else int(row[0])

    def commit_points(self) -> list[int]:
        """The last position recorded at each recorded time, in log order (see :mod:`.projections.history`)."""
        # recorded_at never decreases along the log: each time is one run of positions, read off its index
        return [row[0] for row in self.conn.execute("SELECT MAX(position) FROM events GROUP BY recorded_at ORDER BY 1")]

    def commit_span(self, position: int) -> tuple[int, int]:
        """The first and last positions recorded at the same time as ``position``."""
        row = self.conn.execute(
            "SELECT MIN(position), MAX(position) FROM events "
            "WHERE recorded_at = (SELECT recorded_at FROM events WHERE position = ?)",
            (position,),
        ).fetchone()
        return (position, position) if row[0] is None else (int(row[0]), int(row[1]))

    def commit_point(self, position: int) -> int:
        """The last position recorded at the same time as ``position``."""
        return self.commit_span(position)[1]

    def natural_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """The position of the latest event carrying each of ``keys`` that the log has."""
        return self._pairs_in(
            "SELECT natural_key, MAX(position) FROM events WHERE natural_key IN ({marks}) GROUP BY natural_key", keys
        )

    def recorded_under(self, ref: str) -> list[tuple[str, str, str]]:
        """``(natural key, event_id, type)`` of the events an importer keyed by register record ``ref``
        (``ref`` itself or ``ref#N``), retractions and number links left out, in log order."""
        rows = self.conn.execute(
            "SELECT natural_key, event_id, type FROM events WHERE (natural_key = ? OR natural_key GLOB ?) "
            "AND type NOT IN ('EventRetracted', 'PatentNumbersLinked') ORDER BY position",
            (ref, f"{ref}#[0-9]*"),
        ).fetchall()
        return [(str(key), str(event_id), str(kind)) for key, event_id, kind in rows]

    def type_counts(self) -> dict[str, int]:
        """``type -> number of events`` in the log, most frequent first."""
        cursor = self.conn.execute("SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY n DESC, type")
        return {name: int(count) for name, count in cursor}

    def retracted_by(self, target: int) -> int | None:
        """The position of the event retracting ``target``, or None."""
        row = self.conn.execute("SELECT position FROM retractions WHERE target = ?", (target,)).fetchone()
        return None if row is None else int(row[0])


def is_lock_error(exc: sqlite3.Error) -> bool:
    """True when SQLite gave up waiting for another connection's lock (SQLITE_BUSY / SQLITE_LOCKED)."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


_LEDGER_TABLES = ("events", "retractions", "ledger_head", "projection_checkpoints")


def _refuse_foreign_file(path: Path) -> None:
    """Raise unless ``path`` is absent, empty, or a SQLite file that is (or could become) a ledger we can read.

    Only reads the file: a file that is not a ledger is left byte-for-byte as it was.
    """
    if path.is_dir():
        raise LedgerFileError(f"{path} is a folder, not a ledger file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise LedgerFileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if not header.startswith(_SQLITE_HEADER):
        raise LedgerFileError(f"{path} is not a SQLite database, so not a dealtrack ledger")
    _refuse_cut_file(path, header)
    try:
        # With no -wal file nobody is writing to it: read it as immutable, so that reading a
        # WAL-mode file leaves no -wal/-shm files behind. Otherwise read it the usual way.
        quiet = "&immutable=1" if not path.with_name(path.name + "-wal").exists() else ""
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{quiet}", uri=True, timeout=_BUSY_TIMEOUT)
        try:
            application_id = probe.execute("PRAGMA application_id").fetchone()[0]
            version = probe.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if is_lock_error(exc):
            raise LedgerBusy(f"{path} is locked by another program ({exc}); try again when it lets go") from None
        raise LedgerFileError(f"{path} cannot be read as a SQLite database: {exc}") from None
    if application_id != APPLICATION_ID:
        if application_id != 0 or tables:
            raise LedgerFileError(f"{path} is a SQLite database but not a dealtrack ledger (it has other tables)")
        return
    if version > FORMAT_VERSION:
        raise LedgerFileError(
            f"{path} was written by a newer dealtrack (ledger format {version}; this one reads up to "
            f"{FORMAT_VERSION}); upgrade dealtrack to open it"
        )
    missing = [name for name in _LEDGER_TABLES if name not in tables]
    if missing:
        raise LedgerFileError(f"{path} is a damaged dealtrack ledger: the table(s) {', '.join(missing)} are missing")


def _refuse_cut_file(path: Path, header: bytes) -> None:
    """Raise when the SQLite header shows the file was cut short (copied or downloaded in part)."""
    if len(header) < 100:
        raise LedgerFileError(f"{path} is cut short: not even a whole SQLite header ({len(header)} bytes)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise LedgerFileError(f"{path} is damaged or not a SQLite database: its header names a page size of {page_size}")
    size = path.stat().st_size
    if size % page_size:
        raise LedgerFileError(f"{path} is cut short or damaged: {size} bytes is not a whole number of {page_size}-byte pages")
    pages = int.from_bytes(header[28:32], "big")
    header_is_current = header[92:96] == header[24:28]  # SQLite's own rule for trusting the page count
    wal = path.with_name(path.name + "-wal")
    if header_is_current and pages * page_size > size and not (wal.exists() and wal.stat().st_size):
        raise LedgerFileError(f"{path} is cut short: its header says {pages} pages, the file holds {size // page_size}")
