"""A whole ledger as JSON Lines: one event a line, with its envelope, to back up, diff and rebuild elsewhere.

Each line is ``{"position", "event_id", "recorded_at", "type",
"schema_version", "payload", "metadata"}``: the columns of the log. Importing
keeps event ids, recorded times and metadata, validates every event as an
append would, and chains it onto the target log; restored into an empty
ledger, the log is the same row for row, hash for hash. Re-importing skips the
event ids already there.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from .. import codec
from ..errors import ImportFailed, InvalidEvent
from ..limits import MAX_LINE_BYTES
from ..ledger import Ledger
from .loader import DEFAULT_BATCH
from .report import ImportReport, file_path, progress_bar, wants_progress

__all__ = ["export_jsonl", "import_jsonl"]


def export_jsonl(ledger: Ledger, path: str | os.PathLike[str]) -> int:
    """Write ``ledger``'s whole log to ``path``; return how many events (same as ``ledger.export_jsonl``)."""
    return ledger.export_jsonl(path)


def import_jsonl(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: bool | None = None,
) -> ImportReport:
    """Append the events of a JSON Lines export to ``ledger``, keeping their ids and recorded times.

    Lines are committed about ``batch_size`` at a time: a batch ends only where
    the recorded time changes, so no append of the source is split.
    Raises :class:`~dealtrack.ImportFailed` naming the line of anything it
    cannot take (bad JSON, an invalid event, a time going back); the lines
    before it are committed, so after a fix the import can simply run again.
    """
    if not isinstance(ledger, Ledger):
        raise InvalidEvent("ledger", ledger, "expected a dealtrack Ledger (Ledger.open(...))")
    name = file_path(path)
    if not os.path.isfile(name):
        raise ImportFailed(name, None, "no such file")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidEvent("batch_size", batch_size, "expected a whole number of events, 1 or more")
    tally = _Tally(ledger, Path(name).name)
    batch: list[tuple[int, codec.Envelope]] = []
    show = wants_progress(progress)
    with ledger.bulk(), open(name, "rb") as raw, \
            progress_bar(show, Path(name).name, os.path.getsize(name), in_bytes=True) as bar:
        try:
            for number, line in enumerate(_lines(raw), start=1):
                bar.update(len(line))
                if len(line) > MAX_LINE_BYTES:
                    raise ImportFailed(name, f"line {number}", f"longer than {MAX_LINE_BYTES} bytes: not a line dealtrack wrote")
                if not line.strip():
                    continue
                envelope = _read(name, number, line)
                if len(batch) >= batch_size and envelope.recorded_at != batch[-1][1].recorded_at:
                    # a full batch goes in where the source's appends ended, so the views fold where the source's did
                    full, batch = batch, []
                    tally.commit(name, full)
                batch.append((number, envelope))
                tally.kinds[envelope.type] += 1
        except ImportFailed:
            tally.commit(name, batch)  # the good lines read before the bad one
            raise
        tally.commit(name, batch)
    return tally.report()


def _lines(raw: BinaryIO) -> Iterator[bytes]:
    """The file's lines; one longer than MAX_LINE_BYTES is cut there (and so refused), never read whole."""
    while True:
        line = raw.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        yield line
        if len(line) > MAX_LINE_BYTES:
            return


def _read(name: str, number: int, line: bytes) -> codec.Envelope:
    try:
        return codec.read_envelope(orjson.loads(line))
    except orjson.JSONDecodeError as error:
        raise ImportFailed(name, f"line {number}", f"not JSON (cut short?): {error}") from None
    except InvalidEvent as error:
        raise ImportFailed(name, f"line {number}", str(error)) from None


class _Tally:
    def __init__(self, ledger: Ledger, source: str) -> None:
        self.ledger = ledger
        self.source = source
        self.kinds: Counter[str] = Counter()
        self.read = self.appended = self.skipped = 0

    def commit(self, name: str, batch: list[tuple[int, codec.Envelope]]) -> None:
        """Restore ``batch`` in one transaction, up to a line the ledger refuses, which is named."""
        if not batch:
            return
        result, refused = self.ledger._restore([envelope for _, envelope in batch])
        self.read += len(batch) if refused is None else refused[0]
        self.appended += len(result)
        self.skipped += len(result.skipped)
        if refused is not None:
            index, error = refused
            raise ImportFailed(name, f"line {batch[index][0]}", f"refused by the ledger: {error}")

    def report(self) -> ImportReport:
        return ImportReport(source=self.source, records=self.read, appended=self.appended, skipped=self.skipped,
                            events=self.appended, by_kind=self.kinds)
