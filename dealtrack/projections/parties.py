"""The party-name index: every spelling a party was recorded under, by its normalised key.

Table ``party_names(key, name)``: one row per spelling seen in the log (a
superset: a retracted event's names stay, and find nothing). Questions use it
to treat ``"NYTELL SOFTWARE LLC"`` and ``"NYTELL SOFTWARE LLC."`` as one party,
and :meth:`Ledger.parties` to list the spellings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import attrs

from .. import codec
from ..events import EVENT_TYPES, Event
from ..parties import party_key
from ..sqlite.store import Store
from .history import Fact
from .reader import TITLE_TYPES, LogReader

__all__ = ["PartiesProjection", "event_parties", "spellings"]

_PARTY_FIELDS = ("owner", "assignor", "assignee", "licensor", "licensee", "parties", "against", "requested_by",
                 "old", "new", "absorbed", "into", "debtor", "secured_party")
_TYPES = tuple(
    name for name, cls in EVENT_TYPES.items() if {field.name for field in attrs.fields(cls)} & set(_PARTY_FIELDS)
)
#: event type -> the party fields it has, in :data:`_PARTY_FIELDS` order
_FIELDS_OF = {
    name: tuple(field for field in _PARTY_FIELDS if field in {f.name for f in attrs.fields(cls)})
    for name, cls in EVENT_TYPES.items()
}


def event_parties(event: Event) -> Iterator[str]:
    """Every party name ``event`` records."""
    for field in _FIELDS_OF.get(type(event).__name__, _PARTY_FIELDS):  # (its type's party fields: a few, not all)
        value = getattr(event, field, None)
        if isinstance(value, str):
            yield value
        elif isinstance(value, tuple):
            yield from (name for name in value if isinstance(name, str))


def spellings(store: Store, names: Iterable[str]) -> set[str]:
    """``names`` and every other spelling recorded under the same keys."""
    wanted = set(names)
    return wanted | set(store.views.values_under("party_names", "name", {party_key(name) for name in wanted}))


class PartiesProjection:
    """Spellings of party names by normalised key; rows are never folded, only added."""

    name = "party_names"
    version = 1
    folded = ()

    def create(self, store: Store) -> None:
        store.ensure_view_table("party_names", {"key": str, "name": str}, ("key", "name"), without_rowid=True)

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None:
        self._insert(log.store, (name for _, event in batch for name in event_parties(event)))

    def rebuild(self, log: LogReader) -> None:
        log.store.views.clear("party_names")
        names: set[str] = set()
        types = _TYPES
        if log.title_names is not None:  # the ownership view's rebuild read the names of most events already
            names.update(log.title_names)
            types = tuple(name for name in _TYPES if name not in TITLE_TYPES)
        for _, type_name, payload, version in log.store.views.events_of_types(types):
            data = codec.stored_fields(type_name, payload, version)  # only the names are read: no event is built
            for field in _FIELDS_OF[type_name]:
                value = data.get(field)
                if isinstance(value, str):
                    names.add(value)
                elif isinstance(value, (list, tuple)):
                    names.update(name for name in value if isinstance(name, str))
        self._insert(log.store, names)

    @staticmethod
    def _insert(store: Store, names: Iterable[str]) -> None:
        rows = sorted({(party_key(name), name) for name in names})
        store.views.add_facts("party_names", rows, columns=("key", "name"))  # spellings already noted stay as they are
