"""The demo: build the seed story into a ledger file and answer time-travel questions about it.

The story: Microsoft's sale of about 1,500 patents to Xiaomi with a
cross-licence (2016), Nokia's cross-licence with Xiaomi and the patents Xiaomi
bought from it (2017), and Ericsson's Delhi High Court injunction against
Xiaomi with its modification a week later (2014). Patent numbers are
illustrative: the patents in these deals were never published.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from .events import PatentsAssigned
from .ledger import Ledger
from .story import ericsson_injunction, seed_story
from .values import Source

__all__ = ["answers", "build", "report", "run", "run_data"]

DEFAULT_PATH = "dealtrack-demo.db"
ILLUSTRATIVE = "patent numbers are illustrative: the patents in these deals were never published"


def build(ledger: Ledger) -> None:
    """Append the seed story, a wrong report and the correction that retracts it, then Ericsson's injunction."""
    ledger.append(*seed_story(), metadata={"loaded_by": "dealtrack demo"})
    (wrong,) = ledger.append(
        PatentsAssigned(
            assignor="Microsoft",
            assignee="Xiaomi",
            patents=["US8000004"],
            effective="2016-06-01",
            deal="msft-xiaomi-2016",
            sources=[Source(publisher="a blog", title="Xiaomi gets Microsoft's keyboard patent", published="2016-06-02")],
        )
    )
    ledger.retract(wrong.event_id, "the patent was not part of the deal; Microsoft still holds it")
    ledger.append(*ericsson_injunction(), metadata={"loaded_by": "dealtrack demo"})


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "nobody known"


def _sellable(ledger: Ledger, product: str, day: str) -> tuple[bool, str]:
    bans = ledger.active_bans(against="Xiaomi", on=day, territory="IN", product=product)
    if not bans:
        conditions = [ban.conditions for ban in ledger.active_bans(against="Xiaomi", on=day, territory="IN")
                      if ban.conditions]
        return True, "yes" + (f" ({'; '.join(conditions)})" if conditions else "")
    return False, f"no: {bans[0].authority} ban {bans[0].ban_id}, on {len(bans[0].patents)} patents"


def answers(ledger: Ledger) -> list[dict[str, Any]]:
    """The demo's questions with the ledger's answers as data: ``question``, ``answer`` and ``text``."""
    xiaomi = ledger.portfolio("Xiaomi", on="2016-12-31")
    retraction = next(ledger.events(types="EventRetracted"))
    before_correction = retraction.recorded_at - timedelta(microseconds=1)
    found: list[dict[str, Any]] = []

    def ask(question: str, answer: Any, text: str | None = None, note: str = "") -> None:
        shown = text if text is not None else _names(answer)
        found.append({"question": question, "answer": sorted(answer) if isinstance(answer, frozenset) else answer,
                      "text": shown + (f"  ({note})" if note else "")})

    ask("Who owned US8000001 in May 2016?", ledger.owners_of("US 8,000,001 B2", on="2016-05"))
    ask("Who owned it on 2016-07-01?", ledger.owners_of("US8000001", on="2016-07-01"))
    ask("Xiaomi's portfolio on 2016-12-31:",
        {"count": len(xiaomi), "listed": len(xiaomi.patents), "undisclosed": xiaomi.undisclosed},
        f"{len(xiaomi)} patents ({len(xiaomi.patents)} listed, {xiaomi.undisclosed} undisclosed)")
    ask("Who is licensed under US8000001 in India on 2017-01-01?",
        ledger.licensees_of("US8000001", on="2017-01-01", territory="IN"), note="the cross-licence with the sale")
    ask("Who may have held EP1000001 in July 2017?", ledger.owners_of("EP1000001", on="2017-07-15"),
        note="the transfer is dated only to the month")
    ask("... and on 2017-08-01?", ledger.owners_of("EP1000001", on="2017-08-01"))
    ask("Is Xiaomi licensed under Nokia's patents in India on 2017-07-10?",
        ledger.is_licensed("Xiaomi", "EP1000001", on="2017-07-10", territory="IN"),
        "yes" if ledger.is_licensed("Xiaomi", "EP1000001", on="2017-07-10", territory="IN") else "no",
        note="Nokia-Xiaomi cross-licence of 2017-07-05")
    ask("Who owned US8000004 on 2016-07-01, as we believed before the correction?",
        ledger.owners_of("US8000004", on="2016-07-01", known_at=before_correction))
    ask("... and after it?", ledger.owners_of("US8000004", on="2016-07-01"))
    ask("Who held US8000001 on 2016-07-01 as the US register showed it on 2016-08-01?",
        ledger.owners_of("US8000001", on="2016-07-01", registry_at="2016-08-01"))
    for product, day in (("Redmi Note", "2014-12-10"), ("Redmi 1S", "2014-12-10"), ("Redmi 1S", "2014-12-20")):
        allowed, text = _sellable(ledger, product, day)
        ask(f"Could Xiaomi sell the {product} in India on {day}?", allowed, text)
    return found


def report(ledger: Ledger) -> list[str]:
    """The demo's questions and the ledger's answers, one line each, then the chain, anomalies and log check."""
    lines = [f"{item['question']:<50}{item['text']}" if len(item["question"]) < 50
             else f"{item['question']}  {item['text']}" for item in answers(ledger)]
    return [
        *lines,
        "Chain of title of EP1000001:",
        *(
            f"  {span.start} .. {span.end or 'now'}: {_names(span.owners)}"
            + ("" if span.certain else "  (uncertain: the transfer is dated only to the month)")
            for span in ledger.title_chain("EP1000001")
        ),
        "Chain-of-title anomalies:",
        *(f"  - {anomaly.message}" for anomaly in ledger.anomalies()),
        f"Log check: {ledger.verify()}",
    ]


def _open(path: str | os.PathLike[str]) -> tuple[Ledger, bool]:
    ledger = Ledger.open(path)
    built_now = len(ledger) == 0
    if built_now:
        build(ledger)
    return ledger, built_now


def run(path: str | os.PathLike[str] = DEFAULT_PATH) -> list[str]:
    """Build the story into ``path`` (once; a second run reuses it) and return the report."""
    ledger, built_now = _open(path)
    with ledger:
        header = f"dealtrack demo: the Microsoft / Nokia / Xiaomi / Ericsson story in {path} ({len(ledger)} events"
        header += ", built now;" if built_now else ", built earlier;"
        return [f"{header} {ILLUSTRATIVE})", *report(ledger)]


def run_data(path: str | os.PathLike[str] = DEFAULT_PATH) -> dict[str, Any]:
    """:func:`run` as data: the file, its events, the questions and answers, anomalies and the log check."""
    ledger, built_now = _open(path)
    with ledger:
        chain = ledger.title_chain("EP1000001")
        report = ledger.verify()
        return {
            "path": os.fspath(path),
            "events": len(ledger),
            "built_now": built_now,
            "note": ILLUSTRATIVE,
            "answers": [{"question": a["question"], "answer": a["answer"]} for a in answers(ledger)],
            "title_chain": chain.to_rows(),
            "anomalies": ledger.anomalies().to_rows(),
            "verified": {"ok": report.ok, "events_checked": report.events_checked},
        }
