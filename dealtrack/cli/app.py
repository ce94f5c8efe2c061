"""What every command shares: the group, ``--db`` and ``--json``, one-line errors, tables and JSON out."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click
import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import codec, tables
from ..errors import DealtrackError
from ..ledger import Ledger
from ..values import Period, parse_instant, parse_period

__all__ = ["DEFAULT_DB", "command", "emit", "ledger_at", "main", "print_table"]

DEFAULT_DB = "dealtrack.db"
F = TypeVar("F", bound=Callable[..., Any])


def _one_line(exc: BaseException) -> str:
    return as_text(" ".join(str(exc).split()) or type(exc).__name__)


# C0/C1 controls (ESC starts terminal sequences, CR/LF forge rows) and the bidi overrides that reorder a line
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def as_text(value: str, keep_newlines: bool = False) -> str:
    """Stored text made safe to print: control characters shown as escapes (``\\x1b``), never obeyed."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char == "\n":
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _CONTROLS.sub(escape, value)


class _Group(click.Group):
    """A click group whose commands fail with one line on stderr and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (DealtrackError, OSError, sqlite3.Error) as exc:
            raise click.ClickException(_one_line(exc)) from None
        except Exception as exc:  # a bug: still one line, with a way to see the traceback
            if os.environ.get("DEALTRACK_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {_one_line(exc)} (set DEALTRACK_DEBUG=1 for the traceback)"
            ) from None


@click.group(cls=_Group)
@click.version_option(package_name="dealtrack")
@click.option("--readonly", is_flag=True, help="Open the ledger read-only: answer, never write (Ledger.open(readonly=True)).")
def main(readonly: bool) -> None:
    """Patent deals as an immutable event log, asked about as of any date.

    Every command reads or writes the ledger file given by --db (default:
    dealtrack.db in the current folder) and prints a table, or JSON with --json.
    """


def command(group: click.Group, name: str | None = None, *, db_default: str = DEFAULT_DB) -> Callable[[F], F]:
    """Register a command on ``group`` with the ``--db PATH`` and ``--json`` options every command has."""

    def decorate(function: F) -> F:
        function = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(function)
        function = click.option(
            "--db", "db", default=db_default, show_default=True, metavar="PATH",
            type=click.Path(dir_okay=False), help="The ledger file.",
        )(function)
        return group.command(name)(function)  # type: ignore[return-value]

    return decorate


@contextmanager
def ledger_at(db: str, *, create: bool = False) -> Iterator[Ledger]:
    """Open the ledger at ``db``; unless ``create``, a missing file is an error rather than a new ledger."""
    if not create and not Path(db).exists():
        raise DealtrackError(f"no ledger at {db}; create one with: dealtrack init --db {db}")
    context = click.get_current_context(silent=True)
    readonly = bool(context and context.find_root().params.get("readonly"))
    with Ledger.open(db, readonly=readonly) as ledger:
        yield ledger


# --- output -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON for what orjson does not know: sets (sorted), periods, decimals, attrs values."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (Period, Decimal)):
        return str(value)
    if attrs.has(type(value)):
        return codec.converter.unstructure(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(orjson.dumps(data, default=_plain, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:  # pipes and files: wide enough that rows stay on one line
        console = Console(highlight=False, width=200)
    return console


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, title: str | None = None) -> None:
    """Print ``rows`` as a rich table (a title and "(none)" when there are no rows)."""
    console = _console()
    names = tables.columns_of(rows, columns)
    if title:
        console.print(Text(as_text(title), style="bold"))
    if not rows:
        console.print("(none)")
        return
    table = Table()
    for name in names:
        table.add_column(Text(as_text(name)), overflow="fold")
    for row in rows:  # stored names are text, never rich markup or terminal sequences
        table.add_row(*(Text(as_text(tables.cell(row.get(name)))) for name in names))
    console.print(table)


def say(text: str) -> None:
    """Print a line of plain text (control characters in it shown as escapes, line breaks kept)."""
    click.echo(as_text(text, keep_newlines=True))


def time_axes(function: F) -> F:
    """The ``--known-at`` and ``--registry-at`` options of every question."""
    function = click.option(
        "--registry-at", metavar="DATE", default=None,
        help="Only events a public register had recorded by this date count.",
    )(function)
    function = click.option(
        "--known-at", metavar="TIME", default=None,
        help="Answer as the ledger stood at this moment (ISO datetime; a date means the end of that day).",
    )(function)
    return function


def axes(known_at: str | None, registry_at: str | None) -> dict[str, Any]:
    """``known_at`` / ``registry_at`` keyword arguments for a question, parsed so errors name the option."""
    return {
        "known_at": None if known_at is None else parse_instant(known_at, "--known-at"),
        "registry_at": None if registry_at is None else parse_period(registry_at, "--registry-at"),
    }
