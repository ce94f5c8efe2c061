"""The exceptions dealtrack raises: one base class, one subclass per kind of failure."""

from __future__ import annotations

from typing import Any


class DealtrackError(Exception):
    """Base class of every error dealtrack raises on purpose."""


class InvalidEvent(DealtrackError, ValueError):
    """A malformed event, or a malformed value given to any dealtrack API.

    ``field`` names what was wrong and ``value`` is what was given, so that a
    caller can point at the offending input without parsing the message.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (got {_shown(value)})")


def _shown(value: Any, limit: int = 300) -> str:
    """``repr(value)`` cut to ``limit`` characters (some values cannot even be written out in full)."""
    try:
        text = repr(value)
    except Exception:  # e.g. an int too long to print
        return f"<{type(value).__name__} that cannot be shown>"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class LedgerFileError(DealtrackError):
    """A file that cannot be opened as a dealtrack ledger (left untouched)."""


class ConcurrencyError(DealtrackError):
    """The log was not at the position the caller expected (another writer got there first).

    Nothing was written; read the new events and decide again.
    """

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected the log to end at position {expected}, but it ends at {actual}; nothing was written")


class LedgerBusy(DealtrackError):
    """Another process held the ledger's write lock for too long; nothing was written."""


class ImportFailed(DealtrackError):
    """A file an importer cannot read: ``path`` names it and ``where`` the record or line.

    What was committed before the failure stays; running the import again
    skips it and appends the rest.
    """

    def __init__(self, path: str, where: str | None, reason: str) -> None:
        self.path = path
        self.where = where
        self.reason = reason
        place = path if where is None else f"{path}, {where}"
        super().__init__(f"{place}: {reason}")

    def __reduce__(self) -> tuple[type[ImportFailed], tuple[str, str | None, str]]:
        """Pickled by its fields (an import's parsing process sends it to the importing one)."""
        return type(self), (self.path, self.where, self.reason)


class MissingExtra(DealtrackError, ImportError):
    """A feature needs an optional extra that is not installed; the message says how to install it."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.feature = feature
        self.package = package
        self.extra = extra
        super().__init__(f'{feature} needs {package}, an optional extra: pip install "dealtrack[{extra}]"')


class LedgerReadOnly(DealtrackError):
    """The ledger was opened read-only (``readonly=True``, or its file or folder is not writable): nothing was written."""


class IdempotencyConflict(InvalidEvent):
    """An ``idempotency_key`` already used by an append of other events; nothing was written."""


class WrongThread(DealtrackError):
    """A Ledger was used from a thread other than the one that opened it; open one Ledger per thread."""
