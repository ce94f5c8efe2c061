"""The values questions return: small frozen records that also read well as rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from .values import Period

__all__ = ["Anomaly", "Portfolio", "Problem", "VerifyReport"]


@attrs.frozen
class Portfolio:
    """What a party held during a period: listed patents plus deals' undisclosed ones.

    ``len()`` counts both; iterating yields the listed patent ids.
    """

    party: str
    on: Period
    patents: frozenset[str]
    undisclosed: int = 0

    def __len__(self) -> int:
        return len(self.patents) + self.undisclosed

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.patents))

    def __contains__(self, patent: object) -> bool:
        return patent in self.patents

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per listed patent, then one row for the undisclosed ones (if any)."""
        rows: list[dict[str, Any]] = [{"party": self.party, "patent": p, "count": 1} for p in self]
        if self.undisclosed:
            rows.append({"party": self.party, "patent": None, "count": self.undisclosed})
        return rows


@attrs.frozen
class Anomaly:
    """Something in the record that does not add up, kept rather than rejected."""

    kind: str
    subject: str
    position: int
    event_id: str
    message: str

    def to_row(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Problem:
    """One thing :meth:`Ledger.verify` found wrong, at the first position it shows."""

    position: int
    kind: str
    message: str


@attrs.frozen
class VerifyReport:
    """What :meth:`Ledger.verify` checked and found; true when all is well."""

    events_checked: int
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.events_checked} events, hash chain intact, views in step"
        return "\n".join(f"position {p.position}: {p.kind}: {p.message}" for p in self.problems)
