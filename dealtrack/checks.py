"""Checks an event needs the log for: ids it refers to, and the order of a thing's life.

An event's own fields are checked when it is built; these checks run at
append, in order, so that a later event of the same append may refer to an
earlier one (a ban and its modification, a licence and its termination).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .errors import InvalidEvent
from .events import (
    BanImposed,
    BanLifted,
    BanModified,
    CrossLicenseAgreed,
    DealAnnounced,
    Event,
    EventRetracted,
    LicenseGranted,
    LicenseTerminated,
    PatentRegistered,
)
from .sqlite.store import Store
from .values import Period

__all__ = ["Checker", "stream_of"]

_LICENCE_START = (LicenseGranted, CrossLicenseAgreed)
#: the events whose check reads their licence's or ban's stream
_READS_STREAM = (LicenseGranted, CrossLicenseAgreed, LicenseTerminated, BanImposed, BanModified, BanLifted)


def stream_of(event: Event) -> str | None:
    """The thing an event belongs to (``"licence:ID"``, ``"ban:ID"``...), for look-ups by id."""
    if isinstance(event, (LicenseGranted, CrossLicenseAgreed, LicenseTerminated)):
        return f"licence:{event.licence_id}"
    if isinstance(event, (BanImposed, BanModified, BanLifted)):
        return f"ban:{event.ban_id}"
    if isinstance(event, PatentRegistered):
        return f"patent:{event.patent}"
    if isinstance(event, DealAnnounced):
        return f"deal:{event.deal}"
    return None


class Checker:
    """Validates one append's events in order against the log and each other."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: dict[str, list[tuple[int, Event]]] = {}  # stream -> (position, event) earlier in this append
        self._pending_ids: dict[str, tuple[int, Event]] = {}  # event_id -> (position, event), this append
        self._retracting: set[int] = set()
        self._recorded: dict[str, list[tuple[int, str, str | None, str | None]]] = {}  # stream -> its logged events

    def read_streams(self, events: Iterable[Event]) -> None:
        """Read the logged events of every licence and ban that ``events`` name, in one statement, before checking them.

        Optional: a stream not read here is read when its first event is checked.
        """
        streams = {stream_of(event) for event in events if isinstance(event, _READS_STREAM)}
        wanted = [stream for stream in streams if stream is not None and stream not in self._recorded]
        if wanted:
            self._recorded.update(self.store.stream_events_of(wanted))

    def check(self, position: int, event_id: str, event: Event) -> int | None:
        """Raise InvalidEvent if ``event`` cannot follow the log; return a retraction's target position."""
        target = None
        if isinstance(event, EventRetracted):
            target = self._check_retraction(event)
        elif isinstance(event, _LICENCE_START):
            if self._live(f"licence:{event.licence_id}", _LICENCE_START):
                raise InvalidEvent(f"{event.type}.licence_id", event.licence_id, "a licence with this id is already recorded")
        elif isinstance(event, LicenseTerminated):
            self._check_follows(event, "licence", event.licence_id, _LICENCE_START, (LicenseTerminated,))
        elif isinstance(event, BanImposed):
            if self._live(f"ban:{event.ban_id}", (BanImposed,)):
                raise InvalidEvent("BanImposed.ban_id", event.ban_id, "a ban with this id is already recorded")
        elif isinstance(event, (BanModified, BanLifted)):
            self._check_follows(event, "ban", event.ban_id, (BanImposed,), (BanLifted,))
        stream = stream_of(event)
        if stream is not None:
            self._pending.setdefault(stream, []).append((position, event))
        self._pending_ids[event_id] = (position, event)
        if target is not None:
            self._retracting.add(target)
        return target

    def _live(self, stream: str, types: Iterable[type[Event]]) -> list[tuple[str, Period]]:
        """``(type, effective)`` of the events of ``stream`` with one of ``types``, recorded or pending, not retracted.

        Read from the log's own columns (no payload is decoded), once per stream and append.
        """
        types = tuple(types)
        names = {cls.__name__ for cls in types}
        recorded = self._recorded.get(stream)
        if recorded is None:
            recorded = self._recorded[stream] = self.store.stream_events_of([stream])[stream]
        found = [
            (type_name, Period(date.fromisoformat(start), date.fromisoformat(end)))  # type: ignore[arg-type]
            for position, type_name, start, end in recorded
            if type_name in names and position not in self._retracting
        ]
        pending = [event for position, event in self._pending.get(stream, []) if position not in self._retracting]
        return found + [(event.type, event.effective) for event in pending if isinstance(event, types) and event.effective]

    def _check_follows(
        self,
        event: Event,
        kind: str,
        ident: str,
        starts: tuple[type[Event], ...],
        ends: tuple[type[Event], ...],
    ) -> None:
        """``event`` refers to a licence or ban by id: it must exist, have begun, and not have ended."""
        name = f"{event.type}.{kind}_id"
        begun = self._live(f"{kind}:{ident}", starts)
        if not begun:
            raise InvalidEvent(name, ident, f"no {kind} with this id is recorded")
        assert event.effective is not None
        first = min(effective.start for _, effective in begun)
        if event.effective.end < first:
            raise InvalidEvent(f"{event.type}.effective", str(event.effective), f"is before the {kind} began ({first})")
        ended = self._live(f"{kind}:{ident}", ends)
        if ended:
            raise InvalidEvent(name, ident, f"the {kind} has already ended ({ended[0][0]} {ended[0][1]})")

    def _check_retraction(self, event: EventRetracted) -> int:
        name = "EventRetracted.target"
        if event.target in self._pending_ids:
            target, target_event = self._pending_ids[event.target]
            target_type = target_event.type
        else:
            found = self.store.position_of(event.target)
            if found is None:
                raise InvalidEvent(name, event.target, "no event with this event_id is recorded")
            target, target_type = found, self.store.rows_at([found])[0].type
        if target_type == "EventRetracted":
            raise InvalidEvent(name, event.target, "a retraction cannot be retracted; append the event again")
        if target in self._retracting or self.store.retracted_by(target) is not None:
            raise InvalidEvent(name, event.target, "this event is already retracted")
        return target
