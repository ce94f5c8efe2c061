"""The contract every storage backend passes: base test classes, subclassed once per backend.

A backend's test module subclasses these classes and gives them fixtures:

- ``ledger``: a fresh, empty :class:`~dealtrack.Ledger` on the backend (closed after the test);
- ``location``: what :meth:`Ledger.open` takes to open that same ledger again, from this or
  another process (only for :class:`ReopenContract` and :class:`ConcurrentWritersContract`,
  which an in-memory store does not take);
- ``raw``: a DB-API connection to the same database in autocommit mode, outside dealtrack
  (``pytest.skip`` where there is none);

and one method, :meth:`StorageHooks.force_edit`: change a stored row the way an insider
would, past the guards (for the hash chain tests).

The classes use only those fixtures, the public Ledger API, the storage contract
(:mod:`dealtrack.storage`) and plain SQL that every SQL backend speaks.
"""

from __future__ import annotations

import inspect
import multiprocessing
import time
from collections import Counter
from datetime import timedelta, timezone
from collections.abc import Callable
from typing import Any

import attrs
import orjson
import pytest

from dealtrack import ConcurrencyError, InvalidEvent, Ledger
from dealtrack.events import (
    EventRetracted,
    LicenseGranted,
    LicenseTerminated,
    PatentRegistered,
    PatentsAssigned,
)
from dealtrack.projections.runner import PROJECTIONS
from dealtrack.storage import GENESIS_HASH, EventRow, LogStorage, Reads, Storage, TitleTables, ViewStorage, ViewTables

__all__ = ["ConcurrentWritersContract", "LogContract", "StorageHooks", "ViewCheckpointContract", "run_together"]


def registered(n: int, owner: str = "Nokia", key: str | None = None) -> PatentRegistered:
    return PatentRegistered(patent=f"US{8_000_000 + n}", owner=owner, effective="2009-03-03", natural_key=key)


def sold(n: int, to: str = "Microsoft", deal: str | None = None, by: str = "Nokia") -> PatentsAssigned:
    return PatentsAssigned(assignor=by, assignee=to, patents=[f"US{8_000_000 + n}"], effective="2014-04-25", deal=deal)


def positions(store: Storage) -> list[int]:
    return [row.position for row in store.rows()]


class StorageHooks:
    """The fixtures and hooks a backend's subclass provides (see the module docstring)."""

    @pytest.fixture
    def store(self, ledger: Ledger) -> Storage:
        """The ledger's storage, read through the contract only."""
        return ledger._store  # type: ignore[return-value]

    def force_edit(self, raw: Any, position: int, metadata: str) -> None:
        """Set the ``metadata`` of the row at ``position`` through ``raw``, getting past the append-only guards."""
        raise NotImplementedError


class LogContract(StorageHooks):
    """The append-only log: positions, batches, immutability, the hash chain, keys, retractions, time."""

    # --- the contract itself ---------------------------------------------------------------

    def test_the_store_has_every_method_of_the_contract_with_its_parameters(self, store: Storage) -> None:
        assert isinstance(store, Storage) and isinstance(store, LogStorage) and isinstance(store, ViewStorage)
        for protocol in (LogStorage, ViewStorage, Storage):
            for name, declared in vars(protocol).items():
                if name.startswith("_") or not inspect.isfunction(declared):
                    continue
                kept = inspect.signature(getattr(type(store), name))
                assert [(p.name, p.kind, p.default) for p in kept.parameters.values()] == [
                    (p.name, p.kind, p.default) for p in inspect.signature(declared).parameters.values()
                ], name

    def test_an_empty_log_has_the_genesis_head_and_nothing_to_read(self, store: Storage) -> None:
        assert store.head() == (0, GENESIS_HASH, None)
        assert positions(store) == [] and store.commit_points() == [] and store.type_counts() == {}
        assert store.position_at(store.next_instant()) == 0

    # --- positions ---------------------------------------------------------------------------

    def test_positions_are_gap_free_and_increasing_across_appends_of_any_size(self, ledger: Ledger, store: Storage) -> None:
        sizes = [1, 3, 2, 5, 1]
        n = 0
        for size in sizes:
            appended = ledger.append(*(registered(n + i) for i in range(size)))
            assert [r.position for r in appended] == list(range(n + 1, n + size + 1))
            n += size
        with pytest.raises(InvalidEvent):  # a refused append takes no position
            ledger.append(registered(100), LicenseTerminated(licence_id="never-granted", effective="2016"))
        ledger.append(registered(101))
        assert positions(store) == list(range(1, n + 2))
        assert store.head()[0] == len(ledger) == n + 1
        rows = list(store.rows())
        assert len({row.event_id for row in rows}) == len(rows)
        stamps = [row.recorded_at for row in rows]
        assert stamps == sorted(stamps)

    def test_next_instant_is_after_the_last_recorded_time(self, ledger: Ledger, store: Storage) -> None:
        (last,) = ledger.append(registered(1))
        assert store.next_instant() > last.recorded_at
        assert store.next_instant().utcoffset() == timedelta(0)

    # --- all or nothing ------------------------------------------------------------------------

    def test_a_batch_with_an_invalid_event_writes_nothing(self, ledger: Ledger, store: Storage) -> None:
        ledger.append(registered(1), LicenseGranted(licence_id="L1", licensor="Nokia", licensee="Apple", effective="2014"))
        before = (store.head(), list(store.rows()), store.type_counts(), store.checkpoints())
        with pytest.raises(InvalidEvent):
            ledger.append(
                registered(2),
                EventRetracted(target=store.rows_at([1])[0].event_id, reason="a retraction that lands first"),
                sold(2),
                LicenseTerminated(licence_id="never-granted", effective="2016-01-01"),
            )
        assert (store.head(), list(store.rows()), store.type_counts(), store.checkpoints()) == before
        assert store.retractions_of([1, 2]) == {}
        assert ledger.owners_of("US8000002", on="2020") == frozenset()
        assert ledger.verify()

    def test_a_transaction_that_fails_after_inserting_rows_leaves_the_log_as_it_was(self, ledger: Ledger, store: Storage) -> None:
        rows = _rows_elsewhere(4)
        with store.transaction():
            store.insert_events(rows[:2])
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.insert_events(rows[2:])
                assert store.head()[0] == 4  # seen inside the transaction ...
                raise RuntimeError("the caller gives up")
        assert store.head() == (2, rows[1].hash, rows[1].recorded_at)  # ... and gone after it
        assert positions(store) == [1, 2]

    def test_a_batch_the_store_refuses_part_of_writes_none_of_it(self, ledger: Ledger, store: Storage) -> None:
        rows = _rows_elsewhere(4)
        with store.transaction():
            store.insert_events(rows[:2])
        for clash in (attrs.evolve(rows[3], position=2), attrs.evolve(rows[3], event_id=rows[0].event_id)):
            with pytest.raises(Exception):  # a position or an event id already in the log
                with store.transaction():
                    store.insert_events([rows[2], clash])
            assert store.head() == (2, rows[1].hash, rows[1].recorded_at)
            assert positions(store) == [1, 2]

    # --- immutability ------------------------------------------------------------------------------

    def test_the_store_refuses_to_update_a_stored_event(self, ledger: Ledger, store: Storage, raw: Any) -> None:
        ledger.append(registered(1), registered(2))
        before = list(store.rows())
        with pytest.raises(Exception, match="append-only"):
            raw.execute("UPDATE events SET deal = 'forged' WHERE position = 1")
        with pytest.raises(Exception, match="append-only"):
            raw.execute("UPDATE events SET position = position + 10")
        assert list(store.rows()) == before

    def test_the_store_refuses_to_delete_a_stored_event(self, ledger: Ledger, store: Storage, raw: Any) -> None:
        ledger.append(registered(1), registered(2))
        before = list(store.rows())
        with pytest.raises(Exception, match="append-only"):
            raw.execute("DELETE FROM events WHERE position = 2")
        with pytest.raises(Exception, match="append-only"):
            raw.execute("DELETE FROM events")
        assert list(store.rows()) == before and store.head()[0] == 2

    # --- the hash chain -------------------------------------------------------------------------------

    def test_every_row_chains_onto_the_one_before_and_the_head_holds_the_last_hash(self, ledger: Ledger, store: Storage) -> None:
        ledger.append(registered(1), registered(2))
        ledger.append(sold(1), metadata={"by": "contract"})
        previous = GENESIS_HASH
        for row in store.rows():
            assert row.hash == row.chained_hash(previous)
            previous = row.hash
        assert store.head()[1] == previous
        assert ledger.verify() and ledger.verify(anchor=ledger.head())

    def test_an_edit_past_the_guards_shows_in_verify_at_its_position(self, ledger: Ledger, raw: Any) -> None:
        ledger.append(registered(1), registered(2), registered(3))
        anchor = ledger.head()
        self.force_edit(raw, 2, orjson.dumps({"forged": True}).decode())
        report = ledger.verify(anchor=anchor)
        assert not report
        found = [(problem.position, problem.kind) for problem in report.problems]
        assert (2, "hash_mismatch") in found  # the edited row, by its position
        assert [kind for _, kind in found if kind != "hash_mismatch"] in ([], ["trigger_missing"], ["trigger_changed"])  # the guard it passed (dropped or disabled)

    # --- natural keys ------------------------------------------------------------------------------------

    def test_an_event_whose_natural_key_is_in_the_log_is_skipped_not_written_twice(self, ledger: Ledger, store: Storage) -> None:
        (first,) = ledger.append(registered(1, key="reel/1-frame/1"))
        again = ledger.append(registered(1, key="reel/1-frame/1"), registered(2, key="reel/1-frame/2"))
        assert [r.position for r in again] == [2]
        assert [(s.natural_key, s.position) for s in again.skipped] == [("reel/1-frame/1", first.position)]
        twice_in_one = ledger.append(registered(3, key="k3"), registered(3, key="k3"))
        assert len(twice_in_one) == 1 and twice_in_one.skipped[0].position == 3
        assert len(ledger) == 3
        assert store.natural_keys(["reel/1-frame/1", "reel/1-frame/2", "k3", "absent"]) == {
            "reel/1-frame/1": 1, "reel/1-frame/2": 2, "k3": 3}

    def test_a_retracted_events_natural_key_is_free_for_its_correction(self, ledger: Ledger, store: Storage) -> None:
        (wrong,) = ledger.append(registered(1, owner="Nokai", key="reel/9"))
        corrected = ledger.correct(wrong.event_id, registered(1, owner="Nokia", key="reel/9"), "typo in the owner")
        assert [r.position for r in corrected] == [2, 3] and corrected.skipped == []
        assert store.natural_keys(["reel/9"]) == {"reel/9": 3}

    # --- optimistic concurrency ---------------------------------------------------------------------------

    def test_expected_position_that_is_not_the_head_raises_and_writes_nothing(self, ledger: Ledger, store: Storage) -> None:
        ledger.append(registered(1), expected_position=0)
        ledger.append(registered(2), expected_position=1)
        head = store.head()
        for stale in (0, 1, 3):
            with pytest.raises(ConcurrencyError) as caught:
                ledger.append(registered(3), expected_position=stale)
            assert (caught.value.expected, caught.value.actual) == (stale, 2)
        assert store.head() == head and positions(store) == [1, 2]

    # --- retractions --------------------------------------------------------------------------------------

    def test_retractions_are_recorded_against_their_targets(self, ledger: Ledger, store: Storage) -> None:
        appended = ledger.append(registered(1), registered(2), registered(3))
        retraction = ledger.retract(appended[1].event_id, "recorded by mistake")
        assert retraction.position == 4 and isinstance(retraction.event, EventRetracted)
        assert store.retractions_of([1, 2, 3, 4, 99]) == {2: 4}
        assert (store.retracted_by(2), store.retracted_by(1), store.retracted_by(4)) == (4, None, None)
        with pytest.raises(InvalidEvent):
            ledger.retract(appended[1].event_id, "again")
        assert store.retractions_of([2]) == {2: 4} and len(ledger) == 4
        assert ledger.owners_of("US8000002", on="2020") == frozenset()
        assert ledger.owners_of("US8000002", on="2020", known_at=retraction.recorded_at - timedelta(microseconds=1)) == {"Nokia"}

    # --- recorded time ---------------------------------------------------------------------------------------

    def test_commit_points_end_each_append(self, ledger: Ledger, store: Storage) -> None:
        for size in (2, 1, 3):
            ledger.append(*(registered(len(ledger) + i) for i in range(size)))
        assert store.commit_points() == [2, 3, 6]
        assert [store.commit_span(p) for p in (1, 2, 3, 4, 6)] == [(1, 2), (1, 2), (3, 3), (4, 6), (4, 6)]
        assert [store.commit_point(p) for p in (1, 3, 5)] == [2, 3, 6]

    def test_position_at_is_the_last_position_recorded_by_then(self, ledger: Ledger, store: Storage) -> None:
        first = ledger.append(registered(1), registered(2))
        second = ledger.append(registered(3))
        at_first, at_second = first[0].recorded_at, second[0].recorded_at
        tick = timedelta(microseconds=1)
        assert store.position_at(at_first - tick) == 0
        assert store.position_at(at_first) == 2
        assert store.position_at(at_second - tick) == 2
        assert store.position_at(at_second) == 3
        assert store.position_at(at_second + timedelta(days=365)) == 3
        elsewhere = timezone(timedelta(hours=5, minutes=30))  # the same instant, told in another zone
        assert store.position_at(at_first.astimezone(elsewhere)) == 2
        assert list(ledger.events(known_at=at_first)) == list(first)

    # --- reading ---------------------------------------------------------------------------------------------

    def test_reading_by_position_id_type_deal_and_after(self, ledger: Ledger, store: Storage) -> None:
        ledger.append(registered(1), registered(2), registered(3))
        sale = ledger.append(sold(1, deal="D1"), sold(2, deal="D1"), sold(3, deal="D2"))
        rows = list(store.rows())
        assert [r.position for r in store.rows_at([5, 1, 5, 42])] == [1, 5]
        assert [p[:2] for p in store.payloads_at([6, 2])] == [(2, "PatentRegistered"), (6, "PatentsAssigned")]
        assert store.rows_at([4])[0] == rows[3] and isinstance(rows[3], EventRow)
        assert store.positions_of([rows[0].event_id, rows[5].event_id, "no-such-id"]) == {
            rows[0].event_id: 1, rows[5].event_id: 6}
        assert (store.position_of(rows[2].event_id), store.position_of("no-such-id"), store.position_of("\ud800")) == (3, None, None)
        assert store.type_counts() == {"PatentRegistered": 3, "PatentsAssigned": 3}
        assert [r.position for r in ledger.events(types="PatentsAssigned")] == [4, 5, 6]
        assert [r.position for r in ledger.events(deal="D1")] == [4, 5]
        assert [r.position for r in ledger.events(types=["PatentRegistered"], after=1)] == [2, 3]
        assert list(ledger.events(after=3)) == list(sale)
        assert ledger.get(rows[4].event_id) == sale[1]


class ViewCheckpointContract(StorageHooks):
    """The views' checkpoints: every registered view has one, they move together, never past the head, and
    reach it on a refresh (a question may answer over a short tail without moving them)."""

    @staticmethod
    def at(position: int) -> dict[str, tuple[int, int]]:
        return {projection.name: (projection.version, position) for projection in PROJECTIONS}

    def test_a_new_ledger_has_every_views_checkpoint_at_zero(self, store: Storage) -> None:
        assert store.checkpoints() == self.at(0)

    def test_checkpoints_move_together_to_the_head_and_stay_on_a_refused_append(
        self, ledger: Ledger, store: Storage
    ) -> None:
        ledger.append(registered(1), registered(2))
        assert ledger.owners_of("US8000001", on="2020") == {"Nokia"}
        assert store.checkpoints() == self.at(2)
        ledger.append(sold(1))
        moved = store.checkpoints()  # the views may follow at once or trail until asked: all together, never past the head
        assert moved in (self.at(2), self.at(3))
        with pytest.raises(InvalidEvent):
            ledger.append(sold(2), LicenseTerminated(licence_id="never-granted", effective="2016"))
        with pytest.raises(ConcurrencyError):
            ledger.append(sold(2), expected_position=2)
        assert store.checkpoints() == moved
        assert ledger.owners_of("US8000001", on="2020") == {"Microsoft"}
        assert store.checkpoints() in (moved, self.at(3))  # (a short tail is folded by the question itself)
        ledger.refresh()
        assert store.checkpoints() == self.at(3)

    def test_checkpoints_equal_the_head_after_a_rebuild(self, ledger: Ledger, store: Storage) -> None:
        ledger.append(registered(1), registered(2))
        ledger.retract(ledger.append(sold(1))[0].event_id, "no such sale")
        ledger.append(sold(2))
        answers = (ledger.owners_of("US8000001", on="2020"), ledger.owners_of("US8000002", on="2020"))
        ledger.rebuild()
        assert store.checkpoints() == self.at(store.head()[0]) == self.at(5)
        assert (ledger.owners_of("US8000001", on="2020"), ledger.owners_of("US8000002", on="2020")) == answers
        assert answers == ({"Nokia"}, {"Microsoft"})
        assert ledger.verify()



class ReopenContract(StorageHooks):
    """A stored ledger opened again: its views and checkpoints are found where they were, or caught up."""

    at = staticmethod(ViewCheckpointContract.at)

    def test_checkpoints_equal_the_head_after_reopening(self, ledger: Ledger, location: Any) -> None:
        ledger.append(registered(1), registered(2))
        ledger.append(sold(1))
        ledger.close()
        with Ledger.open(location) as again:
            assert again._store.checkpoints() == self.at(3)
            assert again.owners_of("US8000001", on="2020") == {"Microsoft"}
            again.rebuild()
        with Ledger.open(location) as third:
            assert third._store.checkpoints() == self.at(3)

    def test_a_view_whose_checkpoint_fell_behind_is_caught_up_on_open(self, ledger: Ledger, location: Any, raw: Any) -> None:
        ledger.append(registered(1), registered(2))
        ledger.append(sold(1))
        ledger.close()
        raw.execute("UPDATE projection_checkpoints SET position = 1 WHERE name = 'ownership'")
        raw.execute("UPDATE projection_checkpoints SET version = version + 100 WHERE name = 'licences'")
        with Ledger.open(location) as again:
            assert again._store.checkpoints() == self.at(3)
            assert again.owners_of("US8000001", on="2020") == {"Microsoft"}
            assert again.verify()



class ViewTableContract(StorageHooks):
    """Creating a view's table: kept when its layout matches, emptied when it changed."""

    def test_the_view_tables_have_every_method_of_their_contract_with_its_parameters(self, store: Storage) -> None:
        assert isinstance(store.views, ViewTables) and isinstance(store.views.title, TitleTables)
        assert isinstance(store.views.reads, Reads)
        for protocol, kept in ((ViewTables, store.views), (TitleTables, store.views.title), (Reads, store.views.reads)):
            for name, declared in vars(protocol).items():
                if name.startswith("_") or not inspect.isfunction(declared):
                    continue
                assert [(p.name, p.kind, p.default) for p in inspect.signature(getattr(type(kept), name)).parameters.values()] == [
                    (p.name, p.kind, p.default) for p in inspect.signature(declared).parameters.values()
                ], name

    def test_ensure_view_table_keeps_rows_of_the_same_layout_and_empties_a_changed_one(
        self, store: Storage, raw: Any
    ) -> None:
        def count() -> int:
            return int(raw.execute("SELECT COUNT(*) FROM contract_scratch").fetchone()[0])

        with store.transaction():
            store.ensure_view_table("contract_scratch", {"k": str, "v": int}, pk="k", indexes=[["v"]])
        raw.execute("INSERT INTO contract_scratch (k, v) VALUES ('a', 1)")
        with store.transaction():
            store.ensure_view_table("contract_scratch", {"k": str, "v": int}, pk="k", indexes=[["v"]])
        assert count() == 1
        with store.transaction():
            store.ensure_view_table("contract_scratch", {"k": str, "v": int, "w": str}, pk="k")
        assert count() == 0


def _rows_elsewhere(n: int) -> list[EventRow]:
    """``n`` chained rows from positions 1..n, as a scratch ledger in memory wrote them (one append each)."""
    with Ledger.open() as scratch:
        for i in range(n):
            scratch.append(registered(i))
        return list(scratch._store.rows())


# --- several writer processes ---------------------------------------------------------------------

WRITERS, APPENDS, SIZE = 4, 25, 2  # 50 events per writer


def _writer(location: Any, worker: int, start: Any) -> None:
    """Append APPENDS batches of SIZE events, each batch about its own new patents, tagged in its metadata."""
    with Ledger.open(location) as ledger:
        start.wait(30)
        for batch in range(APPENDS):
            first = 100_000 * (worker + 1) + SIZE * batch
            ledger.append(registered(first, owner=f"Maker {worker}"), sold(first, to=f"Buyer {worker}", by=f"Maker {worker}"),
                          metadata={"worker": worker, "batch": batch})


def run_together(target: Callable[..., None], arguments: list[tuple[Any, ...]], seconds: float) -> None:
    """Run ``target(*args, start)`` in a fresh process per ``args``, released at the same moment by the event
    ``start``; assert every one exits cleanly within ``seconds`` in all (any still running is killed)."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    processes = [context.Process(target=target, args=(*args, start)) for args in arguments]
    for process in processes:
        process.start()
    start.set()
    deadline = time.monotonic() + seconds
    try:
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        assert [process.exitcode for process in processes] == [0] * len(processes)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()


class ConcurrentWritersContract(StorageHooks):
    """Writer processes sharing one ledger: positions stay gap-free, nothing is lost or doubled."""

    def test_four_writer_processes_leave_gap_free_positions_and_no_duplicates(self, ledger: Ledger, location: Any) -> None:
        run_together(_writer, [(location, worker) for worker in range(WRITERS)], 90)

        with Ledger.open(location) as after:
            store: Storage = after._store  # type: ignore[assignment]
            total = WRITERS * APPENDS * SIZE
            rows = list(store.rows())
            assert [row.position for row in rows] == list(range(1, total + 1))
            assert store.head()[0] == total
            assert len({row.event_id for row in rows}) == total
            assert Counter(row.type + row.payload for row in rows).most_common(1)[0][1] == 1
            batches: dict[tuple[int, int], list[int]] = {}
            for row in rows:
                tag = orjson.loads(row.metadata or "{}")
                batches.setdefault((tag["worker"], tag["batch"]), []).append(row.position)
            assert set(batches) == {(w, b) for w in range(WRITERS) for b in range(APPENDS)}
            for found in batches.values():  # each append whole, in one run of positions, one commit point
                assert found == [found[0], found[0] + 1] and store.commit_span(found[0]) == (found[0], found[1])
            assert store.commit_points() == sorted(found[-1] for found in batches.values())
            assert store.checkpoints() == ViewCheckpointContract.at(total)
            assert after.verify()
            for worker in range(WRITERS):
                assert after.owners_of(f"US{8_000_000 + 100_000 * (worker + 1)}", on="2020") == {f"Buyer {worker}"}

    def test_a_snapshot_reads_one_state_while_another_connection_appends(self, ledger: Ledger, location: Any) -> None:
        ledger.append(registered(1))
        store: Storage = ledger._store  # type: ignore[assignment]
        with Ledger.open(location) as other:
            with store.snapshot():
                head = store.head()
                other.append(registered(2))
                assert store.head() == head and positions(store) == [1]
            assert store.head()[0] == 2 and positions(store) == [1, 2]
