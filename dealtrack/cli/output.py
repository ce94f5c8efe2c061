"""Printing answers: a rich table for people, JSON / newline-delimited JSON / CSV / TSV for programs.

Machine formats print the same rows: JSON keeps lists as lists; CSV and TSV
write a list or a mapping as its JSON text (``["Nokia", "Xiaomi"]``), so a
cell reads back unambiguously with ``json.loads``; dates are ISO text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import click
import orjson

from .. import codec, tables
from ..values import Period

if TYPE_CHECKING:
    from .app import Output

__all__ = ["dumps", "table", "write"]


def _plain(value: Any) -> Any:
    """JSON for what orjson does not know: sets (sorted), periods, decimals, attrs values."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (Period, Decimal)):
        return str(value)
    if attrs.has(type(value)):
        return codec.converter.unstructure(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any, indent: bool = False) -> str:
    """``data`` as JSON text (indented with ``indent``)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(data, default=_plain, option=option).decode()


def _cell(value: Any) -> str:
    """One value as a CSV / TSV cell: lists and mappings as JSON, dates ISO, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        return dumps(value)
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, title: str | None = None,
          empty: str = "(none)") -> None:
    """Print ``rows`` as a rich table under ``title`` (``empty`` when there are no rows)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .app import as_text

    console = Console(highlight=False)
    if not console.is_terminal:  # pipes and files: wide enough that rows stay on one line
        console = Console(highlight=False, width=200)
    names = tables.columns_of(rows, columns)
    if title:
        console.print(Text(as_text(title), style="bold"))
    if not rows:
        console.print(Text(as_text(empty)))
        return
    grid = Table()
    for name in names:
        grid.add_column(Text(as_text(name)), overflow="fold")
    for row in rows:  # stored names are text, never rich markup or terminal sequences
        grid.add_row(*(Text(as_text(tables.cell(row.get(name)))) for name in names))
    console.print(grid)


def write(out: Output, rows: list[dict[str, Any]], columns: list[str], title: str | None,
          display: list[dict[str, Any]] | None, display_columns: list[str] | None, empty: str) -> None:
    """Print an answer's rows in ``out``'s format, at most ``out.limit`` of them."""
    limit = out.limit
    shown = rows if limit is None else rows[:limit]
    if out.fmt == "table":
        people = display if display is not None else rows
        table(people if limit is None else people[:limit], display_columns or columns, title, empty)
        if limit is not None and len(people) > limit:
            click.echo(f"... {len(people) - limit} more rows (--limit {limit})")
    elif out.fmt == "json":
        click.echo(dumps(shown, indent=True))
    elif out.fmt == "nl":
        for row in shown:
            click.echo(dumps(row))
    elif out.fmt == "tsv":  # no quoting: a tab or line break inside a value becomes a space
        lines = [columns, *([_cell(row.get(name)) for name in columns] for row in shown)]
        for line in lines:
            click.echo("\t".join(" ".join(cell.split("\t")).replace("\n", " ") for cell in line))
    else:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(name)) for name in columns] for row in shown)
        click.echo(text.getvalue(), nl=False)
