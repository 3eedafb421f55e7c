"""`scripts/bench.py --quick` end to end on the tiny model: it runs and writes every figure.

A benchmark is not a test: nothing here asserts a timing or a sentence, only that every figure
exists and is sane, the servers agree, and the report has every table.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.tables import TABLES
from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADLINE = (
    "ratio_p50_c1_vs_inprocess",
    "ratio_throughput_c16_vs_naive",
    "ratio_throughput_c16_vs_face_recognition",
    "ratio_p99_vs_p50_c16",
    "ready_seconds",
    "rss_mb_per_worker",
)


def sane(value: object) -> bool:
    """A positive, finite number."""
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_quick_bench_writes_every_figure(tiny_model: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "latest.json", tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [
            sys.executable, "scripts/bench.py", "--quick", "--no-bentoml",
            "--model", str(tiny_model), "--out", str(out), "--markdown", str(report),
            "--workdir", str(tmp_path / "work"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    for key in HEADLINE:
        assert sane(results[key]), (key, results[key])
    assert results["ratio_throughput_c16_vs_bentoml"] is None
    assert "bentoml" in results["skipped"]
    for name in ("facesim", "naive", "face_recognition"):
        for level in ("1", "16"):
            figures = results["servers"][name]["levels"][level]
            assert figures["error_count"] == 0, (name, level, figures["errors"])
            for key in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps", "server_cpu_cores"):
                assert sane(figures[key]), (name, level, key, figures[key])
    assert results["servers"]["facesim"]["distances"] == pytest.approx(
        results["servers"]["naive"]["distances"], abs=1e-4
    )
    # dlib's own pipeline answers the same question about the same three photos.
    assert results["servers"]["face_recognition"]["most_similar"] == "img1"
    for key in ("forward_b1", "pipeline", "predict_b1", "detect_3", "detect_3_single_pass"):
        assert sane(results["inprocess"][key]["p50_ms"])
    assert set(results["inprocess"]["gc_pause_ms"]) == {"live", "frozen"}
    phases = results["startup"]["median_run"]
    for phase in ("download_s", "import_s", "load_s", "warmup_s", "ready_s"):
        assert sane(phases[phase]), (phase, phases)
    # The report: every table the bench writes, each a filled Markdown table.
    blocks = dict(
        re.findall(
            r"<!-- bench:table (\w+) -->\n(.*?)<!-- /bench:table -->", report.read_text(), re.S
        )
    )
    assert set(blocks) == set(TABLES)
    for name in ("targets", "servers", "limit", "startup", "sizing", "history", "machine"):
        assert blocks[name].startswith("| "), (name, blocks[name])
