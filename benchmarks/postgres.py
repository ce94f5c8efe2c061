"""PostgreSQL beside SQLite, in the same run: ``python3 benchmarks/postgres.py --events 100000``.

Every figure is measured on three ledgers holding the same synthetic events
(:mod:`benchmarks.synth`, seeded), the backends interleaved within each repeat:

- ``sqlite``: a file ledger with the defaults (WAL, ``synchronous=NORMAL``: a power cut may lose the last commits);
- ``sqlite-full``: the same with ``synchronous="FULL"`` (every commit durable before ``append`` returns);
- ``postgresql``: a schema of a PostgreSQL database. Without ``--url`` the script starts a throwaway
  cluster (``tests/postgres_server.py``) with ``fsync=on``, ``synchronous_commit=on`` and
  ``full_page_writes=on``, its data directory under /tmp beside the SQLite files; with ``--url`` it uses that
  server as it is configured (the settings it reports go into the results).

The figures: batched appends (1,000 events per call) and single appends (one per call), events/s, min /
median / max over ``--repeats`` fresh ledgers; the single append's latency and its statements (each a round
trip to the server) counted by wrapping psycopg's cursor; ``refresh()`` of the whole log; 4 and 8 writer
processes, each with its own ``Ledger.open``, appending into one ledger (total events/s; every run asserts
positions 1..N without a gap, every batch whole, ``verify()`` clean); and the questions (``owners_of``,
``is_licensed``, ``active_bans``, ``portfolio``) on the same content on every backend after ``refresh()``,
median latency, their answers asserted equal. ``--profile`` adds a pyinstrument profile of single appends
on PostgreSQL. Writes ``postgres.json`` and ``postgres.md`` to ``--out`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _extra_path in (str(ROOT / "tests"), str(ROOT)):  # this checkout's dealtrack, benchmarks.*, and the tests' helpers
    if _extra_path not in sys.path:
        sys.path.insert(0, _extra_path)

import psycopg  # noqa: E402

from benchmarks import questions, suite  # noqa: E402
from benchmarks.measure import Timer, latencies, percentile, spread  # noqa: E402
from benchmarks.run import _fmt  # noqa: E402
from benchmarks.synth import Item, generate  # noqa: E402
from dealtrack import Ledger  # noqa: E402
from postgres_server import DURABLE, Cluster, find_bindir  # noqa: E402
from workload import batch_events  # noqa: E402

BACKENDS = ("sqlite", "sqlite-full", "postgresql")
LABEL = {
    "sqlite": "SQLite file, synchronous=NORMAL (default)",
    "sqlite-full": "SQLite file, synchronous=FULL",
    "postgresql": "PostgreSQL",
}
BATCH = suite.BATCH  # events per batched append (1,000)
SETTINGS = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers")


class Backends:
    """Fresh ledgers on each backend: files in ``workdir``, schemas in the PostgreSQL database at ``url``."""

    def __init__(self, workdir: Path, url: str) -> None:
        self.workdir = workdir
        self.url = url
        self.schemas: list[str] = []

    def fresh(self, backend: str, tag: str) -> tuple[str, dict[str, Any]]:
        """``(location, Ledger.open keyword arguments)`` of a new, empty ledger on ``backend``."""
        if backend == "postgresql":
            schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}".replace("-", "_")
            self.schemas.append(schema)
            return self.url, {"schema": schema}
        path = self.workdir / f"{backend}-{tag}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path), {"synchronous": "FULL" if backend == "sqlite-full" else "NORMAL"}

    def drop(self, location: str, options: dict[str, Any]) -> None:
        """Remove a ledger made by :meth:`fresh` (its file, or its schema)."""
        if "schema" in options:
            with psycopg.connect(self.url, autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA IF EXISTS "{options["schema"]}" CASCADE')
            self.schemas.remove(options["schema"])
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{location}{suffix}").unlink(missing_ok=True)

    def settings(self) -> dict[str, str]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in SETTINGS}

    def drop_all(self) -> None:
        if self.schemas:
            with psycopg.connect(self.url, autocommit=True) as admin:
                for schema in self.schemas:
                    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            self.schemas.clear()


# --- statements per append ------------------------------------------------------------------


@contextmanager
def counting() -> Iterator[list[str]]:
    """Every statement psycopg sends while inside, as its text (``executemany`` once, marked ``MANY``)."""
    sent: list[str] = []
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(" ".join(str(query).split()))
        return execute(self, query, *args, **kwargs)

    def counted_executemany(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append("MANY " + " ".join(str(query).split()))
        return executemany(self, query, *args, **kwargs)

    psycopg.Cursor.execute, psycopg.Cursor.executemany = counted_execute, counted_executemany  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany  # type: ignore[method-assign]


def _short(sql: str, width: int = 110) -> str:
    return sql if len(sql) <= width else sql[: width - 3] + "..."


# --- appends ---------------------------------------------------------------------------------


def append_batched(ledger: Ledger, items: Sequence[Item]) -> float:
    """Append ``items`` 1,000 per call; events/s over the calls alone (retractions' targets are looked up outside)."""
    timer = Timer()
    for start in range(0, len(items), BATCH):
        batch = suite.resolve(ledger, items[start:start + BATCH], 0)
        with timer:
            ledger.append(*batch)
    return len(items) / timer.seconds


def append_singly(ledger: Ledger, items: Sequence[Item]) -> list[float]:
    """Append ``items`` one per call; the seconds of each call."""
    found = []
    for item in items:
        (event,) = suite.resolve(ledger, [item], 0)
        with Timer() as timer:
            ledger.append(event)
        found.append(timer.seconds)
    return found


def gap_free(ledger: Ledger) -> tuple[int, int, int]:
    """``(count, min, max)`` of the log's positions, read through the store (no catch-up)."""
    (row,) = ledger._store.conn.execute("SELECT count(*), min(position), max(position) FROM events").fetchall()
    return int(row[0]), int(row[1] or 0), int(row[2] or 0)


# --- concurrent writers ---------------------------------------------------------------------


def _writer(location: str, options: dict[str, Any], worker: int, events: int, batch: int, start: Any) -> dict[str, Any]:
    """One writer process: open the ledger itself, wait for the others, append ``events`` in batches of ``batch``."""
    with Ledger.open(location, **options) as ledger:
        start.wait()
        began = time.perf_counter()
        for number in range(events // batch):
            ledger.append(*batch_events(worker, number, batch), metadata={"worker": worker, "batch": number})
        elapsed = time.perf_counter() - began
        return {"worker": worker, "elapsed": elapsed, "retries": ledger._store.retries}


def concurrent(location: str, options: dict[str, Any], processes: int, events: int, batch: int) -> dict[str, Any]:
    """``processes`` writers x ``events`` each into one fresh ledger; asserts positions 1..N gap-free and every batch whole."""
    Ledger.open(location, **options).close()  # made once, before the writers race to open it
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(processes + 1)
        with context.Pool(processes) as pool:
            pending = pool.starmap_async(
                _writer, [(location, options, worker, events, batch, start) for worker in range(processes)])
            start.wait()
            began = time.perf_counter()
            done = pending.get()
            wall = time.perf_counter() - began
    expected = processes * (events // batch) * batch
    with Ledger.open(location, **options) as ledger:
        count, first, last = gap_free(ledger)
        assert (count, first, last) == (expected, 1, expected), f"positions not gap-free: {(count, first, last)} != {expected}"
        whole = _batches_in(ledger)
        assert len(whole) == processes * (events // batch) and all(
            positions == list(range(positions[0], positions[0] + batch)) for positions in whole.values()
        ), "a batch was split, doubled or lost"
        report = ledger.verify()
        assert report, f"verify() found problems: {report.problems}"
    return {"events": expected, "seconds": wall, "rate": expected / wall, "retries": sum(r["retries"] for r in done)}


def _batches_in(ledger: Ledger) -> dict[tuple[int, int], list[int]]:
    """``(worker, batch) -> positions`` (tests/workload.py's ``batches_in``, read through the store: any backend)."""
    found: dict[tuple[int, int], list[int]] = {}
    for position, metadata in ledger._store.conn.execute("SELECT position, metadata FROM events ORDER BY position"):
        meta = json.loads(metadata)
        found.setdefault((meta["worker"], meta["batch"]), []).append(int(position))
    return found


# --- questions -------------------------------------------------------------------------------


def _answer(value: object) -> object:
    """An answer in a form compared with ``==`` across backends (an iterator listed)."""
    return list(value) if isinstance(value, Iterator) else value


# --- the run ---------------------------------------------------------------------------------


def row(figure: str, unit: str, values: dict[str, Sequence[float]], *, note: str | None = None,
        p99: bool = False) -> dict[str, Any]:
    """One figure on each backend: min / median / max (and p99) of its samples, and PostgreSQL / SQLite medians."""
    found: dict[str, Any] = {"figure": figure, "unit": unit, "note": note, "backends": {}}
    for backend, samples in values.items():
        found["backends"][backend] = spread(samples)
        if p99:
            found["backends"][backend]["p99"] = percentile(samples, 0.99)
    pg, lite = found["backends"].get("postgresql"), found["backends"].get("sqlite")
    found["ratio"] = pg["median"] / lite["median"] if pg and lite else None
    return found


def run(args: argparse.Namespace, url: str, workdir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    backends = Backends(workdir, url)
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {"settings": backends.settings()}
    started = time.perf_counter()

    def phase(text: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f} s] {text}", flush=True)

    # the stream: the ledger, the single appends, then (on PostgreSQL only) the profiled and the counted appends
    items = list(generate(args.events + 2 * args.singles + args.count_singles + BATCH, seed=args.seed))
    body, tail = items[: args.events], items[args.events: args.events + args.singles]
    after = iter(items[args.events + args.singles:])
    batched: dict[str, list[float]] = {b: [] for b in BACKENDS}
    singles: dict[str, list[float]] = {b: [] for b in BACKENDS}
    single_latency: dict[str, list[float]] = {b: [] for b in BACKENDS}
    kept: dict[str, tuple[str, dict[str, Any], Ledger]] = {}
    try:
        for repeat in range(args.repeats):
            for backend in BACKENDS:  # interleaved: drift on a shared machine hits every backend alike
                phase(f"repeat {repeat + 1}/{args.repeats}: {backend}: {len(body):,} events 1,000 per append, "
                      f"then {len(tail):,} single appends")
                location, options = backends.fresh(backend, f"r{repeat}")
                ledger = Ledger.open(location, **options)
                batched[backend].append(append_batched(ledger, body))
                seconds = append_singly(ledger, tail)
                singles[backend].append(len(seconds) / sum(seconds))
                single_latency[backend] += seconds
                assert gap_free(ledger) == (len(body) + len(tail), 1, len(body) + len(tail))
                if repeat == args.repeats - 1:
                    kept[backend] = (location, options, ledger)
                else:
                    ledger.close()
                    backends.drop(location, options)
        rows.append(row("batched append, 1,000 events per call", "events/s", batched,
                        note=f"{len(body):,} events into a fresh ledger, per repeat"))
        rows.append(row("single append, 1 event per call", "events/s", singles,
                        note=f"{len(tail):,} appends after the batched ones, per repeat"))
        rows.append(row("single append latency", "s", single_latency, p99=True, note="every call of every repeat"))

        refresh: dict[str, list[float]] = {}
        for backend, (_, _, ledger) in kept.items():
            phase(f"{backend}: refresh() of the whole log")
            with Timer() as timer:
                caught = ledger.refresh()
            refresh[backend] = [caught / timer.seconds]
        rows.append(row("refresh() of the whole log (views built from nothing)", "events/s", refresh,
                        note="once, on the last repeat's ledger"))

        phase(f"questions, {args.questions} samples each, on every backend")
        sampler = suite.Sampler()
        for item in body + tail:
            sampler.note(item)
        drawn = questions.samples(sampler, args.questions, seed=7)
        asks = {backend: questions._ask(ledger) for backend, (_, _, ledger) in kept.items()}
        mismatches = 0
        for name in questions.QUESTIONS:
            answers = {backend: [_answer(asks[backend][name](s)) for s in drawn[name]] for backend in BACKENDS}
            for sample, found in zip(drawn[name], zip(*answers.values())):
                if any(other != found[0] for other in found[1:]):
                    mismatches += 1
                    print(f"MISMATCH {name}{sample}:", *(f"\n  {b}: {a}" for b, a in zip(BACKENDS, found)), flush=True)
            measured = {}
            for backend in BACKENDS:
                latencies(asks[backend][name], drawn[name])  # warm, then measure
                measured[backend] = latencies(asks[backend][name], drawn[name])
            rows.append(row(f"{name} latency", "s", measured, p99=True,
                            note=f"{len(drawn[name])} samples after refresh()"))
        assert mismatches == 0, f"{mismatches} questions answered differently on the backends"
        extra["questions_compared"] = sum(len(v) for v in drawn.values())

        _, _, pg = kept["postgresql"]
        if args.profile:
            phase(f"pyinstrument profile of {args.singles} single appends on PostgreSQL")
            extra["profile"] = profile(pg, list(itertools.islice(after, args.singles)), args.profile)
        else:
            list(itertools.islice(after, args.singles))
        phase("statements per append on PostgreSQL (counted, untimed)")
        more = list(itertools.islice(after, args.count_singles))
        with counting() as sent:
            for item in more:
                pg.append(*suite.resolve(pg, [item], 0))
        per_single = Counter(sent)
        extra["single_statements"] = len(sent) / len(more)
        extra["single_statement_kinds"] = [(n / len(more), _short(sql)) for sql, n in per_single.most_common()]
        batch_items = suite.resolve(pg, list(after), 0)
        with counting() as sent:
            pg.append(*batch_items)
        extra["batch_statements"] = len(sent)
        extra["batch_events"] = len(batch_items)
        extra["batch_statement_kinds"] = [(n, _short(sql)) for sql, n in Counter(sent).most_common()]
        for backend, (location, options, ledger) in kept.items():
            ledger.close()
            backends.drop(location, options)
        kept.clear()


        for processes in args.writers:
            rates: dict[str, list[float]] = {b: [] for b in BACKENDS}
            retries: dict[str, int] = {b: 0 for b in BACKENDS}
            for repeat in range(args.repeats):
                for backend in BACKENDS:
                    phase(f"{processes} writers x {args.writer_events:,} events, {args.writer_batch} per append: "
                          f"{backend} (repeat {repeat + 1}/{args.repeats})")
                    location, options = backends.fresh(backend, f"w{processes}_{repeat}")
                    found = concurrent(location, options, processes, args.writer_events, args.writer_batch)
                    rates[backend].append(found["rate"])
                    retries[backend] += found["retries"]
                    backends.drop(location, options)
            rows.append(row(f"{processes} writer processes into one ledger, total", "events/s", rates,
                            note=(f"{processes} x {args.writer_events:,} events, {args.writer_batch} per append; "
                                  f"positions gap-free, batches whole, verify() clean (asserted); lock retries "
                                  + ", ".join(f"{b} {n}" for b, n in retries.items()))))
    finally:
        for location, options, ledger in kept.values():
            ledger.close()
            backends.drop(location, options)
        backends.drop_all()
    phase("done")
    return rows, extra


def profile(ledger: Ledger, items: Sequence[Item], out: Path) -> str:
    """A pyinstrument profile of ``items`` appended one per call (retraction targets looked up outside it)."""
    from pyinstrument import Profiler

    events = [suite.resolve(ledger, [item], 0)[0] for item in items]  # (an item's target is appended by then)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for event in events:
        ledger.append(event)
    profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return str(out)


# --- reporting -------------------------------------------------------------------------------


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any], extra: dict[str, Any]) -> str:
    settings = extra["settings"]
    lines = [
        "# dealtrack: PostgreSQL beside SQLite",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['cpus']} CPUs, Python {meta['python']}, SQLite {meta['sqlite']}, PostgreSQL "
        f"{settings['server_version']} ({meta['server']}); dealtrack at {meta['commit']}; {meta['when']}  ",
        "PostgreSQL settings: " + ", ".join(f"{k}={v}" for k, v in settings.items() if k != "server_version"),
        "",
        "min / median / max over the samples (p99 too for latencies); *PG / SQLite* = PostgreSQL's median / the "
        "default SQLite file's (for events/s, 0.5 = half the speed; for latencies, 2 = twice as slow).",
        "",
        "| figure | " + " | ".join(LABEL[b] for b in BACKENDS) + " | PG / SQLite |",
        "|---|" + "---|" * len(BACKENDS) + "---|",
    ]
    for found in rows:
        cells = []
        for backend in BACKENDS:
            stats = found["backends"].get(backend)
            if stats is None:
                cells.append("")
                continue
            text = " / ".join(_fmt(stats[k], found["unit"]) for k in ("min", "median", "max"))
            if "p99" in stats:
                text += f" (p99 {_fmt(stats['p99'], found['unit'])})"
            cells.append(text)
        figure = found["figure"] + (f" ({found['note']})" if found.get("note") else "")
        ratio = "" if found["ratio"] is None else f"{found['ratio']:.2f}"
        lines.append(f"| {figure} | " + " | ".join(cells) + f" | {ratio} |")
    if "single_statements" in extra:
        lines += ["", f"Statements (each one round trip) per single append on PostgreSQL: "
                      f"{extra['single_statements']:.2f} on average", ""]
        lines += [f"- {n:.2f} x `{sql}`" for n, sql in extra["single_statement_kinds"]]
        lines += ["", f"Statements per batched append of {extra['batch_events']:,} events: {extra['batch_statements']}", ""]
        lines += [f"- {n} x `{sql}`" for n, sql in extra["batch_statement_kinds"]]
    if extra.get("questions_compared"):
        lines += ["", f"{extra['questions_compared']:,} question samples answered the same on all three backends."]
    if extra.get("profile"):
        lines += ["", f"Profile of single appends on PostgreSQL: {extra['profile']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="events appended 1,000 per call, per repeat")
    parser.add_argument("--singles", type=int, default=300, help="single-event appends after them, per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="fresh ledgers per backend (min / median / max)")
    parser.add_argument("--questions", type=int, default=300, help="samples per question")
    parser.add_argument("--writers", default="4,8", help="comma-separated writer process counts")
    parser.add_argument("--writer-events", type=int, default=1_000, help="events per writer process")
    parser.add_argument("--writer-batch", type=int, default=10, help="events per append of a writer process")
    parser.add_argument("--count-singles", type=int, default=50, help="single appends whose statements are counted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="an existing PostgreSQL database (libpq URL); default: start a durable throwaway "
                                      "cluster (fsync, synchronous_commit and full_page_writes on)")
    parser.add_argument("--workdir", type=Path, help="folder for the SQLite files (default: a temporary one under /tmp)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--profile", type=Path, metavar="TXT", help="also profile single appends on PostgreSQL "
                                                                    "with pyinstrument, its text written here")
    args = parser.parse_args(argv)
    args.writers = [int(n) for n in args.writers.split(",") if n.strip()]
    if args.events < 1 or args.singles < 1 or args.repeats < 1 or args.count_singles < 1:
        parser.error("--events, --singles, --repeats and --count-singles must be at least 1")
    cluster = None
    workdir = Path(tempfile.mkdtemp(prefix="dealtrack-pgbench-", dir="/tmp")) if args.workdir is None else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.url:
            url, server = args.url, "the server at --url"
        else:
            bindir = find_bindir()
            if bindir is None:
                raise SystemExit("no PostgreSQL server binaries (apt-get install postgresql), and no --url given")
            print("starting a throwaway PostgreSQL cluster (fsync, synchronous_commit, full_page_writes on)", flush=True)
            cluster = Cluster.start(bindir, settings=DURABLE)
            url, server = cluster.new_database(), f"a throwaway cluster under /tmp, {bindir}"
        rows, extra = run(args, url, workdir)
    finally:
        if cluster is not None:
            cluster.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    meta = {
        "command": "python3 benchmarks/postgres.py " + " ".join(
            a if not a.startswith("postgres") else "<url>" for a in (argv if argv is not None else sys.argv[1:])),
        "cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "server": server,
        "commit": commit or "unknown",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    text = markdown(rows, meta, extra)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "postgres.json").write_text(json.dumps({"meta": meta, "extra": extra, "rows": rows}, indent=2))
    (args.out / "postgres.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
