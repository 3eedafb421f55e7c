"""Percentiles and summaries without numpy, so the load generator stays a light process."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_ms(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of latencies given in seconds, reported in milliseconds."""
    ms = [v * 1000.0 for v in latencies_s]
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else math.nan,
        "max_ms": round(max(ms), 3) if ms else math.nan,
    }


def timing_summary(latencies_ms: list[float], *, cpu_s: float) -> dict[str, Any]:
    """Back-to-back calls of one in-process step: latency summary, call rate, CPU per call."""
    count = max(1, len(latencies_ms))
    return {
        "n": len(latencies_ms),
        **summarize_ms([v / 1000.0 for v in latencies_ms]),
        "throughput_rps": round(count / (sum(latencies_ms) / 1000.0), 3),
        "cpu_ms_per_call": round(cpu_s / count * 1000.0, 3),
        "cpu_s": round(cpu_s, 4),
        "latencies_ms": [round(v, 3) for v in latencies_ms],
    }


def merge_timings(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Several rounds of the same in-process step, as one."""
    latencies = [v for part in parts for v in part["latencies_ms"]]
    return timing_summary(latencies, cpu_s=sum(p["cpu_s"] for p in parts)) | {"rounds": len(parts)}


def fmt(value: Any, digits: int = 1) -> str:
    """A number for a table cell; '-' when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
