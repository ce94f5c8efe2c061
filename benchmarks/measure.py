"""Timing helpers and the shape of one result row: a figure, its baseline from the same run, and their ratio."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Timer", "latencies", "percentile", "result", "spread"]


class Timer:
    """Accumulates the seconds spent inside ``with timer:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


def latencies(call: Callable[[Any], object], samples: Sequence[Any]) -> list[float]:
    """Seconds each ``call(sample)`` took, one measurement per sample."""
    found = []
    clock = time.perf_counter
    for sample in samples:
        start = clock()
        call(sample)
        found.append(clock() - start)
    return found


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which ``share`` (0..1) of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def spread(values: Sequence[float]) -> dict[str, float]:
    """min / median / max (and the count) of a list of measurements."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def result(
    scale: str,
    figure: str,
    unit: str,
    ours: Sequence[float],
    baseline_name: str,
    baseline: Sequence[float],
    *,
    target: str | None = None,
    note: str | None = None,
    p99: bool = False,
    absolute: bool = False,
) -> dict[str, Any]:
    """One row: our measurements, the baseline's, and ``ratio`` = our median / the baseline's median.

    For throughputs (events/s) a ratio of 0.33 means a third of the baseline's
    speed; for latencies a ratio of 3 means three times as slow. With
    ``absolute``, ``target`` applies to our median itself (e.g. ``"<= 300"`` MB), not to the ratio.
    """
    row: dict[str, Any] = {
        "scale": scale,
        "figure": figure,
        "unit": unit,
        "dealtrack": spread(ours),
        "baseline": {"name": baseline_name, **spread(baseline)} if baseline else None,
        "ratio": statistics.median(ours) / statistics.median(baseline) if baseline else None,
        "target": target,
        "absolute": absolute,
        "note": note,
    }
    if p99:
        row["dealtrack"]["p99"] = percentile(ours, 0.99)
        if baseline:
            row["baseline"]["p99"] = percentile(baseline, 0.99)
            row["ratio_p99"] = row["dealtrack"]["p99"] / row["baseline"]["p99"]
    if target is not None and absolute:
        row["met"] = _meets(row["dealtrack"]["median"], target)
    elif target is not None and row["ratio"] is not None:
        row["met"] = _meets(row["ratio"], target)
    return row


def _meets(ratio: float, target: str) -> bool:
    op, _, number = target.partition(" ")
    value = float(number)
    return ratio >= value if op == ">=" else ratio <= value
