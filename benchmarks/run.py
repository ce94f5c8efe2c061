"""Run the benchmark suite: ``python3 benchmarks/run.py --scale 10k,100k``.

Builds a synthetic USPTO-shaped ledger at each scale, measures every figure
next to its baseline in the same run, and writes ``results/latest.json`` and
``results/latest.md`` (a Markdown table per scale) beside this file. The
phases, in order: batched appends (views left behind), single appends, the
first catch-up, questions on caught-up views, read back, ``refresh()`` after N
appends, questions right after a change to their key, the ``eventsourcing``
peer, then ``bulk()``, rebuild and the floor in child processes.
``--render results/latest.json`` prints the tables of an earlier run again.
``--build-only`` measures only the whole ledger built with its views ready (the
10M target: ``--scale 10m --build-only``); the events it generates are kept in
``WORKDIR/events-cache`` for the next run at the same seed and scale
(``--events-cache``, ``--no-events-cache``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import benchmarks.* and this checkout's dealtrack
    sys.path.insert(0, str(ROOT))

from benchmarks import questions, suite  # noqa: E402
from benchmarks.measure import result  # noqa: E402
from benchmarks.peer import eventsourcing_rates  # noqa: E402
from benchmarks.synth import generate, parse_scale  # noqa: E402

PEER_CAP = 200_000  # the eventsourcing peer runs on at most this many events (it is the slow side)


REFRESH_PLAN = ((1_000, 5), (10_000, 3))  # refresh() after N appended events, repeats
CHANGED = 200  # questions per kind asked right after an event touching their key


def _extra() -> int:
    """Stream items used after the ledger is built and the single appends: the refresh figures' appends."""
    return sum(size * repeats for size, repeats in REFRESH_PLAN)


def questions_only(label: str, n: int, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """Ask the questions again of a ledger a ``--keep`` run left in ``workdir`` (e.g. after changing a question)."""
    from dealtrack import Ledger

    ledger_path, raw_path = workdir / f"ledger-{label}.db", workdir / f"raw-{label}.db"
    if not ledger_path.exists() or not raw_path.exists():
        raise SystemExit(f"{ledger_path} or {raw_path} is missing: run once with --keep first")
    print(f"[{label}] sampling the same {n:,} records again", flush=True)
    sampler = suite.Sampler()
    for item in generate(n + args.singles + _extra(), seed=args.seed):
        sampler.note(item)
    ledger = Ledger.open(ledger_path)
    raw = sqlite3.connect(raw_path, isolation_level=None)
    print(f"[{label}] questions", flush=True)
    rows = questions.questions(label, ledger, raw, sampler, count=args.questions)
    ledger.close()
    raw.close()
    return rows


BUILD_TARGET_MINUTES = {"10m": "<= 30"}  # the target for the whole build, views ready


def build_only(label: str, n: int, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """The whole synthetic ledger built in one ``bulk()`` block with its views ready, in a fresh process."""
    cache = _events_cache(args, workdir)
    print(f"[{label}] building {n:,} events in one bulk() block, views ready at its end"
          f"{f' (events cached in {cache})' if cache else ''}", flush=True)
    made = suite.child("build", workdir / f"build-{label}.db", n, args.seed, *([cache] if cache else []))
    if not args.keep:
        for path in workdir.glob(f"build-{label}.db*"):
            path.unlink()
    minutes = made["seconds"] / 60
    note = (f"{made['events']:,} events, {made['events'] / made['seconds']:,.0f} events/s; generating them (or reading "
            f"them back from the events cache) took {made['generate_seconds'] / 60:.1f} min more, not counted")
    return [
        result(label, "the whole ledger built, views ready (one bulk() block, 1,000 per append)", "min", [minutes],
               "", [], target=BUILD_TARGET_MINUTES.get(label), absolute=True, note=note),
        result(label, "peak RSS of that build (the synthetic generator's memory included)", "MB",
               [made["peak_rss_mb"]], "", [], target="<= 300" if label == "1m" else None, absolute=True),
    ]


def _events_cache(args: argparse.Namespace, workdir: Path) -> Path | None:
    """The folder a build keeps its generated events in for the next run (``--events-cache``), or None."""
    if getattr(args, "no_events_cache", False):
        return None
    chosen: Path | None = getattr(args, "events_cache", None)
    return chosen if chosen is not None else workdir / "events-cache"


def _checkpoint(path: Path) -> Callable[[list[dict[str, Any]]], None]:
    """A writer of the rows measured so far, so a run stopped part-way still leaves its figures."""

    def write(rows: list[dict[str, Any]]) -> None:
        path.write_text(json.dumps(rows, indent=2))

    return write


def run_scale(label: str, n: int, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """Every figure at one scale; the phases run in the order their figures need the ledger."""
    started = time.perf_counter()

    def phase(text: str) -> None:
        print(f"[{label}] {text} ({time.perf_counter() - started:.0f} s)", flush=True)

    phase(f"generating and appending {n:,} records (batched, views not kept)")
    stream = generate(n + args.singles + _extra(), seed=args.seed)  # streamed: a large ledger never sits in memory
    sampler = suite.Sampler(keep=0 if args.skip_peer else min(n, PEER_CAP))
    ledger_path, raw_path = workdir / f"ledger-{label}.db", workdir / f"raw-{label}.db"
    rows, ledger, raw, append_rates = suite.build(
        label, itertools.islice(stream, n), ledger_path, raw_path, sampler=sampler, total=n
    )
    checkpoint = _checkpoint(args.out / f"partial-{label}.json")  # a large scale runs long: keep each phase's rows
    checkpoint(rows)
    phase("single appends")
    tail = list(itertools.islice(stream, args.singles))
    for item in tail:
        sampler.note(item)
    rows += suite.single_appends(label, ledger, raw, tail, offset=0)
    checkpoint(rows)
    phase("the first catch-up of the whole log")
    rows += suite.catch_up_all(label, ledger)
    phase("questions on caught-up views")
    rows += questions.questions(label, ledger, raw, sampler, count=args.questions)
    checkpoint(rows)
    phase("read back")
    read_rows, read_rates = suite.read_back(label, ledger, repeats=3 if n <= 100_000 else 1)
    rows += read_rows
    phase("refresh() after N appends")
    rows += suite.refreshes(label, ledger, stream, REFRESH_PLAN)
    checkpoint(rows)
    phase("questions about keys changed since the last catch-up")
    rows += questions.changed_keys(label, ledger, raw, sampler, count=CHANGED)
    checkpoint(rows)
    ledger.close()
    raw.close()
    if not args.skip_peer:
        peer_items = sampler.first
        phase(f"eventsourcing peer on {len(peer_items):,} events")
        saves, reads = eventsourcing_rates(peer_items, workdir / f"eventsourcing-{label}.db")
        note = None if len(peer_items) == n else f"the peer ran on the first {len(peer_items):,} events"
        rows.append(result(label, "batched append vs the eventsourcing library", "events/s", append_rates,
                           "eventsourcing: save 1,000 one-event aggregates per call", saves, target=">= 1.2", note=note))
        rows.append(result(label, "read every event back vs the eventsourcing library", "events/s", read_rates,
                           "eventsourcing: notification log, mapped to domain events", reads, note=note))
        checkpoint(rows)
    repeats = args.repeats if args.repeats else (3 if n <= 100_000 else 1)
    phase(f"bulk(), rebuild and the floor x{repeats} (child processes)")
    rows += suite.child_runs(label, ledger_path, n, repeats, workdir)
    checkpoint(rows)
    phase("done")
    if not args.keep:
        for path in workdir.glob(f"*-{label}.db*"):
            path.unlink()
    return rows


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1e6:,.0f} us" if value < 1e-3 else f"{value * 1e3:,.2f} ms"
    if unit == "events/s":
        return f"{value:,.0f}"
    if unit == "min":
        return f"{value:,.1f} min"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.2f}"


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The figures as Markdown: one table per scale (figure / dealtrack / baseline / ratio / target / met)."""
    lines = [
        "# dealtrack benchmark results",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['cpus']} CPUs, Python {meta['python']}, SQLite {meta['sqlite']}; dealtrack at {meta['commit']}; "
        f"{meta['when']}",
        "",
        *LEGEND,
    ]
    return "\n".join(lines + tables(rows)) + "\n"


LEGEND = [
    "Each figure is min / median / max over its samples (p99 too for latencies); *ratio* = dealtrack's median / the "
    "baseline's median (for events/s, 0.35 = 35% of the baseline's speed; for latencies, 3 = three times as slow). "
    "A target marked *absolute* applies to dealtrack's median itself.",
]


def tables(rows: list[dict[str, Any]]) -> list[str]:
    """One Markdown table per scale, in the order the scales were run."""
    lines: list[str] = []
    for scale in dict.fromkeys(row["scale"] for row in rows):
        lines += ["", f"### {scale}", "",
                  "| figure | dealtrack min / median / max | baseline | baseline min / median / max | ratio | target | met |",
                  "|---|---|---|---|---|---|---|"]
        lines += [_line(row) for row in rows if row["scale"] == scale]
    return lines


def _line(row: dict[str, Any]) -> str:
    unit = row["unit"]
    ours = row["dealtrack"]
    mine = " / ".join(_fmt(ours[k], unit) for k in ("min", "median", "max"))
    if "p99" in ours:
        mine += f" (p99 {_fmt(ours['p99'], unit)})"
    base = row["baseline"]
    if base:
        theirs = " / ".join(_fmt(base[k], unit) for k in ("min", "median", "max"))
        if "p99" in base:
            theirs += f" (p99 {_fmt(base['p99'], unit)})"
        name = base["name"]
    else:
        theirs, name = "", ""
    ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
    if row.get("ratio_p99") is not None:
        ratio += f" (p99 {row['ratio_p99']:.2f})"
    met = {True: "yes", False: "no", None: ""}[row.get("met")]
    figure = row["figure"] + (f" ({row['note']})" if row.get("note") else "")
    target = row["target"] or ""
    if target and row.get("absolute"):
        target += f" {unit} (absolute)"
    return f"| {figure} | {mine} | {name} | {theirs} | {ratio} | {target} | {met} |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="10k,100k", help="comma-separated ledger sizes: 10k, 100k, 1m, 10m")
    parser.add_argument("--repeats", type=int, default=0,
                        help="bulk/rebuild/floor repeats, each in a fresh process (default: 3 up to 100k, else 1)")
    parser.add_argument("--questions", type=int, default=1_000, help="question samples per figure")
    parser.add_argument("--singles", type=int, default=300, help="single-event appends per scale")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "results" / "work")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--skip-peer", action="store_true", help="leave out the eventsourcing peer")
    parser.add_argument("--keep", action="store_true", help="keep the ledger files in --workdir")
    parser.add_argument("--questions-only", action="store_true",
                        help="only ask the questions again, of ledgers a --keep run left in --workdir")
    parser.add_argument("--events-cache", type=Path, metavar="DIR",
                        help="--build-only: where generated events are kept for a later run at the same seed and scale "
                             "(default: WORKDIR/events-cache; about 330 MB per million events)")
    parser.add_argument("--no-events-cache", action="store_true", help="--build-only: always generate the events")
    parser.add_argument("--build-only", action="store_true",
                        help="only build the whole ledger in one bulk() block, views ready (e.g. --scale 10m)")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only print the Markdown of a results file an earlier run wrote (e.g. results/latest.json)")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        measured = [row for row in saved["rows"] if "->" not in row["scale"]]  # derived rows are derived again
        scales = list(dict.fromkeys(row["scale"] for row in measured))
        print(markdown(measured + questions.growth(measured, scales), saved["meta"]), end="")
        return
    labels = [label.strip().lower() for label in args.scale.split(",") if label.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for label in labels:
        run = questions_only if args.questions_only else build_only if args.build_only else run_scale
        rows += run(label, parse_scale(label), args, args.workdir)
        (args.out / "partial.json").write_text(json.dumps(rows, indent=2))  # a later scale may take hours
    rows += questions.growth(rows, labels)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    meta = {
        "command": "python3 benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cpus": len(__import__("os").sched_getaffinity(0)),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "commit": commit or "unknown",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (args.out / "latest.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    (args.out / "latest.md").write_text(markdown(rows, meta))
    print(markdown(rows, meta))
    if not args.keep and args.workdir.exists() and not any(args.workdir.iterdir()):
        shutil.rmtree(args.workdir)


if __name__ == "__main__":
    main()
