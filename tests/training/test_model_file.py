"""The committed models: each loads in a fresh process as the service loads it and matches its manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.checksums import sha256_of
from service.manifest import ModelManifest
from service.paths import REPO_ROOT as REPO
from training import manifest

COMMITTED = sorted((REPO / "models").glob("*.h5"))

PROBE = """
import json, sys
import keras
import numpy as np
model = keras.models.load_model(sys.argv[1], compile=False)
shape = [int(v) for v in model.inputs[0].shape[1:]]
x = np.random.default_rng(0).uniform(0, 255, (2, *shape)).astype("float32")
d1, d2 = model.predict([x, x, x[::-1]], verbose=0)
print(json.dumps({
    "inputs": [i.name for i in model.inputs], "shape": shape,
    "d_same": np.ravel(d1).tolist(), "d_other": np.ravel(d2).tolist(),
    "layers": sorted({type(layer).__name__ for layer in model._flatten_layers()}),
}))
"""


def test_both_models_are_committed_and_the_default_is_the_resnet(bundled_model: Path) -> None:
    assert [p.name for p in COMMITTED] == [
        "facesim-lfw-1.2.0.h5",
        "facesim-resnet-2.0.0.h5",
        "facesim-resnet-2.0.1.h5",
    ]
    assert bundled_model.name == "facesim-resnet-2.0.1.h5"


@pytest.mark.slow
@pytest.mark.parametrize("model_path", COMMITTED, ids=lambda p: p.stem)
def test_committed_model_loads_fresh_and_matches_its_manifest(model_path: Path) -> None:
    meta = manifest.read_manifest(model_path.with_suffix(".json"))
    parsed = ModelManifest.model_validate(meta)  # what the service reads, recipe included
    assert meta["sha256"] == sha256_of(model_path)
    assert model_path.stat().st_size <= 30 * 1024 * 1024
    assert f"{parsed.name}-{parsed.version}.h5" == model_path.name
    assert meta["metrics"]["accuracy_mean"] > 0.5

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(model_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["inputs"] == ["anchor", "img1", "img2"]
    assert probe["shape"] == meta["input_shape"]
    assert max(probe["d_same"]) < 1e-4  # an image is at distance 0 from itself
    assert all(d >= -1e-6 for d in probe["d_other"]) and max(probe["d_other"]) > 1e-3
    assert "Lambda" not in probe["layers"]
