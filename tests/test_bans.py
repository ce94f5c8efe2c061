"""Sales bans as of any date: scope, exempted products, released patents, lifts and anomalies."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import view_rows
from dealtrack import InvalidEvent, Ledger
from dealtrack.events import BanImposed, BanLifted, BanModified, PartyRenamed

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

SEPS = ["IN203034", "IN229632", "IN241747"]


def impose(**kwargs) -> BanImposed:
    fields = dict(ban_id="B", against="Xiaomi", territory="IN", authority="Delhi High Court",
                  requested_by="Ericsson", patents=SEPS, effective="2014-12-08", case="CS(OS) 3775/2014")
    fields.update(kwargs)
    return BanImposed(**fields)


def test_a_ban_is_in_force_from_its_date_in_its_territory(ledger: Ledger) -> None:
    ledger.append(impose())
    assert ledger.active_bans(on="2014-12-07") == []
    (ban,) = ledger.active_bans(on="2014-12-08")
    assert (ban.ban_id, ban.against, ban.territory, ban.authority) == ("B", ("Xiaomi",), ("IN",), "Delhi High Court")
    assert ban.patents == tuple(SEPS) and ban.case == "CS(OS) 3775/2014" and ban.products is None
    assert ledger.active_bans(against="Xiaomi", on="2015", territory="IN") != []
    assert ledger.active_bans(against="Xiaomi", on="2015", territory="US") == []
    assert ledger.active_bans(against="Micromax", on="2015") == []


def test_an_exempted_product_is_not_banned(ledger: Ledger) -> None:
    ledger.append(impose(), BanModified(ban_id="B", exempt_products=["Redmi 1S"],
                                         conditions="deposit INR 100 per device", effective="2014-12-16"))
    assert [b.ban_id for b in ledger.active_bans(on="2014-12-10", product="Redmi 1S")] == ["B"]
    assert ledger.active_bans(on="2014-12-16", product="Redmi 1S") == []
    (ban,) = ledger.active_bans(on="2014-12-16", product="Redmi Note")
    assert ban.exempt_products == ("Redmi 1S",) and ban.conditions == "deposit INR 100 per device"


def test_a_ban_on_listed_products_leaves_others_alone(ledger: Ledger) -> None:
    ledger.append(impose(products=["Redmi Note"]))
    assert ledger.active_bans(on="2015", product="Mi 3") == []
    assert len(ledger.active_bans(on="2015", product="Redmi Note")) == 1


def test_a_partly_released_ban_rests_on_the_rest_and_ends_with_the_last(ledger: Ledger) -> None:
    ledger.append(impose(), BanModified(ban_id="B", released_patents=SEPS[:2], effective="2016-04-01"))
    (ban,) = ledger.active_bans(on="2016-05-01")
    assert ban.patents == (SEPS[2],)
    (before,) = ledger.active_bans(on="2016-03-31")
    assert before.patents == tuple(SEPS)
    ledger.append(BanModified(ban_id="B", released_patents=SEPS[2:], effective="2017-01-01"))
    assert ledger.active_bans(on="2017-01-01") == []
    assert len(ledger.active_bans(on="2016-12-31")) == 1


def test_a_lifted_or_retracted_ban_is_gone(ledger: Ledger) -> None:
    (ban,) = ledger.append(impose())
    ledger.append(BanLifted(ban_id="B", effective="2016-04-01"))
    assert ledger.active_bans(on="2016-04-01") == []
    assert len(ledger.active_bans(on="2016-03")) == 1
    ledger.retract(ban.event_id, "order set aside")
    assert ledger.active_bans(on="2015") == []
    assert len(ledger.active_bans(on="2015", known_at=ban.recorded_at)) == 1


def test_a_ban_follows_a_renamed_party(ledger: Ledger) -> None:
    ledger.append(impose(), PartyRenamed(old="Xiaomi", new="Xiaomi Corporation", effective="2015-01-01"))
    (ban,) = ledger.active_bans(against="Xiaomi Corporation", on="2015-06-01")
    assert ban.against == ("Xiaomi Corporation",)
    assert len(ledger.active_bans(against="Xiaomi", on="2015-06-01")) == 1


def test_anomaly_a_ban_change_dated_before_the_ban(ledger: Ledger) -> None:
    (first,) = ledger.append(impose())
    (change,) = ledger.append(BanModified(ban_id="B", exempt_products=["Redmi 1S"], effective="2014-12-16"))
    # the order turns out to date from 2014-12-20: correct it
    ledger.retract(first.event_id, "wrong date")
    ledger.append(impose(effective="2014-12-20"))
    (anomaly,) = ledger.anomalies()
    assert anomaly.kind == "ban_change_before_ban" and anomaly.event_id == change.event_id


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([BanModified(ban_id="nope", exempt_products=["x"], effective="2016")], "BanModified.ban_id"),
        ([impose(), BanModified(ban_id="B", exempt_products=["x"], effective="2014-12-01")], "BanModified.effective"),
        ([impose(), BanLifted(ban_id="B", effective="2014-12-01")], "BanLifted.effective"),
        ([impose(), BanLifted(ban_id="B", effective="2016"), BanModified(ban_id="B", exempt_products=["x"], effective="2017")],
         "BanModified.ban_id"),
        ([impose(), impose()], "BanImposed.ban_id"),
    ],
)
def test_ban_validation_at_append(ledger: Ledger, events: list, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ledger.append(*events)
    assert caught.value.field == field
    assert len(ledger) == 0


def test_ban_views_rebuild_to_the_same_rows(ledger: Ledger) -> None:
    ledger.append(impose(), BanModified(ban_id="B", exempt_products=["Redmi 1S"], effective="2014-12-16"),
                  BanModified(ban_id="B", released_patents=SEPS[:1], effective="2016-04"))
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept


def test_a_file_from_before_the_bans_by_party_opens_with_them_built_and_answers_the_same(tmp_path) -> None:
    # a file written before the per-party rows of bans (view bans_by_party) had neither its tables nor its checkpoint:
    # opening it builds them (a view missing is built on open) and every answer stays what it was
    path = tmp_path / "old.db"
    asked = [(who, day, where) for who in ("Xiaomi", "Xiaomi Corporation", "Micromax", "Oppo")
             for day in ("2014-12-10", "2015", "2016-05-01", "2017") for where in (None, "IN", "US")]

    def answers(ledger: Ledger) -> list:
        return [ledger.active_bans(against=who, on=day, territory=where) for who, day, where in asked]

    with Ledger.open(path) as ledger:
        ledger.append(impose(against=["Xiaomi", "Micromax"]), impose(ban_id="W", against="Oppo", territory="WORLD"),
                      BanModified(ban_id="B", exempt_products=["Redmi 1S"], effective="2014-12-16"),
                      PartyRenamed(old="Xiaomi", new="Xiaomi Corporation", effective="2015-06-01"),
                      BanLifted(ban_id="W", effective="2016-03-01"))
        before, kept = answers(ledger), view_rows(ledger)
    raw = sqlite3.connect(path)
    raw.execute("DROP TABLE bans_by_party")
    raw.execute("DROP TABLE bans_by_party_facts")
    raw.execute("DELETE FROM projection_checkpoints WHERE name = 'bans_by_party'")
    raw.commit()
    raw.close()
    with Ledger.open(path) as ledger:
        assert answers(ledger) == before
        assert view_rows(ledger) == kept
        assert any(before)
