"""The demo: build the seed story into a ledger file and print time-travel answers."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta

from .events import PatentsAssigned
from .ledger import Ledger
from .story import seed_story
from .values import Source

__all__ = ["build", "report", "run"]

DEFAULT_PATH = "dealtrack-demo.db"


def build(ledger: Ledger) -> None:
    """Append the seed story, then a wrong report and the correction that retracts it."""
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


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "nobody known"


def report(ledger: Ledger) -> list[str]:
    """The demo's questions and the ledger's answers, one line each."""
    xiaomi = ledger.portfolio("Xiaomi", on="2016-12-31")
    retraction = next(ledger.events(types="EventRetracted"))
    before_correction = retraction.recorded_at - timedelta(microseconds=1)
    lines = [
        f"Who owned US8000001 in May 2016?                  {_names(ledger.owners_of('US 8,000,001 B2', on='2016-05'))}",
        f"Who owned it on 2016-07-01?                       {_names(ledger.owners_of('US8000001', on='2016-07-01'))}",
        f"Xiaomi's portfolio on 2016-12-31:                 {len(xiaomi)} patents "
        f"({len(xiaomi.patents)} listed, {xiaomi.undisclosed} undisclosed)",
        f"Who may have held EP1000001 in July 2017?         {_names(ledger.owners_of('EP1000001', on='2017-07-15'))}"
        "  (the transfer is dated only to the month)",
        f"... and on 2017-08-01?                            {_names(ledger.owners_of('EP1000001', on='2017-08-01'))}",
        f"Who owned US8000004 on 2016-07-01, as we believed before the correction?  "
        f"{_names(ledger.owners_of('US8000004', on='2016-07-01', known_at=before_correction))}",
        f"... and after it?                                 {_names(ledger.owners_of('US8000004', on='2016-07-01'))}",
        f"Who held US8000001 on 2016-07-01 as the US register showed it on 2016-08-01?  "
        f"{_names(ledger.owners_of('US8000001', on='2016-07-01', registry_at='2016-08-01'))}",
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
    return lines


def run(path: str | os.PathLike[str] = DEFAULT_PATH) -> list[str]:
    """Build the story into ``path`` (once; a second run reuses it) and return the report."""
    with Ledger.open(path) as ledger:
        built_now = len(ledger) == 0
        if built_now:
            build(ledger)
        header = f"dealtrack demo: the Microsoft / Nokia / Xiaomi story in {path} ({len(ledger)} events"
        header += ", built now)" if built_now else ", built earlier)"
        return [header, *report(ledger)]
