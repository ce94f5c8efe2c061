"""Which numbers name the same property: a US application and the patent it issued as.

Table ``patent_numbers(application, grant, position)`` holds every live
:class:`~dealtrack.events.PatentNumbersLinked` (a retracted link is removed).
A property's id is its grant number; an application linked to a grant goes by
that grant (the smallest, should a register ever link it to two). The
ownership view indexes its facts under property ids, so a chain of title
gathers the events recorded under either number, and questions resolve the
number they are asked about first (``store.views.title.properties_of``).

A link is an identity, not a belief about who held what: once recorded it
applies to every question, whatever its ``known_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..events import Event, EventRetracted, PatentNumbersLinked
from ..sqlite.store import Store
from .history import Fact
from .reader import LogReader

__all__ = ["NumbersProjection", "linked_numbers"]


def linked_numbers(event: Event) -> tuple[str, ...]:
    """The numbers a link event joins (none for other events)."""
    if isinstance(event, PatentNumbersLinked):
        return event.application, event.grant
    return ()


class NumbersProjection:
    """The live links between application and grant numbers."""

    name = "patent_numbers"
    version = 1
    folded = ()

    def create(self, store: Store) -> None:
        store.ensure_view_table("patent_numbers", {"application": str, "grant": str, "position": int}, "position",
                                [("application",), ("grant",)])

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        title = log.store.views.title
        self._insert(log, batch)
        for _, event in batch:
            if isinstance(event, EventRetracted):
                target = log.store.position_of(event.target)
                if target is not None:
                    title.drop_link(target)

    def rebuild(self, log: LogReader) -> None:
        log.store.views.clear("patent_numbers")
        retracted = log.retracted()
        positions = log.store.views.positions_of_types(("PatentNumbersLinked",))
        self._insert(log, [fact for fact in log.facts(positions) if fact[0] not in retracted])

    @staticmethod
    def _insert(log: LogReader, facts: Iterable[Fact]) -> None:
        log.store.views.title.add_links(
            [(event.application, event.grant, position) for position, event in facts
             if isinstance(event, PatentNumbersLinked)]
        )
