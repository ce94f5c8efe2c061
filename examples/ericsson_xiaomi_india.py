"""Ericsson v Xiaomi in India: which Xiaomi phones could be sold there, and when.

Run it with ``python examples/ericsson_xiaomi_india.py``. In December 2014 the
Delhi High Court barred Xiaomi from selling phones in India that used
Ericsson's standard-essential patents (suit CS(OS) 3775/2014). A week later it
let Xiaomi sell phones built on Qualcomm chips, Qualcomm being an Ericsson
licensee, against a deposit of INR 100 per phone. In April 2016 the ban was
partly vacated for two 3G patents. Which two is illustrative here, and so is
the list of Xiaomi models.
"""

from __future__ import annotations

from dealtrack import Ledger, Source
from dealtrack.events import BanImposed, BanModified

#: Ericsson's eight Indian standard-essential patents (AMR, EDGE and 3G) asserted against handset makers.
ERICSSON_SEPS = ["IN203034", "IN203036", "IN213723", "IN229632", "IN234157", "IN240471", "IN241747", "IN243980"]
#: Xiaomi models sold in India in 2014, with their chipsets.
MODELS = {"Mi 3": "Qualcomm", "Redmi 1S": "Qualcomm", "Redmi Note": "MediaTek"}
DATES = ["2014-12-01", "2014-12-10", "2014-12-20", "2016-05-01"]


def build(ledger: Ledger) -> None:
    ledger.append(
        BanImposed(
            ban_id="ericsson-v-xiaomi-in",
            against="Xiaomi",
            territory="IN",
            authority="Delhi High Court",
            requested_by="Ericsson",
            case="CS(OS) 3775/2014",
            patents=ERICSSON_SEPS,
            effective="2014-12-08",
            sources=[Source(title="Delhi High Court restrains Xiaomi from selling phones in India",
                            published="2014-12-10")],
        ),
        BanModified(
            ban_id="ericsson-v-xiaomi-in",
            exempt_products=[model for model, chip in MODELS.items() if chip == "Qualcomm"],
            conditions="deposit INR 100 per device sold",
            effective="2014-12-16",
            note="phones on Qualcomm chips may be sold: Qualcomm is licensed by Ericsson",
        ),
        BanModified(
            ban_id="ericsson-v-xiaomi-in",
            released_patents=["IN234157", "IN241747"],
            effective="2016-04",
            note="partly vacated for two 3G patents (which two is illustrative)",
        ),
    )


def sellable(ledger: Ledger, day: str) -> dict[str, bool]:
    """For each model: may Xiaomi sell it in India on ``day``?"""
    return {
        model: not ledger.active_bans(against="Xiaomi", on=day, territory="IN", product=model)
        for model in MODELS
    }


def main() -> None:
    with Ledger.open() as ledger:
        build(ledger)
        for day in DATES:
            allowed = sellable(ledger, day)
            bans = ledger.active_bans(against="Xiaomi", on=day, territory="IN")
            rests_on = f"; the ban rests on {len(bans[0].patents)} patents" if bans else "; no ban in force"
            conditions = f" ({bans[0].conditions})" if bans and bans[0].conditions else ""
            print(f"{day}: " + ", ".join(f"{m} {'may' if ok else 'may not'} be sold" for m, ok in allowed.items())
                  + rests_on + conditions)


if __name__ == "__main__":
    main()
