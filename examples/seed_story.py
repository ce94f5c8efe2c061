"""The seed story, told through the ledger: Microsoft, Nokia and Xiaomi, 2014-2017.

Run it with ``python examples/seed_story.py [ledger.db]``. It records the
story as the news arrived, a wrong report and its correction included, then
asks the ledger what an analyst would: who held which patents when, what
Xiaomi's portfolio amounted to, where the chain of title has a gap, and what
we believed before the correction came in.
"""

from __future__ import annotations

import sys

from dealtrack import Ledger
from dealtrack.events import PatentsAssigned
from dealtrack.story import MICROSOFT_PATENTS, NOKIA_PATENT, seed_story


def main(path: str | None = None) -> None:
    with Ledger.open(path) as ledger:
        if len(ledger):
            sys.exit(f"{path} already holds a ledger; give a new file name")
        ledger.append(*seed_story())

        print("Who held the illustrative Microsoft patents, year by year?")
        for patent in MICROSOFT_PATENTS:
            years = {year: sorted(ledger.owners_of(patent, on=str(year))) for year in (2015, 2016, 2017)}
            print(f"  {patent}: " + "; ".join(f"{y}: {', '.join(o)}" for y, o in years.items()))

        for day in ("2016-05-31", "2016-06-01"):
            portfolio = ledger.portfolio("Xiaomi", on=day)
            print(f"Xiaomi's portfolio on {day}: {len(portfolio)} patents ({portfolio.undisclosed} undisclosed)")

        print(f"{NOKIA_PATENT}, transferred at some moment in July 2017:")
        for day in ("2017-06-30", "2017-07-15", "2017-08-01"):
            print(f"  on {day}: {', '.join(sorted(ledger.owners_of(NOKIA_PATENT, on=day)))}")

        print("Anomalies in the record:")
        for anomaly in ledger.anomalies():
            print(f"  {anomaly.kind}: {anomaly.message}")

        # A blog reports a fourth patent in the Microsoft deal; the register later shows otherwise.
        (report,) = ledger.append(
            PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US8000004"], effective="2016-06-01")
        )
        ledger.retract(report.event_id, "US8000004 was not part of the deal")
        believed = ledger.owners_of("US8000004", on="2016-07-01", known_at=report.recorded_at)
        now = ledger.owners_of("US8000004", on="2016-07-01")
        print(f"US8000004 on 2016-07-01: believed {', '.join(believed)} before the correction, {', '.join(now)} after it")
        print(f"Log check: {ledger.verify()}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
