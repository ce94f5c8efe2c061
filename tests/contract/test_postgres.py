"""The storage contract on PostgreSQL: a ledger in a fresh database of a real server (the ``pg_url`` fixture).

The same classes as ``test_sqlite.py``: what passes here is what the SQLite
backend promises, kept by PostgreSQL's own means (triggers, a row lock, snapshots).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dealtrack import Ledger

from .suite import ConcurrentWritersContract, LogContract, ReopenContract, ViewCheckpointContract, ViewTableContract

psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL backend's tests need psycopg (the test extra)")


class OnServer:
    """A ledger in its own database: reopened by URL, and shared with other connections and processes."""

    @pytest.fixture
    def location(self, pg_url: str) -> str:
        return pg_url

    @pytest.fixture
    def ledger(self, location: str) -> Iterator[Ledger]:
        with Ledger.open(location) as opened:
            yield opened

    @pytest.fixture
    def raw(self, ledger: Ledger, location: str) -> Iterator[Any]:
        connection = psycopg.connect(location, autocommit=True)
        yield connection
        connection.close()

    def force_edit(self, raw: Any, position: int, metadata: str) -> None:
        """Switch the update trigger off and edit the row, as the table's owner with psql could."""
        raw.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update")
        raw.execute("UPDATE events SET metadata = %s WHERE position = %s", (metadata, position))


class TestServerLog(OnServer, LogContract):
    pass


class TestServerViewCheckpoints(OnServer, ViewCheckpointContract):
    pass


class TestServerViewTables(OnServer, ViewTableContract):
    pass


class TestServerReopen(OnServer, ReopenContract):
    pass


class TestServerConcurrentWriters(OnServer, ConcurrentWritersContract):
    pass
