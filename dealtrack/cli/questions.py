"""The questions, one command each, named and argued as the Ledger methods they call."""

from __future__ import annotations

from typing import Any

import click

from .. import tables
from ..answers import Standing
from ..values import normalize_patent, parse_party, parse_period, parse_territory
from .app import axes, command, emit, ledger_at, main, print_table, time_axes

ON = click.option("--on", "on", required=True, metavar="DATE",
                  help="The date or period asked about: 2016-06-01, 2016-05 or 2016.")
TERRITORY = click.option("--territory", metavar="XX", default=None, help="An ISO country code, e.g. IN, or WORLD.")

BAN_COLUMNS = ["ban_id", "against", "territory", "authority", "patents", "products", "exempt_products",
               "conditions", "valid_from", "valid_to"]
LICENCE_COLUMNS = ["licence_id", "licensor", "licensee", "patents", "territory", "field", "exclusive",
                   "valid_from", "valid_to"]


def _names(names: frozenset[str]) -> list[dict[str, Any]]:
    return [{"name": name} for name in sorted(names)]


@command(main, "owners")
@click.argument("patent")
@ON
@time_axes
def owners(db: str, as_json: bool, patent: str, on: str, known_at: str | None, registry_at: str | None) -> None:
    """Who held title to PATENT on a date (ledger.owners_of)."""
    patent_id, period = normalize_patent(patent), parse_period(on, "--on")
    with ledger_at(db) as ledger:
        found = ledger.owners_of(patent_id, on=period, **axes(known_at, registry_at))
    if as_json:
        emit({"patent": patent_id, "on": period, "owners": found})
    else:
        print_table([{"owner": name} for name in sorted(found)], ["owner"], f"Owners of {patent_id} on {period}")


@command(main, "portfolio")
@click.argument("party")
@ON
@time_axes
def portfolio(db: str, as_json: bool, party: str, on: str, known_at: str | None, registry_at: str | None) -> None:
    """What PARTY held on a date, listed and undisclosed patents (ledger.portfolio)."""
    with ledger_at(db) as ledger:
        held = ledger.portfolio(party, on=parse_period(on, "--on"), **axes(known_at, registry_at))
    if as_json:
        emit({"party": held.party, "on": held.on, "count": len(held), "patents": sorted(held.patents),
              "undisclosed": held.undisclosed})
    else:
        print_table(held.to_rows(), ["patent", "count"], held.summary())


@command(main, "licensees")
@click.argument("patent")
@ON
@TERRITORY
@time_axes
def licensees(db: str, as_json: bool, patent: str, on: str, territory: str | None,
              known_at: str | None, registry_at: str | None) -> None:
    """Who held a live licence covering PATENT on a date (ledger.licensees_of)."""
    patent_id, period = normalize_patent(patent), parse_period(on, "--on")
    where = None if territory is None else parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        found = ledger.licensees_of(patent_id, on=period, territory=where,
                                    **axes(known_at, registry_at))
    if as_json:
        emit({"patent": patent_id, "on": period, "territory": where, "licensees": found})
    else:
        place = f" in {where}" if where else ""
        print_table([{"licensee": name} for name in sorted(found)], ["licensee"],
                    f"Licensees under {patent_id} on {period}{place}")


@command(main, "bans")
@click.option("--against", metavar="PARTY", default=None, help="Only bans against this party.")
@ON
@TERRITORY
@click.option("--product", metavar="NAME", default=None, help="Only bans that stop this product being sold.")
@time_axes
def bans(db: str, as_json: bool, against: str | None, on: str, territory: str | None, product: str | None,
         known_at: str | None, registry_at: str | None) -> None:
    """Sales bans in force on a date (ledger.active_bans)."""
    period = parse_period(on, "--on")
    who = None if against is None else parse_party(against, "--against")
    where = None if territory is None else parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        found = ledger.active_bans(against=who, on=period, territory=where, product=product,
                                   **axes(known_at, registry_at))
    if as_json:
        emit(found.to_rows())
    else:
        whom = f" against {who}" if who else ""
        place = f" in {where}" if where else ""
        print_table(found.to_rows(), BAN_COLUMNS, f"Bans in force{whom}{place} on {period}")


@command(main, "chain")
@click.argument("patent")
@time_axes
@click.option("--plot", "plot_path", metavar="FILE", default=None,
              help="Also draw the chain as a timeline into FILE (.png or .svg; needs the plot extra).")
def chain(db: str, as_json: bool, patent: str, known_at: str | None, registry_at: str | None,
          plot_path: str | None) -> None:
    """PATENT's chain of title: who held it from when to when (ledger.title_chain)."""
    patent_id = normalize_patent(patent)
    with ledger_at(db) as ledger:
        found = ledger.title_chain(patent_id, **axes(known_at, registry_at))
        if plot_path is not None:
            ledger.plot_timeline(patents=[patent_id], path=plot_path)
    if as_json:
        emit({"patent": patent_id, "spans": found.to_rows()})
    else:
        print_table(*found.display())
        if plot_path is not None:
            click.echo(f"timeline written to {plot_path}")


@command(main, "standing")
@click.argument("party")
@ON
@TERRITORY
@time_axes
def standing(db: str, as_json: bool, party: str, on: str, territory: str | None,
             known_at: str | None, registry_at: str | None) -> None:
    """PARTY's position on a date: holdings, licences in and out, bans (ledger.standing)."""
    period = parse_period(on, "--on")
    where = None if territory is None else parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        found: Standing = ledger.standing(party, on=period, territory=where,
                                          **axes(known_at, registry_at))
    if as_json:
        held = found.portfolio
        emit({
            "party": found.party, "on": found.on, "territory": found.territory,
            "portfolio": {"count": len(held), "patents": sorted(held.patents), "undisclosed": held.undisclosed},
            "licences_in": tables.record_rows(found.licences_in),
            "licences_out": tables.record_rows(found.licences_out),
            "bans": tables.record_rows(found.bans),
        })
        return
    for title, rows, columns in found.sections():
        print_table(rows, columns, title)


@command(main, "anomalies")
@time_axes
def anomalies(db: str, as_json: bool, known_at: str | None, registry_at: str | None) -> None:
    """Everything odd in the record: chain-of-title gaps, clashing licences (ledger.anomalies)."""
    with ledger_at(db) as ledger:
        found = ledger.anomalies(**axes(known_at, registry_at))
    if as_json:
        emit(found.to_rows())
    else:
        print_table(found.to_rows(), ["kind", "subject", "position", "message"], f"Anomalies: {len(found)}")


KNOWN_AT = click.option("--known-at", metavar="TIME", default=None,
                        help="Answer as the ledger stood at this moment (ISO datetime; a date means the end of that day).")


@command(main, "transfers")
@click.argument("start")
@click.argument("end")
@click.option("--party", metavar="PARTY", default=None, help="Only transfers to or from this party.")
@KNOWN_AT
def transfers(db: str, as_json: bool, start: str, end: str, party: str | None, known_at: str | None) -> None:
    """Every change of title dated from START to END, both included (ledger.transfers)."""
    first, last = parse_period(start, "START"), parse_period(end, "END")
    who = None if party is None else parse_party(party, "--party")
    with ledger_at(db) as ledger:
        found = ledger.transfers(first, last, party=who, known_at=axes(known_at, None)["known_at"])
    if as_json:
        emit(found.to_rows())
    else:
        whom = f" to or from {who}" if who else ""
        print_table(found.to_rows(), ["patent", "assignor", "assignee", "effective", "event_id"],
                    f"Transfers{whom} from {first} to {last}: {len(found)}")


@command(main, "parties")
@click.argument("search", required=False)
@click.option("--on", "on", default=None, metavar="DATE", help="Count patents held on this date (default: today).")
@KNOWN_AT
def parties(db: str, as_json: bool, search: str | None, on: str | None, known_at: str | None) -> None:
    """Parties whose names match SEARCH, with every spelling and the patents held (ledger.parties)."""
    with ledger_at(db) as ledger:
        found = ledger.parties(search, on=None if on is None else parse_period(on, "--on"),
                               known_at=axes(known_at, None)["known_at"])
    if as_json:
        emit(found.to_rows())
    else:
        print_table(found.to_rows(), ["key", "names", "patents", "counts"], f"Parties: {len(found)}")
