"""Events to JSON and back, through one cattrs converter.

Every stored event carries a type tag (its class name) and a schema version.
When an event class changes shape, bump its version in ``SCHEMA_VERSIONS`` and
register an upcaster that turns the old payload into the new one; old ledgers
then read as current classes.
"""

from __future__ import annotations

import typing
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

import attrs
import cattrs
import orjson
from cattrs.preconf.orjson import make_converter

from .errors import InvalidEvent
from .events import EVENT_TYPES, Event
from .values import Money, Period, Source, parse_period

__all__ = [
    "SCHEMA_VERSIONS",
    "UPCASTERS",
    "Envelope",
    "converter",
    "decode_stored",
    "stored_fields",
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
SCHEMA_VERSIONS["SecurityInterestReleased"] = 2  # 2: interest (the grant a release cites)

#: ``(type, version) -> function`` turning a payload of that version into the next one.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("PatentsAssigned", 1): lambda data: {**data, "by_inventors": False},
    ("SecurityInterestReleased", 1): lambda data: {**data, "interest": None},
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
    """The event's payload as compact JSON text (no type tag; the log stores that apart).

    Written by generated code per event class (see the lean path below): the
    same bytes as ``orjson.dumps(unstructure(event))``, several times faster.
    """
    write = _ENCODERS.get(type(event))
    if write is None:
        return orjson.dumps(unstructure(event)).decode()
    return orjson.dumps(write(event)).decode()


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
            if moment.tzinfo is not None:
                return moment.astimezone(timezone.utc)
        except (ValueError, OverflowError):  # OverflowError: e.g. 9999-12-31T23:00-05:00 is past the last UTC time
            pass
    raise InvalidEvent("recorded_at", value, "expected an ISO datetime with its UTC offset")


# --- the lean path: the log's own payloads, written by this dealtrack ------------------------
#
# Payloads in the log were written from validated events, and the hash chain
# guards them, so reading them back need not re-run every field's checks:
# ``decode_stored`` builds the same attrs instances field by field (several
# times faster than cattrs plus validation), and ``dumps`` writes the same
# bytes as cattrs' unstructure would. Anything unexpected falls back to the checked path, which
# raises InvalidEvent; ``verify()`` always reads through the checked path.

_new = object.__new__
_set = object.__setattr__
_PERIODS: dict[str, Period] = {}


def _period(text: str) -> Period:
    found = _PERIODS.get(text)
    if found is None:
        if len(_PERIODS) > 200_000:  # bounded: a ledger has a few thousand distinct dates
            _PERIODS.clear()
        if len(text) == 10:  # a single day, the common case
            day = date.fromisoformat(text)
            found = _new(Period)
            _set(found, "start", day)
            _set(found, "end", day)
        else:
            found = parse_period(text, "effective")
        _PERIODS[text] = found
    return found


def _source(data: dict[str, Any]) -> Source:
    source = _new(Source)
    if len(data) != 4:
        raise KeyError("Source")
    _set(source, "url", data["url"])
    _set(source, "title", data["title"])
    _set(source, "publisher", data["publisher"])
    published = data["published"]
    _set(source, "published", None if published is None else _period(published))
    return source


def _money(data: dict[str, Any]) -> Money:
    money = _new(Money)
    if len(data) != 2:
        raise KeyError("Money")
    _set(money, "amount", Decimal(data["amount"]))
    _set(money, "currency", data["currency"])
    return money


def _sources(items: list[dict[str, Any]]) -> tuple[Source, ...]:
    return tuple(_source(item) for item in items)


def _encode_sources(sources: tuple[Source, ...]) -> list[dict[str, Any]]:
    return [
        {"url": s.url, "title": s.title, "publisher": s.publisher,
         "published": None if s.published is None else str(s.published)}
        for s in sources
    ]


def _encode_money(money: Money) -> dict[str, Any]:
    return {"amount": str(money.amount), "currency": money.currency}


def _plan(kind: Any) -> tuple[str, str]:
    """Python expressions ``(read, write)`` of ``{v}`` for a field's type (the value as JSON has it, as the event has it)."""
    args = typing.get_args(kind)
    if type(None) in args:  # X | None
        (inner,) = [arg for arg in args if arg is not type(None)]
        read, write = _plan(inner)
        return (
            "{v}" if read == "{v}" else f"(None if {{v}} is None else {read})",
            "{v}" if write == "{v}" else f"(None if {{v}} is None else {write})",
        )
    if kind is Period:
        return "_period({v})", "str({v})"
    if kind is date:
        return "_fromiso({v})", "{v}.isoformat()"
    if kind is Money:
        return "_money({v})", "_encode_money({v})"
    if typing.get_origin(kind) is tuple:
        if args[0] is Source:
            return "_sources({v})", "_encode_sources({v})"
        return "tuple({v})", "{v}"  # orjson writes a tuple of strings as the array it came from
    if kind in (str, int, bool):
        return "{v}", "{v}"
    raise TypeError(f"no lean codec for {kind!r}")


_HELPERS = {"_new": _new, "_set": _set, "_period": _period, "_fromiso": date.fromisoformat, "_money": _money,
            "_sources": _sources, "_encode_sources": _encode_sources, "_encode_money": _encode_money}


def _compile(cls: type[Event]) -> tuple[Callable[[dict[str, Any]], Event], Callable[[Event], dict[str, Any]]]:
    """Generate a decoder and an encoder for ``cls`` (plain code per field, as cattrs does)."""
    hints = typing.get_type_hints(cls)
    fields = [(field.name, *_plan(hints[field.name])) for field in attrs.fields(cls)]
    decode = [
        "def decode(data):",
        f"    if len(data) != {len(fields)}:",
        f"        raise KeyError({cls.__name__!r})",
        "    event = _new(cls)",
    ]
    for i, (name, read, _) in enumerate(fields):
        decode.append(f"    v{i} = data[{name!r}]")
        decode.append(f"    _set(event, {name!r}, {read.format(v=f'v{i}')})")
    decode.append("    return event")
    encode = ["def encode(event):"]
    encode += [f"    v{i} = event.{name}" for i, (name, _, _) in enumerate(fields)]
    encode.append("    return {" + ", ".join(f"{name!r}: {write.format(v=f'v{i}')}" for i, (name, _, write) in enumerate(fields)) + "}")
    namespace: dict[str, Any] = {**_HELPERS, "cls": cls}
    exec("\n".join(decode) + "\n\n" + "\n".join(encode), namespace)  # noqa: S102 - code built above from field types
    return namespace["decode"], namespace["encode"]


_COMPILED = {cls: _compile(cls) for cls in EVENT_TYPES.values()}
_DECODERS = {cls.__name__: pair[0] for cls, pair in _COMPILED.items()}
_ENCODERS = {cls: pair[1] for cls, pair in _COMPILED.items()}


_FIELD_NAMES = {cls.__name__: tuple(field.name for field in attrs.fields(cls)) for cls in EVENT_TYPES.values()}
_FIELD_SETS = {name: frozenset(names) for name, names in _FIELD_NAMES.items()}


def stored_fields(type_name: str, payload: str | bytes, schema_version: int) -> dict[str, Any]:
    """A stored event's fields by name, without building the event: for a fold that reads only a few of them.

    Values are as stored (a list for a tuple, ISO text for a date or period);
    an older schema version, or a payload of unexpected shape, is decoded
    (:func:`decode_stored`) and its attributes returned instead.
    """
    if schema_version == SCHEMA_VERSIONS.get(type_name):
        data = orjson.loads(payload)
        if isinstance(data, dict) and data.keys() == _FIELD_SETS[type_name]:
            return data
    event = decode_stored(type_name, payload, schema_version)
    return {name: getattr(event, name) for name in _FIELD_NAMES[type(event).__name__]}


def decode_stored(type_name: str, payload: str | bytes, schema_version: int) -> Event:
    """Read a payload from the log back into its event class, trusting what this dealtrack wrote.

    Older schema versions are upcast first; a payload of unexpected shape goes
    through the checked path of :func:`loads`, which names what is wrong.
    """
    if schema_version != SCHEMA_VERSIONS.get(type_name):
        return loads(type_name, payload, schema_version)
    try:
        return _DECODERS[type_name](orjson.loads(payload))
    except Exception:  # noqa: BLE001 - anything odd: let the checked path say what
        return loads(type_name, payload, schema_version)
