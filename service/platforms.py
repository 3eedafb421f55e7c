"""Which machines `make run` and `make test` install on, checked before pip is asked.

pip's own answer on an unsupported machine is "from versions: none", which names no cause. The
table below is what PyPI publishes for the pinned wheels (pip download --only-binary=:all:
--platform ... --python-version 3.11, December 2026; docs/PLATFORMS.md). Standard library only:
this runs on the system Python, before the virtual environment exists.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
from dataclasses import dataclass

# Every pinned wheel exists for these; 3.11 is the one the suite and the image run on.
PYTHONS = ((3, 11), (3, 12), (3, 13))
# (sys.platform, machine) -> the TensorFlow package requirements.txt selects there.
SUPPORTED = {
    ("linux", "x86_64"): "tensorflow-cpu",
    ("linux", "aarch64"): "tensorflow",
    ("darwin", "arm64"): "tensorflow",
}
# The oldest macOS each pinned arm64 wheel supports; the newest of them is what we need.
MACOS_ARM64_MIN = {"tensorflow 2.21.0": (12, 0), "dlib-bin 20.0.1.post1": (14, 0)}
WHY_NOT = {
    ("darwin", "x86_64"): "macOS on Intel: TensorFlow 2.21 and dlib-bin publish no wheel for it "
    "(TensorFlow's last was 2.16.2)",
    ("win32", "AMD64"): "Windows: the Makefile and the tests need a POSIX shell; use WSL 2 "
    "(Ubuntu or Debian), which is Linux x86-64",
}


@dataclass(frozen=True)
class Machine:
    """What decides which wheels exist: OS, CPU, macOS release and the Python version."""

    system: str  # sys.platform
    machine: str  # platform.machine()
    python: tuple[int, int]
    macos: tuple[int, int] | None = None
    # Debian and Ubuntu split ensurepip off into python3-venv; without it no venv gets pip.
    ensurepip: bool = True


def this_machine() -> Machine:
    """The machine this Python runs on."""
    release = platform.mac_ver()[0] if sys.platform == "darwin" else ""
    parts = [int(p) for p in [*release.split("."), "0"][:2]] if release else None
    macos = (parts[0], parts[1]) if parts else None
    return Machine(
        sys.platform,
        platform.machine(),
        (sys.version_info.major, sys.version_info.minor),
        macos,
        ensurepip=importlib.util.find_spec("ensurepip") is not None,
    )


def problems(machine: Machine) -> list[str]:
    """Why the pinned dependencies will not install here; empty when they will."""
    found = []
    key = (machine.system, machine.machine)
    if key not in SUPPORTED:
        reason = WHY_NOT.get(key, f"{machine.system} on {machine.machine}: no tested wheels")
        found.append(
            f"unsupported platform: {reason}. Supported: Linux x86-64, Linux arm64 (aarch64), "
            "macOS 14+ on Apple silicon. Docker or Podman (linux/amd64) runs anywhere."
        )
    if key == ("darwin", "arm64"):
        needed = max(MACOS_ARM64_MIN.values())
        if machine.macos is not None and machine.macos < needed:
            which = [name for name, v in MACOS_ARM64_MIN.items() if v == needed]
            found.append(
                f"macOS {machine.macos[0]}.{machine.macos[1]} is too old: "
                f"{', '.join(which)} needs macOS {needed[0]} or newer"
            )
    if machine.python not in PYTHONS:
        shown = ", ".join(f"{a}.{b}" for a, b in PYTHONS)
        found.append(
            f"Python {machine.python[0]}.{machine.python[1]} is not supported: the pinned wheels "
            f"exist for Python {shown} (3.11 is tested). Run with PYTHON=python3.11 make ..."
        )
    if not machine.ensurepip:
        found.append(
            f"this Python ({sys.executable}) has no ensurepip, so `python -m venv` cannot give the "
            "venv pip. On Debian/Ubuntu: sudo apt-get install python3-venv; then run make again"
        )
    return found
