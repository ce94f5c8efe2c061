"""Events to JSON and back, through one cattrs converter.

Every stored event carries a type tag (its class name) and a schema version.
When an event class changes shape, bump its version in ``SCHEMA_VERSIONS`` and
register an upcaster that turns the old payload into the new one; old ledgers
then read as current classes.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

import attrs
import cattrs
import orjson
from cattrs.preconf.orjson import make_converter

from .errors import InvalidEvent
from .events import EVENT_TYPES, Event
from .values import Period

__all__ = [
    "SCHEMA_VERSIONS",
    "UPCASTERS",
    "Envelope",
    "converter",
    "dumps",
    "envelope_line",
    "from_dict",
    "loads",
    "read_envelope",
    "to_dict",
]

converter = make_converter(forbid_extra_keys=True)
converter.register_unstructure_hook(Period, str)
converter.register_unstructure_hook(date, date.isoformat)
# Dates and party tuples pass through as read: the event's own converters parse
# them, so an error names the event field ("LicenseGranted.effective").
converter.register_structure_hook(Period, lambda value, _: value)
converter.register_structure_hook(date, lambda value, _: value)
converter.register_structure_hook_func(lambda cls: cls == tuple[str, ...], lambda value, _: value)
converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))


def _exactly(kind: type) -> Callable[[Any, Any], Any]:
    """A structure hook that refuses to coerce (cattrs would turn 1 into "1" and "no" into True)."""

    def check(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected a JSON {kind.__name__}, got {value!r}")
        return value

    return check


for _kind in (str, int, bool):
    converter.register_structure_hook(_kind, _exactly(_kind))

#: The current schema version of each event type.
SCHEMA_VERSIONS: dict[str, int] = {name: 1 for name in EVENT_TYPES}
SCHEMA_VERSIONS["PatentsAssigned"] = 2  # 2: by_inventors

#: ``(type, version) -> function`` turning a payload of that version into the next one.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("PatentsAssigned", 1): lambda data: {**data, "by_inventors": False},
}


def _upcast(type_name: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    current = SCHEMA_VERSIONS[type_name]
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidEvent("schema_version", version, "expected a whole number")
    if version < 1:
        raise InvalidEvent("schema_version", version, "schema versions start at 1")
    if version > current:
        raise InvalidEvent("schema_version", version, f"{type_name} is at version {current} in this dealtrack; upgrade it")
    while version < current:
        upcaster = UPCASTERS.get((type_name, version))
        if upcaster is None:
            raise InvalidEvent("schema_version", version, f"no upcaster turns {type_name} version {version} into {version + 1}")
        try:
            data = upcaster(dict(data))
        except InvalidEvent:
            raise
        except Exception as exc:  # an old payload the upcaster cannot read
            raise InvalidEvent(type_name, data, f"cannot upcast from version {version}: {exc!r}") from None
        if not isinstance(data, dict):
            raise InvalidEvent(type_name, data, f"the upcaster from version {version} did not return an object")
        version += 1
    return data


def _event_class(type_name: Any) -> type[Event]:
    try:
        return EVENT_TYPES[type_name]
    except (KeyError, TypeError):
        raise InvalidEvent("type", type_name, f"not an event type; known: {', '.join(EVENT_TYPES)}") from None


def structure(type_name: str, data: Any, schema_version: int | None = None) -> Event:
    """Build the event of ``type_name`` from plain data, upcasting an older ``schema_version``."""
    cls = _event_class(type_name)
    if not isinstance(data, dict):
        raise InvalidEvent(type_name, data, "an event is a JSON object")
    if schema_version is not None:
        data = _upcast(type_name, schema_version, data)
    try:
        return converter.structure(data, cls)
    except InvalidEvent:
        raise
    except Exception as exc:  # cattrs groups what went wrong in an ExceptionGroup
        cause = _invalid_event_in(exc)
        if cause is not None:
            raise cause from None
        problems = "; ".join(cattrs.transform_error(exc, path=type_name))
        raise InvalidEvent(type_name, data, problems) from None


def _invalid_event_in(exc: BaseException) -> InvalidEvent | None:
    """The first InvalidEvent an event's own validation raised inside a cattrs error group."""
    if isinstance(exc, InvalidEvent):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _invalid_event_in(inner)
        if found is not None:
            return found
    return None


def unstructure(event: Event) -> dict[str, Any]:
    """The event's fields as plain JSON-ready data (no type tag)."""
    return converter.unstructure(event)  # type: ignore[no-any-return]


def dumps(event: Event) -> str:
    """The event's payload as compact JSON text (no type tag; the log stores that apart)."""
    return orjson.dumps(unstructure(event)).decode()


def loads(type_name: str, payload: str | bytes, schema_version: int | None = None) -> Event:
    """Read a stored payload back into its event class."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise InvalidEvent("payload", payload, "not valid JSON") from None
    return structure(type_name, data, schema_version)


def to_dict(event: Event) -> dict[str, Any]:
    """The event as one JSON-ready object: ``{"type": ..., "schema_version": ..., **fields}``."""
    return {"type": event.type, "schema_version": SCHEMA_VERSIONS[event.type], **unstructure(event)}


def from_dict(data: Any) -> Event:
    """Read an object written by :func:`to_dict` (``schema_version`` may be left out)."""
    if not isinstance(data, dict):
        raise InvalidEvent("event", data, "an event is a JSON object with a 'type'")
    fields = dict(data)
    type_name = fields.pop("type", None)
    version = fields.pop("schema_version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidEvent("schema_version", version, "expected a whole number")
    return structure(type_name, fields, version)


# --- envelopes: an event with its place in a log, for JSON Lines interchange -----------------------

_ENVELOPE_KEYS = ("position", "event_id", "recorded_at", "type", "schema_version", "payload", "metadata")


@attrs.frozen
class Envelope:
    """One logged event as exchanged: envelope fields, the stored payload text, and the event read from it."""

    position: int
    event_id: str
    recorded_at: datetime
    type: str  # noqa: A003 - the event type, as in the log
    schema_version: int
    payload: str
    metadata: str | None
    event: Event


def envelope_line(
    position: int, event_id: str, recorded_at: str, type_name: str, schema_version: int, payload: str, metadata: str | None
) -> bytes:
    """One JSON Lines line (with its newline) for a stored row; payload and metadata go out as stored."""
    fields = {
        "position": position,
        "event_id": event_id,
        "recorded_at": recorded_at,
        "type": type_name,
        "schema_version": schema_version,
        "payload": orjson.Fragment(payload),
        "metadata": None if metadata is None else orjson.Fragment(metadata),
    }
    return orjson.dumps(fields, option=orjson.OPT_APPEND_NEWLINE)


def read_envelope(data: Any) -> Envelope:
    """Check one parsed line written by :func:`envelope_line` and read its event (upcasting an old version)."""
    if not isinstance(data, dict):
        raise InvalidEvent("line", data, "expected a JSON object with an event and its envelope")
    unknown = sorted(set(data) - set(_ENVELOPE_KEYS))
    missing = [key for key in _ENVELOPE_KEYS if key not in data and key != "metadata"]
    if unknown or missing:
        raise InvalidEvent("line", sorted(data), f"missing {missing} / unknown {unknown} keys; expected {list(_ENVELOPE_KEYS)}")
    position, event_id, version = data["position"], data["event_id"], data["schema_version"]
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise InvalidEvent("position", position, "expected a position (a whole number >= 1)")
    if not isinstance(event_id, str) or not event_id.strip():
        raise InvalidEvent("event_id", event_id, "expected a non-empty string")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidEvent("schema_version", version, "expected a whole number")
    recorded_at = _instant(data["recorded_at"])
    payload, metadata = data["payload"], data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidEvent("metadata", metadata, "expected a JSON object or null")
    event = structure(data["type"], payload, version)
    # a current-version payload is stored in its canonical form; an older one exactly as it was written
    text = dumps(event) if version == SCHEMA_VERSIONS[event.type] else orjson.dumps(payload).decode()
    return Envelope(
        position=position,
        event_id=event_id,
        recorded_at=recorded_at,
        type=event.type,
        schema_version=version,
        payload=text,
        metadata=None if metadata is None else orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS).decode(),
        event=event,
    )


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(timezone.utc)
    raise InvalidEvent("recorded_at", value, "expected an ISO datetime with its UTC offset")
