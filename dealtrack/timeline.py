"""Timelines: ownership spans per patent, with licences and bans as bands beneath, drawn with matplotlib.

matplotlib is an optional extra (``pip install "dealtrack[plot]"``). Figures are
drawn on the Agg canvas, never through pyplot, so nothing stays open between
calls and no display is needed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs

from .errors import InvalidEvent, MissingExtra
from .values import Period, normalize_patent, parse_party

__all__ = ["Lane", "Bar", "lanes", "plot_timeline"]

ALL_TIME = Period(date(1800, 1, 1), date(2199, 12, 31))
MAX_PATENTS = 100  # more lanes than this do not read as a picture: more patents are drawn one lane per holder
MIN_BAR = 1 / 250  # the narrowest bar drawn, as a share of the time axis, so that a short span stays visible
LEGEND_WIDTH = 28  # characters a legend entry may take before it wraps: it then fits the figure's right margin
DPI = 100
WIDTH = 11.0  # inches
ROW = 0.42  # inches per lane
MARGIN = 1.3  # inches for the title, the date axis and the legend
#: lane kind -> (face colour, edge colour, hatch) for the bands under the chains of title
BANDS = {"licence": ("#e8eef4", "#5b7a99", None), "ban": ("#f6d5d1", "#b03a2e", None)}


@attrs.frozen
class Bar:
    """One bar on a lane: ``label`` from ``start`` to ``end`` (None: still running)."""

    label: str
    start: date
    end: date | None
    certain: bool = True


@attrs.frozen
class Lane:
    """One row of the picture: a patent's chain of title, a licence or a ban."""

    kind: str  # "title", "licence" or "ban"
    name: str
    bars: tuple[Bar, ...]


def lanes(
    ledger: Any,
    patents: str | Iterable[str] | None = None,
    party: str | None = None,
    known_at: Any = None,
    registry_at: Any = None,
) -> list[Lane]:
    """What :func:`plot_timeline` draws, as plain values: title lanes, then licences, then bans.

    Up to :data:`MAX_PATENTS` patents get a lane each; more are drawn one lane per
    holder ("Xiaomi (1,200 patents)": when it held any of them), with the bans.
    """
    basis = {"known_at": known_at, "registry_at": registry_at}
    chosen = _patents(ledger, patents, party, basis)
    if len(chosen) > MAX_PATENTS:
        held = _holder_lanes(ledger, chosen, basis)
        return held + _ban_lanes(ledger, chosen, party, patents is None and party is None, basis)
    found = [
        Lane("title", chain.patent, tuple(
            Bar(span.holders, span.start, span.end, span.certain) for span in chain
        ))
        for chain in (ledger.title_chain(patent, **basis) for patent in chosen)
    ]
    found += _licence_lanes(ledger, chosen, party, basis)
    found += _ban_lanes(ledger, chosen, party, patents is None and party is None, basis)
    return found


def plot_timeline(
    ledger: Any,
    patents: str | Iterable[str] | None = None,
    party: str | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    known_at: Any = None,
    registry_at: Any = None,
    title: str | None = None,
) -> Any:
    """Draw ownership spans per patent and licences/bans as bands; return the matplotlib Figure.

    ``patents`` (ids, any spelling) or ``party`` (every patent it ever held, and
    its licences and bans) choose what to draw; neither draws the whole ledger.
    With ``path`` ending in ``.png`` or ``.svg`` the figure is also saved there.
    """
    suffix = None if path is None else Path(path).suffix.lower()
    if suffix not in (None, ".png", ".svg"):
        raise InvalidEvent("path", os.fspath(path), "a timeline is saved as .png or .svg")  # type: ignore[arg-type]
    try:
        from matplotlib import dates as mdates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise MissingExtra("plot_timeline()", "matplotlib", "plot") from None

    rows = lanes(ledger, patents, party, known_at, registry_at)
    if not rows:
        raise InvalidEvent("patents", patents if party is None else party, "nothing recorded to draw")
    figure = Figure(figsize=(WIDTH, MARGIN + ROW * len(rows)), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    left, right = _extent(rows)
    narrowest = (_day_number(right) - _day_number(left)) * MIN_BAR
    colours = _colours(bar.label for lane in rows if lane.kind == "title" for bar in lane.bars)
    for y, lane in enumerate(reversed(rows)):
        for bar in lane.bars:
            end = bar.end or right
            face, edge, hatch = BANDS.get(lane.kind, (colours.get(bar.label), "#333333", None))
            axes.broken_barh(
                [(_day_number(bar.start), max(_day_number(end) - _day_number(bar.start), narrowest))],
                (y - 0.35, 0.7),
                facecolors=face,
                edgecolor=edge,
                linewidth=0.6,
                alpha=1.0 if bar.certain else 0.55,
                hatch=hatch if bar.certain else "///",
            )
            if lane.kind != "title":
                axes.text(_day_number(bar.start), y, f" {bar.label}", va="center", ha="left", fontsize=7,
                          clip_on=True)
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([_lane_label(lane) for lane in reversed(rows)], fontsize=8)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xlim(_day_number(left), _day_number(right))
    axes.xaxis.set_major_locator(mdates.AutoDateLocator())
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes.xaxis.get_major_locator()))
    axes.grid(axis="x", linestyle=":", linewidth=0.5)
    axes.set_title(title or _title(rows, party), fontsize=10, loc="left")
    legend = [Patch(facecolor=colour, edgecolor="#333333", label=_wrapped(owner)) for owner, colour in colours.items()]
    legend += [Patch(facecolor="white", edgecolor="#333333", hatch="///", label="uncertain (imprecise date)")]
    legend += [Patch(facecolor=face, edgecolor=edge, hatch=hatch, label=kind) for kind, (face, edge, hatch) in BANDS.items()]
    axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    figure.subplots_adjust(left=0.2, right=0.78, top=1 - 0.45 / figure.get_figheight(),
                           bottom=0.55 / figure.get_figheight())
    if path is not None:
        figure.savefig(path, format=suffix.lstrip("."), dpi=DPI)  # type: ignore[union-attr]
    return figure


# --- choosing what to draw ----------------------------------------------------------------------------


def _patents(ledger: Any, patents: str | Iterable[str] | None, party: str | None, basis: dict[str, Any]) -> list[str]:
    if patents is not None:
        given = [patents] if isinstance(patents, str) else list(patents)
        chosen = list(dict.fromkeys(normalize_patent(p, "patents") for p in given))
    elif party is not None:
        chosen = sorted(ledger.portfolio(parse_party(party, "party"), on=ALL_TIME, **basis).patents)
    else:
        seen: dict[str, None] = {}
        for recorded in ledger.events(types=["PatentRegistered", "PatentsAssigned"], **basis):
            event = recorded.event
            seen.update(dict.fromkeys([event.patent] if hasattr(event, "patent") else event.patents))
        chosen = sorted(seen)
    return chosen


def _holder_lanes(ledger: Any, patents: Sequence[str], basis: dict[str, Any]) -> list[Lane]:
    """One lane per holder: the stretches of time in which it held any of ``patents``, merged."""
    spans: dict[str, list[tuple[date, date | None]]] = {}
    counts: dict[str, set[str]] = {}
    for patent in patents:
        for span in ledger.title_chain(patent, **basis):
            for owner in span.owners:
                spans.setdefault(owner, []).append((span.start, span.end))
                counts.setdefault(owner, set()).add(patent)
    found = []
    for owner, stretches in spans.items():
        merged: list[list[Any]] = []
        for start, end in sorted(stretches, key=lambda se: (se[0], se[1] or date.max)):
            if merged and (merged[-1][1] is None or start <= merged[-1][1]):
                if merged[-1][1] is not None and (end is None or end > merged[-1][1]):
                    merged[-1][1] = end
                continue
            merged.append([start, end])
        label = f"{owner} ({len(counts[owner]):,} patents)"
        found.append(Lane("title", label, tuple(Bar(owner, start, end) for start, end in merged)))
    return sorted(found, key=lambda lane: (lane.bars[0].start, lane.name))


def _licence_lanes(ledger: Any, patents: Sequence[str], party: str | None, basis: dict[str, Any]) -> list[Lane]:
    found: dict[tuple[str, str, str], Bar] = {}
    for patent in patents:
        for item in ledger.encumbrances(patent, on=ALL_TIME, **basis):
            if item.kind == "licence" and item.reference is not None:
                found[(item.reference, item.grantor, item.holder)] = Bar(
                    f"{item.grantor} -> {item.holder}", item.valid_from, item.valid_to)
    if party is not None:
        standing = ledger.standing(party, on=ALL_TIME, **basis)
        for licence in (*standing.licences_in, *standing.licences_out):
            found[(licence.licence_id, licence.licensor, licence.licensee)] = Bar(
                f"{licence.licensor} -> {licence.licensee}", licence.valid_from, licence.valid_to)
    return [Lane("licence", key[0], (bar,)) for key, bar in sorted(found.items(), key=lambda kv: (kv[1].start, kv[0]))]


def _ban_lanes(ledger: Any, patents: Sequence[str], party: str | None, every: bool, basis: dict[str, Any]) -> list[Lane]:
    bans = ledger.active_bans(against=party, on=ALL_TIME, **basis)
    wanted = set(patents)
    starts: dict[str, date] = {}
    for recorded in ledger.events(types="BanImposed", **basis):
        event = recorded.event
        assert event.effective is not None
        starts.setdefault(event.ban_id, event.effective.start)
    found = []
    for ban in bans:  # each ban as it last stood: its end is the ban's end
        if party is None and not every and not wanted & set(ban.patents):
            continue
        start = min(starts.get(ban.ban_id, ban.valid_from), ban.valid_from)
        label = f"{', '.join(ban.against)} in {', '.join(ban.territory)} ({ban.authority})"
        found.append(Lane("ban", ban.ban_id, (Bar(label, start, ban.valid_to),)))
    return sorted(found, key=lambda lane: (lane.bars[0].start, lane.name))


# --- drawing helpers -----------------------------------------------------------------------------------


def _extent(rows: Sequence[Lane]) -> tuple[date, date]:
    days = [day for lane in rows for bar in lane.bars for day in (bar.start, bar.end) if day is not None]
    first, last = min(days), max([*days, date.today()])
    pad = timedelta(days=max(30, (last - first).days // 40))
    return first - pad, last + pad


def _day_number(day: date) -> float:
    """matplotlib's number for ``day`` (its stubs type date2num as returning an array, even for one date)."""
    from matplotlib import dates as mdates

    return float(mdates.date2num(day))


def _colours(owners: Iterable[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    tab20: Any = colormaps["tab20"]  # a ListedColormap: its .colors are 20 RGB tuples
    palette = tab20.colors
    names = list(dict.fromkeys(owners))
    return {name: palette[(2 * i) % 20 if i < 10 else (2 * i + 1) % 20] for i, name in enumerate(names)}


def _wrapped(name: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(name, LEGEND_WIDTH)) or name


def _lane_label(lane: Lane) -> str:
    return {"title": lane.name, "licence": f"licence {lane.name}", "ban": f"ban {lane.name}"}[lane.kind]


def _title(rows: Sequence[Lane], party: str | None) -> str:
    titles = sum(lane.kind == "title" for lane in rows)
    who = f"{party}: " if party else ""
    return f"{who}chain of title of {titles} patent{'s' if titles != 1 else ''}, with licences and bans"
