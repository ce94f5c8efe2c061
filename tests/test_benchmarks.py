"""The benchmark harness works: its synthetic ledger is valid and its figures come back well formed.

A correctness check of ``benchmarks/``, not a timing one: nothing here asserts a speed.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import questions, suite  # noqa: E402
from benchmarks.synth import Retract, generate, parse_scale  # noqa: E402


def test_scales_parse() -> None:
    assert [parse_scale(s) for s in ("10k", "100K", "1m", "10m", "250")] == [10_000, 100_000, 1_000_000, 10_000_000, 250]


def test_the_generator_is_seeded_and_has_the_register_s_shape() -> None:
    items = list(generate(1_500, seed=3))
    assert len(items) == 1_500
    assert items == list(generate(1_500, seed=3))
    kinds = Counter(type(item).__name__ for item in items)
    assert kinds["PatentsAssigned"] > 400 and kinds["PatentRegistered"] > 400
    assert kinds["LicenseGranted"] > 0 and kinds["Retract"] > 0
    assert all(item.target < index for index, item in enumerate(items) if isinstance(item, Retract))
    late = [item for item in items[1:] if not isinstance(item, Retract) and item.effective is not None]
    starts = [item.effective.start for item in late]
    assert any(later < earlier for earlier, later in zip(starts, starts[1:])), "some records arrive late"


def test_a_tiny_run_appends_everything_and_returns_well_formed_rows(tmp_path: Path) -> None:
    items = list(generate(2_400, seed=3))
    stream = iter(items[1_110:])
    rows, ledger, raw, rates = suite.build("tiny", items[:1_100], tmp_path / "l.db", tmp_path / "r.db", segments=1)
    assert len(ledger) == 1_100 and len(rates) == 2
    assert raw.execute("SELECT count(*) FROM events").fetchone()[0] == 1_100
    assert ledger._store.views_position() == (1_100, 0), "the timed appends never caught the views up"
    rows += suite.single_appends("tiny", ledger, raw, items[1_100:1_110], offset=0)
    rows += suite.catch_up_all("tiny", ledger)
    assert ledger.verify()
    sampler = suite.Sampler()
    for item in items:
        sampler.note(item)
    rows += questions.questions("tiny", ledger, raw, sampler, count=20)
    rows += suite.refreshes("tiny", ledger, stream, plan=((100, 2), (500, 1)))
    assert len(ledger) == 1_810
    rows += questions.changed_keys("tiny", ledger, raw, sampler, count=3)
    assert len(ledger) == 1_820 and ledger.verify()  # 3 questions each, 1 portfolio (party-wide: fewer)
    ledger.close()
    raw.close()
    rows += suite.child_runs("tiny", tmp_path / "l.db", 1_100, 1, tmp_path)
    for row in rows:
        assert row["scale"] == "tiny" and row["unit"] in ("events/s", "s", "MB")
        assert 0 < row["dealtrack"]["min"] <= row["dealtrack"]["median"] <= row["dealtrack"]["max"]
        assert row["ratio"] > 0
        assert row["target"] is None or row["met"] in (True, False)
    figures = {row["figure"] for row in rows}
    for name in questions.QUESTIONS:
        assert {f"{name} latency", f"{name} known_at (mid-log) vs current knowledge",
                f"{name} latency, key changed since the last catch-up"} <= figures
    assert {"refresh() after 100 appended events", "refresh() after 500 appended events",
            "bulk() end to end, views ready (1,000 per append)", "peak RSS of bulk() (child process)",
            "full rebuild of every view", "peak RSS of a rebuild (child process)"} <= figures
    floor = next(row for row in rows if row["baseline"] and row["baseline"]["name"].startswith("the floor"))
    assert floor["target"] == ">= 0.35"


def test_the_build_child_makes_the_whole_ledger_with_its_views_ready(tmp_path: Path) -> None:
    """``--build-only`` (the 10M target): every generated event logged in one bulk() block, views at the head."""
    import argparse

    from benchmarks import run
    from dealtrack import Ledger

    args = argparse.Namespace(seed=3, keep=True, events_cache=tmp_path / "cache")
    minutes, rss = run.build_only("1m", 1_500, args, tmp_path)
    assert len(list((tmp_path / "cache").iterdir())) == 1, "the generated events were kept for the next run"
    for path in tmp_path.glob("build-1m.db*"):
        path.unlink()
    minutes, rss = run.build_only("1m", 1_500, args, tmp_path)  # from the cache this time
    assert minutes["unit"] == "min" and minutes["dealtrack"]["median"] > 0 and minutes["target"] is None
    assert "1,500 events" in minutes["note"] and rss["target"] == "<= 300" and rss["met"] in (True, False)
    with Ledger.open(tmp_path / "build-1m.db") as ledger:
        assert len(ledger) == 1_500 and ledger._store.views_position() == (1_500, 1_500)
        assert ledger.verify()
        retractions = sum(isinstance(item, Retract) for item in generate(1_500, seed=3))
        assert len(list(ledger.events(types="EventRetracted"))) == retractions > 0


def test_the_events_cache_gives_back_the_generated_stream(tmp_path: Path) -> None:
    """A run writes the events it generates to the cache; the next run at the same seed and count reads them back."""
    from benchmarks.events_cache import cache_path, cached_generate

    generated = list(generate(1_500, seed=3))
    path = cache_path(tmp_path, 1_500, seed=3)
    first = cached_generate(1_500, 3, tmp_path)
    assert [next(first) for _ in range(10)] == generated[:10]
    first.close()  # stopped part-way: no cache file
    assert not path.exists() and not list(tmp_path.iterdir())
    assert list(cached_generate(1_500, 3, tmp_path)) == generated
    assert path.exists()
    assert list(cached_generate(1_500, 3, tmp_path)) == generated  # read back
    assert not cache_path(tmp_path, 1_500, seed=4).exists() and not cache_path(tmp_path, 1_400, seed=3).exists()
    assert list(cached_generate(1_500, 3, None)) == generated


def test_growth_compares_each_question_s_median_across_scales() -> None:
    def row(scale: str, name: str, median: float) -> dict[str, object]:
        return {"scale": scale, "figure": f"{name} latency", "dealtrack": {"min": median, "median": median, "max": median}}

    rows = [row(scale, name, median) for name in questions.QUESTIONS for scale, median in (("10k", 1.0), ("1m", 1.2))]
    found = questions.growth(rows, ["10k", "1m"])
    assert [r["figure"] for r in found] == [f"{name} latency: growth of the median" for name in questions.QUESTIONS]
    assert all(r["met"] and abs(r["ratio"] - 1.2) < 1e-9 for r in found)


def test_the_markdown_has_one_table_per_scale() -> None:
    from benchmarks import run
    from benchmarks.measure import result

    rows = [result(scale, "x latency", "s", [1e-5, 2e-5], "raw", [1e-5], target="<= 3", p99=True) for scale in ("10k", "1m")]
    text = run.markdown(rows, {"command": "c", "cpus": 2, "python": "3", "sqlite": "3", "commit": "abc", "when": "now"})
    assert text.count("### ") == 2 and text.count("| x latency |") == 2 and "| <= 3 | yes |" in text


def test_the_postgres_benchmark_runs_at_a_tiny_scale(postgres, tmp_path: Path) -> None:
    """``benchmarks/postgres.py`` end to end against the test cluster (``--url``), so the script cannot rot."""
    import json
    import subprocess

    url = postgres.new_database()
    command = [sys.executable, str(ROOT / "benchmarks" / "postgres.py"), "--url", url, "--events", "1200",
               "--singles", "10", "--repeats", "1", "--questions", "8", "--writers", "2", "--writer-events", "20",
               "--writer-batch", "5", "--count-singles", "5", "--workdir", str(tmp_path / "work"),
               "--out", str(tmp_path / "out"), "--profile", str(tmp_path / "profile.txt")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    saved = json.loads((tmp_path / "out" / "postgres.json").read_text())
    figures = {row["figure"]: row for row in saved["rows"]}
    assert {"batched append, 1,000 events per call", "single append, 1 event per call", "single append latency",
            "2 writer processes into one ledger, total"} <= set(figures)
    assert {f"{name} latency" for name in questions.QUESTIONS} <= set(figures)
    for row in saved["rows"]:
        assert set(row["backends"]) == {"sqlite", "sqlite-full", "postgresql"} and row["ratio"] > 0
        for stats in row["backends"].values():
            assert 0 < stats["min"] <= stats["median"] <= stats["max"]
    assert saved["extra"]["single_statements"] >= 4  # the lock with the head, the insert, the head's update, COMMIT
    assert saved["extra"]["questions_compared"] > 0
    assert (tmp_path / "profile.txt").read_text().strip()
    assert "| PG / SQLite |" in (tmp_path / "out" / "postgres.md").read_text()
    with __import__("psycopg").connect(url) as conn:  # the script dropped every schema it made
        assert not conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name LIKE 'bench_%'").fetchall()
