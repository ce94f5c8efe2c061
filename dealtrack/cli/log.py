"""Commands that make, fill, read, correct and check the log.

init, append, retract, correct, events, import, export, verify, head, rebuild,
metadata and demo. Heavy modules are imported inside the commands, so
``dealtrack --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .app import Output, _Group, axes, command, emit, ledger_at, main, print_table, say, time_axes

DEMO_DB = "dealtrack-demo.db"  # dealtrack.demo.DEFAULT_PATH, without importing the demo for --help


@command(main, "init")
def init(db: str, as_json: bool) -> None:
    """Create an empty ledger file (an existing ledger is left as it is)."""
    created = not Path(db).exists() or Path(db).stat().st_size == 0
    with ledger_at(db, create=True) as ledger:
        events = len(ledger)
    if as_json:
        emit({"path": db, "created": created, "events": events})
    else:
        say(f"created an empty ledger in {db}" if created else f"{db} is already a ledger ({events} events)")


@command(main, "append")
@click.argument("file", metavar="FILE")
def append(db: str, as_json: bool, file: str) -> None:
    """Append the events in FILE (JSON or JSON Lines in the codec's format; - reads stdin), all or none."""
    from ..eventfile import read_events

    events = read_events(click.open_file("-") if file == "-" else file)
    with ledger_at(db, create=True) as ledger:
        appended = ledger.append(*events, metadata={"appended_from": file})
    written = [{"position": r.position, "event_id": r.event_id, "type": r.event.type, "recorded_at": r.recorded_at}
               for r in appended]
    skipped = [{"natural_key": s.natural_key, "position": s.position, "type": s.event.type} for s in appended.skipped]
    if as_json:
        emit({"appended": written, "skipped": skipped})
        return
    span = f" (positions {written[0]['position']}-{written[-1]['position']})" if written else ""
    say(f"appended {len(written)} events to {db}{span}")
    if skipped:
        print_table(skipped, ["natural_key", "type", "position"], f"skipped {len(skipped)} already in the log")


def _recorded_rows(appended: Any) -> list[dict[str, Any]]:
    return [{"position": r.position, "event_id": r.event_id, "type": r.event.type, "recorded_at": r.recorded_at}
            for r in appended]


@command(main, "retract")
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event was wrong (kept in the log).")
def retract(db: str, as_json: bool, event_id: str, reason: str) -> None:
    """Retract EVENT_ID: answers from now on leave it out; answers known at earlier moments keep it (ledger.retract)."""
    with ledger_at(db) as ledger:
        recorded = ledger.retract(event_id, reason)
    if as_json:
        emit(_recorded_rows([recorded])[0])
    else:
        say(f"retracted {event_id} at position {recorded.position} ({recorded.event_id})")


@command(main, "correct")
@click.argument("event_id")
@click.argument("file", metavar="FILE")
@click.option("--reason", required=True, help="Why the event was wrong (kept in the log).")
def correct(db: str, as_json: bool, event_id: str, file: str, reason: str) -> None:
    """Replace EVENT_ID with the one event in FILE (- reads stdin), in one transaction (ledger.correct)."""
    from ..errors import DealtrackError
    from ..eventfile import read_events

    events = read_events(click.open_file("-") if file == "-" else file)
    if len(events) != 1:
        raise DealtrackError(f"{file} holds {len(events)} events; a correction is exactly one")
    with ledger_at(db) as ledger:
        appended = ledger.correct(event_id, events[0], reason)
    if as_json:
        emit(_recorded_rows(appended))
    else:
        say(f"retracted {event_id} and appended its correction at position {appended[-1].position}")


@command(main, "events", rows=True)
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only events of this type (repeatable).")
@click.option("--deal", default=None, help="Only events of this deal.")
@click.option("--after", default=0, type=click.IntRange(min=0), help="Only positions after this one.")
@time_axes
def events(db: str, out: Output, types: tuple[str, ...], deal: str | None, after: int,
           known_at: str | None, registry_at: str | None) -> None:
    """List the log in position order (ledger.events)."""
    from ..answers import EVENT_COLUMNS

    basis = axes(known_at, registry_at)
    with ledger_at(db) as ledger:
        rows = ledger.events(types=list(types) or None, deal=deal, after=after, **basis).to_rows()
    registry = None if basis["registry_at"] is None else basis["registry_at"].end
    rows = [{**row, "known_at": basis["known_at"], "registry_at": registry} for row in rows]
    title = f"{len(rows)} events" + "".join(f", {name} {value}" for name, value in
                                            (("known at", basis["known_at"]), ("registry at", registry)) if value)
    out.rows(rows, [*EVENT_COLUMNS, "known_at", "registry_at"], title,
             display_columns=EVENT_COLUMNS[:1] + EVENT_COLUMNS[3:])


@command(main, "verify")
@click.option("--anchor", default=None, metavar="POSITION:HASH",
              help="An anchor printed by `dealtrack head` earlier: also prove the log still extends it.")
def verify(db: str, as_json: bool, anchor: str | None) -> None:
    """Check the log's integrity and the views; exit 1 when something is wrong (ledger.verify)."""
    with ledger_at(db) as ledger:
        report = ledger.verify(anchor=anchor)
    if as_json:
        import attrs

        emit({"ok": report.ok, "events_checked": report.events_checked,
              "problems": [attrs.asdict(problem) for problem in report.problems]})
    else:
        say(str(report))
    if not report:
        raise SystemExit(1)


@command(main, "head")
def head(db: str, as_json: bool) -> None:
    """Print the log's anchor (ledger.head): keep it elsewhere and pass it to `verify --anchor` later."""
    with ledger_at(db) as ledger:
        anchor = ledger.head()
    if as_json:
        emit({"position": anchor.position, "hash": anchor.hash, "anchor": str(anchor)})
    else:
        say(str(anchor))


@command(main, "rebuild")
def rebuild(db: str, as_json: bool) -> None:
    """Recompute every view from the log (ledger.rebuild); answers do not change."""
    with ledger_at(db) as ledger:
        ledger.rebuild()
        events = len(ledger)
    if as_json:
        emit({"path": db, "events": events, "rebuilt": True})
    else:
        say(f"rebuilt the views of {db} from {events} events")


@command(main, "refresh")
def refresh(db: str, as_json: bool) -> None:
    """Catch the views up with the log (ledger.refresh), e.g. before browsing a file a crashed writer left."""
    with ledger_at(db) as ledger:
        ledger.refresh()
        events = len(ledger)
    if as_json:
        emit({"path": db, "events": events, "caught_up": True})
    else:
        say(f"the views of {db} are caught up with its {events} events")


@command(main, "demo", db_default=DEMO_DB)
def demo(db: str, as_json: bool) -> None:
    """Build the Microsoft / Nokia / Xiaomi story and print time-travel answers."""
    from .. import demo as demo_module

    if as_json:
        emit(demo_module.run_data(db))
    else:
        say("\n".join(demo_module.run(db)))


# --- importers and exporters -----------------------------------------------------------------


def _report(report: Any, as_json: bool) -> None:
    """Print an importer's report: its summary line and the records it left out or read specially."""
    if as_json:
        emit(report)
        return
    say(str(report))
    problems = getattr(report, "problems", ())
    if problems:
        import attrs

        print_table([attrs.asdict(problem) for problem in problems], None, f"{len(problems)} problems")


@main.group("import", cls=_Group)
def import_group() -> None:
    """Bring records from other formats into the ledger."""


@command(import_group, "uspto")
@click.argument("file", metavar="FILE")
@click.option("--strict", is_flag=True, help="Stop at the first record that cannot be read, instead of reporting it.")
def import_uspto(db: str, as_json: bool, file: str, strict: bool) -> None:
    """Import USPTO patent assignment XML from FILE."""
    from ..importers.uspto import import_assignments

    with ledger_at(db, create=True) as ledger:
        _report(import_assignments(ledger, file, strict=strict), as_json)


@command(import_group, "dataset")
@click.argument("folder", metavar="FOLDER")
@click.option("--strict", is_flag=True, help="Stop at the first record that cannot be read, instead of reporting it.")
def import_dataset(db: str, as_json: bool, folder: str, strict: bool) -> None:
    """Import the USPTO Patent Assignment Dataset's CSV tables from FOLDER."""
    from ..importers.dataset import import_dataset

    with ledger_at(db, create=True) as ledger:
        _report(import_dataset(ledger, folder, strict=strict), as_json)


@command(import_group, "jsonl")
@click.argument("file", metavar="FILE")
def import_jsonl(db: str, as_json: bool, file: str) -> None:
    """Import a JSON Lines log written by `dealtrack export jsonl`."""
    from ..importers.jsonl import import_jsonl

    with ledger_at(db, create=True) as ledger:
        _report(import_jsonl(ledger, file), as_json)


@main.group("export", cls=_Group)
def export_group() -> None:
    """Write the ledger out in other formats."""


@command(export_group, "jsonl")
@click.argument("file", metavar="FILE")
def export_jsonl(db: str, as_json: bool, file: str) -> None:
    """Write the whole log to FILE as JSON Lines (ledger.export_jsonl)."""
    with ledger_at(db) as ledger:
        count = ledger.export_jsonl(file)
    if as_json:
        emit({"path": file, "events": count})
    else:
        say(f"exported {count} events to {file}")


@command(export_group, "parquet")
@click.argument("directory", metavar="DIR")
def export_parquet(db: str, as_json: bool, directory: str) -> None:
    """Write the log and every view as Parquet files into DIR, new or empty (ledger.export_parquet)."""
    with ledger_at(db) as ledger:
        written = ledger.export_parquet(directory)
    if as_json:
        emit({"path": directory, "tables": written})
    else:
        print_table([{"file": f"{name}.parquet", "rows": rows} for name, rows in written.items()], ["file", "rows"],
                    f"exported {len(written)} tables to {directory}")


@command(main, "metadata")
@click.option("--title", default=None, help="The title Datasette shows (default: the file's name).")
def metadata(db: str, as_json: bool, title: str | None) -> None:
    """Describe the ledger's tables and views; with --json, as a Datasette metadata file.

    dealtrack metadata --db deals.db --json > metadata.json && datasette deals.db -m metadata.json
    """
    from ..sqlite.browsing import NOTES, datasette_metadata

    document = datasette_metadata(Path(db).stem, title)
    if as_json:
        emit(document)
        return
    notes = [{"name": name, "kind": kind, "description": text} for name, (kind, text, _) in NOTES.items()]
    print_table(notes, ["name", "kind", "description"], document["title"])
