"""The seed story as events: Microsoft, Nokia and Xiaomi, 2014-2017.

Dates and sources come from the public reporting of the deals; patent numbers
are illustrative, since the 1,500 patents Microsoft sold were never published.
The demo, the examples and the docs all build on these events.
"""

from __future__ import annotations

from .events import (
    BanImposed,
    BanModified,
    CrossLicenseAgreed,
    DealAnnounced,
    Event,
    LicenseGranted,
    PatentRegistered,
    PatentsAssigned,
)
from .values import Source

__all__ = ["ERICSSON_SEPS", "MSFT_PRESS_RELEASE", "ericsson_injunction", "seed_story"]

MSFT_PRESS_RELEASE = Source(
    publisher="Microsoft News Center",
    title="Microsoft and Xiaomi expand partnership to bring productivity services to millions of devices and customers",
    published="2016-05-31",
)
NOKIA_XIAOMI_NEWS = Source(
    title="Xiaomi and Nokia sign multi-year patent agreement, cross-license SEPs",
    published="2017-07-06",
)

#: Illustrative Microsoft patents: three in the Xiaomi deal, one it kept.
MICROSOFT_PATENTS = {
    "US8000001": ("Mobile device user interface for productivity applications", "2009-03-03"),
    "US8000002": ("Synchronising documents between a phone and a cloud service", "2010-08-17"),
    "US8000003": ("Power management for a handheld radio device", "2011-05-24"),
    "US8000004": ("Touch keyboard with predictive input", "2012-01-10"),
}
#: An illustrative Nokia patent among the assets Xiaomi bought in 2017.
NOKIA_PATENT = "EP1000001"


def seed_story() -> list[Event]:
    """The story's events, in the order the news would have been recorded."""
    registered: list[Event] = [
        PatentRegistered(patent=patent, owner="Microsoft", title=title, effective=granted)
        for patent, (title, granted) in MICROSOFT_PATENTS.items()
    ]
    return [
        *registered,
        PatentRegistered(
            patent=NOKIA_PATENT, owner="Nokia", title="Cellular handover signalling", effective="2005-11-09"
        ),
        # Microsoft bought Nokia's phone business in 2014; Nokia kept its patents and
        # licensed them back to Microsoft for ten years.
        LicenseGranted(
            licence_id="nokia-microsoft-2014",
            licensor="Nokia",
            licensee="Microsoft",
            effective="2014-04-25",
            expires="2024-04-24",
            deal="microsoft-nokia-devices-2014",
            note="ten-year licence to Nokia's patents, part of the sale of Nokia's devices business",
        ),
        # Microsoft moved one of the patents to its licensing subsidiary before the Xiaomi deal,
        # which the news about the deal does not mention: a gap in the chain of title.
        PatentsAssigned(
            assignor="Microsoft",
            assignee="Microsoft Technology Licensing, LLC",
            patents=["US8000003"],
            effective="2014-10-14",
            note="illustrative intra-group transfer",
        ),
        DealAnnounced(
            deal="msft-xiaomi-2016",
            title="Microsoft sells about 1,500 patents to Xiaomi, with a cross-licence",
            parties=("Microsoft", "Xiaomi"),
            effective="2016-06-01",
            sources=[MSFT_PRESS_RELEASE],
        ),
        PatentsAssigned(
            assignor="Microsoft",
            assignee="Xiaomi",
            patents=["US8000001", "US8000002", "US8000003"],
            disclosed_count=1500,
            effective="2016-06-01",
            deal="msft-xiaomi-2016",
            sources=[MSFT_PRESS_RELEASE],
            note="financial terms were not disclosed; the register dates are illustrative",
            # The US register recorded the conveyance some weeks after it took effect.
            registry_recorded="2016-08-22",
            registry_ref="039588/0001",
        ),
        CrossLicenseAgreed(
            licence_id="msft-xiaomi-xl",
            parties=("Microsoft", "Xiaomi"),
            effective="2016-06-01",
            deal="msft-xiaomi-2016",
            sources=[MSFT_PRESS_RELEASE],
        ),
        DealAnnounced(
            deal="nokia-xiaomi-2017",
            title="Nokia and Xiaomi sign a multi-year patent agreement",
            parties=("Nokia", "Xiaomi"),
            effective="2017-07-05",
            sources=[NOKIA_XIAOMI_NEWS],
        ),
        CrossLicenseAgreed(
            licence_id="nokia-xiaomi-sep-xl",
            parties=("Nokia", "Xiaomi"),
            field="cellular standard-essential patents",
            effective="2017-07-05",
            deal="nokia-xiaomi-2017",
            sources=[NOKIA_XIAOMI_NEWS],
        ),
        # Only the month of the transfer of Nokia's patent assets is known.
        PatentsAssigned(
            assignor="Nokia",
            assignee="Xiaomi",
            patents=[NOKIA_PATENT],
            effective="2017-07",
            deal="nokia-xiaomi-2017",
            sources=[NOKIA_XIAOMI_NEWS],
            note="the assets Xiaomi acquired were not listed; the patent and the month are illustrative",
        ),
    ]


#: Ericsson's eight Indian standard-essential patents (AMR, EDGE and 3G) asserted against Xiaomi.
ERICSSON_SEPS = ["IN203034", "IN203036", "IN213723", "IN229632", "IN234157", "IN240471", "IN241747", "IN243980"]
DELHI_HC_NEWS = Source(title="Delhi High Court restrains Xiaomi from selling phones in India", published="2014-12-10")


def ericsson_injunction() -> list[Event]:
    """Ericsson's injunction against Xiaomi in India (Delhi High Court, December 2014) and its modification.

    A week after the ban the court let Xiaomi sell phones built on Qualcomm chips
    (Qualcomm being an Ericsson licensee) against a deposit of INR 100 a phone.
    The list of models is illustrative.
    """
    return [
        BanImposed(
            ban_id="ericsson-v-xiaomi-in",
            against="Xiaomi",
            territory="IN",
            authority="Delhi High Court",
            requested_by="Ericsson",
            case="CS(OS) 3775/2014",
            patents=ERICSSON_SEPS,
            effective="2014-12-08",
            sources=[DELHI_HC_NEWS],
        ),
        BanModified(
            ban_id="ericsson-v-xiaomi-in",
            exempt_products=["Mi 3", "Redmi 1S"],
            conditions="deposit INR 100 per device sold",
            effective="2014-12-16",
            note="phones on Qualcomm chips may be sold: Qualcomm is licensed by Ericsson",
        ),
    ]
