"""Answers as tables: rows for notebooks, pandas frames, HTML for Jupyter and text (drawn by rich) for a REPL.

Every collection answer is a sequence of records with ``to_row()``; the
:class:`Rows` mixin gives it ``to_rows()``, ``to_frame()``, ``_repr_html_()``
and a text ``__str__`` from one place, so the answer classes stay small.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from .errors import MissingExtra

__all__ = ["RecordList", "RecordTuple", "Rows", "cell", "frame", "html_table", "text_table"]

HTML_ROWS = 60  # rows shown in a notebook before "... N more"
TEXT_ROWS = 25  # rows printed in a REPL before "... N more"
TEXT_WIDTH = 48  # widest text cell before it is cut with "..."


def cell(value: Any) -> str:
    """One value as display text: sequences joined with commas, None empty, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return ", ".join(sorted(cell(item) for item in value))
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={cell(item)}" for key, item in value.items() if item not in (None, (), [], ""))
    return str(value)


def columns_of(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> list[str]:
    """The given columns, else every key of the rows in first-seen order."""
    if columns is not None:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """A pandas DataFrame of ``rows`` (columns kept even when there are no rows)."""
    try:
        import pandas
    except ImportError:
        raise MissingExtra("to_frame()", "pandas", "pandas") from None
    data = pandas.DataFrame.from_records(list(rows), columns=columns_of(rows, columns))
    for name in data.columns:  # columns of dates become datetime64 columns, so pandas can compare and plot them
        values = [value for value in data[name] if value is not None]
        if values and all(isinstance(value, date) for value in values):
            aware = any(isinstance(value, datetime) and value.tzinfo is not None for value in values)
            data[name] = pandas.to_datetime(data[name], utc=aware)
    return data


def html_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    caption: str | None = None,
    limit: int = HTML_ROWS,
) -> str:
    """An HTML table of ``rows`` for Jupyter, every value escaped."""
    names = columns_of(rows, columns)
    parts = ["<table class='dealtrack'>"]
    if caption:
        parts.append(f"<caption style='text-align:left'>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{html.escape(name)}</th>" for name in names) + "</tr></thead><tbody>")
    for row in rows[:limit]:
        parts.append("<tr>" + "".join(f"<td>{html.escape(cell(row.get(name)))}</td>" for name in names) + "</tr>")
    if len(rows) > limit:
        parts.append(f"<tr><td colspan='{max(len(names), 1)}'>... {len(rows) - limit} more rows</td></tr>")
    if not rows:
        parts.append(f"<tr><td colspan='{max(len(names), 1)}'><em>none</em></td></tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def text_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    title: str | None = None,
    limit: int = TEXT_ROWS,
) -> str:
    """A plain-text table of ``rows`` with aligned columns, for a REPL or a log file (drawn by rich)."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    names = columns_of(rows, columns)
    lines = [title] if title else []
    if not rows:
        lines.append("(none)")
        return "\n".join(lines)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style=None)
    for name in names:
        table.add_column(name, max_width=TEXT_WIDTH, overflow="ellipsis", no_wrap=True)
    for row in rows[:limit]:
        table.add_row(*(cell(row.get(name)).replace("\n", " ") for name in names))
    console = Console(file=io.StringIO(), width=100_000, color_system=None, force_terminal=False,
                      highlight=False, emoji=False, markup=False)
    console.print(table)
    lines += [line.rstrip() for line in console.file.getvalue().splitlines() if line.strip()]  # type: ignore[attr-defined]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more rows")
    return "\n".join(lines)


class Rows:
    """Table behaviour for a sequence of records that each have ``to_row()``.

    Subclasses name their record class in ``item`` so that an empty answer
    still knows its columns.
    """

    item: ClassVar[type | None] = None
    caption: ClassVar[str] = ""

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per record, in order (plain Python values: dates, tuples, None)."""
        return [record.to_row() for record in self]  # type: ignore[attr-defined]

    def to_frame(self) -> Any:
        """The rows as a pandas DataFrame (needs the ``pandas`` extra)."""
        return frame(self.to_rows(), self.columns())

    @classmethod
    def columns(cls) -> list[str] | None:
        return None if cls.item is None else [field.name for field in attrs.fields(cls.item)]

    def _repr_html_(self) -> str:
        rows = self.to_rows()
        return html_table(rows, self.columns(), f"{self.caption}: {len(rows)}" if self.caption else None)

    def __str__(self) -> str:
        rows = self.to_rows()
        return text_table(rows, self.columns(), f"{self.caption}: {len(rows)}" if self.caption else None)


class RecordList(Rows, list):  # type: ignore[type-arg]
    """A list of records that is also a table (equal to the plain list of the same records)."""

    def __repr__(self) -> str:
        return list.__repr__(self)


class RecordTuple(Rows, tuple):  # type: ignore[type-arg]
    """A tuple of records that is also a table (equal to the plain tuple of the same records)."""

    def __repr__(self) -> str:
        return tuple.__repr__(self)


def record_rows(records: Iterable[Any]) -> list[dict[str, Any]]:
    """``to_row()`` of each record."""
    return [record.to_row() for record in records]
