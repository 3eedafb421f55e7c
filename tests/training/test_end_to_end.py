"""evaluate.py then train.py on a few LFW people; the result loads as the service loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.checksums import sha256_of
from service.paths import REPO_ROOT as REPO
from tests.support import needs
from training import lfw, manifest

TINY = [
    "--pairs-per-fold",
    "3",
    "--images-per-person",
    "3",
    "--epochs",
    "2",
    "--size",
    "32",
    "--threads",
    "2",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """A script in a fresh process, failing the test with its output when it fails."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def lfw_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache; it reuses an already extracted LFW copy so the test does not unpack 13k files."""
    needs.lfw(lfw.DEFAULT_DATA)
    cache = tmp_path_factory.mktemp("cache")
    extracted = lfw.DEFAULT_CACHE / "lfw" / lfw.IMAGES_DIRNAME
    if extracted.is_dir():
        (cache / "lfw").mkdir()
        (cache / "lfw" / lfw.IMAGES_DIRNAME).symlink_to(extracted)
    return cache


@pytest.mark.slow
def test_tiny_evaluate_then_train_writes_a_loadable_model(lfw_cache: Path, tmp_path: Path) -> None:
    data = ["--data", str(lfw.DEFAULT_DATA), "--cache", str(lfw_cache)]
    shipped = {p.name: p.stat().st_mtime_ns for p in (REPO / "models").glob("*")}
    evaluation = tmp_path / "eval.json"
    run("scripts/evaluate_training.py", *data, *TINY, "--out", str(evaluation))
    results = json.loads(evaluation.read_text())
    assert results["summary"]["folds"] == 10
    assert results["summary"]["pairs"] == 60 and results["summary"]["triplets"] == 30
    assert {r["fold"] for r in results["folds"]} == set(range(1, 11))
    assert 0.0 <= results["summary"]["accuracy"]["mean"] <= 1.0
    assert "fallback crop (either)" in results["slices"]

    out = tmp_path / "models"
    run("scripts/train.py", *data, *TINY, "--evaluation", str(evaluation), "--out-dir", str(out))
    h5, manifest_path, log = manifest.model_paths(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "facesim-lfw-1.2.0.h5",
        "facesim-lfw-1.2.0.json",
        "facesim-lfw-1.2.0.train.log",
    ]
    meta = manifest.read_manifest(manifest_path)
    assert meta["sha256"] == sha256_of(h5)
    assert meta["input_shape"] == [32, 32, 3]
    assert meta["threshold"] == pytest.approx(results["shipped_threshold"], abs=1e-6)
    assert meta["metrics"]["accuracy_mean"] == results["summary"]["accuracy"]["mean"]
    assert "epoch 2/2" in log.read_text()
    assert {p.name: p.stat().st_mtime_ns for p in (REPO / "models").glob("*")} == shipped

    # A newer evaluation of the same procedure is attached without retraining.
    results["shipped_threshold"] = 0.4321
    results["protocol"] = "halves (rerun)"
    evaluation.write_text(json.dumps(results))
    weights = h5.read_bytes()
    run(
        "scripts/train.py",
        "--evaluation",
        str(evaluation),
        "--out-dir",
        str(out),
        "--reattach-evaluation",
    )
    again = manifest.read_manifest(manifest_path)
    assert (again["threshold"], again["metrics"]["protocol"]) == (0.4321, "halves (rerun)")
    assert h5.read_bytes() == weights and again["sha256"] == meta["sha256"]

    probe = (
        "import sys, keras, numpy as np\n"
        "m = keras.models.load_model(sys.argv[1], compile=False)\n"
        "assert [i.name for i in m.inputs] == ['anchor', 'img1', 'img2'], m.inputs\n"
        "x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype('float32')\n"
        "d1, d2 = m.predict([x, x, x[::-1]], verbose=0)\n"
        "assert d1.shape == (2, 1) and np.allclose(d1, 0, atol=1e-5), d1\n"
        "assert (d2 >= -1e-6).all() and (d2 <= 2 + 1e-6).all()\n"
        "print('ok')\n"
    )
    assert run("-c", probe, str(h5)).stdout.strip().endswith("ok")


@pytest.mark.slow
def test_tiny_ten_fold_evaluation_holds_out_every_fold_once(
    lfw_cache: Path, tmp_path: Path
) -> None:
    data = ["--data", str(lfw.DEFAULT_DATA), "--cache", str(lfw_cache)]
    tiny = [*TINY, "--epochs", "1"]
    evaluation = tmp_path / "eval.json"
    run(
        "scripts/evaluate_training.py",
        *data,
        *tiny,
        "--protocol",
        "ten-fold",
        "--out",
        str(evaluation),
    )
    results = json.loads(evaluation.read_text())
    assert results["protocol_name"] == "ten-fold" and len(results["runs"]) == 10
    assert sorted(f for r in results["runs"] for f in r["test_folds"]) == list(range(1, 11))
    for r in results["runs"]:
        assert len(r["train_folds"]) == 9 and not set(r["train_folds"]) & set(r["test_folds"])
    assert results["summary"]["folds"] == 10 and results["summary"]["pairs"] == 60
