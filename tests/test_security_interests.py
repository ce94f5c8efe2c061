"""Issue 15 item 1: security interests as lenders and registers handle them."""

from __future__ import annotations

import pytest

from collections import Counter
from datetime import date
from pathlib import Path

from conftest import view_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from register_files import Doc, Record, assignment_xml, made_up

from dealtrack import Ledger
from dealtrack.events import (
    PartiesMerged,
    PartyRenamed,
    PatentRegistered,
    PatentsAssigned,
    SecurityInterestAssigned,
    SecurityInterestGranted,
    SecurityInterestReleased,
)
from dealtrack.importers import import_assignments
from dealtrack.parties import party_key

pytestmark = pytest.mark.both_backends  # the same answers on SQLite and on PostgreSQL

P1, P2 = "US9000001", "US9000002"


def liens(ledger: Ledger, patent: str, on: str) -> set[tuple[str, str]]:
    return {(e.grantor, e.holder) for e in ledger.encumbrances(patent, on=on) if e.kind == "security_interest"}


def kinds(ledger: Ledger) -> list[str]:
    return [a.kind for a in ledger.anomalies()]


def grant(secured: str = "Bank of America, N.A.", debtor: str = "Acme Inc.", patents=(P1,), on: str = "2015-01-01",
          ref: str | None = None) -> SecurityInterestGranted:
    return SecurityInterestGranted(debtor=debtor, secured_party=secured, patents=patents, effective=on, registry_ref=ref)


def release(secured: str = "BANK OF AMERICA, N.A., AS ADMINISTRATIVE AGENT", debtor: str = "ACME INC", patents=(P1,),
            on: str = "2016-01-01", interest: str | None = None) -> SecurityInterestReleased:
    return SecurityInterestReleased(debtor=debtor, secured_party=secured, patents=patents, effective=on, interest=interest)


def test_a_release_naming_the_lender_with_its_role_ends_the_lien(ledger: Ledger) -> None:
    ledger.append(grant(), release())
    assert liens(ledger, P1, "2015-06") == {("Acme Inc.", "Bank of America, N.A.")}
    assert liens(ledger, P1, "2016-06") == set()
    assert kinds(ledger) == []


def test_a_release_citing_its_grant_ends_that_loan_and_leaves_the_other(ledger: Ledger) -> None:
    ledger.append(grant(ref="030000/0001"), grant(on="2015-03-01", ref="031000/0001"))
    assert len(liens_rows := [e for e in ledger.encumbrances(P1, on="2015-06")]) == 2
    assert {e.reference for e in liens_rows} == {"030000/0001", "031000/0001"}
    ledger.append(release(interest="030000/0001"))
    [left] = ledger.encumbrances(P1, on="2016-06")
    assert (left.reference, left.valid_from) == ("031000/0001", date(2015, 3, 1))


def test_a_release_that_could_end_either_of_two_loans_ends_neither_and_says_so(ledger: Ledger) -> None:
    ledger.append(grant(), grant(on="2015-03-01"), release())
    assert len(ledger.encumbrances(P1, on="2016-06")) == 2
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject) == ("ambiguous_release", P1)
    assert "2 liens" in anomaly.message


def test_a_release_naming_the_current_owner_or_the_new_name_works(ledger: Ledger) -> None:
    ledger.append(PatentRegistered(patent=P1, owner="Acme Inc.", effective="2010-01-01"), grant(),
                  PatentsAssigned(assignor="Acme Inc.", assignee="Beta LLC", patents=[P1], effective="2015-06-01"),
                  release(debtor="Beta LLC"))
    assert liens(ledger, P1, "2016-06") == set()
    assert kinds(ledger) == []


def test_a_partial_release_frees_only_its_patents(ledger: Ledger) -> None:
    ledger.append(grant(patents=(P1, P2)), release(patents=(P2,)))
    assert liens(ledger, P1, "2016-06") == {("Acme Inc.", "Bank of America, N.A.")}
    assert liens(ledger, P2, "2016-06") == set()


def test_a_release_matching_no_lien_is_an_anomaly_not_silence(ledger: Ledger) -> None:
    [released] = ledger.append(release(secured="Wells Fargo Bank, N.A."))
    [anomaly] = ledger.anomalies()
    assert (anomaly.kind, anomaly.subject, anomaly.event_id) == ("unmatched_release", P1, released.event_id)


def test_a_successor_agent_takes_the_lien_over(ledger: Ledger) -> None:
    ledger.append(grant(secured="Credit Suisse AG, as Administrative Agent"),
                  SecurityInterestAssigned(secured_party="CREDIT SUISSE AG", successor="Wilmington Trust, as Successor Agent",
                                           patents=[P1], effective="2015-09-01"))
    assert liens(ledger, P1, "2015-06") == {("Acme Inc.", "Credit Suisse AG, as Administrative Agent")}
    assert liens(ledger, P1, "2015-10") == {("Acme Inc.", "Wilmington Trust, as Successor Agent")}
    ledger.append(release(secured="WILMINGTON TRUST, NATIONAL ASSOCIATION, AS COLLATERAL AGENT"))
    assert kinds(ledger) == ["unmatched_release"]  # a different name: not the successor
    ledger.append(release(secured="Wilmington Trust"))
    assert liens(ledger, P1, "2016-06") == set()


def test_a_lender_merged_away_is_released_by_its_successor(ledger: Ledger) -> None:
    ledger.append(grant(secured="SQUARE 1 BANK"),
                  release(secured="PACIFIC WESTERN BANK (AS SUCCESSOR IN INTEREST BY MERGER TO SQUARE 1 BANK)"))
    assert liens(ledger, P1, "2016-06") == set() and kinds(ledger) == []


SECURITY = "SECURITY INTEREST (SEE DOCUMENT FOR DETAILS)."
RELEASE = "RELEASE BY SECURED PARTY (SEE DOCUMENT FOR DETAILS)."


def test_register_records_of_liens_releases_and_successor_agents(tmp_path: Path, ledger: Ledger) -> None:
    records = [
        made_up("41000", "1", SECURITY, "ACME, INC.", "BMO HARRIS BANK N.A.", "14000001", "9000001", executed="20140101"),
        made_up("41000", "2", SECURITY, "ACME, INC.", "GOLDMAN SACHS BANK USA", "14000002", "9000002", executed="20140101"),
        made_up("41000", "3", "ASSIGNMENT OF SECURITY INTEREST IN PATENTS", "GOLDMAN SACHS BANK USA",
                "JPMORGAN CHASE BANK, N.A., AS SUCCESSOR AGENT", "14000002", "9000002", executed="20150101"),
        made_up("41000", "4", RELEASE, "BMO HARRIS BANK N.A., AS ADMINISTRATIVE AGENT", "ACME, INC.", "14000001",
                "9000001", executed="20151201"),
    ]
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml(records))
    report = import_assignments(ledger, path)
    assert report.by_kind == {"security_interest": 2, "security_assignment": 1, "release": 1}
    assert liens(ledger, "US9000001", "2015-06") == {("ACME, INC.", "BMO HARRIS BANK N.A.")}
    assert liens(ledger, "US9000001", "2016") == set()
    assert liens(ledger, "US9000002", "2016") == {("ACME, INC.", "JPMORGAN CHASE BANK, N.A., AS SUCCESSOR AGENT")}
    assert [e.reference for e in ledger.encumbrances("US9000002", on="2016")] == ["041000/0002"]
    assert ledger.anomalies() == []


def test_a_release_citing_the_reel_and_frame_of_its_grant(tmp_path: Path, ledger: Ledger) -> None:
    first = made_up("41000", "1", SECURITY, "ACME, INC.", "BANK", "14000001", "9000001", executed="20140101")
    second = made_up("41000", "2", SECURITY, "ACME, INC.", "BANK", "14000001", "9000001", executed="20140601")
    cited = made_up("41000", "3", "RELEASE OF SECURITY INTEREST RECORDED AT REEL/FRAME 041000/0002", "BANK",
                    "ACME, INC.", "14000001", "9000001", executed="20151201")
    path = tmp_path / "ad20160102.xml"
    path.write_text(assignment_xml([first, second, cited]))
    import_assignments(ledger, path)
    assert [e.reference for e in ledger.encumbrances("US9000001", on="2016")] == ["041000/0001"]


# --- invariants -----------------------------------------------------------------------------------

LENDERS = ["Bank of America, N.A.", "BANK OF AMERICA N.A., AS ADMINISTRATIVE AGENT", "Wells Fargo Bank",
           "WELLS FARGO BANK, AS COLLATERAL AGENT"]
DEBTORS = ["Acme Inc.", "ACME, INC.", "Beta LLC"]
REFS = ["030000/0000", "030000/0001", "030000/0002", None]
days = st.integers(0, 20).map(lambda n: date(2014, 1, 1).replace(month=1 + n % 12, year=2014 + n // 12))
grants = st.builds(lambda lender, debtor, day: (lender, debtor, day),
                   st.sampled_from(LENDERS), st.sampled_from(DEBTORS), days)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(given_grants=st.lists(grants, min_size=0, max_size=4), lender=st.sampled_from(LENDERS),
       debtor=st.sampled_from(DEBTORS), interest=st.sampled_from(REFS))
def test_a_release_ends_exactly_the_liens_it_matches(given_grants, lender: str, debtor: str, interest) -> None:
    given_grants = [grant(lender_, debtor_, on=day, ref=f"030000/000{i}" if i % 2 else None)
                    for i, (lender_, debtor_, day) in enumerate(given_grants)]
    with Ledger.open() as ledger:
        if given_grants:
            ledger.append(*given_grants)
        ledger.append(release(lender, debtor, on="2017-01-01", interest=interest))
        before = Counter((g.registry_ref, g.effective.start, g.debtor, g.secured_party) for g in given_grants)
        after = Counter((e.reference, e.valid_from, e.grantor, e.holder) for e in ledger.encumbrances(P1, on="2017-06"))
        # the oracle: the cited grant, else both parties by key, else the lender by key
        cited = Counter({g: n for g, n in before.items() if interest is not None and g[0] == interest})
        by_lender = Counter({g: n for g, n in (cited or before).items() if party_key(g[3]) == party_key(lender)})
        both = Counter({g: n for g, n in by_lender.items() if party_key(g[2]) == party_key(debtor)})
        matched = (both or by_lender or cited) if cited else (both or by_lender)
        ends = matched.total() == 1
        assert before - after == (matched if ends else Counter())
        assert after <= before
        flagged = [a.kind for a in ledger.anomalies()]
        assert flagged == ([] if matched.total() == 1 else ["unmatched_release" if not matched else "ambiguous_release"])
        kept = view_rows(ledger)
        ledger.rebuild()
        assert view_rows(ledger) == kept


# --- the real register file ------------------------------------------------------------------------

from register_files import REAL_FILE, kind_of, needs_real_file, read_records  # noqa: E402


@needs_real_file
def test_the_real_file_liens_and_releases_answer_as_the_records_say(tmp_path: Path) -> None:
    records = read_records(REAL_FILE)
    with Ledger.open(tmp_path / "register.db") as ledger:
        import_assignments(ledger, REAL_FILE)
        for record in (r for r in records if kind_of(r) == "security_interest"):
            for patent in record.property_ids():
                held = {(e.grantor, e.holder, e.reference)
                        for e in ledger.encumbrances(patent, on=record.recorded_day) if e.kind == "security_interest"}
                for debtor, _ in record.assignors:
                    assert (" ".join(debtor.split()), " ".join(record.assignees[0].split()), record.ref) in held
        # the file's releases free liens granted before it: each is listed, none is silent, none ends another lien
        unmatched = {ledger.get(a.event_id).event.registry_ref for a in ledger.anomalies() if a.kind == "unmatched_release"}
        assert unmatched == {r.ref for r in records if kind_of(r) == "release"}
        logicnow = [e.holder for e in ledger.encumbrances("US9232427", on="2016-01-01") if e.kind == "security_interest"]
        assert logicnow == ["WELLS FARGO BANK, NATIONAL ASSOCIATION, LONDON BRANCH, AS AGENT"]  # Square 1's release aside
        # and its party names collapse to one party per company
        [nytell] = ledger.parties("nytell software")
        assert nytell.names == tuple(sorted(nytell.names, key=lambda n: -nytell.counts[nytell.names.index(n)])) and \
            set(nytell.names) == {"NYTELL SOFTWARE LLC", "NYTELL SOFTWARE LLC."}
        [bank] = ledger.parties("PACIFIC WESTERN BANK")
        assert len(bank.names) == 2
        keys = [party.key for party in ledger.parties(on="2016-01-01")]
        assert len(keys) == len(set(keys))


# --- renames and mergers of either party -------------------------------------------------------------


def test_a_release_by_the_lender_a_merger_made_ends_the_lien(ledger: Ledger) -> None:
    ledger.append(grant(secured="Square 1 Bank"),
                  PartiesMerged(absorbed="Square 1 Bank", into="Pacific Western Bank", effective="2015-06-01"),
                  release(secured="PACIFIC WESTERN BANK, AS AGENT", debtor="Acme Inc."))
    assert liens(ledger, P1, "2016-06") == set() and kinds(ledger) == []


def test_a_release_naming_the_debtors_new_name_ends_its_loan_and_not_the_other_debtors(ledger: Ledger) -> None:
    ledger.append(grant(debtor="Acme Inc."), grant(debtor="Zeta Corp."),
                  PartyRenamed(old="Acme Inc.", new="Acme Holdings Inc.", effective="2015-06-01"),
                  release(debtor="ACME HOLDINGS INC"))
    assert liens(ledger, P1, "2016-06") == {("Zeta Corp.", "Bank of America, N.A.")}
    assert kinds(ledger) == []


def test_a_merger_recorded_after_the_release_ends_the_lien_from_the_release_on(ledger: Ledger) -> None:
    ledger.append(grant(secured="Square 1 Bank"))
    [released] = ledger.append(release(secured="Pacific Western Bank", debtor="Acme Inc."))
    assert kinds(ledger) == ["unmatched_release"]
    ledger.append(PartiesMerged(absorbed="Square 1 Bank", into="Pacific Western Bank", effective="2015-06-01"))
    assert liens(ledger, P1, "2016-06") == set() and kinds(ledger) == []
    assert kinds_as_known(ledger, released.recorded_at) == ["unmatched_release"]  # what we believed before
    kept = view_rows(ledger)
    ledger.rebuild()
    assert view_rows(ledger) == kept


def kinds_as_known(ledger: Ledger, known_at) -> list[str]:
    return [a.kind for a in ledger.anomalies(known_at=known_at)]


BANKS = ["Square 1 Bank", "Pacific Western Bank", "Bank of America, N.A."]
DEBTORS = ["Acme Inc.", "Acme Holdings Inc.", "Zeta Corp."]
SECURITY_DAYS = st.sampled_from(["2014-01-01", "2015-01-01", "2015-06-01", "2016-01-01", "2017-01-01"])
security_events = st.one_of(
    st.builds(lambda b, d, day: grant(secured=b, debtor=d, on=day), st.sampled_from(BANKS), st.sampled_from(DEBTORS),
              SECURITY_DAYS),
    st.builds(lambda b, d, day: release(secured=b, debtor=d, on=day), st.sampled_from(BANKS), st.sampled_from(DEBTORS),
              SECURITY_DAYS),
    st.builds(lambda pair, day: PartiesMerged(absorbed=pair[0], into=pair[1], effective=day),
              st.lists(st.sampled_from(BANKS), min_size=2, max_size=2, unique=True), SECURITY_DAYS),
    st.builds(lambda pair, day: PartyRenamed(old=pair[0], new=pair[1], effective=day),
              st.lists(st.sampled_from(DEBTORS), min_size=2, max_size=2, unique=True), SECURITY_DAYS),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(security_events, min_size=1, max_size=10), batch=st.integers(1, 3))
def test_liens_kept_append_by_append_through_renames_equal_a_rebuild(history, batch: int) -> None:
    with Ledger.open() as ledger:
        for start in range(0, len(history), batch):
            ledger.append(*history[start:start + batch])
            ledger.encumbrances(P1, on="2016-06")  # catch the views up between appends
        kept = view_rows(ledger)
        answers = [ledger.encumbrances(P1, on=day) for day in ("2014-06", "2015-03", "2015-09", "2016-06", "2018")]
        ledger.rebuild()
        assert view_rows(ledger) == kept
        assert [ledger.encumbrances(P1, on=day) for day in ("2014-06", "2015-03", "2015-09", "2016-06", "2018")] == answers
