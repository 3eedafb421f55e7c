"""CPU time and memory of a server's whole process tree, and what else uses the machine (psutil)."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

# Processes whose presence makes a run's figures suspect (they use every core for minutes).
BUSY_PATTERNS = ("scripts/train.py", "scripts/evaluate.py")
MIB = 1024 * 1024


@dataclass(frozen=True)
class TreeStats:
    """A snapshot of a process and all its descendants."""

    pids: tuple[int, ...]
    cpu_s: float  # user + system time of the live processes
    rss_mb: float  # sum of current resident sets
    hwm_mb: float  # sum of each process's peak resident set


def _field(path: str, name: str) -> str:
    """A `name: value` line's value from a /proc text file ('' when absent)."""
    lines = Path(path).read_text().splitlines()
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(name)), "")


def snapshot(root: int) -> TreeStats:
    """CPU and memory of root's process tree right now (psutil has no peak RSS: VmHWM from /proc)."""
    leader = psutil.Process(root)
    pids, cpu, rss, hwm = [], 0.0, 0.0, 0.0
    for proc in [leader, *leader.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, FileNotFoundError):
            times, memory = proc.cpu_times(), proc.memory_info()
            peak = int(_field(f"/proc/{proc.pid}/status", "VmHWM:").split()[0]) / 1024.0
            cpu, rss, hwm = cpu + times.user + times.system, rss + memory.rss / MIB, hwm + peak
            pids.append(proc.pid)
    return TreeStats(tuple(pids), cpu, round(rss, 1), round(hwm, 1))


def cpu_hogs(seconds: float = 1.0, threshold: float = 0.1) -> list[dict[str, Any]]:
    """Other processes using more than `threshold` of a core over `seconds`: what the run competes with."""
    procs = [p for p in psutil.process_iter(["cpu_times", "cmdline"]) if p.pid != os.getpid()]
    time.sleep(seconds)
    hogs = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            before, now = proc.info["cpu_times"], proc.cpu_times()
            share = (now.user + now.system - before.user - before.system) / seconds
            if share >= threshold:
                command = " ".join(proc.info["cmdline"] or [])[:160]
                hogs.append({"pid": proc.pid, "cores": round(share, 2), "command": command})
    return sorted(hogs, key=lambda h: -float(h["cores"]))


def training(hogs: list[dict[str, Any]]) -> list[str]:
    """The CPU users that are model training or evaluation (BUSY_PATTERNS)."""
    return [str(h["command"]) for h in hogs if any(p in str(h["command"]) for p in BUSY_PATTERNS)]


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(v, 2) for v in psutil.getloadavg()]


def machine(at: str) -> dict[str, Any]:
    """The load at the run's `at` ("start" or "end"), with the machine itself at the start."""
    load, hogs = {f"load_average_at_{at}": load_average()}, cpu_hogs()
    if at == "end":
        return load | {"training_running_at_end": training(hogs), "other_cpu_users_at_end": hogs}
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _field("/proc/cpuinfo", "model name") or "unknown",  # psutil does not name it
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        **load,
        "training_running": training(hogs),
        "other_cpu_users_at_start": hogs,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
