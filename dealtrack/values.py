"""Plain values every event and question uses: patent ids, periods, parties, money, sources.

Each parser takes what a user would naturally type and returns one canonical
form, or raises :class:`~dealtrack.errors.InvalidEvent` naming the field and
the value.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from collections.abc import Callable
from typing import Any, Union

import attrs

from .errors import InvalidEvent

__all__ = [
    "DateLike",
    "Money",
    "Period",
    "Source",
    "normalize_patent",
    "parse_date",
    "parse_instant",
    "parse_party",
    "parse_period",
    "parse_territory",
    "iso_day",
    "storable",
]

DateLike = Union[date, str, "Period"]
ONE_DAY = timedelta(days=1)

#: ``date -> its ISO text``, for the days questions bind as statement parameters (at most 20,000 kept).
_ISO_DAYS: dict[date, str] = {}


def iso_day(day: date) -> str:
    """``day.isoformat()``, kept: a question binds its day's text to each statement (isoformat costs ~0.5 us a call)."""
    found = _ISO_DAYS.get(day)
    if found is None:
        if len(_ISO_DAYS) >= 20_000:
            _ISO_DAYS.clear()
        found = _ISO_DAYS[day] = day.isoformat()
    return found

# --- patent ids ---------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,.\-]+")
_US_APPLICATION = re.compile(r"^US(?:APP)?([0-9]{2})/([0-9]{3,})$")  # US 14/696,669
_PUBLICATION = re.compile(r"^([A-Z]{2})([0-9]{4})/([0-9]+)$")  # WO 2016/123456
_PLAIN = re.compile(r"^([A-Z]{2})(APP)?(RE|PP|D|H|T)?([0-9]+)(?:[A-Z][0-9]?)?$")
_US_APPLICATION_PLAIN = re.compile(r"^US(?:APP)?(0[89]|1[0-9]|2[09]|3[05]|6[0-3])([0-9]{6})X0$")  # the register's X0
_US_SERIAL = re.compile(r"^US(1[3-9])([0-9]{6})$")  # 8 digits from 13,000,000 up: a serial number, not (yet) a grant
_EP_APPLICATION = re.compile(r"^EP([0-9]{8})\.([0-9])$")  # EP16171234.5: an application and its check digit
#: Ids that the rules below give back unchanged (a fullmatch that is not a _US_SERIAL): no separator, no kind
#: code, upper case; the US ids that register imports bring and that a log's payloads are read back as.
_CANONICAL_US = re.compile(r"US(?:APP|RE|PP|D|H|T)?[0-9]+")


def normalize_patent(text: Any, field: str = "patent") -> str:
    """Return the canonical id of a patent: ``"US 7,123,456 B2"`` -> ``"US7123456"``.

    The country prefix is upper case; spaces, commas, dots, dashes and the
    kind code are dropped. A US application not (yet) granted is written
    ``"USAPP14696669"`` (``"US 14/696,669"`` normalises to that, and so do
    ``"US14696669"``, eight digits above any grant number yet, and the
    register's application kind code, ``"US 14696669 X0"``). An EP application
    keeps its number without its check digit (``"EP16171234.5"`` ->
    ``"EP16171234"``).
    """
    if type(text) is str and len(text) <= 200 and _CANONICAL_US.fullmatch(text) and not _US_SERIAL.match(text):
        return text  # already written as dealtrack writes it (every id read back from a log): the rules keep it
    return _normalize_patent(text, field)


def _normalize_patent(text: Any, field: str) -> str:
    """:func:`normalize_patent` by its rules, whatever ``text`` is."""
    if not isinstance(text, str):
        raise InvalidEvent(field, text, "a patent id must be a string such as 'US 7,123,456 B2'")
    if len(text) > 200:  # refused before it is copied: no patent id is this long
        raise InvalidEvent(field, f"<{len(text)} characters: {text[:40]!r}...>", "is too long to be a patent id")
    upper = text.upper().strip()
    match = _EP_APPLICATION.match(re.sub(r"[\s,\-]+", "", upper))
    if match:  # the check digit is not part of the number (and must not be read as one)
        return f"EP{match[1]}"
    compact = _SEPARATORS.sub("", upper)
    match = _US_APPLICATION_PLAIN.match(compact) or _US_SERIAL.match(compact)
    if match:
        return f"USAPP{match[1]}{match[2]}"
    match = _US_APPLICATION.match(compact)
    if match:
        return f"USAPP{match[1]}{match[2]}"
    match = _PUBLICATION.match(compact)
    if match:
        return f"{match[1]}{match[2]}{match[3]}"
    match = _PLAIN.match(compact)
    if match is None:
        raise InvalidEvent(field, text, "not a patent id; expected e.g. 'US 7,123,456 B2', 'EP 1 234 567' or 'US 14/696,669'")
    country, application, series, number = match.groups()
    if application and (country != "US" or series):
        raise InvalidEvent(field, text, "only US applications are written with APP, e.g. 'USAPP14696669'")
    return f"{country}{application or ''}{series or ''}{number}"


# --- dates and periods ----------------------------------------------------------

_YEAR = re.compile(r"^([0-9]{4})$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _day_of(value: Any, field: str) -> date:
    """A Period bound: a date (a datetime counts as its day); anything else is refused."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise InvalidEvent(field, value, "expected a datetime.date")


def _period_start(value: date) -> date:
    return _day_of(value, "Period.start")


def _period_end(value: date) -> date:
    return _day_of(value, "Period.end")


@attrs.frozen(repr=False, order=True)
class Period:
    """A span of whole days, ``start`` to ``end`` inclusive; a partial date is one.

    ``Period.parse("2016-05")`` is May 2016 (2016-05-01..2016-05-31). A period
    of a single day is *exact*; a longer one says the event happened at some
    moment inside it, and dealtrack never rounds that away.
    """

    start: date = attrs.field(converter=_period_start)
    end: date = attrs.field(converter=_period_end)

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidEvent("Period", f"{self.start}/{self.end}", "the period ends before it starts")
        if self.end >= date.max:  # the day after it (``stop``) must exist
            raise InvalidEvent("Period.end", self.end, "the date is out of range")

    @property
    def stop(self) -> date:
        """The first day after the period (its half-open upper bound)."""
        return self.end + ONE_DAY

    @property
    def is_exact(self) -> bool:
        """True when the period is a single day."""
        return self.start == self.end

    @classmethod
    def parse(cls, value: Any, field: str = "date") -> Period:
        """Read a date, a partial ISO date (``"2016"``, ``"2016-05"``) or ``"start/end"``."""
        return parse_period(value, field)

    def __str__(self) -> str:
        if self.is_exact:
            return self.start.isoformat()
        first_of_next = self.stop
        if self.start.day == 1 and first_of_next.day == 1:
            if self.start.month == 1 and first_of_next.month == 1 and first_of_next.year == self.start.year + 1:
                return f"{self.start.year:04d}"
            if (first_of_next.year * 12 + first_of_next.month) - (self.start.year * 12 + self.start.month) == 1:
                return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def __repr__(self) -> str:
        return f"Period('{self}')"


def parse_period(value: Any, field: str = "date") -> Period:
    """Return the :class:`Period` a date, datetime, partial ISO string or Period denotes."""
    if isinstance(value, Period):
        return value
    if isinstance(value, date):  # a datetime counts as its day
        day = _day_of(value, field)
        return _bounded(day, day, field, value)
    if not isinstance(value, str):
        raise InvalidEvent(field, value, "expected a date or an ISO date such as '2016', '2016-05' or '2016-05-31'")
    text = value.strip()
    try:
        if "/" in text:
            first, _, last = text.partition("/")
            start, end = parse_period(first, field).start, parse_period(last, field).end
            if end < start:
                raise InvalidEvent(field, value, "the period ends before it starts")
            return _bounded(start, end, field, value)
        match = _YEAR.match(text)
        if match:
            year = int(match[1])
            return _bounded(date(year, 1, 1), date(year, 12, 31), field, value)
        match = _MONTH.match(text)
        if match:
            year, month = int(match[1]), int(match[2])
            last_day = calendar.monthrange(year, month)[1]
            return _bounded(date(year, month, 1), date(year, month, last_day), field, value)
        if not _DAY.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidEvent):
            raise
        raise InvalidEvent(field, value, "not an ISO date; expected e.g. '2016', '2016-05' or '2016-05-31'") from None
    return _bounded(day, day, field, value)


def _bounded(start: date, end: date, field: str, value: Any) -> Period:
    if start.year < 1 or end >= date.max:
        raise InvalidEvent(field, value, "the date is out of range")
    return Period(start, end)


def parse_date(value: Any, field: str = "date") -> date:
    """Return the single day a date or ISO string names; partial dates are refused here."""
    period = parse_period(value, field)
    if not period.is_exact:
        raise InvalidEvent(field, value, "a full date (YYYY-MM-DD) is needed here")
    return period.start


def parse_instant(value: Any, field: str = "known_at") -> datetime:
    """Return a timezone-aware UTC datetime; naive input is taken as UTC.

    A bare date (or ``"2016-06-01"``) means the end of that day: everything
    recorded on or before it counts.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.max.time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            if _DAY.match(text):
                moment = datetime.combine(date.fromisoformat(text), datetime.max.time())
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidEvent(field, value, "not an ISO datetime such as '2016-06-01T12:00:00+00:00'") from None
    else:
        raise InvalidEvent(field, value, "expected a datetime, a date or an ISO datetime string")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise InvalidEvent(field, value, "the moment is out of range") from None


# --- parties and territories ----------------------------------------------------


def storable(value: str, field: str) -> str:
    """Return ``value`` if it can be stored as UTF-8 text (a lone surrogate cannot); else raise."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent(field, value, "the text is not valid Unicode (it holds a lone surrogate)") from None
    return value


def parse_party(value: Any, field: str = "party") -> str:
    """Return a party's name with surrounding white space removed; empty names are refused."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(field, value, "a party is a non-empty string such as 'Xiaomi'")
    if len(value) > 10_000:  # limits.MAX_TEXT; refused before it is copied
        raise InvalidEvent(field, f"<{len(value)} characters: {value[:40]!r}...>", "is longer than 10000 characters")
    return storable(value.strip(), field)


_TERRITORY = re.compile(r"^[A-Z]{2}$")


def parse_territory(value: Any, field: str = "territory") -> str:
    """Return an ISO 3166 alpha-2 code in upper case, or ``"WORLD"``."""
    if isinstance(value, str):
        code = value.strip().upper()
        if code == "WORLD" or _TERRITORY.match(code):
            return code
    raise InvalidEvent(field, value, "a territory is an ISO 3166 alpha-2 code such as 'IN', or 'WORLD'")


# --- money and sources ----------------------------------------------------------


def _to_amount(value: int | float | str | Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidEvent("Money.amount", value, "an amount is a number")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):  # ValueError: an int too long to write out
        raise InvalidEvent("Money.amount", value, "an amount is a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidEvent("Money.amount", value, "an amount is a finite number, zero or more")
    return amount


def _to_currency(value: str) -> str:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        return value.strip().upper()
    raise InvalidEvent("Money.currency", value, "a currency is an ISO 4217 code such as 'USD'")


@attrs.frozen
class Money:
    """An amount in a currency: ``Money(350_000_000, "USD")``. Undisclosed sums are ``None``."""

    amount: Decimal = attrs.field(converter=_to_amount)
    currency: str = attrs.field(converter=_to_currency)


def _optional_text(name: str) -> Callable[[Any], str | None]:
    def convert(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidEvent(f"Source.{name}", value, "expected a string or None")
        return storable(value.strip(), f"Source.{name}") or None

    return convert


# Named converters, whose parameter annotations type checkers read as what ``Source(...)`` accepts.
_url_text = _optional_text("url")
_title_text = _optional_text("title")
_publisher_text = _optional_text("publisher")


def _url(value: str | None) -> str | None:
    return _url_text(value)


def _title(value: str | None) -> str | None:
    return _title_text(value)


def _publisher(value: str | None) -> str | None:
    return _publisher_text(value)


def _optional_period(value: str | date | Period | None) -> Period | None:
    return None if value is None else parse_period(value, "Source.published")


@attrs.frozen
class Source:
    """Where a fact came from: a news article, a press release, a register record."""

    url: str | None = attrs.field(default=None, converter=_url)
    title: str | None = attrs.field(default=None, converter=_title)
    publisher: str | None = attrs.field(default=None, converter=_publisher)
    published: Period | None = attrs.field(default=None, converter=_optional_period)

    def __attrs_post_init__(self) -> None:
        if self.url is None and self.title is None and self.publisher is None:
            raise InvalidEvent("Source", self, "a source needs at least a url, a title or a publisher")
