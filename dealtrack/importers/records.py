"""A register record as the importers read it, whatever the file: one value per recorded conveyance.

The XML and CSV readers both produce :class:`AssignmentRecord` values (or
:class:`Unreadable` for a record they cannot use); :mod:`.loader` turns them
into events. Keeping the two formats apart from the mapping is what makes
them give the same ledger for the same records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs

__all__ = [
    "KINDS",
    "OWNERSHIP_KINDS",
    "AssignmentRecord",
    "Assignor",
    "Property",
    "Unreadable",
    "application_number",
    "by_inventors",
    "classify",
    "corrected_ref",
    "grant_number",
    "packed",
    "parse_day",
    "reel_frame",
    "unpacked",
]

#: The conveyance kinds an import report counts, in the order they are tried on the register's text.
KINDS = (
    "corrective",
    "nunc_pro_tunc",
    "assignment",
    "merger",
    "change_of_name",
    "security_assignment",
    "release",
    "security_interest",
    "licence",
    "unclassified",
)
#: Kinds that pass title to the listed properties.
OWNERSHIP_KINDS = frozenset({"assignment", "nunc_pro_tunc", "merger", "change_of_name"})

_PATTERNS = [
    ("corrective", re.compile(r"^\s*CORRECTIVE\b")),
    ("nunc_pro_tunc", re.compile(r"\bNUNC PRO TUNC\b")),
    ("assignment", re.compile(r"\bASSIGNMENT OF (THE )?ASSIGNOR|\bASSIGNS THE ENTIRE INTEREST")),
    ("merger", re.compile(r"\bMERGER\b")),
    ("change_of_name", re.compile(r"\bCHANGE OF NAME\b")),
    ("security_assignment", re.compile(
        r"\b(ASSIGNMENT|TRANSFER)( AND ASSUMPTION)? OF (THE )?(PATENT |INTELLECTUAL PROPERTY )?SECURITY\b"
        r"|\bSUCCESSOR (ADMINISTRATIVE |COLLATERAL )?AGENT\b|\bAGENCY (RESIGNATION|ASSIGNMENT|TRANSFER)\b")),
    ("release", re.compile(r"\bRELEASE\b")),
    ("security_interest", re.compile(r"\bSECURITY (INTEREST|AGREEMENT)\b|\bPATENT SECURITY\b|\bCOLLATERAL\b")),
    ("licence", re.compile(r"\bLICEN[CS]E\b")),
]
_CONFIRMS = re.compile(r"\bCONFIRMS THE (.*)$")
_CORRECTED = re.compile(
    r"REEL\s*/\s*FRAME\s*[:.]?\s*0*([0-9]+)\s*/\s*0*([0-9]+)"  # REEL/FRAME 012345/0678
    r"|REEL\s*[:.]?\s*0*([0-9]+)\s*,?\s*(?:AND\s+)?FRAME\s*[:.]?\s*0*([0-9]+)"  # REEL: 012345 FRAME: 0678
)


def classify(conveyance: str) -> str:
    """The kind of a conveyance from the register's text (``"unclassified"`` when none fits)."""
    text = " ".join(conveyance.upper().split())
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return "unclassified"


def corrected_kind(conveyance: str) -> str:
    """What a corrective record confirms ("... HEREBY CONFIRMS THE SECURITY INTEREST"), else an assignment."""
    found = _CONFIRMS.search(" ".join(conveyance.upper().split()))
    kind = classify(found[1]) if found else "unclassified"
    return kind if kind not in ("unclassified", "corrective") else "assignment"


def corrected_ref(conveyance: str) -> str | None:
    """The reel/frame a corrective record says it corrects ("PREVIOUSLY RECORDED AT REEL: 012345 FRAME: 0678")."""
    found = _CORRECTED.search(conveyance.upper())
    if found is None:
        return None
    numbers = reel_frame_numbers(*((found[1], found[2]) if found[1] else (found[3], found[4])))
    return None if numbers is None else reel_frame(*numbers)


_ORGANISATION = re.compile(
    r"\b(INC|INCORPORATED|LLC|L\.L\.C|CORP|CORPORATION|COMPANY|CO|LTD|LIMITED|GMBH|AG|KG|KGAA|SA|S\.A|NV|N\.V|BV"
    r"|B\.V|PLC|LLP|LP|L\.P|P\.C|PC|UNIVERSITY|UNIVERSITE|UNIVERSITAT|INSTITUTE|INSTITUT|HOSPITALS?|FOUNDATION|TRUST"
    r"|BANK|ASSOCIATION|HOLDINGS?|TECHNOLOGIES|TECHNOLOGY|SYSTEMS|GROUP|AGENT|TRUSTEE|KABUSHIKI|KAISHA|LABORATOR(Y|IES)"
    r"|LABS?|ENTERPRISES?|PARTNERS|FUND|CENTER|CENTRE|COLLEGE|SOCIETY|GOVERNMENT|SECRETARY|NATIONAL|INTERNATIONAL"
    r"|INDUSTRIES|PHARMACEUTICALS?|SERVICES|SOLUTIONS|NETWORKS?|ELECTRONICS|COMMUNICATIONS|SOFTWARE|SPA|S\.P\.A|OY"
    r"|AB|A/S|SAS|SARL|PTY|PTE|BHD|SDN|SE|GESELLSCHAFT|BOARD|REGENTS|COUNCIL|AGENCY|DEPARTMENT|MINISTRY|ESTATE|THE"
    r"|FONDAZIONE|STICHTING|FINANCIAL|LAW)\b"
)


def looks_like_person(name: str) -> bool:
    """True for a name the register writes as a natural person's: ``"LAST, GIVEN NAMES"`` and no company words."""
    text = name.upper()
    return "," in text and _ORGANISATION.search(text) is None


def looks_like_organisation(name: str) -> bool:
    """True for a name with a company word in it, or not written as a person's."""
    return not looks_like_person(name)


def by_inventors(kind: str, assignors: Sequence[Assignor], assignees: Sequence[str]) -> bool:
    """An assignment from inventors to their employer: persons convey to an organisation.

    Every assignor reads as a person (or at least not as a company, with one
    clearly a person), and some assignee as an organisation.
    """
    if kind not in ("assignment", "nunc_pro_tunc") or not assignors:
        return False
    names = [a.name.upper() for a in assignors]
    return (
        all(_ORGANISATION.search(name) is None for name in names)
        and any(looks_like_person(name) for name in names)
        and any(looks_like_organisation(name) for name in assignees)
    )


def reel_frame_numbers(reel: str | None, frame: str | None) -> tuple[int, int] | None:
    """A record's reel and frame as numbers, or None unless both are plain ASCII digits of a sane length."""
    for text in (reel, frame):
        if text is None or not text.isascii() or not text.isdigit() or len(text) > 12:
            return None
    assert reel is not None and frame is not None
    return int(reel), int(frame)


def reel_frame(reel: int, frame: int) -> str:
    """The register's reference for a record: ``"RRRRRR/FFFF"``, zero padded."""
    return f"{reel:06d}/{frame:04d}"


def parse_day(text: str | None) -> date | None:
    """``"20151230"`` or ``"2015-12-30"`` as a date; None for nothing; ValueError for anything else."""
    if text is None or not text.strip() or text.strip().upper() == "NULL":
        return None
    digits = text.strip().replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not a date: {text[:40]!r}{'...' if len(text) > 40 else ''}")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


_GRANT = re.compile(r"^([A-Z]{0,2})0*([0-9]+)$")


def grant_number(text: str | None) -> str | None:
    """A US patent number as dealtrack writes it (``"US9219817"``, ``"USRE42871"``), or None."""
    if text is None:
        return None
    found = _GRANT.match(text.strip().upper())
    if found is None or int(found[2]) == 0:
        return None
    return f"US{found[1]}{int(found[2])}"


def application_number(text: str | None) -> str | None:
    """A US application number as dealtrack writes it (``"USAPP08938403"``: series code and serial), or None."""
    if text is None:
        return None
    digits = text.strip().replace("/", "").replace(",", "")
    if not digits.isdigit() or int(digits) == 0:
        return None
    return f"USAPP{digits.zfill(8)}"


@attrs.frozen
class Assignor:
    """A party conveying: its name and the day it signed (None when the record gives none)."""

    name: str
    executed: date | None = None


@attrs.frozen
class Property:
    """One patent or application a record lists, by its numbers."""

    grant: str | None
    application: str | None
    granted: date | None = None
    title: str | None = None

    @property
    def id(self) -> str:
        """Its grant number when it has one, else its application number."""
        number = self.grant or self.application
        assert number is not None, "readers only keep properties with a number"
        return number

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(n for n in (self.grant, self.application) if n is not None)


@attrs.frozen
class AssignmentRecord:
    """One recorded conveyance: who conveyed what to whom, as the register has it."""

    reel: int
    frame: int
    recorded: date
    conveyance: str
    kind: str
    assignors: tuple[Assignor, ...]
    assignees: tuple[str, ...]
    properties: tuple[Property, ...]
    purged: bool = False
    inventors: bool = False  # the assignors are the inventors (see :func:`by_inventors`)
    where: str = ""  # where the record is in its file, for reports

    @property
    def ref(self) -> str:
        return reel_frame(self.reel, self.frame)

    @property
    def executed(self) -> date | None:
        """The latest execution date of its assignors (None when none is given)."""
        days = [a.executed for a in self.assignors if a.executed is not None]
        return max(days) if days else None


@attrs.frozen
class Unreadable:
    """A record a reader could not use, and why; the import reports it and goes on."""

    where: str
    reason: str


def packed(item: AssignmentRecord | Unreadable) -> tuple[Any, ...]:
    """``item`` as plain tuples (what a parsing process sends: pickled several times faster than the classes)."""
    if isinstance(item, Unreadable):
        return (item.where, item.reason)
    return (
        item.reel, item.frame, item.recorded, item.conveyance, item.kind,
        tuple([(a.name, a.executed) for a in item.assignors]), item.assignees,
        tuple([(p.grant, p.application, p.granted, p.title) for p in item.properties]),
        item.purged, item.inventors, item.where,
    )


def unpacked(fields: tuple[Any, ...]) -> AssignmentRecord | Unreadable:
    """The record (or Unreadable) :func:`packed` made ``fields`` of."""
    if len(fields) == 2:
        return Unreadable(*fields)
    reel, frame, recorded, conveyance, kind, assignors, assignees, properties, purged, inventors, where = fields
    return AssignmentRecord(
        reel, frame, recorded, conveyance, kind, tuple([Assignor(*a) for a in assignors]), assignees,
        tuple([Property(*p) for p in properties]), purged, inventors, where,
    )
