"""What a projection sees of the log, and what a projection must provide."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from .. import codec
from ..events import Event
from ..store import Store
from .history import Fact

__all__ = ["LogReader", "Projection"]

_RENAME_TYPES = ("PartyRenamed", "PartiesMerged")


class LogReader:
    """Read access to the log for projections, decoding each event at most once per use.

    ``batch`` seeds it with the events of the append being applied, so they
    are never read back from the table they were just written to.
    """

    def __init__(self, store: Store, batch: Iterable[Fact] = ()) -> None:
        self.store = store
        self._events: dict[int, Event] = dict(batch)
        self._retracted: dict[int, int] | None = None
        self._renames: list[Fact] | None = None

    def facts(self, positions: Sequence[int]) -> list[Fact]:
        """``(position, event)`` for each position, in position order."""
        missing = [pos for pos in positions if pos not in self._events]
        for row in self.store.rows_at(missing):
            self._events[row.position] = codec.loads(row.type, row.payload, row.schema_version)
        return [(pos, self._events[pos]) for pos in sorted(set(positions))]

    def retracted(self) -> dict[int, int]:
        """``target position -> retracting position`` for the whole log."""
        if self._retracted is None:
            self._retracted = dict(self.store.conn.execute("SELECT target, position FROM retractions"))
        return self._retracted

    def renames(self) -> list[Fact]:
        """Every rename and merger in the log, in position order."""
        if self._renames is None:
            positions = [row.position for row in self.store.rows(f"type IN {_RENAME_TYPES!r}")]
            self._renames = self.facts(positions)
        return self._renames


class Projection(Protocol):
    """A view of the log: its tables, its upkeep per append, and its rebuild."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int:
        """Bump when the view's rows change shape or meaning: the view is rebuilt on open."""
        ...

    def create(self, store: Store) -> None: ...

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None: ...

    def rebuild(self, log: LogReader) -> None: ...
