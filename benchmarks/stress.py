"""Stress: N writer processes x M events on one file ledger, against one writer doing the same work.

    python benchmarks/stress.py --processes 4 --events 2000 --batch 10

Runs, in one go and on fresh files:
  1. baseline   - one process appends all N x M events (the yardstick for the others);
  2. concurrent - N processes append M events each at once, relying on SQLite's lock;
  3. optimistic - the same, but every append passes expected_position and retries on ConcurrencyError.
For each it reports events/s (and the ratio to the baseline), append latency, lock retries
(``Store.retries`` summed over the workers), ConcurrencyError conflicts, and a final
``verify()`` of the file. Prints a Markdown table and writes the figures as JSON
(``--out``, default benchmarks/results/stress.json). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the checkout's dealtrack, and the tests' workload

from dealtrack import ConcurrencyError, Ledger  # noqa: E402
from workload import batch_events, batches_in  # noqa: E402


def _worker(path: str, worker: int, events: int, batch: int, optimistic: bool, start: Any) -> dict[str, Any]:
    """Append ``events`` events in batches; return timings, lock retries and conflicts."""
    latencies: list[float] = []
    conflicts = 0
    with Ledger.open(path) as ledger:
        start.wait()  # a barrier: every worker has imported dealtrack and opened the file
        began = time.perf_counter()
        for number in range(events // batch):
            chunk = batch_events(worker, number, batch)
            metadata = {"worker": worker, "batch": number}
            while True:
                tick = time.perf_counter()
                try:
                    if optimistic:
                        ledger.append(*chunk, metadata=metadata, expected_position=len(ledger))
                    else:
                        ledger.append(*chunk, metadata=metadata)
                except ConcurrencyError:
                    conflicts += 1
                    continue
                finally:
                    latencies.append(time.perf_counter() - tick)
                break
        elapsed = time.perf_counter() - began
        retries = ledger._store.retries
    return {"worker": worker, "elapsed": elapsed, "latencies": latencies, "retries": retries, "conflicts": conflicts}


def run(mode: str, processes: int, events: int, batch: int, folder: Path) -> dict[str, Any]:
    """One scenario on a fresh file; returns its figures."""
    path = folder / f"{mode}.db"
    Ledger.open(path).close()
    optimistic = mode == "optimistic"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(processes + 1)
        with context.Pool(processes) as pool:
            pending = pool.starmap_async(
                _worker, [(str(path), worker, events, batch, optimistic, start) for worker in range(processes)]
            )
            start.wait()
            began = time.perf_counter()
            results = pending.get()
            wall = time.perf_counter() - began
    checked = time.perf_counter()
    with Ledger.open(path) as ledger:
        report = ledger.verify()
        verify_seconds = time.perf_counter() - checked
        total = len(ledger)
        whole = all(len(p) == batch for p in batches_in(ledger).values())
    latencies = sorted(t for r in results for t in r["latencies"])
    return {
        "mode": mode,
        "processes": processes,
        "events": total,
        "expected_events": processes * (events // batch) * batch,
        "whole_batches": whole,
        "seconds": wall,
        "events_per_second": total / wall,
        "append_ms_p50": 1000 * statistics.median(latencies),
        "append_ms_p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "append_ms_max": 1000 * latencies[-1],
        "lock_retries": sum(r["retries"] for r in results),
        "conflicts": sum(r["conflicts"] for r in results),
        "verify_ok": bool(report),
        "verify_seconds": verify_seconds,
        "verify_problems": [str(p) for p in report.problems],
    }


def markdown(rows: list[dict[str, Any]], baseline: float) -> str:
    lines = [
        "| run | processes | events | events/s | vs one writer | append p50 / p95 / max (ms) | lock retries"
        " | conflicts | verify |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['mode']} | {row['processes']} | {row['events']:,} | {row['events_per_second']:,.0f} "
            f"| {row['events_per_second'] / baseline:.2f}x "
            f"| {row['append_ms_p50']:.1f} / {row['append_ms_p95']:.1f} / {row['append_ms_max']:.0f} "
            f"| {row['lock_retries']} | {row['conflicts']} "
            f"| {'ok' if row['verify_ok'] else 'FAILED'} ({row['verify_seconds']:.2f} s) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", "-n", type=int, default=4, help="writer processes (default 4)")
    parser.add_argument("--events", "-m", type=int, default=2000, help="events per process (default 2000)")
    parser.add_argument("--batch", "-b", type=int, default=10, help="events per append (default 10)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "stress.json")
    args = parser.parse_args()
    if args.events < args.batch or args.processes < 1:
        parser.error("need at least one process and at least one batch of events per process")

    with tempfile.TemporaryDirectory(prefix="dealtrack-stress-") as folder:
        rows = [run("baseline", 1, args.processes * args.events, args.batch, Path(folder))]
        rows += [run(mode, args.processes, args.events, args.batch, Path(folder)) for mode in ("concurrent", "optimistic")]
    baseline = rows[0]["events_per_second"]
    table = markdown(rows, baseline)
    command = f"python benchmarks/stress.py --processes {args.processes} --events {args.events} --batch {args.batch}"
    print(f"`{command}` on {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}\n")
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(
        {"command": command, "cpus": os.cpu_count(), "python": platform.python_version(),
         "sqlite": sqlite3.sqlite_version, "runs": rows, "markdown": table},
        indent=2,
    ) + "\n")
    print(f"\nwrote {args.out}")
    failed = [row["mode"] for row in rows
              if not (row["verify_ok"] and row["whole_batches"] and row["events"] == row["expected_events"])]
    if failed:
        raise SystemExit(f"lost, doubled or broken appends in: {', '.join(failed)}")


if __name__ == "__main__":
    main()
