"""Register records -> events -> the ledger, in batches, with a report.

Each record becomes the events its conveyance means (see :func:`events_for`),
keyed by its reel/frame so that a re-run skips what is already there. Records
are committed a batch at a time (one ``append`` each, never splitting a
record), so an interrupted import leaves whole records and can be run again.
Purged records are appended and then retracted; a corrective record retracts
the record it names and records itself in its place, in one append.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

from ..errors import ImportFailed, InvalidEvent
from ..events import (
    Appended,
    Event,
    EventRetracted,
    LicenseGranted,
    PatentNumbersLinked,
    PatentsAssigned,
    RegisterRecord,
    SecurityInterestAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from ..ledger import Ledger
from ..parties import clean_name
from ..projections.reader import KEPT
from ..values import Source
from .records import (
    OWNERSHIP_KINDS,
    AssignmentRecord,
    Property,
    Unreadable,
    corrected_kind,
    corrected_ref,
)
from .report import ImportProblem, ImportReport

__all__ = ["DEFAULT_BATCH", "Loader", "events_for", "record_keys"]

#: Events per append: large enough to amortise a transaction, small enough to lose little if interrupted.
DEFAULT_BATCH = 2000
#: An import keeps at most this many of the events it appends in memory for the views' catch-up at its end
#: (about 0.4 KB each): the catch-up decodes those past it from the log, as it would without any.
MAX_KEPT = 400_000

_KIND_OF_TYPE = {
    "PatentsAssigned": "assignment",
    "SecurityInterestGranted": "security_interest",
    "SecurityInterestReleased": "release",
    "SecurityInterestAssigned": "security_assignment",
    "LicenseGranted": "licence",
    "RegisterRecord": "unclassified",
}


def _dated_as(event: Event, original: Event) -> Event:
    """A correction takes effect when the transfer it corrects did (executing it again later is no new
    transfer: the buyer held title all along)."""
    if original.effective is None or event.effective is None or original.effective.start >= event.effective.start:
        return event
    return attrs.evolve(event, effective=original.effective)


def record_keys(record: AssignmentRecord, count: int) -> list[str]:
    """Natural keys of a record's events: its reel/frame, then ``"#2"``, ``"#3"``... for more than one."""
    return [record.ref] + [f"{record.ref}#{n}" for n in range(2, count + 1)]


def _source(record: AssignmentRecord) -> Source:
    return Source(title=f"USPTO assignment {record.ref}: {record.conveyance}", publisher="USPTO",
                  published=record.recorded)


def _link_key(p: Property) -> str | None:
    """The natural key of the number link a listed property brings (None unless it has both numbers)."""
    return None if p.application is None or p.grant is None else f"{p.application}={p.grant}"


def _link(record: AssignmentRecord, p: Property, key: str, source: Source) -> PatentNumbersLinked:
    assert p.application is not None and p.grant is not None, "only properties with a link key"
    return PatentNumbersLinked(application=p.application, grant=p.grant, effective=p.granted, natural_key=key,
                               registry_ref=record.ref, sources=(source,))


def links_for(record: AssignmentRecord, source: Source | None = None) -> list[PatentNumbersLinked]:
    """One link per listed property that has both an application and a grant number (``source``: the
    record's, when the caller has it already)."""
    source = source or _source(record)
    return [_link(record, p, key, source) for p in record.properties if (key := _link_key(p)) is not None]


def events_for(
    record: AssignmentRecord, kind: str | None = None, note: str | None = None, *, source: Source | None = None
) -> list[Event]:
    """The events a record means, read as ``kind`` (default: its own), without number links (``source``: the
    record's, when the caller has it already).

    Title passes (assignment, nunc pro tunc, merger, change of name) for the
    listed properties; a security interest runs from each assignor (debtor) to
    each assignee; an assignment of a security interest moves the assignors' liens to
    the assignees; a release names every number of each property, so it closes
    an interest recorded under either; a licence runs from each assignor to
    each assignee, in the US; anything else is kept as a :class:`RegisterRecord`.
    """
    kind = kind or record.kind
    assignors = tuple(dict.fromkeys(clean_name(a.name) for a in record.assignors))  # one spelling rule for all
    assignees = tuple(dict.fromkeys(clean_name(name) for name in record.assignees))
    patents = tuple(dict.fromkeys(p.id for p in record.properties))
    common: dict[str, Any] = {
        "effective": record.executed or record.recorded,
        "registry_recorded": record.recorded,
        "registry_ref": record.ref,
        "sources": (source or _source(record),),
        "note": note or record.conveyance,
    }
    specs: list[tuple[type[Event], dict[str, Any]]]
    if kind in OWNERSHIP_KINDS or kind == "corrective":
        specs = [(PatentsAssigned, {"assignor": assignors, "assignee": assignees, "patents": patents,
                                    "by_inventors": record.inventors and kind in OWNERSHIP_KINDS})]
    elif kind == "security_interest":
        specs = [(SecurityInterestGranted, {"debtor": debtor, "secured_party": secured, "patents": patents})
                 for debtor in assignors for secured in assignees if debtor != secured]
    elif kind == "release":
        every_number = tuple(dict.fromkeys(n for p in record.properties for n in p.numbers))
        specs = [(SecurityInterestReleased, {"debtor": debtor, "secured_party": secured, "patents": every_number,
                                             "interest": corrected_ref(record.conveyance)})
                 for secured in assignors for debtor in assignees if debtor != secured]
    elif kind == "security_assignment":  # the liens pass from one lender or agent to another
        every_number = tuple(dict.fromkeys(n for p in record.properties for n in p.numbers))
        specs = [(SecurityInterestAssigned, {"secured_party": before, "successor": after, "patents": every_number,
                                             "interest": corrected_ref(record.conveyance)})
                 for before in assignors for after in assignees if before != after]
    elif kind == "licence":
        text = record.conveyance.upper()
        exclusive = "EXCLUSIVE" in text and "NON-EXCLUSIVE" not in text and "NONEXCLUSIVE" not in text
        pairs = [(lr, le) for lr in assignors for le in assignees if lr != le]
        specs = [(LicenseGranted, {"licence_id": f"USPTO {record.ref}" + (f"#{n}" if n > 1 else ""),
                                   "licensor": licensor, "licensee": licensee, "patents": patents,
                                   "territory": ("US",), "exclusive": exclusive})
                 for n, (licensor, licensee) in enumerate(pairs, start=1)]
    else:
        specs = [(RegisterRecord, {"conveyance": record.conveyance, "assignor": assignors, "assignee": assignees,
                                   "patents": patents})]
    if not specs:
        raise InvalidEvent("record", record.ref, "names the same party on both sides; nothing to record")
    keys = record_keys(record, len(specs))
    return [cls(**fields, **common, natural_key=key) for (cls, fields), key in zip(specs, keys)]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (and back as it was after).

    An import makes no reference cycles: its elements, records, events and rows all go by reference count. But
    each batch outlives the young generations, and every few batches that sets off a full collection, which
    walks every object alive (the interpreter's own included): 10-20% of an import's CPU for nothing. (A
    rebuild of the views pauses it the same way.)
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class Loader:
    """Feeds records to a ledger in batches and keeps the tally for the report."""

    def __init__(
        self, ledger: Ledger, source: str, *, importer: str, batch_size: int = DEFAULT_BATCH, strict: bool = False
    ) -> None:
        if not isinstance(ledger, Ledger):
            raise InvalidEvent("ledger", ledger, "expected a dealtrack Ledger (Ledger.open(...))")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidEvent("batch_size", batch_size, "expected a whole number of events, 1 or more")
        self.ledger = ledger
        self.source = source
        self.metadata = {"importer": importer, "file": source}
        self.batch_size = batch_size
        self.strict = strict  # a record left out fails the import instead of being reported
        self._pending: list[tuple[AssignmentRecord, list[Event]]] = []
        self._pending_events = 0
        self._links_seen: set[str] = set()
        self._kinds: Counter[str] = Counter()
        self._problems: list[ImportProblem] = []
        self._records = self._appended = self._skipped = self._events = self._retracted = 0
        self._keeping = False  # inside load(): the events appended are kept for the catch-up

    # --- feeding -----------------------------------------------------------------------

    def load(self, items: Iterable[AssignmentRecord | Unreadable]) -> ImportReport:
        """Import every item and return the report; on :class:`ImportFailed`, commit what was read first.

        The appends write only the log; the views catch up once, at the end (a bulk load), from the events
        appended kept in memory (:data:`~dealtrack.projections.reader.KEPT`, at most :data:`MAX_KEPT`).
        """
        memo = self.ledger._store.memo
        memo[KEPT] = {}
        self._keeping = True
        try:
            with _collector_paused(), self.ledger.bulk():
                try:
                    for item in items:
                        self.add(item)
                except ImportFailed:
                    self.flush()
                    raise
                self.flush()
        finally:
            self._keeping = False
            memo.pop(KEPT, None)
        return self.report()

    def add(self, item: AssignmentRecord | Unreadable) -> None:
        self._records += 1
        if isinstance(item, Unreadable):
            self._skip(item.where, item.reason)
            return
        self._kinds[item.kind] += 1
        if not item.properties:
            self._skip(item.where, "lists no properties; skipped")
            return
        if item.executed is None:
            self._problem(item.where, f"gives no execution date; taken to take effect when recorded ({item.recorded})")
        if item.purged or item.kind == "corrective":
            self.flush()  # these look up earlier records, which must be in the ledger first
            (self._purge if item.purged else self._correct)(item)
            return
        source = _source(item)  # one value, shared by the record's events and its links
        try:  # (the record's events first: a record that cannot be built leaves its links to a later one)
            built = events_for(item, source=source)
            events = self._links(item, source) + built
        except InvalidEvent as error:
            self._skip(item.where, f"skipped: {error}")
            return
        self._pending.append((item, events))
        self._pending_events += len(events)
        if self._pending_events >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Append the pending records in one transaction (record by record if one of them is refused)."""
        pending, self._pending, self._pending_events = self._pending, [], 0
        if not pending:
            return
        try:
            self._append(pending)
        except InvalidEvent:
            for one in pending:
                try:
                    self._append([one])
                except InvalidEvent as error:
                    self._skip(one[0].where, f"refused by the ledger, skipped: {error}")
                    self._forget_links(one[1])

    def report(self) -> ImportReport:
        return ImportReport(
            source=self.source,
            records=self._records,
            appended=self._appended,
            skipped=self._skipped,
            events=self._events,
            retracted=self._retracted,
            by_kind=self._kinds,
            problems=self._problems,
        )

    # --- helpers -------------------------------------------------------------------------

    def _append(self, pending: Sequence[tuple[AssignmentRecord, list[Event]]], *extra: Event, keep: bool = True) -> None:
        """Append ``pending`` (and ``extra``) in one append; ``keep=False`` inside a transaction of the caller's."""
        result = self.ledger.append(*(e for _, events in pending for e in events), *extra, metadata=self.metadata)
        if keep:
            self._keep(result)
        skipped = {s.natural_key for s in result.skipped}
        for record, _ in pending:
            if record.ref in skipped:
                self._skipped += 1
            else:
                self._appended += 1
        self._events += len(result)

    def _links(self, record: AssignmentRecord, source: Source | None = None) -> list[Event]:
        """The number links of ``record`` that this import has not brought yet, now counted as brought.

        Keys are checked before any link is built (most properties recur: building their links only to drop
        them was a third of the mapping); all of the record's links are built before any key is counted, so a
        link that cannot be built leaves the seen keys as they were.
        """
        seen = self._links_seen
        wanted: dict[str, Property] = {}
        for p in record.properties:
            key = _link_key(p)
            if key is not None and key not in seen and key not in wanted:
                wanted[key] = p
        if not wanted:
            return []
        source = source or _source(record)
        fresh: list[Event] = [_link(record, p, key, source) for key, p in wanted.items()]
        seen.update(wanted)
        return fresh

    def _keep(self, result: Appended) -> None:
        """Keep the events of a committed append for the catch-up (see :meth:`load`); never those of an append
        inside a transaction, which may still be rolled back (a rollback clears the memo, and these with it)."""
        memo = self.ledger._store.memo
        kept: dict[int, Event] | None = memo.get(KEPT)
        if kept is None:  # a rollback (a purged record refused) cleared the memo: keep what comes from now on
            if not self._keeping:
                return
            kept = memo[KEPT] = {}
        if len(kept) + len(result) > MAX_KEPT:
            return
        for recorded in result:
            kept[recorded.position] = recorded.event

    def _forget_links(self, events: Iterable[Event]) -> None:
        """The links among a record's ``events`` did not land: a later record of the same property brings them."""
        self._links_seen.difference_update(
            e.natural_key for e in events if isinstance(e, PatentNumbersLinked) and e.natural_key)

    def _problem(self, where: str, reason: str) -> None:
        self._problems.append(ImportProblem(where, reason))

    def _skip(self, where: str, reason: str) -> None:
        """A record left out: reported, or with ``strict`` the end of the import (what came before it stays)."""
        self._problem(where, reason)
        if self.strict:
            raise ImportFailed(self.source, where, f"{reason} (strict: the import stops here)")

    def _recorded(self, ref: str) -> list[tuple[str, str, str]]:
        """``(natural key, event_id, type)`` of the events a record's reel/frame put in the ledger."""
        return self.ledger._store.recorded_under(ref)

    def _purge(self, record: AssignmentRecord) -> None:
        """A record the register purged: recorded (if new) and retracted in one transaction, so that it
        counts nowhere, even for a moment (a crash between the two would have left it live)."""
        tally = (self._appended, self._skipped, self._events, self._retracted)
        links: list[Event] = []  # their keys are new to the import: forgotten again if the ledger refuses
        try:
            with self.ledger._atomic():
                links = self._links(record)
                self._append([(record, links + events_for(record))], keep=False)  # (inside the transaction)
                retractions = [
                    EventRetracted(target=event_id, reason=f"purged from the USPTO register (record {record.ref})",
                                   registry_ref=record.ref, natural_key=f"{key} purged")
                    for key, event_id, _ in self._recorded(record.ref)
                ]
                result = self.ledger.append(*retractions, metadata=self.metadata)
        except InvalidEvent as error:
            self._appended, self._skipped, self._events, self._retracted = tally
            self._forget_links(links)
            self._skip(record.where, f"purged record refused by the ledger, skipped: {error}")
            return
        self._events += len(result)
        if result:
            self._retracted += 1

    def _correct(self, record: AssignmentRecord) -> None:
        """A corrective record: retract what it corrects and record it in its place, in one append."""
        if self._recorded(record.ref):
            self._skipped += 1
            return
        target = corrected_ref(record.conveyance)
        found = [] if target is None else self._recorded(target)
        if not found:
            kind = corrected_kind(record.conveyance)
            why = "names no reel/frame it corrects" if target is None else f"corrects {target}, which is not in the ledger"
            self._problem(record.where, f"{why}; imported as an ordinary {kind.replace('_', ' ')}")
            self._add_as(record, kind, note=record.conveyance)
            return
        kind = _KIND_OF_TYPE.get(found[0][2], "assignment")
        note = f"corrects {target}: {record.conveyance}"
        try:
            dated = [_dated_as(event, self.ledger.get(found[0][1]).event) for event in events_for(record, kind, note=note)]
            replacement = self._links(record) + dated
        except InvalidEvent as error:
            self._skip(record.where, f"skipped: {error}")
            return
        retractions = [
            EventRetracted(target=event_id, reason=f"corrected by USPTO record {record.ref}", registry_ref=record.ref,
                           natural_key=f"{key} corrected by {record.ref}")
            for key, event_id, _ in found
        ]
        try:
            self._append([(record, replacement)], *retractions)
        except InvalidEvent as error:  # e.g. what it corrects was retracted already
            self._forget_links(replacement)  # (recorded below without the retraction: its links go in with it)
            self._problem(record.where, f"could not retract {target} ({error}); recorded without retracting it")
            self._add_as(record, kind, note=note)
            return
        self._retracted += 1

    def _add_as(self, record: AssignmentRecord, kind: str, note: str) -> None:
        events: list[Event] = []
        try:
            built = events_for(record, kind, note=note)
            events = self._links(record) + built
            self._append([(record, events)])
        except InvalidEvent as error:
            self._forget_links(events)
            self._skip(record.where, f"refused by the ledger, skipped: {error}")
