"""The USPTO Patent Assignment Dataset: the register as CSV tables joined by ``rf_id``.

Tables read (``<name>.csv`` in one folder; columns as the USPTO documents them):

- ``assignment``: ``rf_id, reel_no, frame_no, record_dt, convey_text`` (and ``purge_indic``);
- ``assignor``: ``rf_id, or_name, exec_dt``;
- ``assignee``: ``rf_id, ee_name``;
- ``documentid``: ``rf_id, appno_doc_num, grant_doc_num`` (and ``grant_date``, ``title``);
- ``assignment_conveyance``: ``rf_id, convey_ty`` (and ``employer_assign``).

The tables are streamed into a temporary SQLite file and read back joined, in
``rf_id`` order, so memory stays flat for the full dataset. Records are mapped
to events exactly as the XML importer maps them.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ImportFailed
from ..ledger import Ledger
from ..sqlite.staging import Staging, staging
from .loader import DEFAULT_BATCH, Loader
from .records import (
    OWNERSHIP_KINDS,
    AssignmentRecord,
    Assignor,
    Property,
    Unreadable,
    application_number,
    by_inventors,
    classify,
    grant_number,
    parse_day,
    reel_frame,
    reel_frame_numbers,
)
from .report import ImportReport, file_path, progress_bar, wants_progress

__all__ = ["COLUMNS", "import_dataset", "read_dataset"]

#: The columns each table must have; ``OPTIONAL`` ones are read when present.
COLUMNS: dict[str, tuple[str, ...]] = {
    "assignment": ("rf_id", "reel_no", "frame_no", "record_dt", "convey_text"),
    "assignor": ("rf_id", "or_name", "exec_dt"),
    "assignee": ("rf_id", "ee_name"),
    "documentid": ("rf_id", "appno_doc_num", "grant_doc_num"),
    "assignment_conveyance": ("rf_id", "convey_ty"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "assignment": ("purge_indic",),
    "assignor": (),
    "assignee": (),
    "documentid": ("grant_date", "title"),
    "assignment_conveyance": ("employer_assign",),
}
#: The dataset's conveyance types (``convey_ty``) and the kinds they mean; others are read from the text.
CONVEYANCE_TYPES = {
    "assignment": "assignment",
    "employee": "assignment",
    "merger": "merger",
    "namechg": "change_of_name",
    "security": "security_interest",
    "release": "release",
    "license": "licence",
    "correct": "corrective",
    "govern": "unclassified",
    "option": "unclassified",
}


def import_dataset(
    ledger: Ledger,
    folder: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: bool | None = None,
    strict: bool = False,
) -> ImportReport:
    """Import the Patent Assignment Dataset tables in ``folder`` into ``ledger``; see the module for the tables.

    Same mapping, keys, report and ``strict`` as :func:`~.uspto.import_assignments`.
    """
    name = file_path(folder, "folder")
    loader = Loader(ledger, Path(name).name or name, importer="uspto-dataset", batch_size=batch_size,
                    strict=strict is True)
    return loader.load(read_dataset(name, progress=progress))


def read_dataset(folder: str | os.PathLike[str], *, progress: bool | None = None) -> Iterator[AssignmentRecord | Unreadable]:
    """Stream the dataset's records, joined by ``rf_id``, without importing them."""
    root = Path(file_path(folder, "folder"))
    if not root.is_dir():
        raise ImportFailed(str(root), None, "no such folder")
    show = wants_progress(progress)
    with staging("rf_id", prefix="dealtrack-dataset-") as tables:
        for table in COLUMNS:
            _stage(tables, root / f"{table}.csv", table, show)
        yield from _records(tables, show)


def _stage(tables: Staging, path: Path, table: str, show: bool) -> None:
    """Copy one CSV table into the staging database, keeping each row's line number."""
    if not path.is_file():
        raise ImportFailed(str(path), None, f"the {table} table is missing (expected {path.name})")
    tables.create(table, COLUMNS[table] + OPTIONAL[table])
    try:
        _copy(tables, path, table, show)
    except (UnicodeDecodeError, csv.Error, OSError) as error:
        raise ImportFailed(str(path), None, f"cannot be read as a UTF-8 CSV table: {error}") from None
    tables.index(table)


def _copy(tables: Staging, path: Path, table: str, show: bool) -> None:
    wanted = COLUMNS[table] + OPTIONAL[table]
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [column.strip().lower() for column in next(reader, [])]
        missing = [column for column in COLUMNS[table] if column not in header]
        if missing:
            raise ImportFailed(str(path), "line 1 (the header)", f"missing columns: {', '.join(missing)}")
        where = [header.index(column) if column in header else None for column in wanted]
        with progress_bar(show, path.name) as bar:
            batch: list[tuple[Any, ...]] = []
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                batch.append((line, *(row[i].strip() if i is not None and i < len(row) else None for i in where)))
                if len(batch) >= 10_000:
                    tables.insert(table, batch)
                    bar.update(len(batch))
                    batch = []
            tables.insert(table, batch)
            bar.update(len(batch))


class _Merged:
    """Walks a child table in step with the assignments, both in rf_id order."""

    def __init__(self, rows: Iterator[tuple[int, list[tuple[Any, ...]]]]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def take(self, rf_id: int) -> list[tuple[Any, ...]]:
        while self._next is not None and self._next[0] < rf_id:
            self._next = next(self._rows, None)
        if self._next is not None and self._next[0] == rf_id:
            found = self._next[1]
            self._next = next(self._rows, None)
            return found
        return []


def _records(tables: Staging, show: bool) -> Iterator[AssignmentRecord | Unreadable]:
    assignors = _Merged(tables.by_key("assignor", ("or_name", "exec_dt")))
    assignees = _Merged(tables.by_key("assignee", ("ee_name",)))
    documents = _Merged(tables.by_key("documentid", ("appno_doc_num", "grant_doc_num", "grant_date", "title")))
    conveyances = _Merged(tables.by_key("assignment_conveyance", ("convey_ty", "employer_assign")))
    total = tables.count("assignment")
    cursor = tables.rows("assignment", ("line", "reel_no", "frame_no", "record_dt", "convey_text", "purge_indic"))
    with progress_bar(show, "records", total) as bar:
        for rf_id, line, reel, frame, recorded, text, purged in cursor:
            bar.update(1)
            rows = assignors.take(rf_id), assignees.take(rf_id), documents.take(rf_id), conveyances.take(rf_id)
            try:
                yield _record(rf_id, f"assignment.csv line {line}", reel, frame, recorded, text or "", purged, *rows)
            except (ValueError, TypeError, OverflowError) as error:  # one record the reader cannot take
                yield Unreadable(f"assignment.csv line {line} (rf_id {rf_id})", f"cannot be read ({error}); skipped")


def _record(
    rf_id: int,
    where: str,
    reel: str | None,
    frame: str | None,
    recorded_text: str | None,
    conveyance: str,
    purged: str | None,
    assignor_rows: list[tuple[Any, ...]],
    assignee_rows: list[tuple[Any, ...]],
    document_rows: list[tuple[Any, ...]],
    conveyance_rows: list[tuple[Any, ...]],
) -> AssignmentRecord | Unreadable:
    numbers = reel_frame_numbers(reel, frame)
    if numbers is None:
        shown = [value if value is None or len(value) <= 40 else f"{value[:40]}... ({len(value)} characters)"
                 for value in (reel, frame)]
        return Unreadable(f"{where} (rf_id {rf_id})", f"has no reel/frame number (reel {shown[0]!r}, frame {shown[1]!r}); skipped")
    where = f"{where} (reel/frame {reel_frame(*numbers)})"
    try:
        recorded = parse_day(recorded_text)
        if recorded is None:
            return Unreadable(where, "has no recorded date; skipped")
        assignors = tuple(Assignor(name, parse_day(day)) for name, day in assignor_rows if name)
        properties = []
        for application, grant, granted, title in document_rows:
            found = Property(grant=grant_number(grant), application=application_number(application),
                             granted=parse_day(granted), title=title or None)
            if found.grant is None and found.application is None:
                return Unreadable(where, "a property has neither an application nor a patent number; skipped")
            properties.append(found)
    except ValueError as error:
        return Unreadable(where, f"{error}; skipped")
    assignees = tuple(name for (name,) in assignee_rows if name)
    if not assignors or not assignees:
        return Unreadable(where, f"names no {'assignor' if not assignors else 'assignee'}; skipped")
    conveyance = " ".join(conveyance.split())
    convey_ty, employer_assign = conveyance_rows[0] if conveyance_rows else (None, None)
    kind = _kind(convey_ty, conveyance)
    return AssignmentRecord(
        reel=numbers[0],
        frame=numbers[1],
        recorded=recorded,
        conveyance=conveyance,
        kind=kind,
        assignors=assignors,
        assignees=assignees,
        properties=tuple(properties),
        purged=(purged or "N").strip().upper() == "Y",
        inventors=(kind in OWNERSHIP_KINDS and (employer_assign or "").strip() == "1")
        or by_inventors(kind, assignors, assignees),
        where=where,
    )


def _kind(convey_ty: str | None, text: str) -> str:
    """The dataset's own type, refined by the text within the same family (an assignment may be nunc pro tunc)."""
    from_text = classify(text)
    typed = CONVEYANCE_TYPES.get((convey_ty or "").strip().lower())
    if typed is None:
        return from_text
    if typed in OWNERSHIP_KINDS and from_text in OWNERSHIP_KINDS:
        return from_text
    if typed == "security_interest" and from_text == "security_assignment":  # a lien passing to a successor agent
        return from_text
    return typed
