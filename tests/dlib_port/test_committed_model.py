"""The committed release loads in a fresh process as the service loads it and matches its manifest."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dlib_port import release
from service.checksums import sha256_of
from service.config import DEFAULT_MODEL
from service.kinds.face.manifest import read_face_manifest
from service.paths import REPO_ROOT as REPO

H5, MANIFEST = release.model_paths(REPO / "models")

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


def test_the_release_is_the_bundled_models_network() -> None:
    """make port builds 2.0.0; the bundled 2.0.2 is the same .h5, recalibrated and with a minimum face."""
    assert H5.is_file() and MANIFEST.is_file()
    assert sha256_of(DEFAULT_MODEL) == sha256_of(H5)


@pytest.mark.slow
def test_the_committed_model_loads_fresh_and_matches_its_manifest() -> None:
    meta = json.loads(MANIFEST.read_text())
    parsed = read_face_manifest(MANIFEST)  # what the service reads, recipe included
    assert meta["sha256"] == sha256_of(H5)
    assert H5.stat().st_size <= 30 * 1024 * 1024
    assert f"{parsed.name}-{parsed.version}.h5" == H5.name
    assert meta["metrics"]["accuracy_mean"] > 0.5

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(H5)],
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
