"""The served network: exact flip TTA from standard layers, no Lambda, HDF5 round trip."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from training import network, whitening  # noqa: E402


@pytest.fixture(scope="module")
def tiny_embedding() -> keras.Model:
    """A very small embedding net."""
    keras.utils.set_random_seed(0)
    return network.build_embedding(network.NetConfig((24, 20, 3), (4, 8), (1, 1), 8, 0.0))


def test_flip_layer_is_an_exact_mirror() -> None:
    flip = network.horizontal_flip((6, 5, 3), "hflip_test")
    x = np.random.default_rng(1).uniform(0, 255, (2, 6, 5, 3)).astype(np.float32)
    assert np.array_equal(flip.predict(x, verbose=0), x[:, :, ::-1, :])


def test_siamese_matches_numpy_embedding_path_and_round_trips_through_h5(
    tiny_embedding: keras.Model, tmp_path: Path
) -> None:
    model = network.build_siamese(tiny_embedding, flip_tta=True)
    path = tmp_path / "m.h5"
    network.save_model(model, path)
    with h5py.File(path) as handle:
        config = json.dumps(json.loads(handle.attrs["model_config"]))
    assert '"Lambda"' not in config
    reloaded = network.load_model(path)
    x = np.random.default_rng(2).integers(0, 256, (3, 24, 20, 3)).astype(np.uint8)
    vectors = network.embed_images(tiny_embedding, x)
    expected = 1.0 - vectors[0] @ vectors[1:].T
    d1, d2 = reloaded.predict(
        [x[[0, 0]].astype(np.float32), x[1:].astype(np.float32), x[1:].astype(np.float32)],
        verbose=0,
    )
    assert d1.shape == (2, 1)
    assert np.allclose(d1.ravel(), expected, atol=1e-5)
    assert np.allclose(d2.ravel(), expected, atol=1e-5)


def test_whitening_is_saved_inside_the_model_and_matches_the_numpy_path(
    tiny_embedding: keras.Model, tmp_path: Path
) -> None:
    rng = np.random.default_rng(4)
    train = rng.integers(0, 256, (12, 24, 20, 3)).astype(np.uint8)
    fitted = whitening.fit(
        network.embed_images(tiny_embedding, train), np.repeat(np.arange(4), 3), shrink=0.5
    )
    path = tmp_path / "w.h5"
    model = network.build_siamese(tiny_embedding, whitening=fitted)
    assert model.get_layer("wccn").trainable is False
    network.save_model(model, path)
    reloaded = network.load_model(path)
    x = rng.integers(0, 256, (3, 24, 20, 3)).astype(np.uint8)
    vectors = network.embed_images(tiny_embedding, x, whitening=fitted)
    plain = network.embed_images(tiny_embedding, x)
    expected = 1.0 - vectors[0] @ vectors[1:].T
    assert not np.allclose(expected, 1.0 - plain[0] @ plain[1:].T, atol=1e-3)
    d1, _ = reloaded.predict(
        [x[[0, 0]].astype(np.float32), x[1:].astype(np.float32), x[1:].astype(np.float32)],
        verbose=0,
    )
    assert np.allclose(d1.ravel(), expected, atol=1e-5)


def test_forward_latency_is_measured_in_milliseconds(tiny_embedding: keras.Model) -> None:
    latency = network.forward_latency_ms(network.build_siamese(tiny_embedding), repeats=3)
    assert 0.0 < latency < 10_000.0
