"""Question latency: every question against a raw indexed look-up of the same shape, in the same run.

Two cases. *Caught up*: the views are at the log's head and the question reads
them. *Changed since the last catch-up*: one event touching the question's
key is appended (untimed) right before it, so the question finds the views
behind and pays their catch-up. Both are compared with the same raw look-up
on denormalised as-of tables with covering indexes (the baseline cannot be
stale). ``known_at`` (what was known when half the log was recorded) is
compared with the same question at current knowledge.

Kept apart from :mod:`benchmarks.suite`, which measures the writes, so neither grows past ~500 lines.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import orjson

from dealtrack import Ledger
from dealtrack.events import BanImposed, Event, LicenseGranted, PatentsAssigned

from .measure import latencies, result

__all__ = ["QUESTIONS", "changed_keys", "questions", "raw_views", "samples"]

#: The questions measured, in the order they are reported (growth 10k -> 1M is taken for each).
QUESTIONS = ("owners_of", "is_licensed", "active_bans", "portfolio")
#: target on dealtrack / raw look-up, caught up (the issue: owners_of <= 3x, the others <= 4x)
TARGET = {"owners_of": "<= 3", "is_licensed": "<= 4", "active_bans": "<= 4", "portfolio": "<= 4"}
CHANGED_TARGET = "<= 6"
KNOWN_AT_TARGET = "<= 1.5"
PORTFOLIO_SHARE = 0.3  # portfolios are party-wide (the answer grows with the holder): fewer samples


def raw_views(ledger: Ledger, raw: sqlite3.Connection) -> None:
    """Denormalised as-of tables with covering indexes in the raw file: the baseline look-ups' data.

    Called when the views are caught up (``ledger.db`` would otherwise catch them up first).
    """
    raw.execute("DROP TABLE IF EXISTS raw_ownership")
    raw.execute("DROP TABLE IF EXISTS raw_licence_patents")
    raw.execute("DROP TABLE IF EXISTS raw_bans")
    raw.execute("CREATE TABLE raw_ownership (patent TEXT, valid_from TEXT, valid_to TEXT, owner TEXT)")
    raw.execute("CREATE TABLE raw_licence_patents (licensee TEXT, patent TEXT, valid_from TEXT, valid_to TEXT, territory TEXT)")
    raw.execute("CREATE TABLE raw_bans (against TEXT, valid_from TEXT, valid_to TEXT, ban_id TEXT, territory TEXT)")
    db = ledger.db
    raw.execute("BEGIN")
    raw.executemany("INSERT INTO raw_ownership VALUES (?, ?, ?, ?)", db.execute(
        "SELECT patent, valid_from, valid_to, owner FROM ownership WHERE known_to IS NULL"))
    raw.executemany("INSERT INTO raw_licence_patents VALUES (?, ?, ?, ?, ?)", [
        (licensee, patent, start, end, territory)
        for licensee, patents, start, end, territory in db.execute(
            "SELECT licensee, patents, valid_from, valid_to, territory FROM licences WHERE known_to IS NULL AND patents IS NOT NULL")
        for patent in orjson.loads(patents)
    ])
    raw.executemany("INSERT INTO raw_bans VALUES (?, ?, ?, ?, ?)", [
        (party, start, end, ban_id, territory)
        for ban_id, against, start, end, territory in db.execute(
            "SELECT ban_id, against, valid_from, valid_to, territory FROM bans WHERE known_to IS NULL")
        for party in orjson.loads(against)
    ])
    raw.execute("COMMIT")
    raw.execute("CREATE INDEX raw_ownership_asof ON raw_ownership (patent, valid_from, valid_to, owner)")
    raw.execute("CREATE INDEX raw_ownership_holdings ON raw_ownership (owner, valid_from, valid_to, patent)")
    raw.execute("CREATE INDEX raw_licence_asof ON raw_licence_patents (licensee, patent, valid_from, valid_to, territory)")
    raw.execute("CREATE INDEX raw_bans_asof ON raw_bans (against, valid_from, valid_to, ban_id, territory)")
    raw.execute("ANALYZE")


_RAW_OWNERS = ("SELECT owner FROM raw_ownership WHERE patent = ? AND valid_from <= ? "
               "AND (valid_to IS NULL OR valid_to > ?)")
_RAW_HOLDINGS = ("SELECT patent FROM raw_ownership WHERE owner = ? AND valid_from <= ? "
                 "AND (valid_to IS NULL OR valid_to > ?)")
_RAW_LICENCE = ("SELECT 1 FROM raw_licence_patents WHERE licensee = ? AND patent = ? AND valid_from <= ? "
                "AND (valid_to IS NULL OR valid_to > ?) LIMIT 1")
_RAW_BANS = ("SELECT ban_id, territory FROM raw_bans WHERE against = ? AND valid_from <= ? "
             "AND (valid_to IS NULL OR valid_to > ?)")


def _raw(raw: sqlite3.Connection) -> dict[str, Callable[[tuple[Any, ...]], object]]:
    """The baseline of each question: its raw indexed look-ups, taking the same sample tuple."""

    def owners(sample: tuple[Any, ...]) -> object:
        day = sample[1].isoformat()
        return raw.execute(_RAW_OWNERS, (sample[0], day, day)).fetchall()

    def licensed(sample: tuple[Any, ...]) -> object:
        day = sample[2].isoformat()
        return (raw.execute(_RAW_OWNERS, (sample[1], day, day)).fetchall(),
                raw.execute(_RAW_LICENCE, (sample[0], sample[1], day, day)).fetchall())

    def bans(sample: tuple[Any, ...]) -> object:
        day = sample[1].isoformat()
        return raw.execute(_RAW_BANS, (sample[0], day, day)).fetchall()

    def holdings(sample: tuple[Any, ...]) -> object:
        day = sample[1].isoformat()
        return raw.execute(_RAW_HOLDINGS, (sample[0], day, day)).fetchall()

    return {"owners_of": owners, "is_licensed": licensed, "active_bans": bans, "portfolio": holdings}


def _ask(ledger: Ledger, known_at: str | None = None) -> dict[str, Callable[[tuple[Any, ...]], object]]:
    """Each question as a call on one sample tuple (the same tuples the raw look-ups take)."""
    return {
        "owners_of": lambda s: ledger.owners_of(s[0], on=s[1], known_at=known_at),
        "is_licensed": lambda s: ledger.is_licensed(s[0], s[1], on=s[2], territory=s[3], known_at=known_at),
        "active_bans": lambda s: ledger.active_bans(against=s[0], on=s[1], territory=s[2], known_at=known_at),
        "portfolio": lambda s: ledger.portfolio(s[0], on=s[1], known_at=known_at),
    }


def samples(sampler: Any, count: int, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """Question arguments drawn from the synthetic world: patents, licences, bans and parties that exist."""
    rng = random.Random(seed)
    patents, licences, bans = sampler.patents, sampler.licences, sampler.bans
    parties = sorted(sampler.parties)

    def day() -> date:
        return date(1995, 1, 1) + timedelta(days=rng.randrange(31 * 365))

    owners = [(rng.choice(patents), day()) for _ in range(count)]
    licensed = []
    for _ in range(count):
        if licences and rng.random() < 0.5:
            licence = rng.choice(licences)
            start = licence.effective.start
            licensed.append((licence.licensee, rng.choice(licence.patents), start + timedelta(days=rng.randrange(2_000)),
                             "US"))
        else:
            licensed.append((rng.choice(parties), rng.choice(patents), day(), "US"))
    banned = []
    for _ in range(count):
        who = rng.choice(bans).against[0] if bans and rng.random() < 0.7 else rng.choice(parties)
        banned.append((who, day(), rng.choice(["US", "IN", "DE"])))
    held = [(rng.choice(parties), day()) for _ in range(max(1, int(count * PORTFOLIO_SHARE)))]
    return {"owners_of": owners, "is_licensed": licensed, "active_bans": banned, "portfolio": held}


def _middle(ledger: Ledger) -> str:
    """What was known when half the log was recorded (read through the store, never ``ledger.db``)."""
    (row,) = ledger._store.rows_at([max(1, len(ledger) // 2)])
    return row.recorded_at


def questions(scale: str, ledger: Ledger, raw: sqlite3.Connection, sampler: Any, count: int = 1_000) -> list[dict[str, Any]]:
    """Every question on caught-up views vs its raw look-up, and at ``known_at`` (mid-log) vs current knowledge."""
    ledger.refresh()
    raw_views(ledger, raw)
    drawn = samples(sampler, count, seed=7)
    base, ours, then = _raw(raw), _ask(ledger), _ask(ledger, known_at=_middle(ledger))
    rows = []
    for name in QUESTIONS:
        args = drawn[name]
        for _ in range(2):  # warm both sides once, then measure
            mine = latencies(ours[name], args)
            theirs = latencies(base[name], args)
        rows.append(result(scale, f"{name} latency", "s", mine, _BASELINE[name], theirs, target=TARGET[name], p99=True,
                           note=None if name != "portfolio" else "every listed patent of one party"))
        past = latencies(then[name], args)
        rows.append(result(scale, f"{name} known_at (mid-log) vs current knowledge", "s", past,
                           f"the same {name} at current knowledge", mine, target=KNOWN_AT_TARGET, p99=True))
    return rows


_BASELINE = {
    "owners_of": "raw indexed as-of look-up",
    "is_licensed": "raw indexed look-ups (owner, licence)",
    "active_bans": "raw indexed look-up (bans by party)",
    "portfolio": "raw indexed look-up (holdings by owner)",
}


def _touching(name: str, sample: tuple[Any, ...], index: int, parties: list[str]) -> Event:
    """One event that changes what ``name`` answers for ``sample``'s key (valid for ``append``)."""
    other = parties[index % len(parties)]
    if name == "owners_of":
        patent, day = sample
        return PatentsAssigned(assignor=(f"Bench seller {index}",), assignee=(other,), patents=(patent,), effective=day)
    if name == "is_licensed":
        licensee, patent, day, territory = sample
        licensor = other if other != licensee else f"Bench licensor {index}"
        return LicenseGranted(licence_id=f"BENCH-LIC-{index}", licensor=licensor, licensee=licensee, patents=(patent,),
                              territory=(territory,), effective=day)
    if name == "active_bans":
        party, day, territory = sample
        return BanImposed(ban_id=f"BENCH-BAN-{index}", against=(party,), territory=(territory,),
                          authority="District Court", effective=day)
    party, day = sample
    return PatentsAssigned(assignor=(f"Bench seller {index}",), assignee=(party,), patents=(f"US{90_000_000 + index}",),
                           effective=day)


def changed_keys(scale: str, ledger: Ledger, raw: sqlite3.Connection, sampler: Any, count: int = 200) -> list[dict[str, Any]]:
    """Each question right after one event touching its key: the question finds the views behind.

    The append is not timed. The question's time includes reading the new event
    into the tail and folding the key's stored facts with the tail's (or a
    catch-up, where the tail cannot be folded so). The baseline is the same raw
    look-up (raw tables are never behind).
    """
    ledger.refresh()
    drawn = samples(sampler, count, seed=11)
    parties = sorted(sampler.parties)
    base, ours = _raw(raw), _ask(ledger)
    rows = []
    index = 0
    for name in QUESTIONS:
        mine = []
        for sample in drawn[name]:
            index += 1
            ledger.append(_touching(name, sample, index, parties))
            mine.extend(latencies(ours[name], [sample]))
        theirs = latencies(base[name], drawn[name])
        rows.append(result(scale, f"{name} latency, key changed since the last catch-up", "s", mine, _BASELINE[name],
                           theirs, target=CHANGED_TARGET, p99=True, note="one event appended before each question"))
    return rows


def growth(rows: Iterable[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    """How the median latency of each question (caught up, current knowledge) grows from the smallest scale to the largest."""
    if len(labels) < 2:
        return []
    rows = list(rows)
    small, large = labels[0], labels[-1]
    found = []
    for name in QUESTIONS:
        figure = f"{name} latency"
        by_scale = {row["scale"]: row for row in rows if row["figure"] == figure}
        if small in by_scale and large in by_scale:
            first, last = by_scale[small]["dealtrack"], by_scale[large]["dealtrack"]
            ratio = last["median"] / first["median"]
            raw_first, raw_last = by_scale[small].get("baseline"), by_scale[large].get("baseline")
            baseline = None
            if raw_first and raw_last:  # how much the raw look-up itself grew over the same range
                baseline = {"name": "growth of the raw look-up's median",
                            **{k: raw_last[k] / raw_first[k] for k in ("min", "median", "max")}, "n": 1}
            found.append({
                "scale": f"{small} -> {large}",
                "figure": f"{figure}: growth of the median",
                "unit": "x",
                "dealtrack": {"min": last["min"] / first["min"], "median": ratio, "max": last["max"] / first["max"], "n": 1},
                "baseline": baseline,
                "ratio": ratio,
                "target": "<= 1.3",
                "met": ratio <= 1.3,
                "note": "portfolio answers grow with the holder's portfolio" if name == "portfolio" else None,
            })
    return found

