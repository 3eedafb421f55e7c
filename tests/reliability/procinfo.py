"""What the kernel says about a process under test: memory and bytes written (Linux /proc)."""

from __future__ import annotations

from pathlib import Path

from tests.support import needs


def status_kib(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status: VmRSS (resident now), VmHWM (peak resident)."""
    needs.linux_proc()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    raise KeyError(f"{key} not in /proc/{pid}/status")


def rss_mib(pid: int) -> float:
    """Resident memory now."""
    return status_kib(pid, "VmRSS") / 1024


def peak_rss_mib(pid: int) -> float:
    """Highest resident memory since the process started."""
    return status_kib(pid, "VmHWM") / 1024


def written_bytes(pid: int) -> int:
    """Bytes the process passed to write() and friends (files, pipes, ttys; not socket sends)."""
    needs.linux_proc()
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == "wchar":
            return int(value)
    raise KeyError(f"wchar not in /proc/{pid}/io")


def open_files(pid: int) -> list[str]:
    """Where the process's file descriptors point (files, sockets, pipes)."""
    needs.linux_proc()
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.append(str(fd.readlink()))
        except OSError:
            continue  # closed while we looked
    return found
