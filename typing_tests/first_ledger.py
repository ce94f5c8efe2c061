"""The README's first ledger and the guide's questions, as users write them (type-checked, never run)."""

from __future__ import annotations

from datetime import date, timedelta

from dealtrack import Ledger, Money, Source
from dealtrack.events import (
    BanImposed,
    BanModified,
    CrossLicenseAgreed,
    LicenseGranted,
    PatentRegistered,
    PatentsAssigned,
)
from dealtrack.importers import import_jsonl


def first_ledger() -> None:
    with Ledger.open("deals.db") as ledger:
        ledger.append(
            PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"),
            PatentsAssigned(
                assignor="Microsoft", assignee="Xiaomi", patents=["US8000001"],
                disclosed_count=1500, effective="2016-06-01", deal="msft-xiaomi-2016",
                sources=[Source(publisher="Microsoft News Center", published="2016-05-31")],
            ),
        )
        assert ledger.owners_of("US 8,000,001 B2", on="2016-05") == {"Microsoft"}
        assert ledger.owners_of("US8000001", on="2016-07-01") == {"Xiaomi"}
        assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500


def events_take_what_users_write() -> None:
    PatentRegistered(patent="EP1000001", owner="Nokia", effective=date(2005, 11, 9), title="A radio")
    PatentsAssigned(assignor=["Nokia"], assignee=("Xiaomi", "Nokia"), patents="EP1000001",
                    effective="2017-07", consideration=Money(350_000_000, "USD"))
    LicenseGranted(licence_id="nokia-msft-2014", licensor="Nokia", licensee="Microsoft",
                   effective="2014-04-25", territory=["WORLD"], exclusive=False)
    CrossLicenseAgreed(licence_id="msft-xiaomi-x", parties=["Microsoft", "Xiaomi"], effective="2016-06-01")
    BanImposed(ban_id="delhi-1", against="Xiaomi", territory="IN", authority="Delhi High Court",
               requested_by="Ericsson", patents=["IN203034", "IN229632"], effective="2014-12-08")
    BanModified(ban_id="delhi-1", exempt_products=["Redmi 1S"], conditions="deposit INR 100 per device",
                effective="2014-12-16")


def questions(ledger: Ledger) -> None:
    portfolio = ledger.portfolio("Xiaomi", on="2016-12-31")
    assert len(portfolio) == 1500 and portfolio.undisclosed == 1497 and "US8000001" in portfolio

    chain = ledger.title_chain("US8000003")
    assert [sorted(span.owners) for span in chain] == [["Microsoft"], ["Xiaomi"]]

    many = ledger.owners_of_many(["US 8,000,001 B2", "EP1000001", "US9999999"], on="2017-07")
    assert many["US8000001"] == {"Xiaomi"} and many["US9999999"] == frozenset()
    first: dict[str, object] = many.to_rows()[0]
    assert first["on"] == "2017-07"

    assert ledger.licensees_of("EP1000001", on="2015-01-01") == {"Microsoft"}
    assert ledger.is_licensed("Microsoft", "US8000001", on="2017-01-01", territory="IN")
    (ban,) = ledger.active_bans(against="Xiaomi", on="2014-12-20", territory="IN")
    assert ban.exempt_products == ("Redmi 1S",)


def bulk_and_refresh() -> None:
    with Ledger.open() as ledger:
        with ledger.bulk():
            for n in range(1, 101):
                ledger.append(PatentRegistered(patent=f"US90000{n:02d}", owner="Nokia", effective="2012"))
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="Xiaomi", patents=["US9000007"], effective="2017-07"))
        assert ledger.owners_of("US9000007", on="2018") == {"Xiaomi"}
        caught_up: int = ledger.refresh()
        assert caught_up == 0


def correcting(ledger: Ledger) -> None:
    blog = Source(publisher="a blog", title="Xiaomi gets Microsoft's keyboard patent", published="2016-06-02")
    (wrong,) = ledger.append(
        PatentsAssigned(assignor="Microsoft", assignee="Xiaomi", patents=["US8000004"],
                        effective="2016-06-01", sources=[blog])
    )
    retraction, replacement = ledger.correct(
        wrong.event_id,
        PatentsAssigned(assignor="Microsoft", assignee="Microsoft Technology Licensing, LLC",
                        patents=["US8000004"], effective="2016-06-01"),
        reason="the keyboard patent went to Microsoft's licensing arm, not to Xiaomi",
    )
    before = retraction.recorded_at - timedelta(microseconds=1)
    assert ledger.owners_of("US8000004", on="2016-07-01", known_at=before) == {"Xiaomi"}
    assert replacement.position > retraction.position
    then = ledger.view(known_at=before, registry_at="2017-12-31")
    assert then.owners_of("US8000004", on="2016-07-01") == {"Xiaomi"}


def on_a_team_server() -> None:
    url = "postgresql://analyst@db.example.com:5432/deals"
    with Ledger.open(url, schema="licensing") as ledger, Ledger.open("team.db") as file:
        file.export_jsonl("team.jsonl")
        moved: int = import_jsonl(ledger, "team.jsonl").appended
        assert moved == len(file) and ledger.head() == file.head()
