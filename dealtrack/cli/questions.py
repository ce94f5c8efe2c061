"""The questions, one command each, named and argued as the Ledger methods they call.

Patent questions take several patents (or ``--from FILE``, ``-`` for stdin) and
print one row per patent. Every row carries the basis it was asked on (``on``,
``known_at``, ``registry_at``) and, where the answer is empty, a ``note`` saying
why; asking about a patent or party the ledger has never heard of exits 1.
Heavy modules are imported inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .app import Output, alias, axes, command, ledger_at, main, time_axes

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..values import Period

ON = click.option("--on", "on", required=True, metavar="DATE",
                  help="The date or period asked about: 2016-06-01, 2016-05 or 2016.")
TERRITORY = click.option("--territory", metavar="XX", default=None, help="An ISO country code, e.g. IN, or WORLD.")
PATENTS = click.argument("patents", metavar="PATENT...", nargs=-1)
FROM = click.option("--from", "from_file", metavar="FILE", default=None,
                    help="Also ask about the patents in FILE, one per line (- reads stdin).")
BASIS = ["on", "known_at", "registry_at"]

BAN_COLUMNS = ["ban_id", "against", "territory", "authority", "patents", "products", "exempt_products",
               "conditions", "valid_from", "valid_to"]


# --- what every question shares ------------------------------------------------------------------


class Asked:
    """One question's basis and what it found unknown, shared by the rows it prints."""

    def __init__(self, ledger: Ledger, on: str | None, known_at: str | None, registry_at: str | None) -> None:
        from ..values import parse_period

        self.ledger = ledger
        self.period: Period | None = None if on is None else parse_period(on, "--on")
        self.axes = axes(known_at, registry_at)
        registry = self.axes["registry_at"]
        self.basis: dict[str, Any] = {
            "on": None if self.period is None else str(self.period),
            "known_at": self.axes["known_at"],
            "registry_at": None if registry is None else registry.end,
        }
        self.unknown: list[str] = []

    @property
    def on(self) -> Period:
        """The period asked about, for the questions whose ``--on`` is required (so it is never None)."""
        assert self.period is not None, "--on is required"
        return self.period

    def title(self, text: str) -> str:
        """``text`` with the basis: "on D", and "known at T" / "registry at R" when asked."""
        parts = [f"on {self.basis['on']}"] if self.period is not None else []
        parts += [f"{name.replace('_', ' ')} {self.basis[name]}" for name in ("known_at", "registry_at")
                  if self.basis[name] is not None]
        return f"{text} {', '.join(parts)}".rstrip() if parts else text

    def patent_note(self, patent: str, empty: bool, nothing: str) -> str | None:
        """Why an answer about ``patent`` is empty: the patent is unknown, or ``nothing`` is known then."""
        if not empty:
            return None
        if not self.ledger._knows_patent(patent, **self.axes):
            known = self.basis["known_at"]
            when = "" if known is None else f" as known at {known.isoformat(timespec='seconds')}"
            message = f"{patent} is not in this ledger{when}"
            self.unknown.append(message)
            return message
        return f"{nothing} on {self.basis['on']}" if self.period is not None else nothing

    def check_party(self, party: str) -> None:
        """Fail, with near matches, when the ledger has never heard of ``party``."""
        import difflib

        if self.ledger._knows_party(party):
            return
        names = self.ledger._party_names()  # all of them, only to suggest near matches
        folded = {name.casefold(): name for name in names}
        near = [folded[party.casefold()]] if party.casefold() in folded else []
        near += [folded[n] for n in difflib.get_close_matches(party.casefold(), list(folded), n=3, cutoff=0.6)
                 if folded[n] not in near]
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise click.ClickException(f"{party} is not a party in this ledger{hint}")

    def finish(self) -> None:
        """After the answer: say on stderr what was unknown, and exit 1 if anything was."""
        for message in self.unknown:
            click.echo(f"Error: {message}", err=True)
        if self.unknown:
            raise click.exceptions.Exit(1)


def _of(what: str, patents: list[str]) -> str:
    return f"{what} of {patents[0]}" if len(patents) == 1 else what


def patent_ids(patents: tuple[str, ...], from_file: str | None) -> list[str]:
    """The patents asked about, normalised: the arguments, then FILE's lines (blank and # lines skipped)."""
    from ..values import normalize_patent

    asked = list(patents)
    if from_file is not None:
        stream = click.open_file(from_file, encoding="utf-8")
        with stream:
            asked += [line.strip() for line in stream if line.strip() and not line.lstrip().startswith("#")]
    if not asked:
        raise click.UsageError("name at least one PATENT, or --from FILE (- for stdin)")
    return list(dict.fromkeys(normalize_patent(patent) for patent in asked))


# --- ownership -----------------------------------------------------------------------------------


@command(main, "owners-of", rows=True)
@PATENTS
@FROM
@ON
@time_axes
def owners_of(db: str, out: Output, patents: tuple[str, ...], from_file: str | None, on: str,
              known_at: str | None, registry_at: str | None) -> None:
    """Who held title to each PATENT on a date (ledger.owners_of, ledger.owners_of_many)."""
    asked_ids = patent_ids(patents, from_file)
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        found = ledger.owners_of_many(asked_ids, on=asked.on, **asked.axes)
        rows = [{"patent": patent, "owners": sorted(owners), **asked.basis,
                 "note": asked.patent_note(patent, not owners, "no owner known")}
                for patent, owners in found.items()]
    out.rows(rows, ["patent", "owners", *BASIS, "note"], asked.title(_of("Owners", asked_ids)),
             display_columns=["patent", "owners", "note"] if any(r["note"] for r in rows) else ["patent", "owners"])
    asked.finish()


@command(main, "title-chain", rows=True)
@PATENTS
@FROM
@time_axes
@click.option("--plot", "plot_path", metavar="FILE", default=None,
              help="Also draw the chains as a timeline into FILE (.png or .svg; needs the plot extra).")
def title_chain(db: str, out: Output, patents: tuple[str, ...], from_file: str | None, known_at: str | None,
                registry_at: str | None, plot_path: str | None) -> None:
    """Each PATENT's chain of title: who held it from when to when (ledger.title_chain).

    "A and B" held it jointly; "A or B" (certain: false) means one of them did, unknown which.
    """
    asked_ids = patent_ids(patents, from_file)
    rows: list[dict[str, Any]] = []
    display: list[dict[str, Any]] = []
    with ledger_at(db) as ledger:
        asked = Asked(ledger, None, known_at, registry_at)
        for patent in asked_ids:
            chain = ledger.title_chain(patent, **asked.axes)
            spans = chain.display()[0]
            for span, shown in zip(chain, spans):
                row = {"patent": patent, "owners": sorted(span.owners), "joint": len(span.owners) > 1 and span.certain,
                       "start": span.start, "end": span.end, "certain": span.certain,
                       "events": [r.event_id for r in span.events],
                       "known_at": asked.basis["known_at"], "registry_at": asked.basis["registry_at"], "note": None}
                rows.append(row)
                display.append({**shown, "patent": patent})
            if not len(chain):
                note = asked.patent_note(patent, True, "no title recorded")
                rows.append({"patent": patent, "owners": [], "joint": False, "start": None, "end": None,
                             "certain": None, "events": [], "known_at": asked.basis["known_at"],
                             "registry_at": asked.basis["registry_at"], "note": note})
                display.append({"patent": patent, "owners": "", "note": note})
        if plot_path is not None:
            ledger.plot_timeline(patents=asked_ids, path=plot_path)
    columns = ["patent", "owners", "joint", "start", "end", "certain", "events", "known_at", "registry_at", "note"]
    shown_columns = ["owners", "start", "end", "certain", "events"]
    if len(asked_ids) > 1:
        shown_columns.insert(0, "patent")
    if any(row["note"] for row in rows):
        shown_columns.append("note")
    title = f"Chain of title of {asked_ids[0]}" if len(asked_ids) == 1 else f"Chains of title of {len(asked_ids)} patents"
    out.rows(rows, columns, asked.title(title), display, shown_columns)
    if plot_path is not None and out.fmt == "table":
        click.echo(f"timeline written to {plot_path}")
    asked.finish()


@command(main, "portfolio", rows=True)
@click.argument("party")
@ON
@time_axes
def portfolio(db: str, out: Output, party: str, on: str, known_at: str | None, registry_at: str | None) -> None:
    """What PARTY held on a date: one row per listed patent, one for the undisclosed ones (ledger.portfolio)."""
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        asked.check_party(party)
        held = ledger.portfolio(party, on=asked.on, **asked.axes)
    rows = [{**row, **asked.basis} for row in held.to_rows()]
    title = asked.title(f"{held.party}: {len(held)} patents ({len(held.patents)} listed, "
                        f"{held.undisclosed} undisclosed)")
    out.rows(rows, ["party", "patent", "count", *BASIS], title, display_columns=["patent", "count"],
             empty=f"{held.party} held no patents then")


# --- licences and encumbrances ------------------------------------------------------------------------


@command(main, "licensees-of", rows=True)
@PATENTS
@FROM
@ON
@TERRITORY
@time_axes
def licensees_of(db: str, out: Output, patents: tuple[str, ...], from_file: str | None, on: str,
                 territory: str | None, known_at: str | None, registry_at: str | None) -> None:
    """Who held a live licence covering each PATENT on a date (ledger.licensees_of)."""
    from ..values import parse_territory

    asked_ids = patent_ids(patents, from_file)
    where = None if territory is None else parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        rows = []
        for patent in asked_ids:
            found = ledger.licensees_of(patent, on=asked.on, territory=where, **asked.axes)
            rows.append({"patent": patent, "licensees": sorted(found), "territory": where, **asked.basis,
                         "note": asked.patent_note(patent, not found, "no licensee known")})
    place = f" in {where}" if where else ""
    out.rows(rows, ["patent", "licensees", "territory", *BASIS, "note"], asked.title(_of("Licensees", asked_ids) + place),
             display_columns=["patent", "licensees", "note"] if any(r["note"] for r in rows) else ["patent", "licensees"])
    asked.finish()


@command(main, "is-licensed", rows=True)
@click.argument("party")
@PATENTS
@FROM
@ON
@click.option("--territory", metavar="XX", required=True, help="An ISO country code, e.g. IN, or WORLD.")
@time_axes
def is_licensed(db: str, out: Output, party: str, patents: tuple[str, ...], from_file: str | None, on: str,
                territory: str, known_at: str | None, registry_at: str | None) -> None:
    """Whether PARTY owns each PATENT or holds a live licence covering it there (ledger.is_licensed)."""
    from ..values import parse_territory

    asked_ids = patent_ids(patents, from_file)
    where = parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        asked.check_party(party)
        rows = []
        for patent in asked_ids:
            licensed = ledger.is_licensed(party, patent, on=asked.on, territory=where, **asked.axes)
            note = None if ledger._knows_patent(patent, **asked.axes) else asked.patent_note(patent, True, "")
            rows.append({"party": party, "patent": patent, "licensed": licensed, "territory": where, **asked.basis,
                         "note": note})
    out.rows(rows, ["party", "patent", "licensed", "territory", *BASIS, "note"],
             asked.title(f"Is {party} licensed in {where}"),
             display_columns=["patent", "licensed", "note"] if any(r["note"] for r in rows) else ["patent", "licensed"])
    asked.finish()


@command(main, "encumbrances", rows=True)
@PATENTS
@FROM
@ON
@time_axes
def encumbrances(db: str, out: Output, patents: tuple[str, ...], from_file: str | None, on: str,
                 known_at: str | None, registry_at: str | None) -> None:
    """Live security interests and licences on each PATENT on a date (ledger.encumbrances)."""
    asked_ids = patent_ids(patents, from_file)
    columns = ["patent", "kind", "holder", "grantor", "reference", "valid_from", "valid_to", *BASIS, "note"]
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        rows: list[dict[str, Any]] = []
        for patent in asked_ids:
            found = ledger.encumbrances(patent, on=asked.on, **asked.axes).to_rows()
            rows += [{**row, "patent": patent, **asked.basis, "note": None} for row in found]
            if not found:
                rows.append({"patent": patent, **asked.basis,
                             "note": asked.patent_note(patent, True, "no encumbrance known")})
    out.rows(rows, columns, asked.title("Encumbrances"), display_columns=[
        "patent", "kind", "holder", "grantor", "reference", "valid_from", "valid_to", "note"])
    asked.finish()


# --- bans and a party's whole position -------------------------------------------------------------------


@command(main, "active-bans", rows=True)
@click.option("--against", metavar="PARTY", default=None, help="Only bans against this party.")
@ON
@TERRITORY
@click.option("--product", metavar="NAME", default=None, help="Only bans that stop this product being sold.")
@time_axes
def active_bans(db: str, out: Output, against: str | None, on: str, territory: str | None, product: str | None,
                known_at: str | None, registry_at: str | None) -> None:
    """Sales bans in force on a date (ledger.active_bans)."""
    from ..values import parse_party, parse_territory

    who = None if against is None else parse_party(against, "--against")
    where = None if territory is None else parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        if who is not None:
            asked.check_party(who)
        found = ledger.active_bans(against=who, on=asked.on, territory=where, product=product, **asked.axes)
    rows = [{**row, **asked.basis} for row in found.to_rows()]
    whom = f" against {who}" if who else ""
    place = f" in {where}" if where else ""
    out.rows(rows, [*BAN_COLUMNS[:4], "requested_by", "case", *BAN_COLUMNS[4:], *BASIS],
             asked.title(f"Bans in force{whom}{place}"), display_columns=BAN_COLUMNS, empty="no ban in force then")


@command(main, "standing", rows=True)
@click.argument("party")
@ON
@TERRITORY
@time_axes
def standing(db: str, out: Output, party: str, on: str, territory: str | None,
             known_at: str | None, registry_at: str | None) -> None:
    """PARTY's position on a date: holdings, licences in and out, bans (ledger.standing)."""
    from .. import tables
    from ..values import parse_territory
    from .output import table

    where = None if territory is None else parse_territory(territory, "--territory")
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        asked.check_party(party)
        found = ledger.standing(party, on=asked.on, territory=where, **asked.axes)
    if out.fmt == "table":
        extra = asked.title("").strip().removeprefix(f"on {asked.basis['on']}").strip(", ")
        for number, (title, rows, columns) in enumerate(found.sections()):
            title = f"{title} ({extra})" if extra and number == 0 else title
            table(rows if out.limit is None else rows[: out.limit], columns, title)
        return
    rows = [{**row, **asked.basis} for row in found.to_rows()]
    out.rows(rows, [*tables.columns_of(rows)])


@command(main, "anomalies", rows=True)
@time_axes
def anomalies(db: str, out: Output, known_at: str | None, registry_at: str | None) -> None:
    """Everything odd in the record: chain-of-title gaps, clashing licences (ledger.anomalies)."""
    with ledger_at(db) as ledger:
        asked = Asked(ledger, None, known_at, registry_at)
        found = ledger.anomalies(**asked.axes)
    rows = [{**row, "known_at": asked.basis["known_at"], "registry_at": asked.basis["registry_at"]}
            for row in found.to_rows()]
    out.rows(rows, ["kind", "subject", "position", "event_id", "message", "related", "known_at", "registry_at"],
             asked.title(f"Anomalies: {len(found)}"), display_columns=["kind", "subject", "position", "message"])


KNOWN_AT = click.option("--known-at", metavar="TIME", default=None,
                        help="Answer as the ledger stood at this moment (ISO datetime; a date means the end of that day).")


@command(main, "transfers", rows=True)
@click.argument("start")
@click.argument("end")
@click.option("--party", metavar="PARTY", default=None, help="Only transfers to or from this party.")
@KNOWN_AT
def transfers(db: str, out: Output, start: str, end: str, party: str | None, known_at: str | None) -> None:
    """Every change of title dated from START to END, both included (ledger.transfers)."""
    from ..values import parse_party, parse_period

    first, last = parse_period(start, "START"), parse_period(end, "END")
    who = None if party is None else parse_party(party, "--party")
    with ledger_at(db) as ledger:
        asked = Asked(ledger, None, known_at, None)
        found = ledger.transfers(first, last, party=who, known_at=asked.axes["known_at"])
    rows = [{**row, "known_at": asked.basis["known_at"]} for row in found.to_rows()]
    whom = f" to or from {who}" if who else ""
    out.rows(rows, ["patent", "assignor", "assignee", "effective", "event_id", "known_at"],
             asked.title(f"Transfers{whom} from {first} to {last}: {len(found)}"),
             display_columns=["patent", "assignor", "assignee", "effective", "event_id"])


@command(main, "parties", rows=True)
@click.argument("search", required=False)
@click.option("--on", "on", default=None, metavar="DATE", help="Count patents held on this date (default: today).")
@KNOWN_AT
def parties(db: str, out: Output, search: str | None, on: str | None, known_at: str | None) -> None:
    """Parties whose names match SEARCH, with every spelling and the patents held (ledger.parties)."""
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, None)
        found = ledger.parties(search, on=asked.period, known_at=asked.axes["known_at"])
    rows = [{**row, "on": asked.basis["on"], "known_at": asked.basis["known_at"]} for row in found.to_rows()]
    out.rows(rows, ["key", "names", "patents", "counts", "on", "known_at"], asked.title(f"Parties: {len(found)}"),
             display_columns=["key", "names", "patents", "counts"])


# --- why an answer is what it is ----------------------------------------------------------------------------

EXPLAINED = {  # the question, and the arguments its command takes before the options
    "owners-of": ("owners_of", ["patent"]),
    "portfolio": ("portfolio", ["party"]),
    "licensees-of": ("licensees_of", ["patent"]),
    "is-licensed": ("is_licensed", ["party", "patent"]),
    "active-bans": ("active_bans", []),
    "encumbrances": ("encumbrances", ["patent"]),
}


@command(main, "explain", rows=True)
@click.argument("question", type=click.Choice(sorted(EXPLAINED)))
@click.argument("subjects", metavar="[PARTY] [PATENT]", nargs=-1)
@ON
@TERRITORY
@click.option("--against", metavar="PARTY", default=None, help="active-bans: only bans against this party.")
@click.option("--product", metavar="NAME", default=None, help="active-bans: only bans that stop this product.")
@time_axes
def explain(db: str, out: Output, question: str, subjects: tuple[str, ...], on: str, territory: str | None,
            against: str | None, product: str | None, known_at: str | None, registry_at: str | None) -> None:
    """The answer to QUESTION and the events behind it, in log order (ledger.explain).

    dealtrack explain owners-of US8000001 --on 2016-07-01
    """
    method, names = EXPLAINED[question]
    if len(subjects) != len(names):
        wanted = " ".join(name.upper() for name in names) or "no arguments"
        raise click.UsageError(f"explain {question} takes {wanted}")
    with ledger_at(db) as ledger:
        asked = Asked(ledger, on, known_at, registry_at)
        arguments: dict[str, Any] = dict(zip(names, subjects))
        if "party" in arguments:
            asked.check_party(arguments["party"])
        if method in ("licensees_of", "active_bans") or (method == "is_licensed"):
            if method == "is_licensed" and territory is None:
                raise click.UsageError("explain is-licensed needs --territory")
            arguments["territory"] = territory
        if method == "active_bans":
            arguments.update(against=against, product=product)
        found = ledger.explain(method, on=asked.period, **arguments, **asked.axes)
    answer = found.answer
    shown = ", ".join(sorted(answer)) if isinstance(answer, frozenset) else (
        str(answer) if isinstance(answer, bool) else f"{len(answer)}")
    rows = [{**row, "question": method, **arguments, "answer": _answer(answer), **asked.basis}
            for row in found.to_rows()]
    out.rows(rows, ["position", "event_id", "type", "effective", "question", *arguments, "answer", *BASIS],
             asked.title(f"{method}({', '.join(subjects)}) = {shown or 'nothing'}"),
             display_columns=["position", "event_id", "type", "effective"], empty="no event bears on it")


def _answer(answer: Any) -> Any:
    if isinstance(answer, (frozenset, set)):
        return sorted(answer)
    if isinstance(answer, bool):
        return answer
    if hasattr(answer, "to_rows"):
        return answer.to_rows()
    return len(answer)


alias(main, "owners-of", "owners")
alias(main, "title-chain", "chain")
alias(main, "licensees-of", "licensees")
alias(main, "active-bans", "bans")
