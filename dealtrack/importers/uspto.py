"""USPTO patent assignment XML (the daily ``adYYYYMMDD.xml`` and annual files, plain or zipped).

The file is streamed with ``iterparse`` and each ``<patent-assignment>`` is
cleared once read, so memory stays flat however large the file. Each record
becomes an :class:`~.records.AssignmentRecord`; :mod:`.loader` turns those
into events.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from pathlib import Path
from typing import IO

from ..errors import ImportFailed
from ..ledger import Ledger
from .loader import DEFAULT_BATCH, Loader
from .records import (
    AssignmentRecord,
    Assignor,
    Property,
    Unreadable,
    application_number,
    by_inventors,
    classify,
    grant_number,
    packed,
    parse_day,
    reel_frame,
    reel_frame_numbers,
    unpacked,
)
from .report import ImportReport, file_path, progress_bar, wants_progress
from .worker import ReadingProcess, can_fork

__all__ = ["import_assignments", "read_records"]

ROOT = "us-patent-assignments"
#: Kind codes of granted documents: B1/B2 (utility, since 2001), A (utility, before 2001), E (reissue),
#: S (design), P2/P3 (plant), H (statutory invention registration).
_GRANT_KINDS = frozenset({"A", "B1", "B2", "B3", "E", "E1", "S", "S1", "P2", "P3", "H", "H1"})


def import_assignments(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: bool | None = None,
    strict: bool = False,
) -> ImportReport:
    """Import a USPTO patent assignment XML file (``.xml``, or a ``.zip`` of them) into ``ledger``.

    Returns an :class:`~.report.ImportReport`. Running it again appends
    nothing: each record is keyed by its reel/frame. ``progress`` shows a bar
    on stderr (default: only when stderr is a terminal). Raises
    :class:`~dealtrack.ImportFailed` for a file that is not such a file.
    A record it cannot read is left out and listed in the report's problems
    (where, why); with ``strict=True`` it raises ImportFailed there instead.
    A file of :data:`PARALLEL_FROM` bytes of XML or more is parsed in a second
    process while this one appends (where the process can fork safely): the
    same ledger, report and errors, in less time on a machine with two cores.
    """
    name = file_path(path)
    loader = Loader(ledger, Path(name).name, importer="uspto-xml", batch_size=batch_size, strict=strict is True)
    with closing(_records_to_import(name, wants_progress(progress))) as records:  # (closing it stops a reader)
        return loader.load(records)


def read_records(path: str | os.PathLike[str], *, progress: bool | None = None) -> Iterator[AssignmentRecord | Unreadable]:
    """Stream the records of an assignment XML file (or of each XML file in a zip), without importing them."""
    return _records(path, wants_progress(progress), None)


#: XML (in bytes) from which an import parses the file in a second process: below it, starting one costs more
#: than it saves.
PARALLEL_FROM = 4 << 20


def _records_to_import(name: str, show: bool) -> Generator[AssignmentRecord | Unreadable, None, None]:
    """The file's records, parsed in a second process while this one imports them (see :mod:`.worker`)
    when the file is large enough and the process can fork; else here, as :func:`read_records` does."""
    size = _xml_bytes(name)
    if size is None or size < PARALLEL_FROM or not can_fork():
        yield from _records(name, show, None)
        return
    try:
        reader = ReadingProcess(lambda tick: _records(name, False, tick), packed, unpacked, label=name, counting=show)
    except OSError:  # no process to be had (a limit on processes, or on memory): read the file here
        yield from _records(name, show, None)
        return
    with reader, progress_bar(show, Path(name).name, size, in_bytes=True) as bar:  # (the bar's thread after the fork)
        for read, records in reader.batches(lambda record: record.where):
            if read:
                bar.update(read)
            yield from records


def _xml_bytes(name: str) -> int | None:
    """How many bytes of XML the file holds (the members' sizes for a zip); None when it cannot tell."""
    try:
        if not zipfile.is_zipfile(name):
            return os.path.getsize(name) if os.path.isfile(name) else None
        with zipfile.ZipFile(name) as archive:
            return sum(m.file_size for m in archive.infolist() if m.filename.lower().endswith(".xml"))
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError):  # reading it again says what is wrong
        return None


def _records(
    path: str | os.PathLike[str], show: bool, tick: Callable[[int], None] | None
) -> Iterator[AssignmentRecord | Unreadable]:
    """The records of a file: a bar per XML file when ``show``; ``tick(n)`` for the bytes read, if given."""
    name = file_path(path)
    if not os.path.isfile(name):
        raise ImportFailed(name, None, "no such file")
    try:
        if zipfile.is_zipfile(name):
            with zipfile.ZipFile(name) as archive:
                members = [m for m in archive.infolist() if m.filename.lower().endswith(".xml") and not m.is_dir()]
                if not members:
                    raise ImportFailed(name, None, "the zip file holds no .xml file")
                for member in members:
                    with archive.open(member) as raw:
                        yield from _stream(raw, f"{name}:{member.filename}", member.file_size, show, tick)
            return
        with open(name, "rb") as raw:
            yield from _stream(raw, name, os.path.getsize(name), show, tick)
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as error:  # unreadable, or a damaged zip
        raise ImportFailed(name, None, f"cannot be read: {error}") from None


def _stream(
    raw: IO[bytes], label: str, size: int, show: bool, tick: Callable[[int], None] | None
) -> Iterator[AssignmentRecord | Unreadable]:
    """Parse one XML stream; ``label`` (the path, and the member of a zip) names it in errors."""
    if tick is not None:
        yield from _parse(_Counting(raw, tick), label)
        return
    with progress_bar(show, Path(label).name, size, in_bytes=True) as bar:
        yield from _parse(_Counting(raw, bar.update) if show else raw, label)


class _Counting:
    """A binary file that says how many bytes it gave (to move a progress bar)."""

    def __init__(self, raw: IO[bytes], tick: Callable[[int], None]) -> None:
        self._raw = raw
        self._tick = tick

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._tick(len(data))
        return data


def _parse(source: IO[bytes] | _Counting, label: str) -> Iterator[AssignmentRecord | Unreadable]:
    index = 0
    last = "the start of the file"
    root: ET.Element | None = None
    container: ET.Element | None = None
    try:
        for event, element in ET.iterparse(source, events=("start", "end")):
            if event == "start":
                if root is None:
                    root = element
                    if element.tag != ROOT:
                        raise ImportFailed(label, "root element",
                                           f"<{element.tag}> is not <{ROOT}>: not a USPTO patent assignment file")
                elif element.tag == "patent-assignments":
                    container = element
                continue
            if element.tag == "patent-assignment":
                index += 1
                try:
                    record = _record(element, index)
                except (ValueError, TypeError, OverflowError) as error:  # one record the reader cannot take
                    record = Unreadable(f"record {index}", f"cannot be read ({error}); skipped")
                last = record.where
                yield record
                (container if container is not None else root).clear()  # type: ignore[union-attr]
    except ET.ParseError as error:
        line, column = error.position
        raise ImportFailed(label, f"line {line}, column {column}, after {last}",
                           f"not well-formed XML (cut short or damaged?): {error}") from None
    if root is None:
        raise ImportFailed(label, None, "the file is empty")


def _text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None:
        return None
    text = "".join(found.itertext()).strip()
    return " ".join(text.split()) or None


def _record(element: ET.Element, index: int) -> AssignmentRecord | Unreadable:
    head = element.find("assignment-record")
    reel, frame = _text(head, "reel-no"), _text(head, "frame-no")
    numbers = reel_frame_numbers(reel, frame)
    if numbers is None:
        return Unreadable(f"record {index}", f"has no reel/frame number (reel {_cut(reel)}, frame {_cut(frame)}); skipped")
    where = f"record {index} (reel/frame {reel_frame(*numbers)})"
    try:
        recorded = parse_day(_text(head, "recorded-date/date"))
        if recorded is None:
            return Unreadable(where, "has no recorded date; skipped")
        assignors = tuple(
            Assignor(name, parse_day(_text(party, "execution-date/date")))
            for party in element.iterfind("patent-assignors/patent-assignor")
            if (name := _text(party, "name")) is not None
        )
        natural = [party.get("name-type") for party in element.iterfind("patent-assignors/patent-assignor/name")]
    except ValueError as error:
        return Unreadable(where, f"{error}; skipped")
    assignees = tuple(
        name for party in element.iterfind("patent-assignees/patent-assignee") if (name := _text(party, "name"))
    )
    if not assignors or not assignees:
        return Unreadable(where, f"names no {'assignor' if not assignors else 'assignee'}; skipped")
    properties = []
    for number, item in enumerate(element.iterfind("patent-properties/patent-property"), start=1):
        found = _property(item)
        if found is None:
            return Unreadable(where, f"property {number} has neither an application nor a patent number; skipped")
        properties.append(found)
    conveyance = _text(head, "conveyance-text") or ""
    kind = classify(conveyance)
    if all(natural):  # the register said which names are natural persons
        inventors = kind in ("assignment", "nunc_pro_tunc") and all(t == "natural" for t in natural) and any(
            p.get("name-type") == "legal" for p in element.iterfind("patent-assignees/patent-assignee/name"))
    else:
        inventors = by_inventors(kind, assignors, assignees)
    return AssignmentRecord(
        reel=numbers[0],
        frame=numbers[1],
        recorded=recorded,
        conveyance=conveyance,
        kind=kind,
        assignors=assignors,
        assignees=assignees,
        properties=tuple(properties),
        purged=(_text(head, "purge-indicator") or "N").upper() == "Y",
        inventors=inventors,
        where=where,
    )


def _cut(text: str | None) -> str:
    """A value from the file, shown at most 40 characters long."""
    return repr(text) if text is None or len(text) <= 40 else f"{text[:40]!r}... ({len(text)} characters)"


def _property(item: ET.Element) -> Property | None:
    grant = application = None
    granted = None
    for document in item.iterfind("document-id"):
        kind = (_text(document, "kind") or "").upper()
        number = _text(document, "doc-number")
        if (_text(document, "country") or "US").upper() != "US" or number is None:
            continue
        if grant is None and kind in _GRANT_KINDS:
            grant = grant_number(number)
            try:
                granted = parse_day(_text(document, "date"))
            except ValueError:
                granted = None
        elif application is None and (kind == "X0" or (not kind and len(number) == 8)):
            application = application_number(number)
    if grant is None and application is None:
        return None
    return Property(grant=grant, application=application, granted=granted, title=_text(item, "invention-title"))
