"""The ``dealtrack`` command line, mirroring the Ledger API."""

from __future__ import annotations

import click

from . import demo as demo_module
from .errors import DealtrackError
from .ledger import Ledger

__all__ = ["main"]


@click.group()
@click.version_option(package_name="dealtrack")
def main() -> None:
    """Patent deals as an immutable event log, asked about as of any date."""


@main.command()
@click.option("--db", "path", default=demo_module.DEFAULT_PATH, show_default=True, help="Ledger file to build.")
def demo(path: str) -> None:
    """Build the Microsoft / Nokia / Xiaomi story and print time-travel answers."""
    try:
        lines = demo_module.run(path)
    except DealtrackError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(lines))


@main.command()
@click.option("--db", "path", default="dealtrack.db", show_default=True, help="Ledger file to check.",
              type=click.Path(exists=True, dir_okay=False))
@click.option("--anchor", default=None, help="A 'position:hash' printed by `dealtrack head` earlier: prove the log extends it.")
def verify(path: str, anchor: str | None) -> None:
    """Check the log's integrity; exit 1 when something is wrong."""
    try:
        with Ledger.open(path) as ledger:
            report = ledger.verify(anchor=anchor)
    except DealtrackError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(report))
    if not report:
        raise SystemExit(1)


@main.command()
@click.option("--db", "path", default="dealtrack.db", show_default=True, help="Ledger file to read.",
              type=click.Path(exists=True, dir_okay=False))
def head(path: str) -> None:
    """Print the log's anchor ('position:hash'); keep it elsewhere and pass it to `verify --anchor` later."""
    try:
        with Ledger.open(path) as ledger:
            click.echo(str(ledger.head()))
    except DealtrackError as exc:
        raise click.ClickException(str(exc)) from None
