"""What a projection sees of the log, and what a projection must provide."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from .. import codec
from ..events import Event, EventRetracted
from ..sqlite.store import Store
from .history import Fact
from .title import renamed_names

__all__ = ["KEPT", "TITLE_TYPES", "LogReader", "Projection", "RenameGroups"]

#: The ``store.memo`` key of the events a bulk load appended (``position -> event``), kept in memory by the
#: loader so that the catch-up at the block's end folds them without reading and decoding them back (see
#: :meth:`LogReader.decoded`). Only committed appends go in; a rollback clears the memo, and with it these.
KEPT = "appended events"

#: The events that bear on a chain of title as facts of their own (renames and mergers join them by name).
TITLE_TYPES = ("PatentRegistered", "PatentsAssigned")

_RENAME_TYPES = ("PartyRenamed", "PartiesMerged")


class RenameGroups:
    """Renames and mergers grouped by the names they link: a name's group is every rename reachable from it.

    The same set :func:`.ownership.relevant_renames` grows one rename at a
    time, found here in one union-find pass.
    """

    def __init__(self, renames: Sequence[Fact]) -> None:
        parent: dict[str, str] = {}

        def root(name: str) -> str:
            while parent.setdefault(name, name) != name:
                parent[name] = parent[parent[name]]
                name = parent[name]
            return name

        pairs = []
        for fact in renames:
            pair = renamed_names(fact[1])
            if pair is not None:
                parent[root(pair[0])] = root(pair[1])
                pairs.append((pair[0], fact))
        self._group = {name: root(name) for name in parent}
        self._members: dict[str, list[Fact]] = {}
        for name, fact in pairs:
            self._members.setdefault(self._group[name], []).append(fact)
        self._names: dict[str, set[str]] = {}
        for name, group in self._group.items():
            self._names.setdefault(group, set()).add(name)

    @property
    def linked_any(self) -> bool:
        """Whether any rename or merger links names at all (else :meth:`renames_of` is always empty)."""
        return bool(self._members)

    def knows(self, names: Iterable[str]) -> bool:
        """Whether any of ``names`` is linked by some rename or merger (:meth:`renames_of` finds some).

        Walks the smaller of ``names`` (a few) and the renamed names when ``names`` is a set.
        """
        return not self._group.keys().isdisjoint(names)

    def names(self, group: str) -> set[str]:
        """Every name in ``group``."""
        return set(self._names.get(group, ()))

    def linked(self, names: Iterable[str]) -> set[str]:
        """``names`` and every name a chain of renames links to any of them."""
        found = set(names)
        for group in self.groups_of(found):
            found |= self._names[group]
        return found

    def groups_of(self, names: Iterable[str]) -> set[str]:
        return {self._group[name] for name in names if name in self._group}

    def renames_of(self, names: Iterable[str]) -> list[Fact]:
        """Every rename linked to any of ``names``, in position order."""
        found: list[Fact] = []
        for group in self.groups_of(names):
            found.extend(self._members[group])
        return sorted(found, key=lambda fact: fact[0])


class LogReader:
    """Read access to the log for projections, decoding each event at most once per use.

    ``batch`` seeds it with the events of the append being applied, so they
    are never read back from the table they were just written to.
    """

    def __init__(
        self,
        store: Store,
        batch: Iterable[Fact] = (),
        ends: Sequence[int] | None = None,
        after: int | None = None,
        upto: int | None = None,
        head: int | None = None,
    ) -> None:
        self.store = store
        self._head = head  # the log's head when the caller has just read it (None: read it when needed)
        # ``upto``: the log as it stood at that position (a catch-up folds the log in steps, and each step must
        # not see retractions or renames recorded after it); None: the whole log
        self.upto = upto
        self._events: dict[int, Event] = dict(batch)
        self._kept: dict[int, Event] = store.memo.get(KEPT) or {}  # events a bulk load appended (see KEPT)
        # Commit points (see .history): ``ends`` lists them for the batch (by default its last position); a
        # position outside it is looked up in the log. ``after`` is the last commit point before the batch:
        # earlier than the batch's start only when the batch continues the recorded time of the log's end.
        self._ends = sorted(ends) if ends is not None else [max(self._events)] if self._events else []
        self._first = min(self._events, default=0)
        self.after = self._first - 1 if after is None else after
        self._points: dict[int, int] = {}
        self._retracted: dict[int, int] | None = None
        self._renames: list[Fact] | None = None
        self._groups: RenameGroups | None = None
        #: The party names the log's registrations and assignments record, when a rebuild of the ownership
        #: view read them on its way (see :data:`TITLE_TYPES`): a rebuild of the party names then reads only
        #: the other events. None: not known.
        self.title_names: set[str] | None = None
        #: For a rebuild: the keyed views that read their keys off stored fields (``KeyedView.stored_keys``), by
        #: name, with their event types: another view's rebuild that reads events of some of those types anyway
        #: (the ownership view, the title events) notes their keys in :attr:`noted_keys` on its way.
        self.key_readers: dict[str, tuple[tuple[str, ...], Callable[[str, Mapping[str, Any]], Iterable[str]]]] = {}
        #: ``view name -> (the event types covered, [(key, position), ...])``: the keys noted for that view, of
        #: every event of the covered types (the view reads only its other types' events).
        self.noted_keys: dict[str, tuple[tuple[str, ...], list[tuple[str, int]]]] = {}

    @property
    def reopened(self) -> bool:
        """True when the batch continues the recorded time of the log's end: rows stored past
        :attr:`after` were folded at a point that is no longer a commit point, and are folded again."""
        return self.after < self._first - 1

    def fold_point(self, position: int) -> int:
        """The commit point of ``position``: the last position recorded at the same time."""
        ends = self._ends
        if ends and self._first <= position <= ends[-1]:
            return ends[bisect.bisect_left(ends, position)]
        found = self._points.get(position)
        if found is None:
            found = self._points[position] = self.store.commit_point(position)
        return found

    def facts(self, positions: Iterable[int]) -> list[Fact]:
        """``(position, event)`` for each position, in position order."""
        wanted = sorted(set(positions))
        events = self._events
        kept = self._kept
        missing = [pos for pos in wanted if pos not in events and pos not in kept]
        for position, type_name, payload, version in self.store.payloads_at(missing):
            events[position] = codec.decode_stored(type_name, payload, version)
        return [(pos, events[pos] if pos in events else kept[pos]) for pos in wanted]

    def decoded(self, position: int, type_name: str, payload: str, version: int) -> Event:
        """The event stored at ``position`` as ``(type_name, payload, version)``: the one a bulk load appended
        there when it kept it (:data:`KEPT`, the same event), else decoded from the payload."""
        event = self._kept.get(position)
        if event is None:
            return codec.decode_stored(type_name, payload, version)
        return event

    def advance(self, head: int) -> None:
        """Read the log as it stands at ``head``, a later head than the one given, when no event after that one
        is a rename, a merger or a retraction (a tail's: see :func:`.tail.tail_reading`): what was found of
        those holds; the commit points found are found again (a later event may share a recorded time)."""
        assert self.upto is None
        self._head = head
        self._points.clear()

    def head(self) -> int:
        """The log's head position (as the caller read it, or read now)."""
        return self.store.head()[0] if self._head is None else self._head

    def retracted(self) -> dict[int, int]:
        """``target position -> retracting position`` for the whole log (read again only when the log grew)."""
        if self._retracted is None:
            head = self.head()
            kept = self.store.memo.get("retracted")
            if kept is None or kept[0] > head:
                kept = self.store.memo["retracted"] = (head, self.store.views.retractions())
            elif kept[0] < head:  # retractions are only ever added, each at its own (new) position: read the new ones
                new = self.store.views.retractions(kept[0])
                kept = self.store.memo["retracted"] = (head, {**kept[1], **new} if new else kept[1])
            upto = self.upto
            retracted: dict[int, int] = kept[1] if upto is None else {t: p for t, p in kept[1].items() if p <= upto}
            self._retracted = retracted
        return self._retracted

    def retracted_among(self, positions: Iterable[int]) -> dict[int, int]:
        """The part of :meth:`retracted` about ``positions`` (one indexed look-up, not the whole table)."""
        if self._retracted is not None:
            return {pos: self._retracted[pos] for pos in positions if pos in self._retracted}
        found = self.store.retractions_of(positions)
        return found if self.upto is None else {t: p for t, p in found.items() if p <= self.upto}

    def targets(self, batch: Iterable[Fact]) -> dict[int, int]:
        """``retracting position -> target position`` for the retractions in ``batch``."""
        retractions = [(position, event) for position, event in batch if isinstance(event, EventRetracted)]
        if not retractions:
            return {}
        found = self.store.positions_of(event.target for _, event in retractions)
        return {position: found[event.target] for position, event in retractions}

    def renames(self) -> list[Fact]:
        """Every rename and merger in the log, in position order (found and decoded once per connection)."""
        if self._renames is None:
            memo = self.store.memo
            known: list[Fact] = memo.setdefault("renames", [])
            # the log only grows: look only past the last position already searched
            searched = memo.get("renames_searched", 0)
            head = self.head()
            if head > searched:
                positions = self.store.views.positions_of_types(_RENAME_TYPES, searched)
                # a new list, never one changed in place: a reader keeps the list it took (no copy per question)
                known = memo["renames"] = known + self.facts(positions)
                memo["renames_searched"] = head
            self._renames = known if self.upto is None else [fact for fact in known if fact[0] <= self.upto]
        return self._renames

    def rename_groups(self) -> RenameGroups:
        """The renames grouped by the names they link (see :class:`RenameGroups`)."""
        if self._groups is None:
            renames = self.renames()
            kept = self.store.memo.get("rename_groups")
            if kept is None or kept[0] != len(renames):  # renames only ever grow in number
                kept = self.store.memo["rename_groups"] = (len(renames), RenameGroups(renames))
            groups: RenameGroups = kept[1]
            self._groups = groups
        return self._groups


class Projection(Protocol):
    """A view of the log: its tables, its upkeep per append, and its rebuild."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int:
        """Bump when the view's rows change shape or meaning: the view is rebuilt on open."""
        ...

    @property
    def folded(self) -> tuple[str, ...]:
        """The tables whose rows carry ``known_from``/``known_to`` commit points from :func:`.history.advance`."""
        ...

    def create(self, store: Store) -> None: ...

    def apply(self, log: LogReader, batch: Sequence[Fact]) -> None: ...

    def rebuild(self, log: LogReader) -> None: ...
