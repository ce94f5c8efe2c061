"""A reading of the stored views is kept between questions while nothing was written to the file.

The key is the one ``views_position()`` keeps its answer under: ``PRAGMA
data_version`` (moves when another connection, in this process or another,
commits) and the connection's ``total_changes`` (moves with each of its own
writes). A question after another connection's or another process's append
(and catch-up) must read afresh: its renames, retractions and view rows.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_question_reads import SPELLED, grant_events
from test_licence_properties import append_what_the_log_accepts
from test_ownership_properties import PATENTS, days

from dealtrack import Ledger
from dealtrack.events import BanImposed, EventRetracted, LicenseGranted, PartyRenamed, PatentRegistered, PatentsAssigned

pytestmark = pytest.mark.sqlite_only  # (PostgreSQL keeps no answer between questions: it reads every time)


def asked(ledger: Ledger) -> tuple[object, ...]:
    return (
        ledger.owners_of("US1", on="2013"),
        ledger.is_licensed("HMD Global", "US1", on="2013", territory="US"),
        ledger.is_licensed("Sony", "US1", on="2013", territory="US"),
        ledger.active_bans(against="HMD Global", on="2013"),
        ledger.portfolio("HMD Global", on="2013").patents,
        ledger.portfolio("Nokia", on="2013").patents,
    )


def seeded(path: Path) -> Ledger:
    ledger = Ledger.open(path)
    ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective="2010"),
                  PatentRegistered(patent="US2", owner="Nokia", effective="2010"),
                  LicenseGranted(licence_id="L1", licensor="Nokia", licensee="Sony", patents=None, territory=("US",),
                                 effective="2011"),
                  BanImposed(ban_id="B1", against=("HMD",), territory=("US",), authority="ITC", effective="2011"))
    ledger.refresh()
    return ledger


def test_the_reading_is_kept_while_nothing_is_written_and_dropped_after_a_write(tmp_path: Path) -> None:
    with seeded(tmp_path / "deals.db") as ledger:
        first = ledger._reading(None, None)
        assert ledger._reading(None, None) is first  # nothing written: the same reading answers
        ledger.append(PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012"))
        ledger.refresh()
        assert ledger._reading(None, None) is not first


def test_another_connection_appending_between_two_questions_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with seeded(path) as first, Ledger.open(path) as second:
        before = asked(first)
        assert asked(first) == before  # (a kept reading answers the second time)
        # a rename bears on every question through the renames the kept reading had read: another
        # connection's append and catch-up must make the next question read them again
        second.append(PartyRenamed(old="HMD", new="HMD Global", effective="2012"),
                      PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012-06"))
        second.refresh()
        after = asked(first)
        assert after != before
        with Ledger.open(path) as fresh:
            assert after == asked(fresh)
        assert after[0] == {"HMD Global"} and after[1] and after[3] and after[4] == {"US1"}
        # a retraction by the other connection, caught up: the kept retractions must not hide it
        (row,) = second._store.rows_at([6])
        second.append(EventRetracted(target=row.event_id, reason="wrong deal"))
        second.refresh()
        assert asked(first)[0] == {"Nokia"}
        with Ledger.open(path) as fresh:
            assert asked(first) == asked(fresh)


def test_another_process_appending_between_two_questions_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    with seeded(path) as ledger:
        assert asked(ledger) == asked(ledger)
        assert ledger.owners_of("US1", on="2013") == {"Nokia"}
        script = textwrap.dedent(f"""
            from dealtrack import Ledger
            from dealtrack.events import PartyRenamed, PatentsAssigned
            with Ledger.open({str(path)!r}) as ledger:
                ledger.append(PartyRenamed(old="HMD", new="HMD Global", effective="2012"),
                              PatentsAssigned(assignor="Nokia", assignee="HMD", patents=["US1"], effective="2012-06"))
                ledger.refresh()
        """)
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
        assert ledger.owners_of("US1", on="2013") == {"HMD Global"}
        with Ledger.open(path) as fresh:
            assert asked(ledger) == asked(fresh)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(first_part=st.lists(grant_events, min_size=1, max_size=10), second_part=st.lists(grant_events, max_size=6),
       probe=days, refresh_other=st.booleans())
def test_questions_between_another_connections_appends_answer_as_a_fresh_ledger(
    tmp_path_factory: pytest.TempPathFactory, first_part: list, second_part: list, probe: date, refresh_other: bool
) -> None:
    path = tmp_path_factory.mktemp("kept") / "deals.db"
    with Ledger.open(path) as first, Ledger.open(path) as other:
        append_what_the_log_accepts(first, first_part)
        first.refresh()

        def answers(ledger: Ledger) -> list[object]:
            found: list[object] = []
            for patent in PATENTS:
                found.append(ledger.owners_of(patent, on=probe))
                for party in SPELLED:
                    found.append(ledger.is_licensed(party, patent, on=probe, territory="US"))
            for party in SPELLED:
                found.append(ledger.portfolio(party, on=probe))
                found.append(list(ledger.active_bans(against=party, on=probe)))
            return found

        before = answers(first)
        assert answers(first) == before
        append_what_the_log_accepts(other, second_part)
        if refresh_other:
            other.refresh()
        with Ledger.open(path) as fresh:
            assert answers(first) == answers(fresh)


def test_a_licensors_right_to_grant_is_kept_per_head_and_read_again_after_a_write(tmp_path: Path) -> None:
    """A licence from someone who did not hold the patent counts once a sublicensable licence to them is recorded
    (and stops counting when it is retracted): what was kept of the licensor's right at the old head is not used."""
    with Ledger.open(tmp_path / "l.db") as ledger:
        ledger.append(PatentRegistered(patent="US1", owner="Nokia", effective=date(2010, 1, 1)))
        ledger.append(LicenseGranted(licence_id="L1", licensor="HMD", licensee="Xiaomi", patents=("US1",),
                                     territory=("US",), effective=date(2012, 1, 1)))
        asked = {"party": "Xiaomi", "patent": "US1", "on": date(2013, 1, 1), "territory": "US"}
        assert not ledger.is_licensed(**asked)
        assert not ledger.is_licensed(**asked)  # (the kept answer)
        (grant,) = ledger.append(LicenseGranted(licence_id="L0", licensor="Nokia", licensee="HMD", patents=("US1",),
                                                territory=("US",), sublicensable=True, effective=date(2011, 1, 1)))
        ledger.refresh()
        assert ledger.is_licensed(**asked)
        assert ledger.is_licensed(**asked)
        ledger.append(EventRetracted(target=grant.event_id, reason="entered in error"))
        ledger.refresh()
        assert not ledger.is_licensed(**asked)
