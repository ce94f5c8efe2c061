"""The views-behind check every question makes is kept between questions while nothing can have changed it.

SQLite's ``PRAGMA data_version`` says whether another connection committed,
and the connection's ``total_changes`` whether it wrote itself: while neither
moved, ``views_position()`` gives its last answer again. Whatever the mix of
appends, catch-ups and rollbacks from this Ledger and from another one on the
same file, it must give what reading the head and the checkpoints gives, and
every question the same answer as a copy of the log refreshed first.
"""

from __future__ import annotations

from contextlib import suppress
from itertools import count
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealtrack import InvalidEvent, Ledger
from dealtrack.events import BanImposed, LicenseGranted, PatentRegistered, PatentsAssigned
from test_ownership_properties import DAY0, days
from test_tail import answers, any_event, copy_new_events

pytestmark = pytest.mark.sqlite_only  # (PostgreSQL reads the head and the checkpoints every time)


def read_afresh(ledger: Ledger) -> tuple[int, int | None]:
    positions = {position for _, position in ledger._store.checkpoints().values()}
    return ledger._store.head()[0], (positions.pop() if len(positions) == 1 else None)


class Boom(Exception):
    pass


def test_a_second_ledger_appending_between_two_questions_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as first, Ledger.open(path) as second:
        first.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
        first.refresh()
        assert first.owners_of("US1", on="2013") == {"Nokia"}
        assert first.owners_of("US1", on="2013") == {"Nokia"}  # (the kept answer)
        second.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
        assert first._store.views_position() == read_afresh(first) == (2, 1)
        assert first.owners_of("US1", on="2013") == {"HMD"}
        second.refresh()
        assert first._store.views_position() == (2, 2)
        first.append(PatentsAssigned(assignor="HMD", assignee="Xiaomi", patents=["US1"], effective="2012-06"))
        assert first._store.views_position() == (3, 2)  # its own append
        assert second.owners_of("US1", on="2013") == {"Xiaomi"}
        assert first.owners_of("US1", on="2013") == {"Xiaomi"}


def test_an_append_moves_the_kept_answer_only_when_nothing_else_committed_since(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as first, Ledger.open(path) as second:
        first.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
        first.refresh()
        assert first._store.views_position() == (1, 1)  # kept
        first.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
        assert first._store._position == (2, 1)  # moved with the append, nothing read
        assert first._store.views_position() == read_afresh(first) == (2, 1)
        second.append(PatentsAssigned(assignor="HMD", assignee="Sony", patents=["US1"], effective="2013"))
        second.refresh()  # another connection moves the head and the views between the kept answer and the append
        first.append(PatentsAssigned(assignor="Sony", assignee="Xiaomi", patents=["US1"], effective="2014"))
        assert first._store.views_position() == read_afresh(first) == (4, 3)
        assert first.owners_of("US1", on="2015") == {"Xiaomi"}


def test_a_rolled_back_append_is_not_kept(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
    ledger.refresh()
    before = ledger._store.views_position()
    with pytest.raises(Boom), ledger._store.transaction():
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
        assert ledger._store.views_position() == (2, 1)
        assert ledger.owners_of("US1", on="2013") == {"HMD"}
        raise Boom
    assert ledger._store.views_position() == before == read_afresh(ledger)
    assert ledger.owners_of("US1", on="2013") == {"Nokia"}


_files = count()
operations = st.lists(
    st.tuples(st.sampled_from(["append", "append", "append other", "refresh", "refresh other", "rollback", "ask"]),
              st.lists(any_event, min_size=1, max_size=2), days),
    min_size=1, max_size=12)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=operations)
def test_the_kept_position_is_what_a_fresh_read_gives(tmp_path: Path, plan: list[tuple[str, Any, date]]) -> None:
    path = tmp_path / f"deals{next(_files)}.db"  # (a new file for each example)
    with Ledger.open(path) as first, Ledger.open(path) as other, Ledger.open() as eager:
        first.append(PatentRegistered(patent="US1", owner="Nokia", effective=DAY0))
        for action, batch, probe in plan:
            if action in ("append", "append other"):
                with suppress(InvalidEvent):
                    (first if action == "append" else other).append(*batch)
            elif action in ("refresh", "refresh other"):
                (first if action == "refresh" else other).refresh()
            elif action == "rollback":
                with suppress(Boom, InvalidEvent), first._store.transaction():
                    first.append(*batch)
                    first.owners_of("US1", on=probe)
                    raise Boom
            else:
                copy_new_events(first, eager)
                eager.refresh()
                assert answers(first, probe) == answers(eager, probe)
            assert first._store.views_position() == read_afresh(first)
            assert other._store.views_position() == read_afresh(other)


# --- each question in one read transaction --------------------------------------------------------


def test_a_question_leaves_no_transaction_open_whatever_it_meets(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with Ledger.open(path) as first, Ledger.open(path) as second:
        first.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"))
        conn = first._store.conn
        asked = [
            lambda: first.owners_of("US1", on="2013"),
            lambda: first.is_licensed("HMD", "US1", on="2013", territory="US"),
            lambda: first.active_bans(against="HMD", on="2013"),
            lambda: first.portfolio("Nokia", on="2013"),
        ]
        for ask in asked:  # the first one finds the views behind: it ends its read, catches up, and answers
            ask()
            assert not conn.in_transaction and not first._store._question
        for ask in asked:  # another ledger's append between two questions is seen by the next one
            second.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
            ask()
            assert not conn.in_transaction
        assert first.owners_of("US1", on="2013") == {"HMD"} and first.is_licensed("HMD", "US1", on="2013", territory="US")
        assert first.portfolio("HMD", on="2013").patents == {"US1"}
        with pytest.raises(InvalidEvent):  # bad input, after the read began: still closed
            first.is_licensed("HMD", "US1", on="2013", territory="no such place!")
        assert not conn.in_transaction
        with first._store.transaction():  # inside a caller's transaction a question joins it and leaves it open
            first.append(PatentsAssigned(assignor="HMD", assignee="Xiaomi", patents=["US1"], effective="2012-06"))
            assert first.owners_of("US1", on="2013") == {"Xiaomi"}
            assert conn.in_transaction
        assert not conn.in_transaction and first.owners_of("US1", on="2013") == {"Xiaomi"}


def test_a_question_leaves_no_read_open_on_its_kept_cursors(tmp_path: Path) -> None:
    # the frame and the look-ups questions make most run on cursors kept for the connection: a statement left
    # part-read on one would hold its snapshot after the question returned, and no other connection could then
    # reset the WAL (a TRUNCATE checkpoint waits for every reader to go)
    path = tmp_path / "deals.db"
    with Ledger.open(path) as first, Ledger.open(path) as second:
        first.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"),
                     PatentRegistered(patent="US2", owner="Nokia", effective="2010"),
                     PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1", "US2"], effective="2011"),
                     LicenseGranted(licence_id="L1", licensor="HMD", licensee="Sony", patents=None, territory=("US",),
                                    effective="2012"),
                     LicenseGranted(licence_id="L2", licensor="HMD", licensee="Sony", patents=["US2"],
                                    territory=("US",), effective="2012"),
                     BanImposed(ban_id="B1", against=("HMD",), territory=("US",), authority="ITC", effective="2012"),
                     BanImposed(ban_id="B2", against=("HMD",), territory=("US",), authority="ITC", effective="2012-06"))
        first.refresh()
        asked = [
            lambda: first.owners_of("US1", on="2013") == {"HMD"},
            lambda: first.is_licensed("Sony", "US2", on="2013", territory="US"),
            lambda: first.is_licensed("HMD", "US1", on="2013", territory="US"),
            lambda: not first.is_licensed("Xiaomi", "US1", on="2013", territory="US"),
            lambda: len(first.active_bans(against="HMD", on="2013", territory="US")) == 2,
            lambda: first.portfolio("HMD", on="2013").patents == {"US1", "US2"},
        ]
        for ask in asked * 2:  # (the second time on the kept reading)
            assert ask()
            assert second._store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
