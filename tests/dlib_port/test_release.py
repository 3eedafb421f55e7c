"""The committed facesim-resnet .h5 is what our port builds from the package, and says where it came from."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dlib_port import release
from dlib_port.dat_network import DlibNetwork
from dlib_port.files import RESNET_FILE, package_models_dir
from dlib_port.keras_resnet import build_descriptor_model
from dlib_port.siamese import build_siamese, descriptor_of, embed
from service.checksums import sha256_of
from service.paths import REPO_ROOT as REPO

H5, MANIFEST = release.model_paths(REPO / "models")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def committed() -> object:
    import keras

    return keras.models.load_model(H5, compile=False)


def test_the_committed_weights_are_the_ported_weights(
    committed: object, network: DlibNetwork
) -> None:
    meta = json.loads(MANIFEST.read_text())
    rebuilt = build_siamese(
        build_descriptor_model(network), mirror_average=meta["network"]["mirror_average"]
    )
    ours = rebuilt.get_weights()
    theirs = committed.get_weights()  # type: ignore[attr-defined]
    assert len(ours) == len(theirs)
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_the_embedding_is_the_mirror_average_of_the_descriptor(committed: object) -> None:
    descriptor = descriptor_of(committed)  # type: ignore[arg-type]
    chips = np.random.default_rng(3).uniform(0, 255, (4, 150, 150, 3)).astype(np.float32)
    expected = (np.asarray(descriptor(chips)) + np.asarray(descriptor(chips[:, :, ::-1]))) / 2
    # batch=1: the two triplets the four chips fill (the last padded) run as two groups, whose
    # rows must come back to their own chips.
    assert np.abs(embed(committed, chips, batch=1) - expected).max() < 1e-6  # type: ignore[arg-type]


def test_the_served_distance_is_the_euclidean_distance_of_embeddings(committed: object) -> None:
    x = np.random.default_rng(4).uniform(0, 255, (3, 2, 150, 150, 3)).astype(np.float32)
    out = np.concatenate([np.asarray(o) for o in committed([x[0], x[1], x[2]])], axis=1)  # type: ignore[operator]
    e = [embed(committed, v) for v in x]  # type: ignore[arg-type]
    expected = np.stack(
        [np.linalg.norm(e[0] - e[1], axis=1), np.linalg.norm(e[0] - e[2], axis=1)], 1
    )
    assert np.abs(out - expected).max() < 1e-5


def test_the_manifest_records_the_source_the_recipe_files_and_the_file_itself() -> None:
    meta = json.loads(MANIFEST.read_text())
    assert meta["sha256"] == sha256_of(H5)
    source = meta["source"]
    assert (source["package"], source["package_version"], source["file"]) == (
        "face-recognition-models",
        "0.3.0",
        RESNET_FILE,
    )
    assert source["sha256"] == sha256_of(package_models_dir() / RESNET_FILE)
    assert "CC0" in source["licence"]
    for ref in (meta["crop"]["landmark_model"], meta["crop"]["cnn_detector"]):
        assert sha256_of(REPO / "models" / "dlib" / ref["file"]) == ref["sha256"]
    assert meta["distance"] == "euclidean" and meta["input_shape"] == [150, 150, 3]
    assert meta["calibration"]["slope"] < 0
