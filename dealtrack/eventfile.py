"""Events from a file: one JSON object, a JSON array, or JSON Lines, each object in the codec's format.

An object is what :func:`dealtrack.codec.to_dict` writes: ``{"type": "PatentsAssigned",
"effective": "2016-06-01", ...}`` (``schema_version`` optional). Errors name the
file and the line (or array item) of the bad record.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import orjson

from . import codec
from .errors import InvalidEvent
from .events import Event

__all__ = ["read_events", "parse_events"]


def read_events(source: str | os.PathLike[str] | IO[str]) -> list[Event]:
    """Read every event in a file (a path, or an open text stream such as stdin)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidEvent("file", os.fspath(path), f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
        return parse_events(text, path.name)
    return parse_events(source.read(), getattr(source, "name", "<stream>"))


def parse_events(text: str, name: str = "<text>") -> list[Event]:
    """Events from JSON text: an object, an array of objects, or one object per line."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        whole = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        records = _lines(text, name)
    else:
        if isinstance(whole, list):
            records = [(f"{name} item {i}", item) for i, item in enumerate(whole, start=1)]
        else:
            records = [(f"{name} line 1", whole)]
    return [_event(where, data) for where, data in records]


def _lines(text: str, name: str) -> list[tuple[str, Any]]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"{name} line {number}", orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            raise InvalidEvent(f"{name} line {number}", _short(line), f"not JSON ({exc})") from None
    return records


def _event(where: str, data: Any) -> Event:
    try:
        return codec.from_dict(data)
    except InvalidEvent as exc:
        raise InvalidEvent(f"{where}: {exc.field}", exc.value, exc.reason) from None


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
