"""The storage contract on SQLite: an in-memory store and an on-disk store (WAL).

A second backend adds its own ``test_<backend>.py`` like this one: the same
classes from ``suite.py``, with its own ``ledger``, ``location`` and ``raw``
fixtures and its ``force_edit``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dealtrack import Ledger

from .suite import ConcurrentWritersContract, LogContract, ReopenContract, ViewCheckpointContract, ViewTableContract


class InMemory:
    """A ledger in memory: one connection, nothing to reopen and no other process."""

    @pytest.fixture
    def ledger(self) -> Iterator[Ledger]:
        with Ledger.open() as opened:
            yield opened

    @pytest.fixture
    def raw(self, ledger: Ledger) -> sqlite3.Connection:
        return ledger._store.conn  # in memory the ledger's own connection is the only one

    def force_edit(self, raw: sqlite3.Connection, position: int, metadata: str) -> None:
        _force_edit(raw, position, metadata)


class OnDisk:
    """A ledger file: reopened, and shared with other connections and processes."""

    @pytest.fixture
    def location(self, tmp_path: Path) -> str:
        return str(tmp_path / "contract.db")

    @pytest.fixture
    def ledger(self, location: str) -> Iterator[Ledger]:
        with Ledger.open(location) as opened:
            yield opened

    @pytest.fixture
    def raw(self, ledger: Ledger, location: str) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(location, isolation_level=None)
        yield connection
        connection.close()

    def force_edit(self, raw: sqlite3.Connection, position: int, metadata: str) -> None:
        _force_edit(raw, position, metadata)


def _force_edit(raw: sqlite3.Connection, position: int, metadata: str) -> None:
    """Drop the append-only triggers and edit the row, as someone with the sqlite3 shell could."""
    raw.execute("DROP TRIGGER events_refuse_update")
    raw.execute("UPDATE events SET metadata = ? WHERE position = ?", (metadata, position))


class TestInMemoryLog(InMemory, LogContract):
    pass


class TestInMemoryViewCheckpoints(InMemory, ViewCheckpointContract):
    pass


class TestInMemoryViewTables(InMemory, ViewTableContract):
    pass


class TestOnDiskLog(OnDisk, LogContract):
    pass


class TestOnDiskViewCheckpoints(OnDisk, ViewCheckpointContract):
    pass


class TestOnDiskViewTables(OnDisk, ViewTableContract):
    pass


class TestOnDiskReopen(OnDisk, ReopenContract):
    pass


class TestOnDiskConcurrentWriters(OnDisk, ConcurrentWritersContract):
    pass
