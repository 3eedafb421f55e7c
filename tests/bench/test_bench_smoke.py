"""`scripts/bench.py --quick` end to end on the tiny models: it runs and writes every figure.

It sends what the full bench sends (three LFW photos, MNIST digits drawn as the page does): the data
sets are needed (a skip without them here, a failure under CI).

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
from typing import Any

import pytest

from bench.plot import FILE
from bench.tables import TABLES
from service.paths import REPO_ROOT as REPO
from tests.support import needs
from tests.support.tiny_model import write_image_model, write_tabular_model

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


@pytest.fixture(scope="module", autouse=True)
def data_sets() -> None:
    """LFW and the example data sets, which the bench's requests are made from."""
    needs.lfw()
    needs.example_data()


@pytest.fixture(scope="module")
def kind_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny stand-ins of the digits and census models."""
    folder = tmp_path_factory.mktemp("kinds")
    return {"image": write_image_model(folder), "tabular": write_tabular_model(folder)}


def bench(*args: str) -> None:
    """scripts/bench.py --quick with these arguments; fails the test with its output."""
    done = subprocess.run(
        [sys.executable, "scripts/bench.py", "--quick", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def assert_kind_measured(kind: dict[str, Any], requests: int) -> None:
    """Both servers answered every level without error, and both gave the same answers."""
    assert set(kind["servers"]) == {"ours", "naive"}
    assert len(kind["requests"]) == requests
    for name, server in kind["servers"].items():
        assert len(server["answers"]) == requests, name
        for level in ("1", "16"):
            figures = server["levels"][level]
            assert figures["error_count"] == 0, (name, level, figures["errors"])
            for key in ("p50_ms", "p99_ms", "throughput_rps", "server_cpu_cores"):
                assert sane(figures[key]), (name, level, key, figures[key])
    # Same model, same request, same preparation: the same label and probabilities.
    answers = kind["servers"]["ours"]["answers"], kind["servers"]["naive"]["answers"]
    for ours, naive in zip(*answers, strict=True):
        assert ours["label"] == naive["label"]
        assert ours["probabilities"] == pytest.approx(naive["probabilities"], abs=1e-5)
    assert sane(kind["ratio_throughput_c16_vs_naive"])


def test_quick_bench_writes_every_figure(
    tiny_model: Path, kind_models: dict[str, Path], tmp_path: Path
) -> None:
    out, report = tmp_path / "latest.json", tmp_path / "BENCHMARKS.md"
    bench(
        "--no-bentoml", "--model", str(tiny_model), "--out", str(out), "--markdown", str(report),
        "--workdir", str(tmp_path / "work"),
        "--image-model", str(kind_models["image"]), "--tabular-model", str(kind_models["tabular"]),
    )  # fmt: skip
    results = json.loads(out.read_text())
    for key in HEADLINE:
        assert sane(results[key]), (key, results[key])
    # The classifier kinds, in the same run: 10 digits, the example row and 7 spread rows.
    assert_kind_measured(results["kinds"]["image"], requests=10)
    assert_kind_measured(results["kinds"]["tabular"], requests=8)
    for name in ("image", "tabular"):
        key = f"ratio_throughput_c16_vs_naive_{name}"
        assert results[key] == results["kinds"][name]["ratio_throughput_c16_vs_naive"]
        assert results["targets"][key]["value"] == results[key]
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
    # The same faces as phone photos, sent to the same servers in the same run.
    for name, levels in (
        ("facesim", ("1", "16")),
        ("naive", ("1",)),
        ("face_recognition", ("1",)),
    ):
        assert list(results["phone_servers"][name]["levels"]) == list(levels), name
        for level in levels:
            figures = results["phone_servers"][name]["levels"][level]
            assert figures["error_count"] == 0 and sane(figures["throughput_rps"]), (name, level)
    for key in ("phone_ratio_p50_c1_vs_inprocess", "phone_ratio_throughput_c16_vs_face_recognition",
                "limit_fraction_small", "limit_fraction_phone"):  # fmt: skip
        assert sane(results[key]) and results["targets"][key]["value"] == results[key], key
    assert results["phone_same_winner"] in (0.0, 1.0) and results["phone_max_distance_change"] >= 0
    assert sane(results["inprocess"]["phone_pipeline"]["p50_ms"])
    # Not measured in a quick run (no 64 clients, no BentoML): said, not guessed.
    for key in ("overload_ratio_throughput_c64_vs_c16_small", "min_ratio_vs_bentoml_p50_phone"):
        assert results[key] is None and results["targets"][key]["met"] is None, key
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
    for name in (
        "targets",
        "servers",
        "phone",
        "kinds",
        "limit",
        "startup",
        "sizing",
        "history",
        "machine",
    ):
        assert blocks[name].startswith("| "), (name, blocks[name])
    # ...and the plot beside it, drawn from the same results.
    assert (tmp_path / FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
