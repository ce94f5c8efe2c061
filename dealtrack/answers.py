"""The values questions return: small frozen records that also read well as rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from . import tables
from .codec import unstructure
from .errors import InvalidEvent
from .events import Recorded
from .values import Period

__all__ = [
    "Anchor",
    "Anomalies",
    "Anomaly",
    "Ban",
    "Bans",
    "Basis",
    "Encumbrance",
    "Encumbrances",
    "EventLog",
    "Explanation",
    "Licence",
    "Licences",
    "OwnersByPatent",
    "Licensees",
    "Parties",
    "Party",
    "Portfolio",
    "Problem",
    "Span",
    "Standing",
    "TitleChain",
    "Transfer",
    "Transfers",
    "VerifyReport",
]


@attrs.frozen
class Portfolio:
    """What a party held during a period: listed patents plus deals' undisclosed ones.

    ``len()`` counts both; iterating yields the listed patent ids.
    """

    party: str
    on: Period
    patents: frozenset[str]
    undisclosed: int = 0

    def __len__(self) -> int:
        return len(self.patents) + self.undisclosed

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.patents))

    def __contains__(self, patent: object) -> bool:
        return patent in self.patents

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per listed patent, then one row for the undisclosed ones (if any)."""
        rows: list[dict[str, Any]] = [{"party": self.party, "patent": p, "count": 1} for p in self]
        if self.undisclosed:
            rows.append({"party": self.party, "patent": None, "count": self.undisclosed})
        return rows

    def to_frame(self) -> Any:
        """:meth:`to_rows` as a pandas DataFrame (needs the ``pandas`` extra)."""
        return tables.frame(self.to_rows(), ["party", "patent", "count"])

    def summary(self) -> str:
        """One line: the party, the period and the count, listed and undisclosed."""
        return (f"{self.party} on {self.on}: {len(self)} patents "
                f"({len(self.patents)} listed, {self.undisclosed} undisclosed)")

    def _repr_html_(self) -> str:
        return tables.html_table(self.to_rows(), ["party", "patent", "count"], self.summary())

    def __str__(self) -> str:
        return tables.text_table(self.to_rows(), ["party", "patent", "count"], self.summary())


def basis_row(on: Period | None, known_at: datetime | None, registry_at: date | None) -> dict[str, Any]:
    """The basis an answer was asked on, as row columns: ``on``, ``known_at``, ``registry_at``."""
    return {"on": None if on is None else str(on), "known_at": known_at, "registry_at": registry_at}


class OwnersByPatent(Mapping[str, frozenset[str]]):
    """What :meth:`Ledger.owners_of_many` returns: patent id -> owners, on one basis.

    A read-only mapping (in the order the patents were asked) that is also a
    table: ``to_rows()`` / ``to_frame()`` give one row per patent with its
    owners as a list and the basis (``on``, ``known_at``, ``registry_at``).
    """

    COLUMNS = ["patent", "owners", "on", "known_at", "registry_at"]

    def __init__(self, owners: Mapping[str, frozenset[str]], on: Period, known_at: datetime | None = None,
                 registry_at: date | None = None) -> None:
        self._owners = dict(owners)
        self.on, self.known_at, self.registry_at = on, known_at, registry_at

    def __getitem__(self, patent: str) -> frozenset[str]:
        return self._owners[patent]

    def __iter__(self) -> Iterator[str]:
        return iter(self._owners)

    def __len__(self) -> int:
        return len(self._owners)

    def __repr__(self) -> str:
        return f"OwnersByPatent({self._owners!r}, on={str(self.on)!r})"

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per patent: its owners (a sorted list) and the basis."""
        basis = basis_row(self.on, self.known_at, self.registry_at)
        return [{"patent": patent, "owners": sorted(owners), **basis} for patent, owners in self._owners.items()]

    def to_frame(self) -> Any:
        """:meth:`to_rows` as a pandas DataFrame (needs the ``pandas`` extra); owners stay lists."""
        return tables.frame(self.to_rows(), self.COLUMNS)

    def caption(self) -> str:
        basis = "".join(f", {name} {value}" for name, value in
                        (("known at", self.known_at), ("registry at", self.registry_at)) if value)
        return f"Owners of {len(self)} patent{'' if len(self) == 1 else 's'} on {self.on}{basis}"

    def _repr_html_(self) -> str:
        return tables.html_table(self.to_rows(), ["patent", "owners"], self.caption())

    def __str__(self) -> str:
        return tables.text_table(self.to_rows(), ["patent", "owners"], self.caption())


@attrs.frozen
class Anomaly:
    """Something in the record that does not add up, kept rather than rejected."""

    kind: str
    subject: str
    position: int
    event_id: str
    message: str
    related: tuple[str, ...] = ()  # the ids of the other events involved (e.g. a conflicting report)

    def to_row(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _anchor_position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidEvent("Anchor.position", value, "expected a position (a whole number >= 0)")
    return value


def _anchor_hash(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InvalidEvent("Anchor.hash", value, "expected a SHA-256 hash: 64 lower-case hex digits")
    return value


@attrs.frozen
class Anchor:
    """The head of a log at some moment: its last position and that event's chained hash.

    Keep it somewhere else (a notebook, an email, a ticket); ``verify(anchor=...)``
    later proves the log still extends it, i.e. nothing up to that position was
    changed, removed or rewritten. ``str(anchor)`` is ``"position:hash"``;
    :meth:`parse` reads it back.
    """

    position: int = attrs.field(validator=lambda _, __, value: _anchor_position(value))
    hash: str = attrs.field(validator=lambda _, __, value: _anchor_hash(value))  # noqa: A003

    @classmethod
    def parse(cls, value: Any) -> Anchor:
        """An Anchor from itself or its text form ``"position:hash"``."""
        if isinstance(value, Anchor):
            return value
        if isinstance(value, str):
            position, colon, digest = value.strip().partition(":")
            if colon and position.isdecimal() and position.isascii():
                return cls(int(position), digest)
        raise InvalidEvent("anchor", value, "expected an Anchor or its text 'position:hash' (from ledger.head())")

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"


@attrs.frozen
class Problem:
    """One thing :meth:`Ledger.verify` found wrong, at the first position it shows."""

    position: int
    kind: str
    message: str


@attrs.frozen
class VerifyReport:
    """What :meth:`Ledger.verify` checked and found; true when all is well."""

    events_checked: int
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The problem at the lowest position (where the trouble starts), or None when all is well."""
        return min(self.problems, key=lambda problem: problem.position, default=None)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.events_checked} events, hash chain intact, views in step"
        return "\n".join(f"position {p.position}: {p.kind}: {p.message}" for p in self.problems)


@attrs.frozen
class Licence:
    """One direction of a live licence: ``licensor`` lets ``licensee`` use ``patents`` in ``territory``.

    ``patents`` is None for a portfolio licence (what the licensor held on ``valid_from``).
    """

    licence_id: str
    licensor: str
    licensee: str
    patents: tuple[str, ...] | None
    territory: tuple[str, ...]
    field: str | None
    exclusive: bool
    sublicensable: bool
    valid_from: date
    valid_to: date | None

    def covers(self, territory: str | None) -> bool:
        """True when the licence applies in ``territory`` (None: anywhere)."""
        return territory is None or "WORLD" in self.territory or territory in self.territory

    def to_row(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Ban:
    """A sales ban as it stood: who may not sell what, where, resting on which patents."""

    ban_id: str
    against: tuple[str, ...]
    territory: tuple[str, ...]
    authority: str
    requested_by: str | None
    case: str | None
    products: tuple[str, ...] | None  # None: every product
    patents: tuple[str, ...]  # the patents it still rests on
    exempt_products: tuple[str, ...]
    conditions: str | None
    valid_from: date
    valid_to: date | None

    def to_row(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Encumbrance:
    """A right someone else holds over a patent: a security interest or a licence."""

    kind: str  # "security_interest" or "licence"
    patent: str
    holder: str  # the secured party or the licensee
    grantor: str  # the debtor or the licensor
    reference: str | None  # the licence id, if any
    valid_from: date
    valid_to: date | None

    def to_row(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Standing:
    """A party's position on a date and territory: what it holds, its licences, the bans against it."""

    party: str
    on: Period
    territory: str | None
    portfolio: Portfolio
    licences_in: tuple[Licence, ...]
    licences_out: tuple[Licence, ...]
    bans: tuple[Ban, ...]

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per item, with a ``section`` column: holding, licence_in, licence_out, ban."""
        rows: list[dict[str, Any]] = [{"section": "holding", **row} for row in self.portfolio.to_rows()]
        rows += [{"section": "licence_in", **licence.to_row()} for licence in self.licences_in]
        rows += [{"section": "licence_out", **licence.to_row()} for licence in self.licences_out]
        rows += [{"section": "ban", **ban.to_row()} for ban in self.bans]
        return rows

    def to_frame(self) -> Any:
        """:meth:`to_rows` as a pandas DataFrame (needs the ``pandas`` extra)."""
        return tables.frame(self.to_rows())

    def sections(self) -> list[tuple[str, list[dict[str, Any]], list[str]]]:
        """``(title, rows, columns)`` for each part of the report, as the HTML and text views show it."""
        where, held = f" in {self.territory}" if self.territory else "", self.portfolio
        licence = ["licence_id", "licensor", "licensee", "patents", "territory", "exclusive", "valid_from", "valid_to"]
        ban = ["ban_id", "territory", "authority", "patents", "exempt_products", "conditions", "valid_from", "valid_to"]
        return [
            (f"{self.party} on {self.on}{where}: holds {len(held)} patents "
             f"({len(held.patents)} listed, {held.undisclosed} undisclosed)", held.to_rows(), ["patent", "count"]),
            (f"licences held: {len(self.licences_in)}", tables.record_rows(self.licences_in), licence),
            (f"licences granted: {len(self.licences_out)}", tables.record_rows(self.licences_out), licence),
            (f"bans against {self.party}{where}: {len(self.bans)}", tables.record_rows(self.bans), ban),
        ]

    def _repr_html_(self) -> str:
        return "".join(tables.html_table(rows, columns, title) for title, rows, columns in self.sections())

    def __repr__(self) -> str:
        return "\n\n".join(tables.text_table(rows, columns, title) for title, rows, columns in self.sections())


@attrs.frozen
class Party:
    """One party as :meth:`Ledger.parties` finds it: its normalised key, its spellings and what they hold.

    ``names`` are the spellings recorded for it, most patents first; ``counts`` the patents each held on
    the date asked; ``patents`` how many distinct patents the party held then (listed ones).

    .. versionadded:: 0.15
    """

    key: str
    names: tuple[str, ...]
    patents: int
    counts: tuple[int, ...]

    def to_row(self) -> dict[str, Any]:
        return {"key": self.key, "names": " | ".join(self.names), "patents": self.patents,
                "counts": " | ".join(str(c) for c in self.counts)}


@attrs.frozen
class Transfer:
    """A change of title: ``patent`` passed from ``assignor`` to ``assignee`` on ``effective`` (event ``event_id``).

    .. versionadded:: 0.15
    """

    patent: str
    assignor: tuple[str, ...]
    assignee: tuple[str, ...]
    effective: Period
    event_id: str
    deal: str | None = None

    def to_row(self) -> dict[str, Any]:
        return {"patent": self.patent, "assignor": " / ".join(self.assignor), "assignee": " / ".join(self.assignee),
                "effective": str(self.effective), "event_id": self.event_id, "deal": self.deal}


class Licensees(frozenset[str]):
    """What :meth:`Ledger.licensees_of` found: a frozenset of names, with ``fields``: for each licensee whose
    every covering licence is limited to a field of use (when no ``field`` was asked), those fields.

    .. versionadded:: 0.15
    """

    fields: dict[str, tuple[str, ...]]

    def __new__(cls, names: Iterable[str] = (), fields: dict[str, tuple[str, ...]] | None = None) -> Licensees:
        made = super().__new__(cls, names)
        made.fields = dict(fields or {})
        return made

    def __repr__(self) -> str:
        return f"frozenset({set(self)!r})" if self else "frozenset()"

    if TYPE_CHECKING:  # frozenset's own, declared so that strict checkers let it equal a set literal

        def __eq__(self, other: object) -> bool: ...
        def __hash__(self) -> int: ...


class Parties(tables.RecordList):
    """The parties :meth:`Ledger.parties` found: a list that is also a table."""

    item = Party
    caption = "parties"


class Transfers(tables.RecordList):
    """The changes of title :meth:`Ledger.transfers` found: a list that is also a table."""

    item = Transfer
    caption = "transfers"


class Anomalies(tables.RecordList):
    """The anomalies :meth:`Ledger.anomalies` found: a list that is also a table."""

    item = Anomaly
    caption = "anomalies"


class Bans(tables.RecordList):
    """The bans :meth:`Ledger.active_bans` found: a list that is also a table."""

    item = Ban
    caption = "bans"


class Encumbrances(tables.RecordList):
    """What :meth:`Ledger.encumbrances` found: a list that is also a table."""

    item = Encumbrance
    caption = "encumbrances"


class Licences(tables.RecordTuple):
    """Licences (as in :attr:`Standing.licences_in`): a tuple that is also a table."""

    item = Licence
    caption = "licences"


EVENT_COLUMNS = ["position", "event_id", "recorded_at", "type", "effective", "deal", "registry_recorded", "details"]


def event_row(recorded: Recorded) -> dict[str, Any]:
    """One log entry as a row: its envelope, common fields, and its own fields under ``details``."""
    event = recorded.event
    fields = unstructure(event)
    common = ("effective", "deal", "registry_recorded")
    details = {key: value for key, value in fields.items() if key not in common and value not in (None, [], ())}
    return {
        "position": recorded.position,
        "event_id": recorded.event_id,
        "recorded_at": recorded.recorded_at,
        "type": event.type,
        "effective": None if event.effective is None else str(event.effective),
        "deal": event.deal,
        "registry_recorded": event.registry_recorded,
        "details": details,
    }


class EventLog(Iterator[Recorded]):
    """What :meth:`Ledger.events` returns: an iterator of :class:`Recorded`, read lazily.

    ``to_rows()`` / ``to_frame()`` read what is left of it into a table.
    """

    def __init__(self, records: Iterable[Recorded]) -> None:
        self._records = iter(records)

    def __next__(self) -> Recorded:
        return next(self._records)

    def __iter__(self) -> EventLog:
        return self

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per remaining event (see :func:`event_row`)."""
        return [event_row(recorded) for recorded in self]

    def to_frame(self) -> Any:
        """The remaining events as a pandas DataFrame (needs the ``pandas`` extra)."""
        return tables.frame(self.to_rows(), EVENT_COLUMNS)


@attrs.frozen
class Basis:
    """What an answer counts: the log up to ``position`` (as it stood at ``known_at``) and, with
    ``registry_at``, only what a public register had recorded by that day."""

    position: int
    known_at: datetime | None = None
    registry_at: date | None = None


@attrs.frozen
class Span:
    """One stretch of a chain of title: ``owners`` held it from ``start`` until ``end``.

    ``end`` is the day the next holding began (exclusive; None = still held).
    ``certain`` is False where an imprecise date or conflicting reports leave
    the holders open; ``events`` are the events behind the span.
    """

    owners: frozenset[str]
    start: date
    end: date | None
    certain: bool
    events: tuple[Recorded, ...]

    @property
    def sources(self) -> tuple[Any, ...]:
        """Every source cited by the events behind the span, once each."""
        return tuple(dict.fromkeys(source for recorded in self.events for source in recorded.event.sources))

    @property
    def holders(self) -> str:
        """The owners as text: "A and B" when they held it jointly, "A or B" when it is uncertain which."""
        return (" and " if self.certain else " or ").join(sorted(self.owners))

    def to_row(self) -> dict[str, Any]:
        return {
            "owners": sorted(self.owners),
            "start": self.start,
            "end": self.end,
            "certain": self.certain,
            "events": [recorded.event_id for recorded in self.events],
        }


@attrs.frozen
class TitleChain:
    """A patent's holdings in order, on one basis; iterate it for its :class:`Span` s."""

    patent: str
    basis: Basis
    spans: tuple[Span, ...]

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, index: int) -> Span:
        return self.spans[index]

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per span: owners as a list, ``certain`` (False: one of them, unknown which) and the basis."""
        basis = basis_row(None, self.basis.known_at, self.basis.registry_at)
        del basis["on"]
        return [{"patent": self.patent, **span.to_row(), **basis} for span in self.spans]

    def to_frame(self) -> Any:
        """:meth:`to_rows` as a pandas DataFrame (needs the ``pandas`` extra)."""
        return tables.frame(self.to_rows(), ["patent", "owners", "start", "end", "certain", "events",
                                             "known_at", "registry_at"])

    def display(self) -> tuple[list[dict[str, Any]], list[str], str]:
        """Rows for display: events by log position, the basis in the title."""
        rows = [{**span.to_row(), "owners": span.holders, "events": [f"#{r.position}" for r in span.events]}
                for span in self.spans]
        basis = "".join(f", {name} {value}" for name, value in
                        (("known at", self.basis.known_at), ("registry at", self.basis.registry_at)) if value)
        return rows, ["owners", "start", "end", "certain", "events"], f"Chain of title of {self.patent}{basis}"

    def _repr_html_(self) -> str:
        return tables.html_table(*self.display())

    def __repr__(self) -> str:
        return tables.text_table(*self.display())


@attrs.frozen
class Explanation:
    """An answer and the events that produced it, in log order."""

    question: str
    answer: Any
    events: tuple[Recorded, ...]

    @property
    def sources(self) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(source for recorded in self.events for source in recorded.event.sources))

    def to_rows(self) -> list[dict[str, Any]]:
        return [
            {"position": r.position, "event_id": r.event_id, "type": r.event.type,
             "effective": None if r.event.effective is None else str(r.event.effective)}
            for r in self.events
        ]
