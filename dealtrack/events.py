"""The event catalogue: every fact dealtrack records, as frozen attrs classes.

Events are plain data. They normalise what they are given (patent ids,
partial dates, a single party where a tuple is expected) and refuse what
cannot be right on its own (a licence expiring before it starts, a negative
``disclosed_count``) with :class:`~dealtrack.errors.InvalidEvent`. Checks that
need the log (an unknown ``ban_id``) happen at append.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar

import attrs

from .errors import InvalidEvent
from .values import (
    Money,
    Period,
    Source,
    normalize_patent,
    parse_date,
    parse_party,
    parse_period,
    parse_territory,
    storable,
)

__all__ = [
    "EVENT_TYPES",
    "Appended",
    "BanImposed",
    "BanLifted",
    "BanModified",
    "CrossLicenseAgreed",
    "DealAnnounced",
    "Event",
    "EventRetracted",
    "LicenseGranted",
    "LicenseTerminated",
    "PartiesMerged",
    "PartyRenamed",
    "PatentLapsed",
    "PatentNumbersLinked",
    "PatentRegistered",
    "PatentsAssigned",
    "Recorded",
    "RegisterRecord",
    "SecurityInterestAssigned",
    "SecurityInterestGranted",
    "SecurityInterestReleased",
    "Skipped",
]

T = TypeVar("T")


# --- converters: each knows the field it converts, so errors can name it --------


class _Required:
    """The default of a field that must be given (so leaving it out is an InvalidEvent, not a TypeError)."""

    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()


def _named(parse: Callable[[Any, str], T]) -> Any:
    """Wrap ``parse(value, "Class.field")`` as an attrs converter."""

    def convert(value: Any, self_: Any, field: attrs.Attribute) -> T:  # type: ignore[type-arg]
        name = f"{type(self_).__name__}.{field.name}"
        if value is REQUIRED:
            raise InvalidEvent(name, None, "is required")
        return parse(value, name)

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def _optional(parse: Callable[[Any, str], T]) -> Callable[[Any, str], T | None]:
    return lambda value, name: None if value is None else parse(value, name)


def _many(parse: Callable[[Any, str], T], *, allow_empty: bool) -> Callable[[Any, str], tuple[T, ...]]:
    """A tuple of parsed items; a lone string counts as a one-element tuple."""

    def parse_many(value: Any, name: str) -> tuple[T, ...]:
        if isinstance(value, str):
            value = (value,)
        if not isinstance(value, Iterable) or isinstance(value, (bytes, dict)):
            raise InvalidEvent(name, value, "expected a sequence (a list or a tuple)")
        items = tuple(dict.fromkeys(parse(item, name) for item in value))
        if not items and not allow_empty:
            raise InvalidEvent(name, value, "at least one is needed")
        return items

    return parse_many


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(name, value, "expected a non-empty string")
    return storable(value.strip(), name)


def _optional_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(name, value, "expected a string or None")
    return storable(value.strip(), name) or None


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidEvent(name, value, "expected True or False")
    return value


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEvent(name, value, "expected a whole number")
    if value < 0:
        raise InvalidEvent(name, value, "a count cannot be negative")
    return value


def _source(value: Any, name: str) -> Source:
    if not isinstance(value, Source):
        raise InvalidEvent(name, value, "expected a dealtrack.Source")
    return value


def _money(value: Any, name: str) -> Money:
    if not isinstance(value, Money):
        raise InvalidEvent(name, value, "expected a dealtrack.Money or None")
    return value


def _day(value: Any, name: str) -> date:
    return parse_date(value, name)


_patents = _many(normalize_patent, allow_empty=True)
_parties = _many(parse_party, allow_empty=False)
_territories = _many(parse_territory, allow_empty=False)
_products = _many(_text, allow_empty=True)


# The converters of the events' fields. Type checkers read each one's first
# parameter as what the field accepts in ``__init__`` (so ``effective="2016-05"``
# checks against ``effective: Period | None``); at run time each is an attrs
# converter that names its field in errors.
if TYPE_CHECKING:
    _Patents = str | Iterable[str]

    def _to_flag(value: bool, /) -> bool: ...
    def _to_count_or_none(value: int | None, /) -> int | None: ...
    def _to_day_or_none(value: str | date | None, /) -> date | None: ...
    def _to_money_or_none(value: Money | None, /) -> Money | None: ...
    def _to_patents_or_none(value: _Patents | None, /) -> tuple[str, ...] | None: ...
    def _to_products_or_none(value: str | Iterable[str] | None, /) -> tuple[str, ...] | None: ...
    def _to_party_or_none(value: str | None, /) -> str | None: ...
    def _to_period_or_none(value: str | date | Period | None, /) -> Period | None: ...
    def _to_text_or_none(value: str | None, /) -> str | None: ...
    def _to_parties(value: str | Iterable[str], /) -> tuple[str, ...]: ...
    def _to_parties_or_empty(value: str | Iterable[str], /) -> tuple[str, ...]: ...
    def _to_patents(value: _Patents, /) -> tuple[str, ...]: ...
    def _to_some_patents(value: _Patents, /) -> tuple[str, ...]: ...
    def _to_products(value: str | Iterable[str], /) -> tuple[str, ...]: ...
    def _to_territories(value: str | Iterable[str], /) -> tuple[str, ...]: ...
    def _to_text(value: str, /) -> str: ...
    def _to_patent(value: str, /) -> str: ...
    def _to_party(value: str, /) -> str: ...
    def _to_sources(value: Iterable[Source], /) -> tuple[Source, ...]: ...

    # A field that must be given: to type checkers, an attrs field without a default.
    from attrs import field as required
else:
    _to_flag = _named(_flag)
    _to_count_or_none = _named(_optional(_count))
    _to_day_or_none = _named(_optional(_day))
    _to_money_or_none = _named(_optional(_money))
    _to_patents_or_none = _named(_optional(_patents))
    _to_products_or_none = _named(_optional(_products))
    _to_party_or_none = _named(_optional(parse_party))
    _to_period_or_none = _named(_optional(parse_period))
    _to_text_or_none = _named(_optional_text)
    _to_parties = _named(_parties)
    _to_parties_or_empty = _named(_many(parse_party, allow_empty=True))
    _to_patents = _named(_patents)
    _to_some_patents = _named(_many(normalize_patent, allow_empty=False))
    _to_products = _named(_products)
    _to_territories = _named(_territories)
    _to_text = _named(_text)
    _to_patent = _named(normalize_patent)
    _to_party = _named(parse_party)
    _to_sources = _named(_many(_source, allow_empty=True))

    def required(*, converter: Any) -> Any:
        """A field that must be given (leaving it out is an InvalidEvent naming it, not a TypeError)."""
        return attrs.field(converter=converter, default=REQUIRED)


_COMMON_FIELDS = ("effective", "deal", "sources", "note", "registry_ref", "registry_recorded", "natural_key")


def _own_fields_first(cls: type, fields: list[attrs.Attribute]) -> list[attrs.Attribute]:  # type: ignore[type-arg]
    """Show an event's own fields before the common ones in reprs and signatures."""
    own = [f for f in fields if f.name not in _COMMON_FIELDS]
    return own + [f for f in fields if f.name in _COMMON_FIELDS]


# --- the events ---------------------------------------------------------------------


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class Event:
    """Fields every event carries.

    ``effective`` is valid time: when the fact took legal effect (a partial
    date such as ``"2016-05"`` says "some moment in May 2016").
    ``registry_recorded`` is when a public register recorded it, a third time
    axis beside valid time and the log's own ``recorded_at``.
    ``natural_key`` names the fact in its source (a register's reel/frame, a
    news URL): appending an event whose key is already in the log skips it,
    so an import can be run again without doubling anything.
    """

    needs_effective: ClassVar[bool] = True

    effective: Period | None = attrs.field(converter=_to_period_or_none, default=None)
    deal: str | None = attrs.field(converter=_to_text_or_none, default=None)
    sources: tuple[Source, ...] = attrs.field(converter=_to_sources, default=())
    note: str | None = attrs.field(converter=_to_text_or_none, default=None)
    registry_ref: str | None = attrs.field(converter=_to_text_or_none, default=None)
    registry_recorded: date | None = attrs.field(converter=_to_day_or_none, default=None)
    natural_key: str | None = attrs.field(converter=_to_text_or_none, default=None)

    def __attrs_post_init__(self) -> None:
        if self.needs_effective and self.effective is None:
            raise InvalidEvent(f"{self.type}.effective", None, "an effective date is needed")
        self.check()

    @property
    def type(self) -> str:
        """The event's type name, as stored in the log."""
        return type(self).__name__

    def check(self) -> None:
        """Refuse combinations of fields that cannot be right; subclasses extend it."""

    def _fail(self, field_name: str, reason: str) -> None:
        raise InvalidEvent(f"{self.type}.{field_name}", getattr(self, field_name), reason)

    def _not_before_effective(self, field_name: str) -> None:
        value: Period | None = getattr(self, field_name)
        if value is not None and self.effective is not None and value.end < self.effective.start:
            self._fail(field_name, f"ends before the event takes effect ({self.effective})")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class PatentRegistered(Event):
    """A patent exists, held by its original ``owner`` from ``effective``."""

    patent: str = required(converter=_to_patent)
    owner: str = required(converter=_to_party)
    title: str | None = attrs.field(converter=_to_text_or_none, default=None)
    filed: Period | None = attrs.field(converter=_to_period_or_none, default=None)
    expires: Period | None = attrs.field(converter=_to_period_or_none, default=None)

    def check(self) -> None:
        self._not_before_effective("expires")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class PatentsAssigned(Event):
    """Title to ``patents`` passes from ``assignor`` to ``assignee`` (several = joint owners).

    ``disclosed_count`` is how many patents the deal said it moved when the
    list is partial or secret; the unlisted rest still count in portfolios.
    ``by_inventors``: the assignors are the inventors, a patent's original
    owners, each conveying their own share (typically to their employer): the
    assignees join whoever holds it already, and it is never a chain-of-title gap.
    """

    assignor: tuple[str, ...] = required(converter=_to_parties)
    assignee: tuple[str, ...] = required(converter=_to_parties)
    patents: tuple[str, ...] = attrs.field(converter=_to_patents, default=())
    disclosed_count: int | None = attrs.field(converter=_to_count_or_none, default=None)
    consideration: Money | None = attrs.field(converter=_to_money_or_none, default=None)
    by_inventors: bool = attrs.field(converter=_to_flag, default=False)

    def check(self) -> None:
        if self.disclosed_count is not None and self.disclosed_count < len(self.patents):
            self._fail("disclosed_count", f"is smaller than the {len(self.patents)} patents listed")

    @property
    def undisclosed_count(self) -> int:
        """How many of the deal's patents are not listed."""
        return 0 if self.disclosed_count is None else self.disclosed_count - len(self.patents)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class LicenseGranted(Event):
    """``licensor`` licenses ``licensee``; ``patents=None`` is its whole portfolio on ``effective``."""

    licence_id: str = required(converter=_to_text)
    licensor: str = required(converter=_to_party)
    licensee: str = required(converter=_to_party)
    patents: tuple[str, ...] | None = attrs.field(converter=_to_patents_or_none, default=None)
    territory: tuple[str, ...] = attrs.field(converter=_to_territories, default=("WORLD",))
    field: str | None = attrs.field(converter=_to_text_or_none, default=None)  # noqa: A003 - field of use
    exclusive: bool = attrs.field(converter=_to_flag, default=False)
    sublicensable: bool = attrs.field(converter=_to_flag, default=False)
    expires: Period | None = attrs.field(converter=_to_period_or_none, default=None)

    def check(self) -> None:
        if self.licensor == self.licensee:
            self._fail("licensee", "a party cannot license itself")
        self._not_before_effective("expires")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class CrossLicenseAgreed(Event):
    """Each of the two ``parties`` licenses the other (``patents=None``: whole portfolios)."""

    licence_id: str = required(converter=_to_text)
    parties: tuple[str, ...] = required(converter=_to_parties)
    patents: tuple[str, ...] | None = attrs.field(converter=_to_patents_or_none, default=None)
    territory: tuple[str, ...] = attrs.field(converter=_to_territories, default=("WORLD",))
    field: str | None = attrs.field(converter=_to_text_or_none, default=None)  # noqa: A003 - field of use
    expires: Period | None = attrs.field(converter=_to_period_or_none, default=None)

    def check(self) -> None:
        if len(self.parties) != 2:
            self._fail("parties", "a cross-licence has exactly two distinct parties")
        self._not_before_effective("expires")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class LicenseTerminated(Event):
    """The licence ``licence_id`` ends on ``effective``."""

    licence_id: str = required(converter=_to_text)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class BanImposed(Event):
    """An ``authority`` bars ``against`` from selling ``products`` (None = all) in ``territory``."""

    ban_id: str = required(converter=_to_text)
    against: tuple[str, ...] = required(converter=_to_parties)
    territory: tuple[str, ...] = required(converter=_to_territories)
    authority: str = required(converter=_to_text)
    requested_by: str | None = attrs.field(converter=_to_party_or_none, default=None)
    patents: tuple[str, ...] = attrs.field(converter=_to_patents, default=())
    products: tuple[str, ...] | None = attrs.field(converter=_to_products_or_none, default=None)
    case: str | None = attrs.field(converter=_to_text_or_none, default=None)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class BanModified(Event):
    """From ``effective``, ``exempt_products`` may be sold and the ban no longer rests on ``released_patents``."""

    ban_id: str = required(converter=_to_text)
    exempt_products: tuple[str, ...] = attrs.field(converter=_to_products, default=())
    released_patents: tuple[str, ...] = attrs.field(converter=_to_patents, default=())
    conditions: str | None = attrs.field(converter=_to_text_or_none, default=None)

    def check(self) -> None:
        if not (self.exempt_products or self.released_patents or self.conditions):
            self._fail("ban_id", "a modification must exempt products, release patents or set conditions")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class BanLifted(Event):
    """The ban ``ban_id`` ends on ``effective``."""

    ban_id: str = required(converter=_to_text)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class PartyRenamed(Event):
    """From ``effective`` everything ``old`` held is held by ``new``."""

    old: str = required(converter=_to_party)
    new: str = required(converter=_to_party)

    def check(self) -> None:
        if self.old == self.new:
            self._fail("new", "a rename needs a different name")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class PartiesMerged(Event):
    """From ``effective`` everything ``absorbed`` held is held by ``into``."""

    absorbed: str = required(converter=_to_party)
    into: str = required(converter=_to_party)

    def check(self) -> None:
        if self.absorbed == self.into:
            self._fail("into", "a party cannot merge into itself")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class SecurityInterestGranted(Event):
    """``debtor`` pledges ``patents`` to ``secured_party``; ownership does not change."""

    debtor: str = required(converter=_to_party)
    secured_party: str = required(converter=_to_party)
    patents: tuple[str, ...] = required(converter=_to_some_patents)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class SecurityInterestReleased(Event):
    """``secured_party`` releases its interest in ``patents`` (those only: a partial release frees no others).

    ``interest`` is the register reference (e.g. a reel/frame) of the grant
    released, when the release cites it: then it ends that lien. Otherwise it
    ends the one lien on each patent whose debtor and secured party it names
    (spelled any way, roles such as "as administrative agent" aside), or the
    one lien of that secured party (a release naming the current owner or the
    debtor's new name). A release matching no lien, or several, ends nothing
    and is listed by :meth:`Ledger.anomalies`.
    """

    debtor: str = required(converter=_to_party)
    secured_party: str = required(converter=_to_party)
    patents: tuple[str, ...] = required(converter=_to_some_patents)
    interest: str | None = attrs.field(converter=_to_text_or_none, default=None)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class SecurityInterestAssigned(Event):
    """The liens ``secured_party`` holds on ``patents`` pass to ``successor`` (e.g. a successor agent).

    ``debtor`` (optional) and ``interest`` (the register reference of the grant,
    optional) narrow which liens move. The debtor and the lien's start stay as
    they were; only the secured party changes, from ``effective``.

    .. versionadded:: 0.15
    """

    secured_party: str = required(converter=_to_party)
    successor: str = required(converter=_to_party)
    patents: tuple[str, ...] = required(converter=_to_some_patents)
    debtor: str | None = attrs.field(converter=_to_party_or_none, default=None)
    interest: str | None = attrs.field(converter=_to_text_or_none, default=None)

    def check(self) -> None:
        if self.secured_party == self.successor:
            self._fail("successor", "a security interest assigned to its own holder moves nothing")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class PatentLapsed(Event):
    """``patent`` lapsed on ``effective`` (e.g. unpaid maintenance fees): from then it confers no rights.

    Its owners stay its owners for the record; licences and bans resting on it
    alone are no longer live, and ``portfolio(..., live_only=True)`` leaves it out.

    .. versionadded:: 0.15
    """

    patent: str = required(converter=_to_patent)
    reason: str | None = attrs.field(converter=_to_text_or_none, default=None)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class DealAnnounced(Event):
    """A deal was announced: its id, title, parties and (if disclosed) value."""

    deal: str = required(converter=_to_text)
    title: str = required(converter=_to_text)
    parties: tuple[str, ...] = required(converter=_to_parties)
    value: Money | None = attrs.field(converter=_to_money_or_none, default=None)


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class PatentNumbersLinked(Event):
    """The US application ``application`` issued as the patent ``grant``: both numbers name one property.

    Questions asked by either number answer for the same property. ``effective``
    (optional) is the grant date.
    """

    needs_effective: ClassVar[bool] = False

    application: str = required(converter=_to_patent)
    grant: str = required(converter=_to_patent)

    def check(self) -> None:
        if not self.application.startswith("USAPP"):
            self._fail("application", "expected a US application number, e.g. 'USAPP14696669'")
        if not self.grant.startswith("US") or self.grant.startswith("USAPP"):
            self._fail("grant", "expected a US patent number, e.g. 'US9219817'")


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class RegisterRecord(Event):
    """A register record dealtrack does not read as a change of rights: kept, it changes no answer.

    ``conveyance`` is the register's own words; :meth:`Ledger.anomalies` lists
    each such record as ``"unclassified"`` so that someone can look at it.
    """

    conveyance: str = required(converter=_to_text)
    assignor: tuple[str, ...] = attrs.field(converter=_to_parties_or_empty, default=())
    assignee: tuple[str, ...] = attrs.field(converter=_to_parties_or_empty, default=())
    patents: tuple[str, ...] = attrs.field(converter=_to_patents, default=())


@attrs.frozen(kw_only=True, field_transformer=_own_fields_first)
class EventRetracted(Event):
    """The event ``target`` (an event_id) should never have been believed."""

    needs_effective: ClassVar[bool] = False

    target: str = required(converter=_to_text)
    reason: str = required(converter=_to_text)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PatentRegistered,
        PatentsAssigned,
        LicenseGranted,
        CrossLicenseAgreed,
        LicenseTerminated,
        BanImposed,
        BanModified,
        BanLifted,
        PartyRenamed,
        PartiesMerged,
        SecurityInterestGranted,
        SecurityInterestReleased,
        SecurityInterestAssigned,
        PatentLapsed,
        DealAnnounced,
        EventRetracted,
        PatentNumbersLinked,
        RegisterRecord,
    )
}


@attrs.frozen
class Recorded:
    """An event as the log holds it: its place, its id and when it was recorded."""

    position: int
    event_id: str
    recorded_at: datetime
    event: Event


@attrs.frozen
class Skipped:
    """An event an append left out because its ``natural_key`` was already in the log (at ``position``)."""

    event: Event
    natural_key: str
    position: int


class Appended(list[Recorded]):
    """What ``append`` returns: the envelopes of the events written, and ``skipped`` for those left out."""

    def __init__(self, recorded: Iterable[Recorded] = (), skipped: Iterable[Skipped] = ()) -> None:
        super().__init__(recorded)
        self.skipped: list[Skipped] = list(skipped)

    def __repr__(self) -> str:
        return f"Appended({list.__repr__(self)}, skipped={self.skipped!r})"
