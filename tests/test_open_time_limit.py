"""While a file is opened no statement may compute for long: a CPU bomb that got past the checks is stopped."""

from __future__ import annotations

import time

import pytest

from dealtrack import LedgerFileError
from dealtrack.sqlite.store import Store


def test_a_statement_computing_too_long_while_opening_is_stopped() -> None:
    store = Store.open(None)
    started = time.monotonic()
    with pytest.raises(LedgerFileError, match="was stopped"):
        with store.time_limit(0.2):
            store.conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                               "SELECT count(*) FROM c").fetchone()
    assert time.monotonic() - started < 5
    assert store.conn.execute("SELECT 1").fetchone() == (1,)  # the connection goes on working
    store.close()
