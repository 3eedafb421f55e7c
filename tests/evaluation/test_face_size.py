"""The face-size sweep's judging: the service's verdicts, the rates it reports, the minimum it picks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluation import degrade, face_size_report, plots
from evaluation.face_size import Sweep
from evaluation.lfw import Pair
from service.kinds.face.manifest import read_face_manifest
from service.paths import REPO_ROOT as REPO

MANIFEST = read_face_manifest(REPO / "models" / "facesim-resnet-2.0.2.json")
T = MANIFEST.threshold
SIZES = (40, 60, 80, 100)
CONDITIONS = degrade.conditions(SIZES, (15,), ())


def pairs(n: int) -> list[Pair]:
    """n same then n different pairs (names are never read)."""
    same = [Pair(f"p{i}", 1, f"p{i}", 2, True, i % 10) for i in range(n)]
    diff = [Pair(f"q{i}", 1, f"r{i}", 1, False, i % 10) for i in range(n)]
    return same + diff


def sweep(confident_wrong_at: dict[int, int], n: int = 50) -> Sweep:
    """Right, clear answers everywhere, except `k` different pairs at 0.3 (confidently 'same') per size."""
    good = np.concatenate([np.full(n, 0.3), np.full(n, 0.9)])
    rows, widths = [], []
    for condition in CONDITIONS:
        d = good.copy()
        if condition.kind == "size":
            d[n : n + confident_wrong_at.get(condition.value, 0)] = 0.3
        rows.append(d)
        width = condition.value if condition.kind == "size" else 100
        widths.append(np.full(2 * n, width))
    both = np.array(rows)
    w = np.array(widths, dtype=np.int64)
    return Sweep(CONDITIONS, pairs(n), both, both.copy(), w, w.copy(), "abc1234")


def test_a_different_pair_at_a_small_distance_is_a_confident_false_same() -> None:
    rows = face_size_report.condition_rows(sweep({40: 5}), MANIFEST, None)
    by_name = {r["condition"]: r for r in rows}
    assert by_name["40 px"]["one"]["confident_false_same_pairs"] == 5
    assert by_name["40 px"]["one"]["confident_false_same"] == pytest.approx(5 / 50)
    assert by_name["40 px"]["both"]["accuracy"] == pytest.approx(95 / 100)
    assert by_name["original"]["one"]["confident_false_same"] == 0.0
    assert by_name["original"]["one"]["accuracy"] == 1.0


def test_a_false_same_near_the_threshold_is_not_counted_as_confident() -> None:
    s = sweep({})
    s.both[1, 50:53] = T - 0.001  # 'same', but at a probability just over one half
    rows = face_size_report.condition_rows(s, MANIFEST, None)
    assert rows[1]["both"]["false_same"] == pytest.approx(3 / 50)
    assert rows[1]["both"]["confident_false_same"] == 0.0


def test_the_gate_refuses_narrow_faces_and_they_count_as_unanswered() -> None:
    rows = face_size_report.condition_rows(sweep({40: 5}), MANIFEST, 60)
    at40 = next(r for r in rows if r["condition"] == "40 px")["one"]
    assert at40["refused_too_small"] == 1.0 and at40["answered"] == 0.0
    assert at40["confident_false_same"] == 0.0 and at40["accuracy"] == 0.0
    at60 = next(r for r in rows if r["condition"] == "60 px")["one"]
    assert at60["answered"] == 1.0


def test_the_minimum_is_the_smallest_size_whose_gate_removes_the_confident_errors() -> None:
    assert face_size_report.choose_minimum(sweep({40: 5, 60: 2}), MANIFEST) == 80
    assert face_size_report.choose_minimum(sweep({40: 5}), MANIFEST) == 60
    assert face_size_report.choose_minimum(sweep({}), MANIFEST) == 40


def test_a_face_found_but_accuracy_falling_also_raises_the_minimum() -> None:
    s = sweep({})
    s.both[2, :10] = 0.9  # 60 px: ten same-person pairs missed (not confident false 'same')
    assert face_size_report.choose_minimum(s, MANIFEST) == 80


def test_the_report_and_its_plot_are_written(tmp_path: Path) -> None:
    report = face_size_report.report(
        sweep({40: 5}), MANIFEST, model_file=REPO / "models" / "x.h5", data=REPO / "data"
    )
    assert report["chosen_min_face_px"] == 60 and report["commit"] == "abc1234"
    assert report["model"]["file"] == "models/x.h5"
    out = tmp_path / "face_size.json"
    face_size_report.write(report, out)
    assert json.loads(out.read_text())["chosen_min_face_px"] == 60
    png = out.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert plots.DPI > 0
