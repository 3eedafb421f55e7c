"""The headline figures: ratios against the limit and the peers, and the targets they are judged by."""

from __future__ import annotations

import math
from typing import Any

TARGETS = {
    "ratio_p50_c1_vs_inprocess": ("<=", 1.15),
    "ratio_throughput_c16_vs_naive": (">=", 3.0),
    "ratio_throughput_c16_vs_bentoml": (">=", 1.1),
    "ratio_throughput_c16_vs_face_recognition": (">=", 5.0),
    "ratio_p99_vs_p50_c16": ("<=", 1.5),
    "ready_seconds": ("<=", 8.0),
}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or not positive."""
    if not numerator or not denominator or numerator <= 0 or denominator <= 0:
        return None
    value = numerator / denominator
    return round(value, 3) if math.isfinite(value) else None


def _per_face(timing: dict[str, Any] | None) -> float | None:
    """Median milliseconds of a three-face timing, per face."""
    return round(timing["p50_ms"] / 3.0, 2) if timing else None


def _level(servers: dict[str, Any], name: str, concurrency: int) -> dict[str, Any]:
    """One server's figures at one level (empty when not measured)."""
    level: dict[str, Any] = servers.get(name, {}).get("levels", {}).get(str(concurrency), {})
    return level


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The ratios the issue asks for, from the raw figures."""
    servers = results["servers"]
    ours_c1, ours_c16 = _level(servers, "facesim", 1), _level(servers, "facesim", 16)
    facesim = servers.get("facesim", {})
    return {
        "ratio_p50_c1_vs_inprocess": _ratio(
            ours_c1.get("p50_ms"), results["inprocess"]["pipeline"]["p50_ms"]
        ),
        "ratio_throughput_c16_vs_naive": _ratio(
            ours_c16.get("throughput_rps"), _level(servers, "naive", 16).get("throughput_rps")
        ),
        "ratio_throughput_c16_vs_bentoml": _ratio(
            ours_c16.get("throughput_rps"), _level(servers, "bentoml", 16).get("throughput_rps")
        ),
        "ratio_throughput_c16_vs_face_recognition": _ratio(
            ours_c16.get("throughput_rps"),
            _level(servers, "face_recognition", 16).get("throughput_rps"),
        ),
        "ratio_p99_vs_p50_c16": _ratio(ours_c16.get("p99_ms"), ours_c16.get("p50_ms")),
        "ready_seconds": results["startup"]["ready_seconds"],
        "forward_ms_per_face": _per_face(results["inprocess"].get("forward_b1")),
        "dlib_forward_ms_per_face": _per_face(results["inprocess"].get("dlib_descriptor_3")),
        "rss_mb_per_worker": max(
            facesim.get("peak_rss_mb", 0), facesim.get("rss_after_warmup_mb", 0)
        ),
    }


def derived(results: dict[str, Any], cpus: int) -> dict[str, Any]:
    """How close the service gets to what the work itself allows on this machine's cores."""
    pipeline, forward = results["inprocess"]["pipeline"], results["inprocess"]["forward_b1"]
    limit = cpus * 1000.0 / pipeline["cpu_ms_per_call"]
    ours = _level(results["servers"], "facesim", 16)
    out = {
        "throughput_limit_rps": round(limit, 2),
        "throughput_c16_vs_limit": _ratio(ours.get("throughput_rps"), limit),
        "cpu_efficiency_c16": _ratio(
            pipeline["cpu_ms_per_call"], ours.get("server_cpu_ms_per_request")
        ),
        "forward_share_of_cpu": _ratio(forward["cpu_ms_per_call"], pipeline["cpu_ms_per_call"]),
        "http_cpu_ms_per_request": round(
            ours.get("server_cpu_ms_per_request", 0) - pipeline["cpu_ms_per_call"], 2
        ),
    }
    for name in ("naive", "bentoml", "face_recognition"):
        level = _level(results["servers"], name, 16)
        if level:
            out[f"{name}_cpu_ms_per_request_c16"] = level["server_cpu_ms_per_request"]
    return out


def verdicts(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with its measured value and whether it was met."""
    out = {}
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        met = None if value is None else (value <= target if op == "<=" else value >= target)
        out[key] = {"value": value, "target": f"{op} {target}", "met": met}
    return out
