"""The Keras port computes dlib's own descriptor: the proof that the port is exact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dlib_port.dat_network import DlibNetwork
from dlib_port.files import LANDMARKS_FILE, RESNET_FILE, package_models_dir
from dlib_port.keras_resnet import build_descriptor_model
from service.images import ImageLimits, decode_image

TOLERANCE = 1e-4  # per component, as the issue asks
LIMITS = ImageLimits(8 << 20, 40_000_000)


@pytest.fixture(scope="module")
def dlib_net() -> object:
    import dlib

    return dlib.face_recognition_model_v1(str(package_models_dir() / RESNET_FILE))


@pytest.fixture(scope="module")
def chips(lfw_sample: dict[str, bytes]) -> np.ndarray:
    """Aligned 150x150 chips: LFW faces cut by dlib itself, plus synthetic images of every kind."""
    import dlib

    hog = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(package_models_dir() / LANDMARKS_FILE))
    out = []
    for data in lfw_sample.values():
        image = decode_image(data, field="x", limits=LIMITS)
        found = hog(image, 1)
        if found:
            out.append(
                dlib.get_face_chip(image, predictor(image, found[0]), size=150, padding=0.25)
            )
    assert len(out) >= 40, "dlib finds the face in almost every LFW image"
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 255, 150, dtype=np.float32)
    synthetic = [
        rng.integers(0, 256, (150, 150, 3)),
        rng.integers(0, 256, (150, 150, 3)),
        np.zeros((150, 150, 3)),
        np.full((150, 150, 3), 255),
        np.stack([*np.meshgrid(ramp, ramp), ramp[::-1, None] * np.ones((1, 150))], axis=2),
        (np.indices((150, 150)).sum(axis=0) % 2 * 255)[:, :, None].repeat(3, axis=2),
        np.clip(out[0].astype(np.float32) * 1.6, 0, 255),  # overexposed face
        out[1] // 3,  # dark face
        out[2][:, ::-1],  # mirrored face
        np.repeat(out[3].mean(axis=2, keepdims=True), 3, axis=2),  # greyscale face
        np.roll(out[4], 20, axis=1),  # shifted face
        rng.normal(128, 40, (150, 150, 3)).clip(0, 255),
    ]
    out += [np.asarray(s, dtype=np.uint8) for s in synthetic]
    return np.ascontiguousarray(np.stack(out))


def test_at_least_fifty_chips_match_dlibs_descriptor(
    network: DlibNetwork, dlib_net: object, chips: np.ndarray
) -> None:
    model = build_descriptor_model(network)
    ours = np.asarray(model(chips.astype(np.float32), training=False))
    theirs = np.stack(
        [np.asarray(dlib_net.compute_face_descriptor(c)) for c in chips]  # type: ignore[attr-defined]
    )
    assert len(chips) >= 50
    worst = np.abs(ours - theirs).max()
    assert worst <= TOLERANCE, f"max |difference| {worst:.2e}"
    # Not a trivial agreement: the descriptors differ between faces and are not normalised.
    norms = np.linalg.norm(theirs, axis=1)
    assert norms.min() > 0.3 and np.ptp(norms) > 0.05


def test_a_reader_that_lost_a_layer_is_a_clear_error(network: DlibNetwork) -> None:
    shifted = dataclasses.replace(network, layers=network.layers[:5] + network.layers[6:])
    with pytest.raises(ValueError, match=r"level0_block0.*expected"):
        build_descriptor_model(shifted)


def test_the_layers_are_named_for_where_they_sit(network: DlibNetwork) -> None:
    names = [layer.name for layer in build_descriptor_model(network).layers]
    assert names[:4] == ["chip", "stem_conv", "stem_relu", "stem_pool"]
    assert "level1_block0_skip" in names and "level4_block0_pad" in names
    assert names[-2:] == ["global_mean", "descriptor"]
