"""dealtrack: patent deals as an immutable event log in SQLite, asked about as of any date.

Every acquisition, licence and sales ban is an event appended to the log;
views rebuilt from it answer who owned, licensed or was barred from what, on
any date, as known at any time.
"""

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
    PatentNumbersLinked,
    PatentRegistered,
    PatentsAssigned,
    Recorded,
    RegisterRecord,
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
    "PatentNumbersLinked",
    "PatentRegistered",
    "PatentsAssigned",
    "Period",
    "Portfolio",
    "Problem",
    "Recorded",
    "RegisterRecord",
    "SecurityInterestGranted",
    "SecurityInterestReleased",
    "Skipped",
    "Source",
    "Span",
    "TitleChain",
    "VerifyReport",
    "normalize_patent",
]
