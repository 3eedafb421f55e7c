"""The platform check and requirements.txt's markers agree on where facesim installs."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from service.paths import REPO_ROOT as REPO
from service.platforms import SUPPORTED, Machine, problems, this_machine
from tests.support.make_plan import make_plan

MACHINES = {
    ("linux", "x86_64"): {"platform_system": "Linux"},
    ("linux", "aarch64"): {"platform_system": "Linux"},
    ("darwin", "arm64"): {"platform_system": "Darwin"},
}


def requirements() -> list[Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("key", sorted(SUPPORTED))
def test_each_supported_platform_gets_exactly_its_tensorflow(key: tuple[str, str]) -> None:
    env = {
        **default_environment(),
        "sys_platform": key[0],
        "platform_machine": key[1],
        **MACHINES[key],
    }
    chosen = [
        r.name for r in requirements() if r.name.startswith("tensorflow") and r.marker.evaluate(env)
    ]
    assert chosen == [SUPPORTED[key]]


@pytest.mark.parametrize("key", sorted(SUPPORTED))
def test_supported_platforms_pass(key: tuple[str, str]) -> None:
    assert (
        problems(Machine(*key, python=(3, 11), macos=(14, 5) if key[0] == "darwin" else None)) == []
    )


def test_this_machine_passes() -> None:
    assert problems(this_machine()) == []


@pytest.mark.parametrize(
    ("machine", "says"),
    [
        (Machine("darwin", "x86_64", (3, 11), (15, 0)), "macOS on Intel"),
        (Machine("darwin", "arm64", (3, 11), (13, 6)), "needs macOS 14"),
        (Machine("linux", "x86_64", (3, 10)), "Python 3.10 is not supported"),
        (Machine("linux", "x86_64", (3, 14)), "Python 3.14 is not supported"),
        (Machine("win32", "AMD64", (3, 11)), "WSL 2"),
        (Machine("linux", "riscv64", (3, 11)), "unsupported platform"),
        (Machine("linux", "x86_64", (3, 11), ensurepip=False), "apt-get install python3-venv"),
    ],
)
def test_unsupported_machines_are_named_with_the_reason(machine: Machine, says: str) -> None:
    found = problems(machine)
    assert len(found) == 1 and says in found[0], found


def test_the_platform_is_checked_before_the_venv_is_made(tmp_path: Path) -> None:
    plan = make_plan(f"{tmp_path}/venv/bin/python", f"VENV={tmp_path}/venv")
    assert "check_platform.py" in plan[0] and "make_venv.py" in plan[1], plan
