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


def peak_rss_mb(proc: psutil.Process) -> float:
    """VmHWM, the peak resident set: psutil reports only the current one, so read it from /proc."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def snapshot(root: int) -> TreeStats:
    """CPU and memory of root's process tree right now."""
    leader = psutil.Process(root)
    tree, pids, cpu, rss, hwm = [leader, *leader.children(recursive=True)], [], 0.0, 0.0, 0.0
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess, FileNotFoundError):
            times, memory = proc.cpu_times(), proc.memory_info()
            cpu, rss, hwm = (
                cpu + times.user + times.system,
                rss + memory.rss / MIB,
                hwm + peak_rss_mb(proc),
            )
            pids.append(proc.pid)
    return TreeStats(tuple(pids), cpu, round(rss, 1), round(hwm, 1))


def busy_processes() -> list[str]:
    """Command lines of running processes that match BUSY_PATTERNS (training, evaluation)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        command = " ".join(proc.info["cmdline"] or [])
        if proc.pid != os.getpid() and any(p in command for p in BUSY_PATTERNS):
            found.append(command[:200])
    return found


def cpu_hogs(seconds: float = 1.0, threshold: float = 0.1) -> list[dict[str, Any]]:
    """Other processes using more than `threshold` of a core over `seconds`: what the run competes with."""
    procs = {
        p.pid: p for p in psutil.process_iter(["cpu_times", "cmdline"]) if p.pid != os.getpid()
    }
    time.sleep(seconds)
    hogs = []
    for pid, proc in procs.items():
        with contextlib.suppress(psutil.Error):
            before, now = proc.info["cpu_times"], proc.cpu_times()
            share = (now.user + now.system - before.user - before.system) / seconds
            if share >= threshold:
                command = " ".join(proc.info["cmdline"] or [])[:160]
                hogs.append({"pid": pid, "cores": round(share, 2), "command": command})
    return sorted(hogs, key=lambda h: -float(h["cores"]))


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(v, 2) for v in psutil.getloadavg()]


def machine_info() -> dict[str, Any]:
    """What the figures were measured on, and what else was using the CPU."""
    cpu_model = "unknown"  # psutil does not name the CPU; Linux's cpuinfo does
    with contextlib.suppress(OSError):
        names = [
            ln
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu_model = names[0].split(":", 1)[1].strip() if names else cpu_model
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "load_average_at_start": load_average(),
        "training_running": busy_processes(),
        "other_cpu_users_at_start": cpu_hogs(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
