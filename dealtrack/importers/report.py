"""What an import did, as one frozen value; and the progress bar long imports show in a terminal."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ..errors import InvalidEvent

__all__ = ["ImportProblem", "ImportReport", "ProgressBar", "file_path", "progress_bar", "wants_progress"]


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


def file_path(value: Any, field: str = "path") -> str:
    """A path argument as text; anything that is not a path is an :class:`InvalidEvent` naming it."""
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str) and text:
            return text
    raise InvalidEvent(field, value, "expected a file path")


def wants_progress(progress: bool | None) -> bool:
    """Show a progress bar when asked to, or (``None``) when stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


class ProgressBar:
    """A rich progress bar on stderr for one file (silent when not ``enabled``); ``update(n)`` moves it."""

    def __init__(self, enabled: bool, description: str, total: int | None = None, *, in_bytes: bool = False) -> None:
        amount = (DownloadColumn(binary_units=True), TransferSpeedColumn()) if in_bytes else (MofNCompleteColumn(),)
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), *amount, TimeRemainingColumn(),
            console=Console(file=sys.stderr, force_terminal=enabled or None), disable=not enabled, transient=True,
        )
        self._task = self._progress.add_task(description, total=total)

    def update(self, advance: int) -> None:
        self._progress.update(self._task, advance=advance)

    def __enter__(self) -> ProgressBar:  # noqa: PYI034 - Self needs Python 3.11
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()


def progress_bar(enabled: bool, description: str, total: int | None = None, *, in_bytes: bool = False) -> ProgressBar:
    """A progress bar on stderr (a silent one when not ``enabled``); use it as a context manager."""
    return ProgressBar(enabled, description, total, in_bytes=in_bytes)
