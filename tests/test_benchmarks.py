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

from benchmarks import suite  # noqa: E402
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
    items = list(generate(1_200, seed=3))
    rows, ledger, raw, rates = suite.build("tiny", items[:1_100], tmp_path / "l.db", tmp_path / "r.db", segments=1)
    assert len(ledger) == 1_100 and len(rates) == 2
    assert raw.execute("SELECT count(*) FROM events").fetchone()[0] == 1_100
    assert ledger.verify()
    rows += suite.single_appends("tiny", ledger, raw, items[1_100:1_110], offset=1_100)
    rows += suite.questions("tiny", ledger, raw, items, count=20)
    for row in rows:
        assert row["scale"] == "tiny" and row["unit"] in ("events/s", "s")
        assert 0 < row["dealtrack"]["min"] <= row["dealtrack"]["median"] <= row["dealtrack"]["max"]
        assert row["ratio"] > 0
    assert {row["figure"] for row in rows} >= {"owners_of latency", "is_licensed latency", "active_bans latency"}
    ledger.close()
    raw.close()
