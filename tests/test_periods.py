"""Issue 15 item 4: a period means every moment of it, for bans and licences as for owners_of."""

from __future__ import annotations

from datetime import date

import pytest

from dealtrack import Ledger
from dealtrack.events import (
    BanImposed,
    BanLifted,
    BanModified,
    LicenseGranted,
    LicenseTerminated,
    PatentRegistered,
)

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL


@pytest.fixture
def delhi(ledger: Ledger) -> Ledger:
    ledger.append(
        PatentRegistered(patent="IN203034", owner="Ericsson", effective="2008-01-01"),
        BanImposed(ban_id="delhi-1", against="Xiaomi", territory=["IN"], authority="Delhi High Court",
                   requested_by="Ericsson", patents=["IN203034"], effective="2014-12-08"),
        BanModified(ban_id="delhi-1", exempt_products=["Redmi 1S"], conditions="deposit INR 100 per device",
                    effective="2014-12-16"),
    )
    return ledger


def test_a_phone_banned_for_part_of_a_month_is_banned_in_that_month(delhi: Ledger) -> None:
    [ban] = delhi.active_bans(on="2014-12", product="Redmi 1S")
    assert (ban.ban_id, ban.valid_from, ban.valid_to, ban.exempt_products) == ("delhi-1", date(2014, 12, 8),
                                                                               date(2014, 12, 16), ())
    assert delhi.active_bans(on="2014-12-20", product="Redmi 1S") == []
    assert [b.ban_id for b in delhi.active_bans(on="2014-12-10", product="Redmi 1S")] == ["delhi-1"]


def test_without_a_product_the_latest_stretch_of_the_period_is_shown(delhi: Ledger) -> None:
    [ban] = delhi.active_bans(on="2014-12", against="Xiaomi", territory="IN")
    assert (ban.valid_from, ban.exempt_products, ban.conditions) == (date(2014, 12, 16), ("Redmi 1S",),
                                                                     "deposit INR 100 per device")


def test_a_ban_lifted_inside_the_period_was_in_force_in_it(delhi: Ledger) -> None:
    delhi.append(BanLifted(ban_id="delhi-1", effective="2015-03-10"))
    assert [b.valid_to for b in delhi.active_bans(on="2015-03", product="Mi 4")] == [date(2015, 3, 10)]
    assert delhi.active_bans(on="2015-04", product="Mi 4") == []
    assert [b.ban_id for b in delhi.standing("Xiaomi", on="2014-12").bans] == ["delhi-1"]


def test_a_licence_live_at_some_moment_of_the_period_counts(ledger: Ledger) -> None:
    ledger.append(
        PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-01-01"),
        LicenseGranted(licence_id="early", licensor="Microsoft", licensee="Nokia", patents=["US8000001"],
                       effective="2014-01-01"),
        LicenseTerminated(licence_id="early", effective="2016-03-10"),
        LicenseGranted(licence_id="late", licensor="Microsoft", licensee="Xiaomi", effective="2016-03-20"),
    )
    assert ledger.licensees_of("US8000001", on="2016-03") == {"Nokia", "Xiaomi"}
    assert ledger.licensees_of("US8000001", on="2016-03-15") == frozenset()
    assert ledger.is_licensed("Nokia", "US8000001", on="2016", territory="US")
    assert not ledger.is_licensed("Nokia", "US8000001", on="2016-04", territory="US")
    moments = {(e.holder, e.valid_from, e.valid_to) for e in ledger.encumbrances("US8000001", on="2016-03")}
    assert moments == {("Nokia", date(2014, 1, 1), date(2016, 3, 10)), ("Xiaomi", date(2016, 3, 20), None)}
