"""The headline figures: ratios against the limit and the peers, and the targets they are judged by."""

from __future__ import annotations

import math
from typing import Any

from bench.results import InProcess, Level, Server, Startup, Timing, Verdict

TARGETS = {
    "ratio_p50_c1_vs_inprocess": ("<=", 1.15),
    "ratio_throughput_c16_vs_naive": (">=", 3.0),
    "ratio_throughput_c16_vs_naive_image": (">=", 3.0),
    "ratio_throughput_c16_vs_naive_tabular": (">=", 3.0),
    "ratio_throughput_c16_vs_bentoml": (">=", 1.1),
    "ratio_throughput_c16_vs_face_recognition": (">=", 5.0),
    "ratio_p99_vs_p50_c16": ("<=", 1.5),
    "ready_seconds": ("<=", 8.0),
}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or not positive."""
    if not numerator or not denominator or numerator <= 0 or denominator <= 0:
        return None
    value = numerator / denominator
    return round(value, 3) if math.isfinite(value) else None


def _per_face(timing: Timing | None) -> float | None:
    """Median milliseconds of a three-face timing, per face."""
    return round(timing.p50_ms / 3.0, 2) if timing else None


def level(servers: dict[str, Server], name: str, concurrency: int) -> Level | None:
    """One server's figures at one level (None when not measured)."""
    return servers[name].levels.get(str(concurrency)) if name in servers else None


def _c16_rps(servers: dict[str, Server], name: str) -> float | None:
    found = level(servers, name, 16)
    return found.throughput_rps if found else None


def headline(inprocess: InProcess, servers: dict[str, Server], startup: Startup) -> dict[str, Any]:
    """The ratios the issue asks for, from the raw figures."""
    ours_c1, ours_c16 = level(servers, "facesim", 1), level(servers, "facesim", 16)
    ours = _c16_rps(servers, "facesim")
    facesim = servers.get("facesim")
    return {
        "ratio_p50_c1_vs_inprocess": ratio(
            ours_c1.p50_ms if ours_c1 else None, inprocess.pipeline.p50_ms
        ),
        "ratio_throughput_c16_vs_naive": ratio(ours, _c16_rps(servers, "naive")),
        "ratio_throughput_c16_vs_bentoml": ratio(ours, _c16_rps(servers, "bentoml")),
        "ratio_throughput_c16_vs_face_recognition": ratio(
            ours, _c16_rps(servers, "face_recognition")
        ),
        "ratio_p99_vs_p50_c16": ratio(
            *((ours_c16.p99_ms, ours_c16.p50_ms) if ours_c16 else (None, None))
        ),
        "ready_seconds": startup.ready_seconds,
        "forward_ms_per_face": _per_face(inprocess.forward_b1),
        "dlib_forward_ms_per_face": _per_face(inprocess.dlib_descriptor_3),
        "rss_mb_per_worker": max(facesim.peak_rss_mb, facesim.rss_after_warmup_mb)
        if facesim
        else 0,
    }


def derived(inprocess: InProcess, servers: dict[str, Server], cpus: int) -> dict[str, float | None]:
    """How close the service gets to what the work itself allows on this machine's cores."""
    pipeline, forward = inprocess.pipeline.cpu_ms_per_call, inprocess.forward_b1.cpu_ms_per_call
    limit = cpus * 1000.0 / pipeline
    ours = level(servers, "facesim", 16)
    ours_cpu = ours.server_cpu_ms_per_request if ours else None
    out: dict[str, float | None] = {
        "throughput_limit_rps": round(limit, 2),
        "throughput_c16_vs_limit": ratio(ours.throughput_rps if ours else None, limit),
        "cpu_efficiency_c16": ratio(pipeline, ours_cpu),
        "forward_share_of_cpu": ratio(forward, pipeline),
        "http_cpu_ms_per_request": round((ours_cpu or 0) - pipeline, 2),
    }
    for name in ("naive", "bentoml", "face_recognition"):
        if peer := level(servers, name, 16):
            out[f"{name}_cpu_ms_per_request_c16"] = peer.server_cpu_ms_per_request
    return out


def verdicts(figures: dict[str, Any]) -> dict[str, Verdict]:
    """Each target with its measured value and whether it was met."""
    out = {}
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value <= target if op == "<=" else value >= target)
        out[key] = Verdict(value, f"{op} {target}", met)
    return out
