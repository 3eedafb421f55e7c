"""CPU time and memory of a server's whole process tree, read from /proc (Linux only)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class TreeStats:
    """A snapshot of a process and all its descendants."""

    pids: tuple[int, ...]
    cpu_s: float  # user + system time of the live processes
    rss_mb: float  # sum of current resident sets
    hwm_mb: float  # sum of each process's peak resident set (VmHWM)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """root and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of one process in MiB (zeros when it is gone)."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        lines = (PROC / str(pid) / "status").read_text().splitlines()
    except OSError:
        return 0.0, 0.0
    for line in lines:
        key, _, rest = line.partition(":")
        if key in values:
            values[key] = int(rest.split()[0]) / 1024.0
    return values["VmRSS"], values["VmHWM"]


def snapshot(root: int) -> TreeStats:
    """CPU and memory of root's process tree right now."""
    pids = descendants(root)
    mem = [memory_mb(p) for p in pids]
    return TreeStats(
        pids=tuple(pids),
        cpu_s=sum(cpu_seconds(p) for p in pids),
        rss_mb=round(sum(m[0] for m in mem), 1),
        hwm_mb=round(sum(m[1] for m in mem), 1),
    )


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    return os.getloadavg()


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        for line in (PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def memory_total_gib() -> float:
    """Physical memory of the machine."""
    for line in (PROC / "meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def busy_processes(patterns: tuple[str, ...]) -> list[str]:
    """Command lines of running processes that contain any of the patterns (e.g. training)."""
    found = []
    me = os.getpid()
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(p in cmd for p in patterns):
            found.append(cmd.strip()[:200])
    return found


def cpu_hogs(seconds: float = 1.0, threshold: float = 0.1) -> list[dict[str, object]]:
    """Other processes using more than `threshold` of a core over `seconds`: what the run competes with."""
    import time

    def sample() -> dict[int, float]:
        found = {}
        for entry in PROC.iterdir():
            if entry.name.isdigit():
                found[int(entry.name)] = cpu_seconds(int(entry.name))
        return found

    before = sample()
    time.sleep(seconds)
    after = sample()
    hogs = []
    for pid, cpu in after.items():
        share = (cpu - before.get(pid, cpu)) / seconds
        if share >= threshold and pid != os.getpid():
            try:
                cmd = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            hogs.append({"pid": pid, "cores": round(share, 2), "command": cmd.strip()[:160]})
    return sorted(hogs, key=lambda h: -float(str(h["cores"])))
