"""dealtrack: patent deals as an immutable event log in SQLite, asked about as of any date.

Every acquisition, licence and sales ban is an event appended to the log;
views rebuilt from it answer who owned, licensed or was barred from what, on
any date, as known at any time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names below are imported when first used (PEP 562), so that `dealtrack --help` and
# `import dealtrack.errors` do not pay for SQLite, cattrs and friends; type checkers see them all.
if TYPE_CHECKING:
    from .answers import Anchor, Anomaly, Basis, Explanation, Portfolio, Problem, Span, TitleChain, VerifyReport
    from .errors import (
        ConcurrencyError,
        DealtrackError,
        IdempotencyConflict,
        ImportFailed,
        InvalidEvent,
        LedgerBusy,
        LedgerFileError,
        LedgerReadOnly,
        WrongThread,
    )
    from .events import (
        Appended,
        BanImposed,
        BanLifted,
        BanModified,
        CrossLicenseAgreed,
        DealAnnounced,
        Event,
        EventRetracted,
        LicenseGranted,
        LicenseTerminated,
        PartiesMerged,
        PartyRenamed,
        PatentLapsed,
        PatentNumbersLinked,
        PatentRegistered,
        PatentsAssigned,
        Recorded,
        RegisterRecord,
        SecurityInterestAssigned,
        SecurityInterestGranted,
        SecurityInterestReleased,
        Skipped,
    )
    from .ledger import Ledger, LedgerView
    from .values import Money, Period, Source, normalize_patent

__version__ = "0.1.0"

__all__ = [
    "Anchor",
    "Anomaly",
    "Appended",
    "BanImposed",
    "BanLifted",
    "BanModified",
    "Basis",
    "ConcurrencyError",
    "CrossLicenseAgreed",
    "DealAnnounced",
    "DealtrackError",
    "Event",
    "EventRetracted",
    "Explanation",
    "IdempotencyConflict",
    "ImportFailed",
    "InvalidEvent",
    "LedgerBusy",
    "LedgerFileError",
    "LedgerReadOnly",
    "Ledger",
    "LedgerView",
    "LicenseGranted",
    "LicenseTerminated",
    "Money",
    "WrongThread",
    "PartiesMerged",
    "PartyRenamed",
    "PatentLapsed",
    "PatentNumbersLinked",
    "PatentRegistered",
    "PatentsAssigned",
    "Period",
    "Portfolio",
    "Problem",
    "Recorded",
    "RegisterRecord",
    "SecurityInterestAssigned",
    "SecurityInterestGranted",
    "SecurityInterestReleased",
    "Skipped",
    "Source",
    "Span",
    "TitleChain",
    "VerifyReport",
    "normalize_patent",
]


_HOMES = {
    "answers": ("Anchor", "Anomaly", "Basis", "Explanation", "Portfolio", "Problem", "Span", "TitleChain",
                "VerifyReport"),
    "errors": ("ConcurrencyError", "DealtrackError", "IdempotencyConflict", "ImportFailed", "InvalidEvent", "LedgerBusy",
               "LedgerFileError", "LedgerReadOnly", "WrongThread"),
    "ledger": ("Ledger", "LedgerView"),
    "values": ("Money", "Period", "Source", "normalize_patent"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import a public name (or a submodule) the first time it is asked for."""
    module = _HOME.get(name, "events" if name in __all__ else None)
    if module is None:
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'dealtrack' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
