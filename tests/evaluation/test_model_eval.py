"""make evaluate's code: the served model's answers per triplet, and the script on a small slice of LFW."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from evaluation import lfw
from evaluation.crops import CropSet
from evaluation.model_eval import BATCH, served_distances
from service.config import DEFAULT_MODEL
from service.inference import Array
from service.paths import REPO_ROOT as REPO

KEYS = ["a", "b", "c", "gone"]


def chips() -> CropSet:
    """Four one-pixel 'chips' whose value is their place; 'gone' had no face found."""
    pixels = np.arange(4, dtype=np.uint8).reshape(4, 1, 1, 1).repeat(3, axis=3)
    found = np.array([True, True, True, False])
    return CropSet(KEYS, pixels, found, np.zeros(4, bool), np.zeros(4, np.float32))


def served(calls: list[int]) -> object:
    """A stand-in for the served model: |anchor - candidate| per row, recording batch sizes."""

    def distances(inputs: list[Array]) -> np.ndarray:
        anchor, first, second = (np.asarray(x, np.float64)[:, 0, 0, 0] for x in inputs)
        calls.append(len(anchor))
        return np.stack([abs(anchor - first), abs(anchor - second)], axis=1)

    return distances


def test_the_served_model_answers_each_triplet_and_a_missing_face_has_no_answer() -> None:
    calls: list[int] = []
    judge = served_distances(served(calls), chips())  # type: ignore[arg-type]
    out = judge(["a", "c", "gone", "b"], ["b", "gone", "a", "c"], ["c", "a", "b", "gone"])
    assert out[0].tolist() == [1.0, 2.0]
    assert np.isnan(out[1, 0]) and out[1, 1] == 2.0  # the other candidate is still answered
    assert np.isnan(out[2]).all()  # no anchor: the service answers 422, nothing is asked
    assert out[3, 0] == 1.0 and np.isnan(out[3, 1])
    assert calls == [3]


def test_the_served_model_is_asked_in_batches() -> None:
    calls: list[int] = []
    judge = served_distances(served(calls), chips())  # type: ignore[arg-type]
    n = 2 * BATCH + 1
    out = judge(["a"] * n, ["b"] * n, ["c"] * n)
    assert calls == [BATCH, BATCH, 1] and (out == [1.0, 2.0]).all()


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


@pytest.mark.slow
@pytest.mark.model
def test_every_fold_is_scored_for_ours_and_for_dlibs_pipeline(evaluation: dict) -> None:  # type: ignore[type-arg]
    for row in ("ours", "reference"):
        summary = evaluation[row]["summary"]
        assert summary["folds"] == 10 and summary["pairs"] == 40 and summary["triplets"] == 20
        assert 0.0 <= summary["accuracy"]["mean"] <= 1.0
        assert {"tar_at_far_0.1pct", "tar_at_far_1pct"} <= set(summary["pooled"])
    assert [r["fold"] for r in evaluation["ours"]["folds"]] == list(range(1, 11))


@pytest.mark.slow
@pytest.mark.model
def test_the_results_name_the_model_and_the_data_relative_to_the_repository(
    evaluation: dict,
) -> None:  # type: ignore[type-arg]
    assert evaluation["model"]["name"] == "facesim-resnet"
    assert evaluation["model"]["file"] == f"models/{DEFAULT_MODEL.name}"
    assert evaluation["data"]["path"] == "../shared/data/lfw"


@pytest.mark.slow
@pytest.mark.model
def test_calibration_detection_no_face_and_timing_are_reported(evaluation: dict) -> None:  # type: ignore[type-arg]
    assert evaluation["calibration"]["fit"]["slope"] < 0
    assert evaluation["detection"]["images"] >= 40
    assert evaluation["no_face_set"]["pictures"] >= 30
    assert evaluation["no_face_set"]["accepted"] == []
    assert evaluation["timing"]["forward_3_faces_ms"] > 0
    assert evaluation["timing"]["dlib_descriptor_3_faces_ms"] > 0
    assert "dlib's HOG found no face (either photo)" in evaluation["slices"]
