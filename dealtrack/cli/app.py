"""What every command shares: the group, ``--db``, the output formats, one-line errors.

This module imports only click: ``dealtrack --help`` must start fast, so each
command imports the ledger, rich and orjson when it runs (see ``output.py``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import DealtrackError

if TYPE_CHECKING:
    from ..ledger import Ledger

__all__ = ["DEFAULT_DB", "ENV_DB", "Output", "alias", "axes", "command", "ledger_at", "main", "say", "time_axes"]

DEFAULT_DB = "dealtrack.db"
ENV_DB = "DEALTRACK_DB"
F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("json", "nl", "csv", "tsv")


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
        except (DealtrackError, OSError) as exc:
            raise click.ClickException(_one_line(exc)) from None
        except Exception as exc:  # a bug: still one line, with a way to see the traceback
            from ..sqlite.store import StorageError  # (loaded by then: only the engine raises it)

            if isinstance(exc, StorageError):
                raise click.ClickException(_one_line(exc)) from None
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

    Every command reads or writes the ledger given by --db: a file, or a
    postgresql:// URL for a team's server (default: the DEALTRACK_DB environment
    variable, else dealtrack.db in the current folder).
    Questions print a table, or --json, --nl, --csv or --tsv.
    """


class Output:
    """How a command prints its answer: ``fmt`` is "table", "json", "nl", "csv" or "tsv"; ``limit`` rows at most."""

    def __init__(self, fmt: str = "table", limit: int | None = None) -> None:
        self.fmt, self.limit = fmt, limit

    @property
    def as_json(self) -> bool:
        return self.fmt == "json"

    def rows(self, rows: list[dict[str, Any]], columns: list[str], title: str | None = None,
             display: list[dict[str, Any]] | None = None, display_columns: list[str] | None = None,
             empty: str = "(none)") -> None:
        """Print ``rows`` in this format; a table shows ``display`` rows (default ``rows``) and ``title``."""
        from . import output

        output.write(self, rows, columns, title, display, display_columns, empty)


def command(group: click.Group, name: str | None = None, *, db_default: str = DEFAULT_DB,
            rows: bool = False) -> Callable[[F], F]:
    """Register a command on ``group`` with ``--db PATH`` and ``--json``.

    With ``rows``, the command answers with rows: it also takes ``--nl``, ``--csv``,
    ``--tsv`` and ``--limit N``, and receives them as one ``out`` (:class:`Output`).
    """

    def decorate(function: F) -> F:
        target: Callable[..., Any] = function
        if rows:
            @functools.wraps(function)
            def with_output(**kwargs: Any) -> Any:
                chosen = [fmt for fmt in FORMATS if kwargs.pop(f"as_{fmt}")]
                if len(chosen) > 1:
                    raise click.UsageError(f"choose one output format, not {', '.join('--' + f for f in chosen)}")
                return function(out=Output(chosen[0] if chosen else "table", kwargs.pop("limit")), **kwargs)

            target = with_output
            target = click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N",
                                  help="Print at most N rows.")(target)
            for fmt, text in reversed((("nl", "newline-delimited JSON, one row a line"),
                                       ("csv", "CSV with a header row"), ("tsv", "tab-separated values"))):
                target = click.option(f"--{fmt}", f"as_{fmt}", is_flag=True, help=f"Print {text}.")(target)
        target = click.option("--json", "as_json", is_flag=True,
                              help="Print JSON (a list of rows) instead of a table." if rows
                              else "Print JSON instead of text.")(target)
        if db_default == DEFAULT_DB:
            target = click.option(
                "--db", "db", default=DEFAULT_DB, envvar=ENV_DB, show_default=True, show_envvar=True,
                metavar="PATH", type=click.Path(dir_okay=False),
                help="The ledger file, or a postgresql:// URL (its schema: ?options=-csearch_path%3DNAME).",
            )(target)
        else:  # the demo keeps its own file, whatever DEALTRACK_DB says
            target = click.option("--db", "db", default=db_default, show_default=True, metavar="PATH",
                                  type=click.Path(dir_okay=False), help="The ledger file.")(target)
        return group.command(name)(target)  # type: ignore[return-value]

    return decorate


def alias(group: click.Group, name: str, *old_names: str) -> None:
    """Keep ``old_names`` working as hidden aliases of the command ``name``."""
    real = group.commands[name]
    for old in old_names:
        group.add_command(click.Command(old, callback=real.callback, params=real.params, help=real.help,
                                        hidden=True, context_settings=real.context_settings))


@contextmanager
def ledger_at(db: str, *, create: bool = False) -> Iterator[Ledger]:
    """Open the ledger at ``db`` (a file or a PostgreSQL URL); unless ``create``, a missing file is an error
    rather than a new ledger."""
    from ..ledger import Ledger

    if not create and not db.startswith(("postgresql://", "postgres://")) and not Path(db).exists():
        raise DealtrackError(f"no ledger at {db}; create one with: dealtrack init --db {db}")
    context = click.get_current_context(silent=True)
    readonly = bool(context and context.find_root().params.get("readonly"))
    with Ledger.open(db, readonly=readonly) as ledger:
        yield ledger


def emit(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    from . import output

    click.echo(output.dumps(data, indent=True))


def print_table(rows: Any, columns: Any = None, title: str | None = None) -> None:
    """Print ``rows`` as a rich table (a title and "(none)" when there are no rows)."""
    from . import output

    output.table(rows, columns, title)


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
    from ..values import parse_instant, parse_period

    return {
        "known_at": None if known_at is None else parse_instant(known_at, "--known-at"),
        "registry_at": None if registry_at is None else parse_period(registry_at, "--registry-at"),
    }
