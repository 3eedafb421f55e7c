"""The committed model: loads in a fresh process as the service loads it and matches its manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.haar_crop import HaarRecipe
from training import manifest

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


@pytest.mark.slow
def test_bundled_model_loads_fresh_and_matches_its_manifest(bundled_model: Path) -> None:
    meta = manifest.read_manifest(bundled_model.with_suffix(".json"))
    assert meta["sha256"] == manifest.sha256_file(bundled_model)
    assert bundled_model.stat().st_size <= 20 * 1024 * 1024
    assert (meta["name"], meta["version"], meta["distance"]) == ("facesim-lfw", "1.2.0", "cosine")
    HaarRecipe(**meta["crop"])  # the service can rebuild the recipe
    assert 0.0 < meta["threshold"] < 2.0
    assert meta["metrics"]["accuracy_mean"] > 0.5 and meta["metrics"]["triplets"] > 0

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(bundled_model)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["inputs"] == ["anchor", "img1", "img2"]
    assert probe["shape"] == meta["input_shape"]
    assert max(probe["d_same"]) < 1e-4  # an image is at distance 0 from itself
    assert all(-1e-6 <= d <= 2.0 + 1e-6 for d in probe["d_other"])
    assert "Lambda" not in probe["layers"]
