"""What the kernel says about a running container: its processes' users and its listening sockets.

Read from the host's /proc through the containers' host pids, so nothing has to be installed in
the images (no ps, no ss) and the answer cannot be shaped by the container itself.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from rehearse.task import Task

PROC = Path("/proc")
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class ProcessUser:
    """One process of a container: its host pid, effective uid and gid, and command."""

    pid: int
    uid: int
    gid: int
    command: str


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket a container's process holds."""

    address: str
    port: int

    @property
    def loopback_only(self) -> bool:
        """Reachable only from inside the network namespace (the task)."""
        return ipaddress.ip_address(self.address).is_loopback


def process_users(task: Task, container: str) -> list[ProcessUser]:
    """Every process of the container with its effective ids (/proc/<pid>/status)."""
    found = []
    for pid in task.host_pids(container):
        status = _read(PROC / str(pid) / "status")
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "Uid" not in fields:
            continue  # exited meanwhile
        command = _read(PROC / str(pid) / "cmdline").replace("\x00", " ").strip()
        found.append(
            ProcessUser(pid, int(fields["Uid"].split()[1]), int(fields["Gid"].split()[1]), command)
        )
    return found


def listeners(task: Task, container: str) -> list[Listener]:
    """The TCP sockets the container's processes listen on (IPv4 and IPv6)."""
    found: set[Listener] = set()
    for pid in task.host_pids(container):
        inodes = _socket_inodes(pid)
        for table in ("tcp", "tcp6"):
            for line in _read(PROC / str(pid) / "net" / table).splitlines()[1:]:
                parts = line.split()
                if len(parts) > 9 and parts[3] == TCP_LISTEN and parts[9] in inodes:
                    address, port = _decode(parts[1])
                    found.add(Listener(address, port))
    return sorted(found, key=lambda item: (item.port, item.address))


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    fd_dir = PROC / str(pid) / "fd"
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return inodes
    for entry in entries:
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _decode(hex_address: str) -> tuple[str, int]:
    """/proc/net/tcp's `0100007F:1F40` (little-endian words) as ('127.0.0.1', 8000)."""
    address, port = hex_address.split(":")
    raw = bytes.fromhex(address)
    # Each 32-bit word is in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words)), int(port, 16)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
