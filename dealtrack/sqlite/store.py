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

import hashlib
import operator
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import sqlite_utils

from ..errors import InvalidEvent, LedgerBusy, LedgerFileError
from ..storage import EVENT_COLUMNS, GENESIS_HASH, EventRow, chain_hash
from .batches import kept_cursor
from .view_tables import SQLiteViewTables

# EventRow, EVENT_COLUMNS, GENESIS_HASH and chain_hash live in .storage (backend-neutral); imported here as before.
__all__ = ["EVENT_COLUMNS", "GENESIS_HASH", "EventRow", "Store", "chain_hash"]

APPLICATION_ID = 0x44544C47  # "DTLG": marks the file as a dealtrack ledger
FORMAT_VERSION = 2  # PRAGMA user_version: the layout of the dealtrack tables (1: no natural_key column, no type index)
_SQLITE_HEADER = b"SQLite format 3\x00"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"

_ROW_VALUES = operator.attrgetter(*EVENT_COLUMNS)
_HASH = EVENT_COLUMNS.index("hash")
_RECORDED_AT = EVENT_COLUMNS.index("recorded_at")
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
    return new_event_ids(moment, 1)[0]


_RANDOM_BITS = (1 << 62) - 1
_ID_VARIANT = (0x7 << 76) | (0b10 << 62)  # the version (7) and variant (0b10) bits of every id


def new_event_ids(moment: datetime, count: int) -> list[str]:
    """``count`` time-ordered UUIDs (version 7 layout) for events recorded at ``moment``.

    Each takes 80 fresh bits of ``os.urandom`` (12 then 62 of them are used),
    all read in one system call: the same ids, one at a time, as :func:`new_event_id`.
    """
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    stamp = f"{millis:012x}"
    prefix = f"{stamp[:8]}-{stamp[8:]}-"
    noise = os.urandom(10 * count)
    ids = []
    for start in range(0, 10 * count, 10):
        rand = int.from_bytes(noise[start : start + 10], "big")
        text = f"{_ID_VARIANT | ((rand >> 62) & 0xFFF) << 64 | (rand & _RANDOM_BITS):020x}"
        ids.append(f"{prefix}{text[:4]}-{text[4:8]}-{text[8:]}")
    return ids


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
    # INSERT OR REPLACE deletes the row it replaces without firing a DELETE trigger: refuse it before it can
    """CREATE TRIGGER events_refuse_replace BEFORE INSERT ON events
    WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
      OR EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id)
    BEGIN SELECT RAISE(ABORT, 'dealtrack: the events log is append-only; a logged row cannot be replaced'); END""",
]
TRIGGER_NAMES = [sql.split()[2] for sql in _TRIGGERS]
_REPLACE_TRIGGER, _REPLACE_TRIGGER_NAME = _TRIGGERS[2], TRIGGER_NAMES[2]
#: Rows from which an insert into the log lifts its replace-refusing trigger for the statement (see
#: ``Store._replace_trigger_lifted``): a large batch saves far more than the schema change costs.
_LIFT_TRIGGER_AT = 200

#: SQLite limits on every connection: no value or statement larger than this is read or written.
_MAX_LENGTH = 256 * 1024 * 1024
_MAX_SQL_LENGTH = 4 * 1024 * 1024
#: CPU seconds any one statement run while a file is being opened may take (a bomb in it, were one let through).
OPEN_STATEMENT_SECONDS = 10.0


class Store:
    """A connection to one ledger file and the SQL that reads and writes its log."""

    dialect = "sqlite"  # the engine under it (dealtrack.postgres.PostgresStore says "postgresql")
    Error: type[Exception] = sqlite3.Error  # what the driver raises
    _keeps_position = True  # views_position() may reuse its last answer (SQLite's data_version says when not)
    _question = False  # inside begin_question_read()'s own read transaction (nothing written in it)

    def __init__(self, conn: sqlite3.Connection, *, readonly: bool = False) -> None:
        self.conn = conn
        # the question frame's statements (BEGIN, PRAGMA data_version, COMMIT) run on one kept cursor: a new
        # cursor for each (``conn.execute``) costs about as much as the statement itself
        self._frame = kept_cursor(conn)
        self.readonly = readonly  # opened only to read: nothing may be written to the file
        self._outer = False  # inside one of this store's transactions: a nested one joins it
        self._instant: datetime | None = None  # the transaction time of the transaction under way
        self.retries = 0  # how often a write had to wait for another writer, for the stress benchmark
        # Decoded log facts that never change (positions are immutable), kept per connection: e.g. the renames.
        self.memo: dict[str, Any] = {}
        # views_position()'s last answer outside a transaction, under (data_version, total_changes) when read
        self._position_key: tuple[int, int] | None = None
        self._position: tuple[int, int | None] = (0, None)
        # the key the last views_position() answer holds under (None: kept nothing): while a later call finds the
        # same key, nothing was written to the file, by this connection or any other, since that answer was read
        self.views_key: tuple[int, int] | None = None
        # while a rebuild loads view tables: table -> (its dropped indexes' SQL, the indexes the view asks for)
        self._deferred: dict[str, tuple[list[str], list[Sequence[str]]]] | None = None
        self._attach(conn)

    def _attach(self, conn: sqlite3.Connection) -> None:
        """The engine's own helpers over ``conn``: the view tables' SQL (``views``) and, for SQLite, ``db``."""
        self.db = sqlite_utils.Database(conn)
        self.views = SQLiteViewTables(conn)  # the SQL of view upkeep (dealtrack.sqlite), as storage.ViewTables names it

    # --- opening ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None,
        *,
        synchronous: str = "NORMAL",
        readonly: bool = False,
        inspect: Callable[[list[SchemaObject]], None] | None = None,
    ) -> Store:
        """Open or create the ledger at ``path`` (``None``: in memory).

        ``inspect`` is shown the file's schema objects before anything else runs
        on it, and may raise to refuse the file. With ``readonly``, nothing is
        written to the file; a file that would need an upgrade is read into memory.
        """
        if not isinstance(synchronous, str) or synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise InvalidEvent("synchronous", synchronous, "expected OFF, NORMAL, FULL or EXTRA")
        if path is None:
            conn = sqlite3.connect(":memory:", isolation_level=None)
        else:
            objects = _refuse_foreign_file(Path(path), readonly=readonly)
            if inspect is not None:
                inspect(objects)
            if readonly:
                store = cls._open_readonly(Path(path))
                if inspect is None:
                    store.conn.execute("PRAGMA trusted_schema=OFF")
                return store
            conn = sqlite3.connect(os.fspath(path), isolation_level=None, timeout=_BUSY_TIMEOUT)
        try:
            _guard(conn)
            if path is not None:
                _use_wal(conn)
                # Copy the WAL back into the file every ~40 MB rather than every 4 MB: an append rewrites
                # index pages all over the views, and a page changed by several appends is then copied once.
                conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES}")
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            # A 64 MB page cache (SQLite's default is 2 MB): an append or a rebuild touches index pages all over
            # the views, and with a small cache they are written out and read back within one transaction.
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            store = cls(conn)
            with store.time_limit(OPEN_STATEMENT_SECONDS):
                store._ensure_schema()
                store.check_log_columns()
            if path is None or inspect is not None:
                store.trust_own_schema()
        except BaseException:
            conn.close()
            raise
        return store

    def trust_own_schema(self) -> None:
        """Let the file's views use SQLite's JSON functions again, once every view and trigger in it is
        known to be dealtrack's own (``inspect`` passed): dealtrack's ``event_log`` view needs them."""
        self.conn.execute("PRAGMA trusted_schema=ON")

    @classmethod
    def _open_readonly(cls, path: Path) -> Store:
        """Open an existing ledger file only to read it; copied into memory when it needs an upgrade first."""
        quiet = "&immutable=1" if not path.with_name(path.name + "-wal").exists() else ""
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{quiet}", uri=True, isolation_level=None,
                               timeout=_BUSY_TIMEOUT)
        try:
            _guard(conn)
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            store = cls(conn, readonly=True)
            with store.time_limit(OPEN_STATEMENT_SECONDS):
                if store._pragma("application_id") != APPLICATION_ID:
                    raise LedgerFileError(f"{path} is not a dealtrack ledger yet: there is nothing to read")
                older = store._pragma("user_version") < FORMAT_VERSION or store._missing_objects()
                if not older:
                    store.check_log_columns()
            if older:
                store = store.copied_to_memory()
            store.trust_own_schema()
        except BaseException:
            conn.close()
            raise
        return store

    def copied_to_memory(self) -> Store:
        """A read-only store over an in-memory copy of this file (which is closed): upgrades and views go there."""
        store = self.memory_copy(readonly=True)
        store.trust_own_schema()  # a copy of a file whose objects were checked on open
        self.conn.close()
        return store

    def memory_copy(self, *, readonly: bool = False) -> Store:
        """A store over a copy of this file in memory, brought to the current layout (this one stays open)."""
        memory = sqlite3.connect(":memory:", isolation_level=None)
        try:
            self.conn.backup(memory)
            _guard(memory)
            store = type(self)(memory, readonly=readonly)
            store._ensure_schema()
            store.check_log_columns()
        except BaseException:
            memory.close()
            raise
        return store

    def drop_triggers(self) -> None:
        """Drop every trigger (in a scratch copy, before dealtrack writes to it: none of the file's SQL runs)."""
        for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            self.conn.execute(f"DROP TRIGGER [{name}]")

    def cut_log_after(self, position: int) -> None:
        """Leave the log as it stood at ``position``: drop the events and retraction notes after it and move the head
        back (in a scratch copy whose triggers were dropped: a recount of the log as far as the views have read it)."""
        with self.transaction():
            self.conn.execute("DELETE FROM events WHERE position > ?", (position,))
            self.conn.execute("DELETE FROM retractions WHERE position > ?", (position,))
            row = self.conn.execute("SELECT position, hash, recorded_at FROM events WHERE position = ?", (position,)).fetchone()
            self.conn.execute("UPDATE ledger_head SET position = ?, hash = ?, recorded_at = ? WHERE id = 1",
                              tuple(row) if row is not None else (0, GENESIS_HASH, None))
        self.memo.clear()

    def table_digest(self, table: str) -> str:
        """A SHA-256 over every row of ``table`` (a name dealtrack chose), in the order of all its columns."""
        count = len(self.conn.execute(f"PRAGMA table_info([{table}])").fetchall())
        if not count:
            return "absent"
        digest = hashlib.sha256()
        order = ", ".join(str(i) for i in range(1, count + 1))
        for row in self.conn.execute(f"SELECT * FROM [{table}] ORDER BY {order}"):
            digest.update(repr(row).encode())
        return digest.hexdigest()

    @contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """Interrupt any one statement run inside that computes for longer than ``seconds`` (a file's own SQL, say).

        CPU time, not wall time: waiting for another writer's lock does not count.
        """
        started = [time.process_time()]
        self.conn.set_trace_callback(lambda _sql: started.__setitem__(0, time.process_time()))
        self.conn.set_progress_handler(lambda: int(time.process_time() - started[0] > seconds), 10_000)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise LedgerFileError(f"a statement on this file ran for more than {seconds} s and was stopped") from None
            raise
        finally:
            self.conn.set_progress_handler(None, 0)
            self.conn.set_trace_callback(None)

    def check_log_columns(self) -> None:
        """Raise :class:`LedgerFileError` unless the ``events`` table has exactly dealtrack's columns."""
        have = [row[1] for row in self.conn.execute("PRAGMA table_info(events)")]
        missing = [c for c in EVENT_COLUMNS if c not in have]
        extra = [c for c in have if c not in EVENT_COLUMNS]
        if missing or extra:  # the order may differ: an upgraded file has natural_key last
            raise LedgerFileError(f"the events table's columns are not dealtrack's: missing {missing}, extra {extra}")

    def schema_objects(self) -> list[SchemaObject]:
        """Every table, index, trigger and view in the file, as ``sqlite_master`` lists them."""
        return [SchemaObject(*row) for row in self.conn.execute(_SCHEMA_OBJECTS)]

    def _missing_objects(self) -> bool:
        have = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')")}
        return any(name not in have for name, _ in _LATER_INDEXES) or any(name not in have for name in TRIGGER_NAMES)

    def ensure_triggers(self, *, repair: bool = False) -> None:
        """Create the log's triggers a file lacks (one made before a trigger was added); ``repair``: also
        re-create any whose text was changed. Inside the caller's transaction."""
        have = dict(self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"))
        for name, sql in zip(TRIGGER_NAMES, _TRIGGERS):
            if name in have and repair and have[name] != sql:
                self.conn.execute(f"DROP TRIGGER [{name}]")
                del have[name]
            if name not in have:
                self.conn.execute(sql)

    def storage_problems(self, full: bool = True) -> list[tuple[str, str]]:
        """``(kind, message)`` of what is wrong with the file itself: the log's triggers missing or changed, SQL
        dealtrack did not make, and what SQLite's ``integrity_check`` (``full``) or ``quick_check`` finds."""
        from .trust import foreign_objects  # (trust reads this module's SchemaObject)

        problems: list[tuple[str, str]] = []
        objects = self.schema_objects()
        have = {o.name: o.sql for o in objects if o.type == "trigger"}
        for name, sql in zip(TRIGGER_NAMES, _TRIGGERS):
            if name not in have:
                problems.append(("trigger_missing", f"the trigger {name} that keeps the log append-only is missing"))
            elif have[name] != sql:
                problems.append(("trigger_changed", f"the trigger {name} that keeps the log append-only was changed"))
        for found in foreign_objects(o for o in objects if o.name not in TRIGGER_NAMES):
            problems.append(("foreign_object", f"the file holds SQL that dealtrack did not create: {found}"))
        damage = self.integrity_problems(full=full)
        if damage:
            problems.append(("file_damaged", f"SQLite's {'integrity' if full else 'quick'}_check: {'; '.join(damage[:3])}"))
        return problems

    def integrity_problems(self, full: bool = True) -> list[str]:
        """What SQLite's own ``integrity_check`` (or the faster ``quick_check``) finds wrong; empty when sound."""
        try:
            rows = [row[0] for row in self.conn.execute(f"PRAGMA {'integrity_check' if full else 'quick_check'}(20)")]
        except sqlite3.DatabaseError as exc:  # a page too damaged even to check: name the tables it breaks
            names = [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            broken = []
            for name in names:
                try:
                    for _ in self.conn.execute(f"SELECT * FROM [{name}]"):  # every page of it, not an index's count
                        pass
                except sqlite3.DatabaseError:
                    broken.append(name)
            return [f"{exc}: the table(s) {', '.join(broken) or '(unknown)'} cannot be read"]
        return [] if rows == ["ok"] else rows

    def close(self) -> None:
        self.conn.close()

    def _pragma(self, name: str) -> int:
        return int(self.conn.execute(f"PRAGMA {name}").fetchone()[0])

    def _ensure_indexes(self) -> None:
        """Indexes and triggers added since a file was made (they change no layout, so no format version either)."""
        have = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        missing = [(name, sql) for name, sql in _LATER_INDEXES if name not in have]
        if missing or self._missing_objects():
            with self.transaction():
                for _, sql in missing:
                    self.conn.execute(sql)
                self.ensure_triggers()

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
        deferred = self._deferred is not None  # a rebuild loads the table first: indexes after (see load_then_index)
        if table.exists():
            same_layout = (table.schema.upper().rstrip().endswith("WITHOUT ROWID")) == without_rowid
            if list(table.columns_dict) == list(columns) and same_layout:
                if deferred:
                    self._defer_indexes(name, indexes, drop=True)
                    return
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
        if deferred:
            self._defer_indexes(name, indexes, drop=False)
            return
        for index in indexes:
            table.create_index(list(index))

    @contextmanager
    def load_then_index(self) -> Iterator[None]:
        """Inside a transaction: the view tables ensured inside lose their secondary indexes until it ends.

        A rebuild clears and refills its tables; building each index once from
        the loaded rows (one sort) is cheaper than keeping it up to date row by
        row. The indexes come back as they were (plus any the view now asks
        for) when the block ends; should it fail, the transaction's rollback
        brings them back with everything else. The block must not read its own
        tables through those indexes.
        """
        if not self._outer:
            raise RuntimeError("load_then_index() belongs inside a transaction")
        self._deferred = {}
        try:
            yield
            for table, (kept, wanted) in self._deferred.items():
                for sql in kept:
                    self.conn.execute(sql)
                for index in wanted:
                    self.db.table(table).create_index(list(index), if_not_exists=True)
        finally:
            self._deferred = None

    def _defer_indexes(self, table: str, wanted: Iterable[Sequence[str]], *, drop: bool) -> None:
        """Note ``wanted`` indexes of ``table`` for the end of the load; with ``drop``, drop its secondary
        indexes (unique ones stay: they may be what keeps a row out) and note them to be made again."""
        assert self._deferred is not None
        kept, asked = self._deferred.setdefault(table, ([], []))
        asked.extend(wanted)
        if not drop:
            return
        for name, sql in self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        ).fetchall():
            if not sql.lstrip().upper().startswith("CREATE UNIQUE"):
                self.conn.execute(f"DROP INDEX [{name}]")
                kept.append(sql)

    # --- transactions ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE): all of it lands or none.

        When another process holds the write lock, SQLite waits up to its busy
        timeout; past that we back off and try again a few times before giving up.
        Inside another of this store's transactions it joins that one: all of both lands or none.
        """
        if self._outer:
            yield
            return
        self._begin_write()
        self._outer, self._instant = True, None
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:  # SQLite may already have rolled back (e.g. a full disk)
                self.conn.execute("ROLLBACK")
            self.memo.clear()  # it may hold facts of the positions just given back
            raise
        finally:
            self._outer, self._instant = False, None
        self.conn.execute("COMMIT")

    def _begin_write(self) -> None:
        """Begin a transaction holding the write lock: wait, back off and retry; :class:`LedgerBusy` past the last try."""
        for attempt in range(_LOCK_ATTEMPTS):
            try:
                self._lock()
                return
            except self.Error as exc:
                if not self.is_lock_error(exc):
                    raise
                self.retries += 1
                if attempt == _LOCK_ATTEMPTS - 1:
                    raise LedgerBusy(f"the ledger stayed locked by another writer: {str(exc).strip()}") from None
                _back_off(attempt)

    def _lock(self) -> None:
        """One try at the write lock (SQLite waits up to its busy timeout inside it)."""
        self.conn.execute("BEGIN IMMEDIATE")

    @staticmethod
    def is_lock_error(exc: BaseException) -> bool:
        """True when ``exc`` says another connection held the lock too long."""
        return is_lock_error(exc)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees the log as it stood at the first one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute(self._BEGIN_READ)
        try:
            yield
        finally:
            self._end_read()

    def _end_read(self) -> None:
        """End a read transaction, if one is still open."""
        if self.conn.in_transaction:
            try:
                self._frame("COMMIT")
            except self.Error:  # a read found a damaged page; it has nothing to commit
                if self.conn.in_transaction:
                    self._frame("ROLLBACK")

    _BEGIN_READ = "BEGIN"  # (SQLite: the snapshot is taken at the first read)

    def begin_question_read(self) -> bool:
        """Begin one read transaction around a question's statements, unless a transaction is open already (a
        caller's, ``bulk()``): True when it began one, which :meth:`end_question_read` ends.

        SQLite then takes its read lock once, not once per statement (~2 us each), and every statement reads
        the same snapshot. A question that finds the views behind ends it before it catches them up (which writes).
        """
        if self.conn.in_transaction:
            return False
        self._frame("BEGIN")
        self._question = True
        return True

    def end_question_read(self) -> None:
        """End :meth:`begin_question_read`'s read transaction, if it is under way (it wrote nothing: nothing to keep)."""
        if self._question:
            self._question = False
            self._end_read()

    # --- the head of the log ----------------------------------------------------------

    def head(self) -> tuple[int, str, str | None]:
        """``(position, hash, recorded_at)`` of the last event (position 0 when empty)."""
        row = self.conn.execute("SELECT position, hash, recorded_at FROM ledger_head WHERE id = 1").fetchone()
        if row is None or not isinstance(row[0], int) or not isinstance(row[1], str):
            raise LedgerFileError(f"the ledger head (table ledger_head, id 1) is missing or damaged: {row!r}")
        return int(row[0]), str(row[1]), row[2]

    def checkpoints(self) -> dict[str, tuple[int, int]]:
        """``view name -> (version, position)``: how far each view has read the log."""
        cursor = self.conn.execute("SELECT name, version, position FROM projection_checkpoints")
        return {name: (int(version), int(position)) for name, version, position in cursor}

    def views_position(self) -> tuple[int, int | None]:
        """``(head position, the position every view has reached)``; the second is None when views disagree.

        Asked before every question, so outside a transaction the last answer is kept and given again while
        nothing can have changed it: ``PRAGMA data_version`` moves when another connection (another Ledger,
        another process) commits, and the connection's ``total_changes`` moves with each of its own writes
        (a rollback never moves it back, so an answer read inside a transaction is never kept).
        """
        conn = self.conn
        key: tuple[int, int] | None = None
        self.views_key = None
        # (inside begin_question_read()'s transaction nothing is written: an answer read there is one of the file's states)
        quiet = not conn.in_transaction or self._question
        if self._keeps_position and quiet:
            key = (self._frame("PRAGMA data_version").fetchone()[0], conn.total_changes)
            if key == self._position_key:
                self.views_key = key
                return self._position
        head, low, high = self.conn.execute(
            "SELECT (SELECT position FROM ledger_head WHERE id = 1), MIN(position), MAX(position) "
            "FROM projection_checkpoints"
        ).fetchone()
        if not isinstance(head, int):
            self.head()  # names what is wrong with the head row
        position = int(head), (low if low == high else None)
        if key is not None and quiet:  # (read after the key: never older than what it names)
            self._position_key, self._position = key, position
            self.views_key = key
        return position

    def change_count(self) -> int | None:
        """This connection's own writes so far (``total_changes``); None where :meth:`views_position` keeps nothing."""
        return self.conn.total_changes if self._keeps_position else None

    def appended_to(self, head: int, changes_before: int | None) -> None:
        """This connection has just committed an append taking the head to ``head``, having written nothing since
        :meth:`change_count` gave ``changes_before``: :meth:`views_position`'s kept answer moves to the new head.

        The views did not move (only this connection's writes or another connection's commit can move them),
        and the key keeps the ``data_version`` it was read under: had another connection committed since, the
        next check finds it moved and reads the head and checkpoints again.
        """
        kept = self._position_key
        if changes_before is None or kept is None or kept[1] != changes_before or self.conn.in_transaction:
            return
        self._position_key, self._position = (kept[0], self.conn.total_changes), (head, self._position[1])

    def next_instant(self, last: str | None = None) -> datetime:
        """The transaction time for a new append: now, but always after the last one (``last``, when the caller
        has just read the head, saves reading it again).

        When the last one is the latest time there is (a far-future time from
        an older import), the new append shares it rather than failing.
        Appends joined in one transaction share one time: they become known together.
        """
        if self._instant is not None:
            return self._instant
        now = datetime.now(timezone.utc)
        if last is None:
            last = self.head()[2]
        if last is not None:
            previous = parse_instant_column(last)
            if now <= previous:
                try:
                    now = previous + timedelta(microseconds=1)
                except OverflowError:
                    now = previous
        if self._outer:
            self._instant = now
        return now

    # --- writing -------------------------------------------------------------------

    def insert_events(self, rows: Sequence[EventRow]) -> None:
        """Insert rows (inside the caller's transaction) and move the head to the last one."""
        self.insert_event_values([_ROW_VALUES(row) for row in rows])

    def insert_event_values(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """:meth:`insert_events` of rows given as tuples of their columns in ``EVENT_COLUMNS`` order (no
        :class:`EventRow` built: an append's fast path)."""
        with self._replace_trigger_lifted(len(rows)):
            self.conn.executemany(_INSERT_EVENT, rows)
        last = rows[-1]
        self.conn.execute(
            "UPDATE ledger_head SET position = ?, hash = ?, recorded_at = ? WHERE id = 1",
            (last[0], last[_HASH], last[_RECORDED_AT]),
        )

    @contextmanager
    def _replace_trigger_lifted(self, count: int) -> Iterator[None]:
        """Around a plain ``INSERT`` of ``count`` rows into the log: for a large batch, lift the trigger that
        refuses ``INSERT OR REPLACE`` and put it back as it was, in the same transaction.

        A ``BEFORE INSERT`` trigger makes SQLite run a trigger program for every row, which doubles the
        cost of inserting one. The plain ``INSERT`` here replaces nothing (a position or event id already
        logged fails its unique index), this connection holds the write lock, and the transaction commits
        the trigger back with the rows or rolls both back: no other connection ever sees the log without
        it. A file whose trigger is missing or not dealtrack's text is left as it is.
        """
        if count < _LIFT_TRIGGER_AT or not self.conn.in_transaction:
            yield
            return
        found = self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_REPLACE_TRIGGER_NAME,)
        ).fetchone()
        if found is None or found[0] != _REPLACE_TRIGGER:
            yield
            return
        self.conn.execute(f"DROP TRIGGER {_REPLACE_TRIGGER_NAME}")
        try:
            yield
        finally:
            self.conn.execute(_REPLACE_TRIGGER)

    def append_key(self, key: str) -> tuple[str, list[int]] | None:
        """``(digest, positions)`` an earlier append with this idempotency key stored; None when it is new."""
        exists = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'append_keys'").fetchone()
        if exists is None:
            return None
        row = self.conn.execute("SELECT digest, first, count FROM append_keys WHERE key = ?", (key,)).fetchone()
        return None if row is None else (str(row[0]), list(range(int(row[1]), int(row[1]) + int(row[2]))))

    def remember_append(self, key: str, digest: str, positions: Sequence[int]) -> None:
        """Note an append's idempotency key, its events' digest and positions (inside its transaction)."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS append_keys "
                          "(key TEXT PRIMARY KEY, digest TEXT NOT NULL, first INTEGER NOT NULL, count INTEGER NOT NULL)")
        first = positions[0] if positions else 0
        self.conn.execute("INSERT INTO append_keys (key, digest, first, count) VALUES (?, ?, ?, ?)",
                          (key, digest, first, len(positions)))

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

    def rows_in_pages(
        self, where: str = "", params: Sequence[Any] = (), size: int = 1000, after: int = -1
    ) -> Iterator[EventRow]:
        """Stream event rows after position ``after`` in position order, ``size`` at a time, each page its own
        finished statement.

        Unlike :meth:`rows`, a caller that stops half-way holds no read
        transaction open: the connection goes on seeing new appends, and may append.
        ``where`` must not bound ``position`` from below: each page starts at the last one's end, and a second
        lower bound could make SQLite scan from it again for every page.
        """
        sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE {f'({where}) AND ' if where else ''}position > ? "
        sql += "ORDER BY position LIMIT ?"
        while True:
            page = self.conn.execute(sql, [*params, after, size]).fetchall()
            yield from (EventRow(*values) for values in page)
            if len(page) < size:
                return
            after = page[-1][0]

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

    def stream_events_of(self, streams: Iterable[str]) -> dict[str, list[tuple[int, str, str | None, str | None]]]:
        """``stream -> [(position, type, effective_start, effective_end)]`` of the unretracted events of each of
        ``streams``, in log order: one statement per 500 streams (an append's checks read a batch's streams at once)."""
        wanted = sorted(set(streams))
        found: dict[str, list[tuple[int, str, str | None, str | None]]] = {stream: [] for stream in wanted}
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            cursor = self.conn.execute(
                "SELECT e.stream, e.position, e.type, e.effective_start, e.effective_end FROM events e "
                "LEFT JOIN retractions r ON r.target = e.position "
                f"WHERE e.stream IN ({', '.join('?' for _ in chunk)}) AND r.target IS NULL ORDER BY e.position",
                chunk,
            )
            for stream, position, type_name, start, end in cursor:
                found[stream].append((int(position), type_name, start, end))
        return found

    def retracted_by(self, target: int) -> int | None:
        """The position of the event retracting ``target``, or None."""
        row = self.conn.execute("SELECT position FROM retractions WHERE target = ?", (target,)).fetchone()
        return None if row is None else int(row[0])

    # --- whole tables, for exports ---------------------------------------------------------

    def view_tables(self) -> list[str]:
        """The names of the views' tables (every table but the log's own and the file's notes), by name."""
        cursor = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [name for (name,) in cursor if name not in _LEDGER_TABLES and name != "dealtrack_tables"]

    def table_columns(self, name: str) -> list[tuple[str, str]]:
        """``(column, declared SQL type)`` of the view table ``name``, in table order."""
        _refuse_unknown_table(name, self.view_tables())
        return [(str(row[1]), str(row[2]).upper()) for row in self.conn.execute(f"PRAGMA table_info([{name}])")]

    def table_batches(self, name: str, size: int = 65_536) -> Iterator[list[tuple[Any, ...]]]:
        """Stream the view table ``name`` in lists of at most ``size`` rows (columns as :meth:`table_columns`).

        Only one batch is held at a time; read inside :meth:`snapshot` so every batch sees one state.
        """
        columns = ", ".join(f"[{column}]" for column, _ in self.table_columns(name))
        yield from _batches(self.conn.execute(f"SELECT {columns} FROM [{name}]"), size)

    def event_batches(self, through: int, size: int = 65_536) -> Iterator[list[tuple[Any, ...]]]:
        """Stream the log up to position ``through`` in lists of at most ``size`` rows, in position order.

        Each row is :data:`EVENT_COLUMNS` and then ``retracted_by``: the position of the event
        retracting it, when that retraction is at or before ``through`` (else None).
        """
        columns = ", ".join(f"e.{column}" for column in EVENT_COLUMNS)
        cursor = self.conn.execute(
            f"SELECT {columns}, r.position FROM events e "
            "LEFT JOIN retractions r ON r.target = e.position AND r.position <= :through "
            "WHERE e.position <= :through ORDER BY e.position",
            {"through": through},
        )
        yield from _batches(cursor, size)


def _batches(cursor: sqlite3.Cursor, size: int) -> Iterator[list[tuple[Any, ...]]]:
    if size < 1:
        raise ValueError(f"a batch holds at least one row, not {size}")
    while batch := cursor.fetchmany(size):
        yield batch


def _refuse_unknown_table(name: str, known: Sequence[str]) -> None:
    if name not in known:
        raise ValueError(f"{name!r} is not one of the ledger's view tables ({', '.join(known)})")


#: The backend's own errors under neutral names, for the callers that turn them into dealtrack's errors.
StorageError = sqlite3.Error
StorageDamaged = sqlite3.DatabaseError


def _back_off(attempt: int) -> None:
    """Sleep a random while, longer after each failed try, so that processes waiting on one lock spread out."""
    time.sleep(random.uniform(0, 0.05 * 2**attempt))


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode (a no-op once it is), backing off and trying again while another process holds it.

    Switching a new file to WAL upgrades a read lock to a write lock, and SQLite reports that as "database is
    locked" at once, without waiting out the busy timeout: processes creating one file together would fail.
    """
    for attempt in range(_LOCK_ATTEMPTS):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_lock_error(exc) or attempt == _LOCK_ATTEMPTS - 1:
                raise
            _back_off(attempt)


def is_lock_error(exc: BaseException) -> bool:
    """True when SQLite gave up waiting for another connection's lock (SQLITE_BUSY / SQLITE_LOCKED)."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


_LEDGER_TABLES = ("events", "retractions", "ledger_head", "projection_checkpoints")


def _refuse_foreign_file(path: Path, readonly: bool = False) -> list[SchemaObject]:
    """Raise unless ``path`` is absent, empty, or a SQLite file that is (or could become) a ledger we can read.

    Only reads the file: a file that is not a ledger is left byte-for-byte as it was.
    Returns its schema objects (none for a new file).
    """
    if path.is_dir():
        raise LedgerFileError(f"{path} is a folder, not a ledger file")
    if not path.exists() or path.stat().st_size == 0:
        if readonly:
            raise LedgerFileError(f"{path}: there is no ledger to open read-only")
        return []
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
            _guard(probe)
            application_id = probe.execute("PRAGMA application_id").fetchone()[0]
            version = probe.execute("PRAGMA user_version").fetchone()[0]
            objects = [SchemaObject(*row) for row in probe.execute(_SCHEMA_OBJECTS)]
            tables = {o.name for o in objects if o.type == "table"}
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if is_lock_error(exc):
            raise LedgerBusy(f"{path} is locked by another program ({exc}); try again when it lets go") from None
        raise LedgerFileError(f"{path} cannot be read as a SQLite database: {exc}") from None
    if application_id != APPLICATION_ID:
        if application_id != 0 or tables:
            raise LedgerFileError(f"{path} is a SQLite database but not a dealtrack ledger (it has other tables)")
        return objects  # an empty database, e.g. one another process is making a ledger of right now
    if version > FORMAT_VERSION:
        raise LedgerFileError(
            f"{path} was written by a newer dealtrack (ledger format {version}; this one reads up to "
            f"{FORMAT_VERSION}); upgrade dealtrack to open it"
        )
    missing = [name for name in _LEDGER_TABLES if name not in tables]
    if missing:
        raise LedgerFileError(f"{path} is a damaged dealtrack ledger: the table(s) {', '.join(missing)} are missing")
    return objects


@attrs.frozen
class SchemaObject:
    """One row of ``sqlite_master``: a table, index, trigger or view and the SQL that made it."""

    type: str
    name: str
    table: str
    sql: str | None


_SCHEMA_OBJECTS = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"


def _guard(conn: sqlite3.Connection) -> None:
    """SQLite's protections for a file from a stranger, on every connection dealtrack opens.

    The file's own schema may not call functions with side effects
    (``trusted_schema=OFF``), no value or statement may exceed the limits, and
    (where Python exposes it) defensive mode forbids writing the schema directly.
    """
    conn.execute("PRAGMA trusted_schema=OFF")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, _MAX_SQL_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 10)
    if hasattr(conn, "setconfig"):  # Python 3.12+
        conn.setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # type: ignore[attr-defined]


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
