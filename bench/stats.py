"""Percentiles and latency summaries (no numpy: the load generator shares the cores it measures)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bench.results import Timing


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_ms(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of latencies in milliseconds."""
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else math.nan,
        "max_ms": round(max(ms), 3) if ms else math.nan,
    }


def timing(latencies_ms: list[float], *, cpu_s: float, rounds: int = 1) -> Timing:
    """Back-to-back calls of one in-process step: latency summary, call rate, CPU per call."""
    count = max(1, len(latencies_ms))
    return Timing(
        n=len(latencies_ms),
        **summarize_ms(latencies_ms),
        throughput_rps=round(count / (sum(latencies_ms) / 1000.0), 3),
        cpu_ms_per_call=round(cpu_s / count * 1000.0, 3),
        cpu_s=round(cpu_s, 4),
        latencies_ms=[round(v, 3) for v in latencies_ms],
        rounds=rounds,
    )


def merge_timings(parts: list[Timing]) -> Timing:
    """Several rounds of the same in-process step, as one."""
    latencies = [v for part in parts for v in part.latencies_ms]
    return timing(latencies, cpu_s=sum(p.cpu_s for p in parts), rounds=len(parts))
