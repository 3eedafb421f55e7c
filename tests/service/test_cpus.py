"""Thread pools (TensorFlow, image decoding) follow the CPUs the container may use, not the host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service.cpus import available_cpus, cgroup_cpu_quota


def test_cgroup_v2_quota_in_cpus(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_quota(tmp_path) == 1.5


def test_cgroup_v2_unlimited(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_quota(tmp_path) == 0.5


def test_cgroup_v1_unlimited_or_absent(tmp_path: Path) -> None:
    assert cgroup_cpu_quota(tmp_path) is None
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_quota(tmp_path) is None


def test_without_an_affinity_call_all_cpus_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS: no sched_getaffinity, no cgroups."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 10)
    assert available_cpus(tmp_path) == 10


def test_available_cpus_is_capped_by_the_quota(tmp_path: Path) -> None:
    visible = len(os.sched_getaffinity(0))
    assert available_cpus(tmp_path) == visible
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU still gets one thread
    assert available_cpus(tmp_path) == 1
    (tmp_path / "cpu.max").write_text(f"{(visible + 8) * 100000} 100000\n")
    assert available_cpus(tmp_path) == visible
