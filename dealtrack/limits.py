"""The sizes dealtrack accepts from outside, and the checks that refuse more before anything is serialised.

A ledger is an evidence file that people send each other, and imports read
files from anywhere: every text, list, number and payload has a maximum, so
that one line or one event cannot exhaust memory or disk. Past a maximum,
:class:`~dealtrack.errors.InvalidEvent` names the field and the size.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs

from .errors import InvalidEvent

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_COUNT",
    "MAX_EVENTS_PER_APPEND",
    "MAX_ITEMS",
    "MAX_KEY_TEXT",
    "MAX_LINE_BYTES",
    "MAX_PAYLOAD_CHARS",
    "MAX_TEXT",
    "check_event",
    "check_key",
    "check_path",
    "check_value",
    "check_recorded_at",
]

#: Characters in any one text field of an event (a name, an id, a note, a title, a URL).
MAX_TEXT = 10_000
#: Items in any one list field of an event (patents, parties, territories, products, sources).
MAX_ITEMS = 100_000
#: The largest whole number a count field takes (``disclosed_count``; a money amount's digits are bounded by MAX_TEXT).
MAX_COUNT = 10**12
#: Characters of one event's fields together (about its stored JSON payload).
MAX_PAYLOAD_CHARS = 4_000_000
#: Events in one ``append`` call.
MAX_EVENTS_PER_APPEND = 1_000_000
#: Characters of an idempotency key or another caller's identifier.
MAX_KEY_TEXT = 200
#: Bytes of one line of a JSON Lines export that an import reads.
MAX_LINE_BYTES = 8 * 1024 * 1024
#: How far a recorded time from outside may lie ahead of this machine's clock.
MAX_CLOCK_SKEW = timedelta(minutes=10)


def check_recorded_at(moment: datetime, field: str = "recorded_at") -> None:
    """Refuse a transaction time from outside that lies ahead of this machine's clock by more than the skew.

    A log's recorded times never go back, so one far-future time would stamp
    every later append with it (or leave no later time at all).
    """
    now = datetime.now(timezone.utc)
    if moment > now + MAX_CLOCK_SKEW:
        raise InvalidEvent(
            field, moment.isoformat(),
            f"is later than this machine's clock ({now.isoformat(timespec='seconds')}) by more than "
            f"{int(MAX_CLOCK_SKEW.total_seconds() // 60)} minutes; a recorded time cannot lie in the future",
        )


def check_key(value: Any, field: str) -> str:
    """A caller's identifier (e.g. an idempotency key): a non-empty string of at most MAX_KEY_TEXT characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(field, value, "expected a non-empty string")
    if len(value) > MAX_KEY_TEXT:
        raise InvalidEvent(field, f"<{len(value)} characters>", f"is longer than {MAX_KEY_TEXT} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent(field, value, "the text is not valid Unicode (it holds a lone surrogate)") from None
    return value


def check_event(event: Any) -> None:
    """Raise :class:`InvalidEvent` if any field of ``event`` is past its maximum (walks the fields, copies nothing)."""
    try:
        if _size(event, 0) <= MAX_PAYLOAD_CHARS:
            return
    except _PastLimit:
        pass
    total = _walk(event, type(event).__name__, 0)  # walked again, naming the field that is past its maximum
    if total > MAX_PAYLOAD_CHARS:
        raise InvalidEvent(type(event).__name__, f"<about {total} characters>",
                           f"the event is larger than {MAX_PAYLOAD_CHARS} characters in all")


def check_value(value: Any, field: str) -> None:
    """Raise :class:`InvalidEvent` if ``value`` (e.g. an append's metadata) is past any maximum or MAX_TEXT in all."""
    total = _walk(value, field, 1)
    if total > MAX_TEXT:
        raise InvalidEvent(field, f"<about {total} characters>", f"is larger than {MAX_TEXT} characters in all")


def _walk(value: Any, field: str, depth: int) -> int:
    """The size of ``value`` in characters, about as serialised; raises past a limit."""
    if value is None or isinstance(value, (bool, date, datetime)):
        return 8
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InvalidEvent(field, f"<{len(value)} characters: {value[:40]!r}...>",
                               f"is longer than {MAX_TEXT} characters")
        return len(value) + 2
    if isinstance(value, int):
        if not -MAX_COUNT <= value <= MAX_COUNT:
            raise InvalidEvent(field, f"<a number of {len(str(abs(value))) if abs(value) < 10**4000 else 'over 4000'} digits>",
                               f"is larger than {MAX_COUNT}")
        return 20
    if isinstance(value, (float, Decimal)):
        text = str(value)
        if len(text) > 100:
            raise InvalidEvent(field, f"<{len(text)} characters>", "is a number longer than 100 characters")
        return len(text)
    if depth > 4:
        raise InvalidEvent(field, type(value).__name__, "is nested too deeply")
    if isinstance(value, (tuple, list, frozenset, set)):
        if len(value) > MAX_ITEMS:
            raise InvalidEvent(field, f"<{len(value)} items>", f"holds more than {MAX_ITEMS} items")
        total = 2
        for item in value:
            total += _walk(item, field, depth + 1) + 1
            if total > MAX_PAYLOAD_CHARS:
                break
        return total
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise InvalidEvent(field, f"<{len(value)} keys>", f"holds more than {MAX_ITEMS} keys")
        return sum(_walk(k, field, depth + 1) + _walk(v, f"{field}.{k}", depth + 1) for k, v in value.items()) + 2
    if attrs.has(type(value)):
        total = 2
        for attribute in attrs.fields(type(value)):
            total += len(attribute.name) + _walk(getattr(value, attribute.name), f"{field}.{attribute.name}", depth + 1)
        return total
    return len(str(value))  # a Period or another small value


class _PastLimit(Exception):
    """Raised by :func:`_size` when something may be past a maximum: :func:`_walk` then says what."""


# How _walk treats a value of each type: the branch its isinstance tests pick, decided once per type.
_LEAF, _TEXT, _WHOLE, _NUMBER, _ITEMS, _MAPPING, _OTHER = range(7)
_KINDS: dict[type, int] = {}
_FIELDS: dict[type, tuple[tuple[str, ...], int]] = {}  # an attrs class's field names, and 2 + their lengths


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        if cls is type(None) or issubclass(cls, (bool, date, datetime)):
            kind = _LEAF
        elif issubclass(cls, str):
            kind = _TEXT
        elif issubclass(cls, int):
            kind = _WHOLE
        elif issubclass(cls, (float, Decimal)):
            kind = _NUMBER
        elif issubclass(cls, (tuple, list, frozenset, set)):
            kind = _ITEMS
        elif issubclass(cls, dict):
            kind = _MAPPING
        else:
            kind = _OTHER
            if attrs.has(cls):
                names = tuple(attribute.name for attribute in attrs.fields(cls))
                _FIELDS[cls] = (names, 2 + sum(len(name) for name in names))
        _KINDS[cls] = kind
    return kind


def _size(value: Any, depth: int) -> int:
    """What :func:`_walk` counts for ``value``, without naming fields; raises :class:`_PastLimit` where ``_walk``
    might raise (the fast path of :func:`check_event`, taken by every event within its limits)."""
    kind = _KINDS.get(type(value))
    if kind is None:
        kind = _kind(type(value))
    if kind == _TEXT:
        if len(value) > MAX_TEXT:
            raise _PastLimit
        return len(value) + 2
    if kind == _LEAF:
        return 8
    if kind == _WHOLE:
        if not -MAX_COUNT <= value <= MAX_COUNT:
            raise _PastLimit
        return 20
    if kind == _NUMBER:
        text = str(value)
        if len(text) > 100:
            raise _PastLimit
        return len(text)
    if depth > 4:
        raise _PastLimit
    if kind == _ITEMS:
        if len(value) > MAX_ITEMS:
            raise _PastLimit
        total = 2
        for item in value:
            if type(item) is str and len(item) <= MAX_TEXT:  # most items: inline
                total += len(item) + 3
            else:
                total += _size(item, depth + 1) + 1
            if total > MAX_PAYLOAD_CHARS:
                raise _PastLimit
        return total
    if kind == _MAPPING:
        if len(value) > MAX_ITEMS:
            raise _PastLimit
        return sum(_size(k, depth + 1) + _size(v, depth + 1) for k, v in value.items()) + 2
    fields = _FIELDS.get(type(value))
    if fields is None:
        return len(str(value))  # a small value of another type
    names, total = fields
    for name in names:
        item = getattr(value, name)
        kind = _KINDS.get(type(item))
        if kind == _LEAF:  # most fields (None, dates): inline
            total += 8
        elif kind == _TEXT and len(item) <= MAX_TEXT:
            total += len(item) + 2
        else:
            total += _size(item, depth + 1)
    return total


def check_path(path: Any) -> Any:
    """A ledger path: ``None``, a string or an ``os.PathLike``, not empty and without a NUL byte."""
    if path is None:
        return None
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise InvalidEvent("path", path, "expected a file path (a string or a pathlib.Path), or None for memory")
    text = os.fspath(path)
    if not isinstance(text, str) or not text or "\x00" in text or len(text) > 4096:
        raise InvalidEvent("path", path, "expected a file path (a non-empty string without NUL bytes)")
    return text
