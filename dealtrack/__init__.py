"""dealtrack: patent deals as an immutable event log in SQLite, asked about as of any date.

Every acquisition, licence and sales ban is an event appended to the log;
views rebuilt from it answer who owned, licensed or was barred from what, on
any date, as known at any time.
"""

from .answers import Anomaly, Portfolio, Problem, VerifyReport
from .errors import DealtrackError, InvalidEvent, LedgerFileError
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
    PartiesMerged,
    PartyRenamed,
    PatentRegistered,
    PatentsAssigned,
    Recorded,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from .ledger import Ledger
from .values import Money, Period, Source, normalize_patent

__version__ = "0.1.0"

__all__ = [
    "Anomaly",
    "BanImposed",
    "BanLifted",
    "BanModified",
    "CrossLicenseAgreed",
    "DealAnnounced",
    "DealtrackError",
    "Event",
    "EventRetracted",
    "InvalidEvent",
    "LedgerFileError",
    "Ledger",
    "LicenseGranted",
    "LicenseTerminated",
    "Money",
    "PartiesMerged",
    "PartyRenamed",
    "PatentRegistered",
    "PatentsAssigned",
    "Period",
    "Portfolio",
    "Problem",
    "Recorded",
    "SecurityInterestGranted",
    "SecurityInterestReleased",
    "Source",
    "VerifyReport",
    "normalize_patent",
]
