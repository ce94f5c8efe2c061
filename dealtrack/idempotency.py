"""Retries after an unknown outcome: an append's ``idempotency_key`` names the call, so a retry writes nothing.

A caller whose append timed out cannot tell whether it landed. Given the same
key and the same events, the retry returns the first call's envelopes; the
same key with other events is refused with :class:`IdempotencyConflict`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from . import codec
from .errors import IdempotencyConflict
from .events import Appended, Event, Recorded
from .sqlite.store import Store, parse_instant_column

__all__ = ["digest", "replay"]


def digest(events: Sequence[Event], metadata: str | None) -> str:
    """A SHA-256 over the events' types and payloads and the call's metadata: what "the same events" means."""
    sha = hashlib.sha256()
    for event in events:
        sha.update(event.type.encode() + b"\x00" + codec.dumps(event).encode() + b"\x00")
    sha.update((metadata or "").encode())
    return sha.hexdigest()


def replay(store: Store, key: str, wanted: str) -> Appended | None:
    """The first call's envelopes when ``key`` was used with the same events; None when the key is new."""
    found = store.append_key(key)
    if found is None:
        return None
    stored, positions = found
    if stored != wanted:
        raise IdempotencyConflict("idempotency_key", key,
                                  "was already used by an append of other events; nothing was written")
    return Appended(
        Recorded(row.position, row.event_id, parse_instant_column(row.recorded_at),
                 codec.decode_stored(row.type, row.payload, row.schema_version))
        for row in store.rows_at(positions)
    )
