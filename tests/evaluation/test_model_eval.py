"""make evaluate's code on a small slice of LFW: the same script, the same JSON, in about a minute."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evaluation import lfw
from service.paths import REPO_ROOT as REPO

pytestmark = [pytest.mark.slow, pytest.mark.model]


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    cache = tmp_path_factory.mktemp("cache")
    extracted = lfw.DEFAULT_CACHE / "lfw" / lfw.IMAGES_DIRNAME
    if extracted.is_dir():  # reuse an extracted copy instead of unpacking 13k files again
        (cache / "lfw").mkdir()
        (cache / "lfw" / lfw.IMAGES_DIRNAME).symlink_to(extracted)
    out = tmp_path_factory.mktemp("eval") / "eval.json"
    done = subprocess.run(
        [
            sys.executable, "scripts/evaluate.py", "--pairs-per-fold", "2",
            "--images-per-person", "2", "--cache", str(cache), "--out", str(out),
            "--no-attach", "--workers", "2",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_every_fold_is_scored_for_ours_and_for_dlibs_pipeline(evaluation: dict) -> None:  # type: ignore[type-arg]
    for row in ("ours", "reference"):
        summary = evaluation[row]["summary"]
        assert summary["folds"] == 10 and summary["pairs"] == 40 and summary["triplets"] == 20
        assert 0.0 <= summary["accuracy"]["mean"] <= 1.0
        assert {"tar_at_far_0.1pct", "tar_at_far_1pct"} <= set(summary["pooled"])
    assert [r["fold"] for r in evaluation["ours"]["folds"]] == list(range(1, 11))


def test_the_results_name_the_model_and_the_data_relative_to_the_repository(
    evaluation: dict,
) -> None:  # type: ignore[type-arg]
    assert evaluation["model"]["name"] == "facesim-resnet"
    assert evaluation["model"]["file"] == "models/facesim-resnet-2.0.0.h5"
    assert evaluation["data"]["path"] == "../shared/data/lfw"


def test_calibration_detection_no_face_trials_and_timing_are_reported(evaluation: dict) -> None:  # type: ignore[type-arg]
    assert evaluation["calibration"]["fit"]["slope"] < 0
    assert evaluation["detection"]["images"] >= 40
    assert evaluation["no_face_set"]["pictures"] >= 30
    assert evaluation["no_face_set"]["accepted"] == []
    assert evaluation["timing"]["forward_3_faces_ms"] > 0
    assert evaluation["timing"]["dlib_descriptor_3_faces_ms"] > 0
    assert "dlib's HOG found no face (either photo)" in evaluation["slices"]
