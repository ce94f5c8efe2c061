"""The worked example of SPEC section 5, run as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealtrack import Ledger, Source
from dealtrack.events import CrossLicenseAgreed, PatentRegistered, PatentsAssigned


def test_spec_worked_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Ledger.open("deals.db") as ledger:
        ledger.append(
            PatentRegistered(patent="US8000001", owner="Microsoft", effective="2009-03-03"),
            PatentsAssigned(assignor="Microsoft", assignee="Xiaomi",
                            patents=["US8000001"], disclosed_count=1500,
                            effective="2016-06-01", deal="msft-xiaomi-2016",
                            sources=[Source(publisher="Microsoft News Center",
                                            published="2016-05-31")]),
            CrossLicenseAgreed(licence_id="msft-xiaomi-xl", parties=("Microsoft", "Xiaomi"),
                               effective="2016-06-01", deal="msft-xiaomi-2016"),
        )
        assert ledger.owners_of("US 8,000,001 B2", on="2016-05") == frozenset({"Microsoft"})
        assert ledger.owners_of("US8000001", on="2016-07-01") == frozenset({"Xiaomi"})
        assert len(ledger.portfolio("Xiaomi", on="2016-12-31")) == 1500
    # the file is a plain SQLite database that outlives the ledger object
    with Ledger.open(tmp_path / "deals.db") as reopened:
        assert len(reopened) == 3
        assert reopened.owners_of("US8000001", on="2016-07-01") == frozenset({"Xiaomi"})
