"""What an import did, as one frozen value; and the progress bar long imports show in a terminal."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from tqdm import tqdm  # type: ignore[import-untyped]

__all__ = ["ImportProblem", "ImportReport", "progress_bar", "wants_progress"]


@attrs.frozen
class ImportProblem:
    """One record (or line) the import left out or read in a particular way, and why."""

    record: str
    reason: str


def _counts(kinds: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(Counter(kinds).items()))


def _problems(problems: Iterable[ImportProblem]) -> tuple[ImportProblem, ...]:
    return tuple(problems)


@attrs.frozen
class ImportReport:
    """The outcome of one import.

    ``records``: records (or lines) read; ``appended``: those written now;
    ``skipped``: those already in the ledger (a re-run, or an interrupted run
    finished); ``events``: events written (number links and retractions
    included); ``by_kind``: records read by conveyance kind (JSON Lines: by
    event type); ``retracted``: records retracted because the register purged
    or corrected them; ``problems``: what was left out or read specially, and why.
    """

    source: str
    records: int = 0
    appended: int = 0
    skipped: int = 0
    events: int = 0
    retracted: int = 0
    by_kind: Mapping[str, int] = attrs.field(factory=dict, converter=_counts)
    problems: tuple[ImportProblem, ...] = attrs.field(default=(), converter=_problems)

    def __str__(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in self.by_kind.items())
        return (
            f"{self.source}: {self.records} read, {self.appended} appended, {self.skipped} already there, "
            f"{self.events} events written, {self.retracted} retracted, {len(self.problems)} problems ({kinds})"
        )


def wants_progress(progress: bool | None) -> bool:
    """Show a progress bar when asked to, or (``None``) when stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def progress_bar(enabled: bool, **options: Any) -> tqdm:  # type: ignore[type-arg]
    """A tqdm bar on stderr (a silent one when not ``enabled``)."""
    return tqdm(disable=not enabled, file=sys.stderr, dynamic_ncols=True, leave=False, **options)
