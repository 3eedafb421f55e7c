"""The arithmetic from raw measurements to figures: latency summaries, ratios, targets and verdicts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bench.results import InProcess, KindResult, Level, Server, Startup, Timing, Verdict

WORKLOADS = ("small", "phone")  # three 250x250 LFW photos; the same faces in 12 MP phone photos
TARGETS = {
    "ratio_p50_c1_vs_inprocess": ("<=", 1.15),
    "ratio_throughput_c16_vs_naive": (">=", 3.0),
    "ratio_throughput_c16_vs_naive_image": (">=", 3.0),
    "ratio_throughput_c16_vs_naive_tabular": (">=", 3.0),
    "ratio_throughput_c16_vs_bentoml": (">=", 1.1),
    "ratio_throughput_c16_vs_face_recognition": (">=", 5.0),
    "ratio_p99_vs_p50_c16": ("<=", 1.5),
    "ready_seconds": ("<=", 8.0),
    # The same faces as 12 MP phone photos, and every level against BentoML and under overload.
    "phone_ratio_p50_c1_vs_inprocess": ("<=", 1.15),
    "phone_ratio_throughput_c16_vs_face_recognition": (">=", 10.0),
    "phone_ratio_throughput_c16_vs_bentoml": (">=", 1.2),
    "phone_same_winner": (">=", 1.0),
    "phone_max_distance_change": ("<=", 0.02),
    **{
        f"min_ratio_vs_bentoml_{what}_{w}": (">=", 1.0)
        for what in ("throughput", "p50")
        for w in WORKLOADS
    },
    **{f"overload_ratio_throughput_c64_vs_c16_{w}": (">=", 0.95) for w in WORKLOADS},
    **{f"overload_ratio_p99_c64_vs_c16_{w}": ("<=", 2.0) for w in WORKLOADS},
    **{f"limit_fraction_{w}": (">=", 0.85) for w in WORKLOADS},
}
KINDS = ("image", "tabular")
SUMMARY = ("p50", "p95", "p99", "mean", "max")  # a latency summary's figures, in order


def summarize_ms(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 (linear between closest ranks), mean and max of latencies; NaN when empty."""
    found = [*np.percentile(ms, (50, 95, 99)), np.mean(ms), max(ms)] if ms else [math.nan] * 5
    return {f"{k}_ms": round(float(v), 3) for k, v in zip(SUMMARY, found, strict=True)}


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


def ratio(numerator: float | None = None, denominator: float | None = None) -> float | None:
    """numerator / denominator, or None when either is missing or not positive."""
    if not numerator or not denominator or numerator <= 0 or denominator <= 0:
        return None
    value = numerator / denominator
    return round(value, 3) if math.isfinite(value) else None


def at(levels: Mapping[str, Level] | None, concurrency: int) -> Level | None:
    """A server's figures at one level (None when not measured)."""
    return (levels or {}).get(str(concurrency))


def c16_rps(levels: Mapping[str, Level] | None) -> float | None:
    """Throughput at 16 clients, the level every throughput ratio compares."""
    level = at(levels, 16)
    return level.throughput_rps if level else None


def headline(inprocess: InProcess, servers: dict[str, Server], startup: Startup) -> dict[str, Any]:
    """The ratios the issue asks for, from the raw figures."""
    levels = {name: server.levels for name, server in servers.items()}
    facesim = servers.get("facesim")
    ours_c1, ours_c16 = at(levels.get("facesim"), 1), at(levels.get("facesim"), 16)
    ours = c16_rps(levels.get("facesim"))

    def per_face(t: Timing | None) -> float | None:
        return round(t.p50_ms / 3.0, 2) if t else None

    return {
        "ratio_p50_c1_vs_inprocess": ratio(
            ours_c1.p50_ms if ours_c1 else None, inprocess.pipeline.p50_ms
        ),
        **{
            f"ratio_throughput_c16_vs_{peer}": ratio(ours, c16_rps(levels.get(peer)))
            for peer in ("naive", "bentoml", "face_recognition")
        },
        "ratio_p99_vs_p50_c16": ratio(*((ours_c16.p99_ms, ours_c16.p50_ms) if ours_c16 else ())),
        "ready_seconds": startup.ready_seconds,
        "forward_ms_per_face": per_face(inprocess.forward_b1),
        "dlib_forward_ms_per_face": per_face(inprocess.dlib_descriptor_3),
        "rss_mb_per_worker": max(facesim.peak_rss_mb, facesim.rss_after_warmup_mb)
        if facesim
        else 0,
    }


def kind_ratios(kinds: Mapping[str, KindResult]) -> dict[str, float | None]:
    """Each kind's headline: ours / naive throughput at 16 clients (None: not measured)."""
    found = {name: kind.ratio_throughput_c16_vs_naive for name, kind in kinds.items()}
    return {f"ratio_throughput_c16_vs_naive_{name}": found.get(name) for name in KINDS}


def derived(inprocess: InProcess, servers: dict[str, Server], cpus: int) -> dict[str, float | None]:
    """How close the service gets to what the work itself allows on this machine's cores."""
    pipeline, forward = inprocess.pipeline.cpu_ms_per_call, inprocess.forward_b1.cpu_ms_per_call
    limit = cpus * 1000.0 / pipeline
    levels = {name: server.levels for name, server in servers.items()}
    ours = at(levels.get("facesim"), 16)
    ours_cpu = ours.server_cpu_ms_per_request if ours else None
    out: dict[str, float | None] = {
        "throughput_limit_rps": round(limit, 2),
        "throughput_c16_vs_limit": ratio(ours.throughput_rps if ours else None, limit),
        "cpu_efficiency_c16": ratio(pipeline, ours_cpu),
        "forward_share_of_cpu": ratio(forward, pipeline),
        "http_cpu_ms_per_request": round((ours_cpu or 0) - pipeline, 2),
    }
    for name in ("naive", "bentoml", "face_recognition"):
        if peer := at(levels.get(name), 16):
            out[f"{name}_cpu_ms_per_request_c16"] = peer.server_cpu_ms_per_request
    return out


def workload_figures(
    inprocess: InProcess, small: dict[str, Server], phone: dict[str, Server], cpus: int
) -> dict[str, float | None]:
    """Per workload: ours against BentoML at every level, 64 clients against 16, the share of the
    cores used at 16; and the phone photos' own ratios, answers and memory."""
    out: dict[str, float | None] = {}
    for workload, servers in zip(WORKLOADS, (small, phone), strict=True):
        ours, bento = (servers[n].levels if n in servers else {} for n in ("facesim", "bentoml"))
        c16, c64 = at(ours, 16), at(ours, 64)
        pairs = [(lv, bento[n]) for n, lv in ours.items() if n in bento]
        throughputs = [ratio(o.throughput_rps, b.throughput_rps) for o, b in pairs]
        p50s = [ratio(b.p50_ms, o.p50_ms) for o, b in pairs]  # BentoML's p50 over ours
        for what, found in (("throughput", throughputs), ("p50", p50s)):
            known = [v for v in found if v is not None]
            out[f"min_ratio_vs_bentoml_{what}_{workload}"] = min(known) if known else None
        if c16 and c64:
            out[f"overload_ratio_throughput_c64_vs_c16_{workload}"] = ratio(
                c64.throughput_rps, c16.throughput_rps
            )
            out[f"overload_ratio_p99_c64_vs_c16_{workload}"] = ratio(c64.p99_ms, c16.p99_ms)
        out[f"limit_fraction_{workload}"] = round(c16.server_cpu_cores / cpus, 3) if c16 else None
    if (ours_phone := phone.get("facesim")) is None:
        return out
    c1, c16, c64 = (at(ours_phone.levels, n) for n in (1, 16, 64))
    pipeline, bento_phone = inprocess.phone_pipeline, phone.get("bentoml")
    if c1 and pipeline:
        out["phone_ratio_p50_c1_vs_inprocess"] = ratio(c1.p50_ms, pipeline.p50_ms)
    out["phone_ratio_throughput_c16_vs_bentoml"] = ratio(
        c16_rps(ours_phone.levels), c16_rps(bento_phone.levels if bento_phone else None)
    )
    for peer in ("naive", "face_recognition"):  # one worker each: its best level, one client
        levels = phone[peer].levels.values() if peer in phone else []
        best = max((lv.throughput_rps for lv in levels), default=None)
        out[f"phone_ratio_throughput_c16_vs_{peer}"] = ratio(c16_rps(ours_phone.levels), best)
    if c16:
        out["phone_ratio_p99_vs_p50_c16"] = ratio(c16.p99_ms, c16.p50_ms)
    if c16 and pipeline:
        http = c16.server_cpu_ms_per_request - pipeline.cpu_ms_per_call
        out["phone_http_cpu_ms_per_request"] = round(http, 2)
    if (ours_small := small.get("facesim")) is not None:
        out["phone_same_winner"] = float(ours_phone.most_similar == ours_small.most_similar)
        changes = [abs(p - s) for p, s in zip(ours_phone.distances, ours_small.distances, strict=True)
                   if p is not None and s is not None]  # fmt: skip
        out["phone_max_distance_change"] = round(max(changes), 4) if changes else None
    out["phone_peak_rss_mb_c64"] = c64.server_peak_rss_mb if c64 else None
    return out


def verdicts(figures: Mapping[str, Any]) -> dict[str, Verdict]:
    """Each target with its measured value and whether it was met."""
    out = {}
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value <= target if op == "<=" else value >= target)
        out[key] = Verdict(value, f"{op} {target}", met)
    return out
