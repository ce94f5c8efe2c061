"""dealtrack: patent deals as an immutable event log in SQLite, asked about as of any date.

Every acquisition, licence and sales ban is an event appended to the log;
views rebuilt from it answer who owned, licensed or was barred from what, on
any date, as known at any time.
"""

from .answers import Anchor, Anomaly, Basis, Explanation, Portfolio, Problem, Span, TitleChain, VerifyReport
from .errors import ConcurrencyError, DealtrackError, ImportFailed, InvalidEvent, LedgerBusy, LedgerFileError
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
    "ImportFailed",
    "InvalidEvent",
    "LedgerBusy",
    "LedgerFileError",
    "Ledger",
    "LedgerView",
    "LicenseGranted",
    "LicenseTerminated",
    "Money",
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
