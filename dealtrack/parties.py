"""Party names: one key per party, whatever spelling a register or a report used.

A register writes one company many ways: ``"NYTELL SOFTWARE LLC"`` and
``"NYTELL SOFTWARE LLC."``, ``"Morgan Stanley Senior Funding, Inc., as
Collateral Agent"``, runs of spaces. :func:`party_key` turns every spelling
into the same key (case, white space, punctuation, corporate suffixes and
trailing roles dropped); :func:`clean_name` is what importers store: the name
as the register wrote it, with white space squeezed. Every importer and every
question uses these two functions and no other.
"""

from __future__ import annotations

import functools
import re

__all__ = ["clean_name", "former_key", "lender_keys", "party_key", "role_of"]

# Trailing roles a register adds to a lender's or a trustee's name.
_ROLE = re.compile(
    r"[\s,;]+(?:IN\s+ITS\s+CAPACITY\s+)?AS\s+(?:THE\s+)?"
    r"(?:(?:SUCCESSOR|ADMINISTRATIVE|COLLATERAL|SECURITY|NOTES|AGENT|ADMINISTRATIVE\s+AND\s+COLLATERAL)\s+)*"
    r"(?:AGENT|TRUSTEE|COLLATERAL\s+AGENT|REPRESENTATIVE|LENDER|SECURED\s+PARTY)\b.*$",
    re.IGNORECASE,
)
# A predecessor written into the name: "X (AS SUCCESSOR IN INTEREST BY MERGER TO Y)", "X, SUCCESSOR-IN-INTEREST TO Y".
_SUCCESSOR = re.compile(
    r"[\s,;(]+(?:AS\s+)?SUCC?E?SS?OR(?:[\s-]+(?:IN[\s-]+INTEREST|BY\s+MERGER|AGENT|ADMINISTRATIVE\s+AGENT|COLLATERAL\s+AGENT))*"
    r"(?:[\s-]+BY\s+MERGER)?[\s-]+TO\s+(?P<before>.*?)\)?$",
    re.IGNORECASE,
)
# A former name written into the name: everything from "F/K/A" on.
_FORMERLY = re.compile(r"[\s,;(]+(?:F/K/A|FKA|FORMERLY\s+KNOWN\s+AS)\b(?P<before>.*)$", re.IGNORECASE)
_DOTTED = re.compile(r"(?<=\b\w)\.(?=\w\b\.?)")
_NATIONAL_ASSOCIATION = re.compile(r"\bNATIONAL ASSOCIATION\b")
_NOT_WORD = re.compile(r"[^\w]+")
_SUFFIXES = frozenset({
    "INC", "INCORPORATED", "CORP", "CORPORATION", "CO", "COMPANY", "LTD", "LIMITED", "LLC", "LLP", "LP", "PLC",
    "GMBH", "AG", "SA", "SAS", "BV", "NV", "KK", "AB", "OY", "SPA", "SRL", "PTE", "PTY", "THE",
})


def clean_name(name: str) -> str:
    """``name`` as written, with surrounding white space removed and inner runs squeezed to one space.

    .. versionadded:: 0.15
    """
    return " ".join(name.split())


def role_of(name: str) -> str | None:
    """The trailing role written into ``name`` (``"AS ADMINISTRATIVE AGENT"``), or None.

    .. versionadded:: 0.15
    """
    found = _ROLE.search(clean_name(name))
    return None if found is None else found.group(0).strip(" ,;").upper()


@functools.lru_cache(maxsize=1 << 16)  # a pure function of the text, asked of the same names over and over
def party_key(name: str) -> str:
    """The key that every spelling of one party shares: ``"Nytell Software, L.L.C."`` -> ``"NYTELL SOFTWARE"``.

    Upper case; a trailing role ("AS ADMINISTRATIVE AGENT") and a former name
    ("F/K/A ...") dropped; punctuation dropped (dotted abbreviations such as
    ``L.L.C.`` close up); corporate suffixes at the end dropped. A name made
    only of a suffix keeps it.

    .. versionadded:: 0.15
    """
    text = clean_name(name).upper()
    # Each test below only skips a substitution that could not match. In ASCII text (single spaces between
    # words, upper case) a predecessor needs "SOR", a role "AS ", a former name "FKA", "F/K/A" or "FORMERLY";
    # other text (where case-blind matching reaches past ASCII) always goes through the expressions.
    plain = text.isascii()
    if not plain or "SOR" in text:
        text = _SUCCESSOR.sub("", text)
    if not plain or "AS " in text:
        text = _ROLE.sub("", text)
    if not plain or "FKA" in text or "F/K/A" in text or "FORMERLY" in text:
        text = _FORMERLY.sub("", text)
    if "." in text:
        text = _DOTTED.sub("", text)  # L.L.C. -> LLC.
    text = text.replace("&", " AND ")
    if "NATIONAL ASSOCIATION" in text:
        text = _NATIONAL_ASSOCIATION.sub("NA", text)  # a US bank's "N.A." spelled out
    # ASCII letters and digits between spaces are words already; anything else splits where it is not a word
    words = text.split() if plain and text.replace(" ", "").isalnum() else _NOT_WORD.sub(" ", text).split()
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "THE":
        words.pop(0)
    return " ".join(words) or clean_name(name).upper()


def lender_keys(name: str) -> frozenset[str]:
    """The keys a secured party answers to: its own, and a predecessor its name cites
    (``"PACIFIC WESTERN BANK (AS SUCCESSOR IN INTEREST BY MERGER TO SQUARE 1 BANK)"``).

    .. versionadded:: 0.15
    """
    found = _SUCCESSOR.search(clean_name(name))
    before = found.group("before").strip(" ,;()") if found else ""
    return frozenset({party_key(name)} | ({party_key(before)} if before else set()))


def former_key(name: str) -> str | None:
    """The key of the former name written into ``name`` ("ACME CORP F/K/A WIDGET INC" -> ``"WIDGET"``), or None.

    .. versionadded:: 0.15
    """
    text = clean_name(name)
    upper = text.upper()
    if upper.isascii() and "FKA" not in upper and "F/K/A" not in upper and "FORMERLY" not in upper:
        return None  # (what the expression needs is not there: see party_key)
    found = _FORMERLY.search(text)
    before = found.group("before").strip(" ,;()") if found else ""
    return party_key(before) if before else None
