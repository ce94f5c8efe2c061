"""The PostgreSQL log: the same ledger as a SQLite file, in one schema of a PostgreSQL database.

:class:`PostgresStore` keeps the storage contract of :mod:`dealtrack.storage`
by PostgreSQL's own means:

- the ``events`` table refuses UPDATE and DELETE (row triggers) and TRUNCATE (a
  statement trigger), from any client: the statement fails;
- every write transaction first locks the one ``ledger_head`` row (``SELECT ...
  FOR UPDATE``), so appends and view catch-ups from any number of connections
  and machines run one at a time, positions stay gap-free and in commit order,
  and a catch-up never runs twice at once. Past a bounded wait it is :class:`LedgerBusy`;
- reads run in ``REPEATABLE READ`` snapshots: they never block a writer and always see whole appends.

The log's reads and the views' SQL are the SQLite backend's, written in SQL
both engines speak (:mod:`.connection` turns its placeholders into psycopg's);
this module overrides what the two disagree on: the schema, transactions,
triggers, and the catalogue reads.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ..errors import DealtrackError, InvalidEvent, LedgerBusy, LedgerFileError
from ..sqlite.guard import register
from ..sqlite.store import _LEDGER_TABLES, EVENT_COLUMNS, FORMAT_VERSION, GENESIS_HASH, EventRow, Store, _refuse_unknown_table
from .connection import Connection, query
from .views import PostgresViewTables

__all__ = ["PostgresStore", "redact"]

_LOCK_SECONDS = 5  # how long one try waits for another writer's lock (then the SQLite store's back-off and retries)
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_TEXT = 'TEXT COLLATE "C"'  # byte order, as SQLite compares text, whatever the database's locale
_TYPES = {int: "BIGINT", str: _TEXT, float: "DOUBLE PRECISION", bool: "BIGINT"}
_SQLITE_TYPES = {"bigint": "INTEGER", "integer": "INTEGER", "double precision": "REAL", "text": "TEXT"}

_FUNCTION = """CREATE OR REPLACE FUNCTION dealtrack_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'dealtrack: the events log is append-only (% refused); append a correction or retract the event instead', TG_OP
    USING ERRCODE = 'restrict_violation';
END $$"""
#: (name, SQL) of the triggers that keep the log append-only: row triggers for UPDATE and DELETE, a statement trigger for TRUNCATE.
TRIGGERS = [
    ("events_refuse_update", "CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events "
                             "FOR EACH ROW EXECUTE FUNCTION dealtrack_refuse_change()"),
    ("events_refuse_delete", "CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events "
                             "FOR EACH ROW EXECUTE FUNCTION dealtrack_refuse_change()"),
    ("events_refuse_truncate", "CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events "
                               "FOR EACH STATEMENT EXECUTE FUNCTION dealtrack_refuse_change()"),
]


class PostgresStore(Store):
    """A connection to one ledger in a PostgreSQL schema, and the SQL that differs from SQLite's."""

    dialect = "postgresql"
    Error = psycopg.Error  # what the driver raises
    _keeps_position = False  # no data_version: views_position() reads the head and checkpoints every time

    def __init__(self, conn: Connection, schema: str, *, readonly: bool = False) -> None:
        self.pg = conn
        self.schema = schema
        self._head: tuple[Any, ...] | None = None  # the head row the write lock read (see _lock)
        # the SQLite store's state; its portable SQL runs on this connection unchanged
        super().__init__(conn, readonly=readonly)  # type: ignore[arg-type]

    def _attach(self, conn: Any) -> None:
        """The views' SQL over the psycopg connection (no ``db``: :attr:`Ledger.db` is for SQLite files only)."""
        self.views = PostgresViewTables(conn)

    # --- opening ------------------------------------------------------------------

    @classmethod
    def open_url(cls, url: str, *, schema: str | None = None, readonly: bool = False) -> PostgresStore:
        """Open or create the ledger in ``schema`` of the database at ``url`` (any libpq URL).

        Without ``schema``, the first schema of the connection's ``search_path``
        (``public`` unless the URL or the server says otherwise, e.g.
        ``?options=-csearch_path%3Dlicensing``): so a URL alone can name a ledger.
        """
        if schema is not None and (not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema)):
            raise InvalidEvent("schema", schema, "expected a PostgreSQL schema name (letters, digits and _, up to 63)")
        try:
            raw = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise LedgerFileError(f"cannot connect to {redact(url)}: {str(exc).strip()}") from None
        try:
            if schema is None:
                schema = _first_schema(raw)
        except BaseException:
            raw.close()
            raise
        store = cls(Connection(raw), schema, readonly=readonly)
        try:
            store._use_schema()
            if not readonly:
                store._ensure_schema()
            elif store._missing():
                raise LedgerFileError(f"{redact(url)} has no dealtrack ledger in schema {schema!r}: there is nothing to read")
            store.check_log_columns()
        except BaseException:
            raw.close()
            raise
        return store

    def _use_schema(self) -> None:
        """Make the ledger's schema the one unqualified names go to (it is created, if need be, by :meth:`_ensure_schema`)."""
        self.pg.execute(f"SET search_path TO \"{self.schema}\"")

    def _missing(self) -> bool:
        """True when the schema has no ledger yet (no log, or no format note)."""
        return self._one("SELECT to_regclass('events') IS NULL OR to_regclass('ledger_meta') IS NULL") is True

    def _one(self, sql: str, parameters: Sequence[Any] | None = None) -> Any:
        """The first column of the first row ``sql`` gives (None when it gives no row)."""
        row = self.pg.execute(sql, parameters).fetchone()
        return None if row is None else row[0]

    def _ensure_schema(self) -> None:
        """Create the tables of a new ledger, once, however many processes open it at the same moment."""
        if not self._missing():
            self._check_format()
            return
        self.pg.execute("BEGIN")
        try:  # one opener at a time makes the schema: the others wait here, then find it made
            self.pg.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"dealtrack:{self.schema}",))
            self.pg.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')  # (two at once could both try)
            if self._missing():
                foreign = [row[0] for row in self.pg.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", (self.schema,))]
                if foreign:
                    raise LedgerFileError(f"the schema {self.schema!r} holds tables that are not a dealtrack ledger "
                                          f"({', '.join(foreign[:5])}); choose another schema=")
                self._create()
            self.pg.execute("COMMIT")
        except BaseException:
            self.pg.execute("ROLLBACK")
            raise
        self._check_format()

    def _create(self) -> None:
        columns = ", ".join(f"{name} {'BIGINT' if name in ('position', 'schema_version') else _TEXT}"
                            f"{' NOT NULL' if name in _NOT_NULL else ''}" for name in EVENT_COLUMNS)
        self.pg.execute(f"CREATE TABLE events ({columns}, PRIMARY KEY (position))")
        self.pg.execute("CREATE UNIQUE INDEX idx_events_event_id ON events (event_id)")
        for column in ("recorded_at", "stream", "deal", "natural_key", "type"):
            self.pg.execute(f"CREATE INDEX idx_events_{column} ON events ({column})")
        self.pg.execute("CREATE TABLE retractions (target BIGINT PRIMARY KEY, position BIGINT NOT NULL)")
        self.pg.execute(f"CREATE TABLE ledger_head (id BIGINT PRIMARY KEY, position BIGINT, hash {_TEXT}, recorded_at {_TEXT})")
        self.pg.execute("INSERT INTO ledger_head (id, position, hash, recorded_at) VALUES (1, 0, ?, NULL)", (GENESIS_HASH,))
        self.pg.execute(f"CREATE TABLE projection_checkpoints (name {_TEXT} PRIMARY KEY, version BIGINT, position BIGINT)")
        self.pg.execute(f"CREATE TABLE ledger_meta (key {_TEXT} PRIMARY KEY, value {_TEXT})")
        self.pg.execute("INSERT INTO ledger_meta (key, value) VALUES ('format', ?)", (str(FORMAT_VERSION),))
        self.ensure_triggers()

    def _check_format(self) -> None:
        row = self.pg.execute("SELECT value FROM ledger_meta WHERE key = 'format'").fetchone()
        if row is None or not str(row[0]).isdigit():
            raise LedgerFileError(f"the ledger in schema {self.schema!r} is damaged: its format note is {row!r}")
        if int(row[0]) > FORMAT_VERSION:
            raise LedgerFileError(f"the ledger in schema {self.schema!r} was written by a newer dealtrack "
                                  f"(format {row[0]}; this one reads up to {FORMAT_VERSION}); upgrade dealtrack")

    def check_log_columns(self) -> None:
        """Raise :class:`LedgerFileError` unless ``events`` has exactly dealtrack's columns."""
        have = [name for name, _ in self._columns("events")]
        if sorted(have) != sorted(EVENT_COLUMNS):
            raise LedgerFileError(f"the events table's columns are not dealtrack's: {have}")

    def ensure_triggers(self, *, repair: bool = False) -> None:
        """Create the log's triggers (and the function they call) where missing; ``repair``: re-create them all."""
        have = self._triggers()
        if repair or len(have) < len(TRIGGERS) or not self._function_intact():
            self.pg.execute(_FUNCTION)
        for name, sql in TRIGGERS:
            if name in have and (repair or have[name] != "O"):
                self.pg.execute(f"DROP TRIGGER {name} ON events")
                del have[name]
            if name not in have:
                self.pg.execute(sql)

    def _triggers(self) -> dict[str, str]:
        """``name -> enabled state`` ('O': fires) of the triggers on this schema's ``events``."""
        return dict(self.pg.execute(
            "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = 'events' "
            "AND NOT t.tgisinternal", (self.schema,)).fetchall())

    def _function_intact(self) -> bool:
        row = self.pg.execute(
            "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = ? AND p.proname = 'dealtrack_refuse_change'", (self.schema,)).fetchone()
        return row is not None and "RAISE EXCEPTION" in row[0] and _FUNCTION.split("$$")[1] == row[0]

    def storage_problems(self, full: bool = True) -> list[tuple[str, str]]:
        """``(kind, message)`` of what is wrong with the log's guards: a trigger missing, disabled or changed."""
        problems: list[tuple[str, str]] = []
        have = self._triggers()
        for name, _ in TRIGGERS:
            if name not in have:
                problems.append(("trigger_missing", f"the trigger {name} that keeps the log append-only is missing"))
            elif have[name] != "O":
                problems.append(("trigger_changed", f"the trigger {name} that keeps the log append-only is disabled"))
        if not self._function_intact():
            problems.append(("trigger_changed", "the function dealtrack_refuse_change() the log's triggers call was changed"))
        return problems

    def close(self) -> None:
        self.pg.close()

    # --- transactions ------------------------------------------------------------------

    # (transaction() and snapshot() are the SQLite store's, with these hooks)

    def _lock(self) -> None:
        """One try at the write lock: the ``ledger_head`` row, waited for up to ``_LOCK_SECONDS``, in one round trip.

        The row it locks is the head: :meth:`head` answers from it until the transaction ends.
        """
        try:
            cursor = self.pg.execute(f"BEGIN; SET LOCAL lock_timeout = '{_LOCK_SECONDS}s'; "
                                     "SELECT position, hash, recorded_at FROM ledger_head WHERE id = 1 FOR UPDATE")
            while cursor.nextset():  # to the last statement's row
                pass
            self._head = cursor.fetchone()
        except BaseException:
            if self.pg.in_transaction:
                self.pg.execute("ROLLBACK")
            raise

    def head(self) -> tuple[int, str, str | None]:
        """``(position, hash, recorded_at)`` of the last event; inside a write transaction, as its lock read it."""
        row = self._head if self._outer else None
        if row is None or not isinstance(row[0], int) or not isinstance(row[1], str):
            return super().head()
        return int(row[0]), str(row[1]), row[2]

    @staticmethod
    def is_lock_error(exc: BaseException) -> bool:
        """True when PostgreSQL gave up waiting for another connection's lock."""
        return isinstance(exc, pg_errors.LockNotAvailable)

    _BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ"  # one snapshot for every read inside; blocks no writer

    def begin_question_read(self) -> bool:
        """Nothing: a server's statements take no file lock, and BEGIN and COMMIT would cost two round trips."""
        return False

    @contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """Cancel any one statement run inside that takes longer than ``seconds``."""
        self.pg.execute(f"SET statement_timeout = {int(seconds * 1000)}")
        try:
            yield
        except pg_errors.QueryCanceled:
            raise LedgerFileError(f"a statement ran for more than {seconds} s and was stopped") from None
        finally:
            self.pg.execute("SET statement_timeout = 0")

    # --- the views' tables ---------------------------------------------------------------

    def ensure_view_table(
        self,
        name: str,
        columns: dict[str, type],
        pk: str | tuple[str, ...] | None = None,
        indexes: Iterable[Sequence[str]] = (),
        *,
        without_rowid: bool = False,
    ) -> None:
        """Create a view's table, or re-create it empty when its columns changed; add missing indexes.

        A table SQLite would give a rowid (all but ``without_rowid`` ones) gets a
        ``rowid`` column, the handle :meth:`ViewTables.open_rows` gives: its
        integer primary key, as in SQLite, or else an identity column.
        """
        have = [column for column, _ in self._columns(name)]
        if have and have != list(columns):
            self.pg.execute(f'DROP TABLE "{name}"')
            have = []
        if not have:
            body = [f'"{column}" {_TYPES.get(kind, _TEXT)}' for column, kind in columns.items()]
            key = pk if isinstance(pk, str) and columns.get(pk) is int else None
            if key is not None:  # SQLite's INTEGER PRIMARY KEY is the rowid itself
                body.insert(0, f'rowid BIGINT GENERATED ALWAYS AS ("{key}") STORED')
            elif not without_rowid:
                body.insert(0, "rowid BIGINT GENERATED ALWAYS AS IDENTITY")
            if pk is not None:
                keys = [pk] if isinstance(pk, str) else list(pk)
                body.append(f"PRIMARY KEY ({', '.join(chr(34) + k + chr(34) for k in keys)})")
            self.pg.execute(f'CREATE TABLE "{name}" ({", ".join(body)})')
            if key is not None or not without_rowid:  # handles are looked up one by one
                self.pg.execute(f'CREATE UNIQUE INDEX "idx_{name}_rowid" ON "{name}" (rowid)')
        for index in indexes:
            label = "_".join(index)
            quoted = ", ".join(f'"{column}"' for column in index)
            self.pg.execute(f'CREATE INDEX IF NOT EXISTS "idx_{name}_{label}" ON "{name}" ({quoted})')

    @contextmanager
    def load_then_index(self) -> Iterator[None]:
        """A rebuild keeps the views' indexes on PostgreSQL while it loads (the contract allows simply yielding)."""
        yield

    def _columns(self, name: str) -> list[tuple[str, str]]:
        """``(column, PostgreSQL type)`` of table ``name`` in this schema, in table order (``rowid`` left out)."""
        rows = self.pg.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position", (self.schema, name)).fetchall()
        return [(str(column), str(kind)) for column, kind in rows if column != "rowid"]

    def view_tables(self) -> list[str]:
        """The names of the views' tables (every table but the log's own and the ledger's notes), by name."""
        rows = self.pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "ORDER BY table_name COLLATE \"C\"", (self.schema,))
        return [name for (name,) in rows if name not in (*_LEDGER_TABLES, "ledger_meta", "append_keys")]

    def table_columns(self, name: str) -> list[tuple[str, str]]:
        """``(column, SQL type as SQLite declares it)`` of the view table ``name``, in table order."""
        _refuse_unknown_table(name, self.view_tables())
        return [(column, _SQLITE_TYPES.get(kind, "TEXT")) for column, kind in self._columns(name)]

    def table_batches(self, name: str, size: int = 65_536) -> Iterator[list[tuple[Any, ...]]]:
        """Stream the view table ``name`` in lists of at most ``size`` rows (columns as :meth:`table_columns`)."""
        columns = ", ".join(f'"{column}"' for column, _ in self.table_columns(name))
        with self.pg.raw.cursor(name=f"dealtrack_{name}") as cursor:  # a server-side cursor: one batch in memory
            cursor.execute(query(f'SELECT {columns} FROM "{name}"'))
            while batch := cursor.fetchmany(size):
                yield batch

    def table_digest(self, table: str) -> str:
        """A SHA-256 over every row of ``table``, in the order of all its columns: equal to the SQLite store's
        for the same rows (NULLs first, text in byte order)."""
        columns = [column for column, _ in self._columns(table)]
        if not columns:
            return "absent"
        digest = hashlib.sha256()
        order = ", ".join(f'"{column}" NULLS FIRST' for column in columns)
        selected = ", ".join(f'"{column}"' for column in columns)
        for row in self.pg.execute(f'SELECT {selected} FROM "{table}" ORDER BY {order}'):
            digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()

    # --- reading the whole log ------------------------------------------------------------------

    def rows(self, where: str = "", params: Sequence[Any] = (), order: str = "position") -> Iterator[EventRow]:
        """Stream event rows in ``order``; the whole log through a server-side cursor (see :meth:`Connection.stream`)."""
        if where:  # a few positions or ids: one round trip
            return super().rows(where, params, order)
        return (EventRow(*values) for values in self.pg.stream(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY {order}"))

    def payloads(self, where: str = "", params: Sequence[Any] = (), order: str = "position") -> Iterator[tuple[int, str, str, int]]:
        """Stream ``(position, type, payload, schema_version)``; the whole log through a server-side cursor."""
        if where:
            return super().payloads(where, params, order)
        return self.pg.stream(f"SELECT position, type, payload, schema_version FROM events ORDER BY {order}")

    # --- writing -----------------------------------------------------------------------------

    def insert_event_values(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows and move the head, refusing any event with a NUL character in its text first.

        PostgreSQL text cannot hold NUL, and the views would hold the event's
        names and numbers as text: refused here, the event is never logged,
        rather than logged and then impossible to fold.
        """
        for row in rows:
            if _NUL.search(row[_PAYLOAD]):
                raise InvalidEvent(row[_TYPE], "<text with a NUL character>",
                                   "PostgreSQL text cannot hold the character U+0000; nothing was written")
        super().insert_event_values(rows)
        last = rows[-1]
        self._head = (last[0], last[_HASH], last[_RECORDED_AT])  # what the head row now says

    @contextmanager
    def _replace_trigger_lifted(self, count: int) -> Iterator[None]:
        """(PostgreSQL has no ``INSERT OR REPLACE`` and no such trigger: nothing to lift.)"""
        yield

    # --- what the SQLite store reads from its catalogue -------------------------------------

    def append_key(self, key: str) -> tuple[str, list[int]] | None:
        """``(digest, positions)`` an earlier append with this idempotency key stored; None when it is new."""
        if self._one("SELECT to_regclass('append_keys') IS NULL"):
            return None
        row = self.pg.execute("SELECT digest, first, count FROM append_keys WHERE key = ?", (key,)).fetchone()
        return None if row is None else (str(row[0]), list(range(int(row[1]), int(row[1]) + int(row[2]))))

    def remember_append(self, key: str, digest: str, positions: Sequence[int]) -> None:
        """Note an append's idempotency key, its events' digest and positions (inside its transaction)."""
        self.pg.execute(f"CREATE TABLE IF NOT EXISTS append_keys (key {_TEXT} PRIMARY KEY, digest TEXT NOT NULL, "
                        "first BIGINT NOT NULL, count BIGINT NOT NULL)")
        self.pg.execute("INSERT INTO append_keys (key, digest, first, count) VALUES (?, ?, ?, ?)",
                        (key, digest, positions[0] if positions else 0, len(positions)))

    def recorded_under(self, ref: str) -> list[tuple[str, str, str]]:
        """``(natural key, event_id, type)`` of the events an importer keyed by register record ``ref``
        (``ref`` itself or ``ref#N``), retractions and number links left out, in log order."""
        rows = self.pg.execute(  # "ref#" then a digit: in byte order, from "ref#0" up to (not including) "ref#:"
            "SELECT natural_key, event_id, type FROM events WHERE (natural_key = ? OR (natural_key >= ? AND natural_key < ?)) "
            "AND type NOT IN ('EventRetracted', 'PatentNumbersLinked') ORDER BY position",
            (ref, f"{ref}#0", f"{ref}#:"),
        ).fetchall()
        return [(str(key), str(event_id), str(kind)) for key, event_id, kind in rows]

    def memory_copy(self, *, readonly: bool = False) -> Store:
        """A SQLite store in memory holding this ledger's log (no views yet): for a recount, or a read-only catch-up."""
        copy = Store.open(None)
        try:
            with self.snapshot(), copy.transaction():
                for batch in _in_batches(self.rows(), 10_000):
                    copy.insert_events(batch)
                copy.insert_retractions(self.pg.execute("SELECT target, position FROM retractions ORDER BY target"))
        except BaseException:
            copy.close()
            raise
        copy.readonly = readonly
        return copy

    def copied_to_memory(self) -> Store:
        """A read-only SQLite store over an in-memory copy of this ledger's log (this connection is closed)."""
        copy = self.memory_copy(readonly=True)
        self.close()
        return copy

    def integrity_problems(self, full: bool = True) -> list[str]:
        """PostgreSQL checks its own pages; there is nothing for dealtrack to add."""
        return []


#: ``\u0000`` in JSON text, not preceded by an escaping backslash (orjson writes a NUL character so).
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_TYPE, _PAYLOAD, _HASH, _RECORDED_AT = (EVENT_COLUMNS.index(name) for name in ("type", "payload", "hash", "recorded_at"))
_NOT_NULL = ("event_id", "type", "schema_version", "recorded_at", "payload", "hash")


def _in_batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _first_schema(raw: psycopg.Connection[Any]) -> str:
    """The schema a connection's unqualified names go to: the first of its ``search_path`` (``public`` if none)."""
    path = raw.execute("SELECT (current_schemas(false))[1], current_setting('search_path')").fetchone()
    if path is not None and path[0]:
        return str(path[0])
    names = [name.strip().strip('"') for name in str(path[1] if path else "").split(",")]
    return next((name for name in names if _SCHEMA_NAME.fullmatch(name)), "public")


def redact(url: str) -> str:
    """``url`` without its password, for messages and ``repr``."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _translate(exc: BaseException, where: str) -> DealtrackError | None:
    """What a psycopg error below a Ledger method means, as dealtrack's error (None: let it be)."""
    if isinstance(exc, pg_errors.LockNotAvailable):
        return LedgerBusy(f"{where}: the ledger stayed locked by another writer ({str(exc).strip()}); nothing was written")
    if isinstance(exc, psycopg.DataError):
        return InvalidEvent(where, "<a value>", f"PostgreSQL cannot store it: {str(exc).strip()}")
    if isinstance(exc, psycopg.OperationalError):
        return LedgerFileError(f"{where}: the connection to the PostgreSQL ledger is closed or lost ({str(exc).strip()})")
    return None


register(psycopg.Error, _translate)
