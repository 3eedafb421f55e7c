"""Wrap the ported descriptor network into the served three-input siamese (README: model contract).

anchor, img1, img2 (150x150 RGB chips, 0..255) -> [d(anchor, img1), d(anchor, img2)], where d is the
Euclidean distance between dlib descriptors, the distance the network was trained for (dlib's
loss_metric_ with a 0.6 threshold). Only standard Keras layers: ||a - b|| is computed as
(a - b) . unit(a - b), so the file loads with load_model(path, compile=False) and nothing else.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from training.network import horizontal_flip

EMBEDDING_NAME = "embedding"
INPUT_NAMES = ("anchor", "img1", "img2")


def build_embedding(descriptor: keras.Model, *, mirror_average: bool) -> keras.Model:
    """Chip -> descriptor; with mirror_average, the mean of the chip's and its mirror image's."""
    shape = tuple(int(v) for v in descriptor.input_shape[1:])
    image = keras.Input(shape, name="image")
    vector = descriptor(image)
    if mirror_average:
        mirrored = descriptor(horizontal_flip(shape, "mirror")(image))  # type: ignore[arg-type]
        vector = layers.Average(name="mirror_average")([vector, mirrored])
    return keras.Model(image, vector, name=EMBEDDING_NAME)


def _euclidean(a: Any, b: Any, name: str) -> Any:
    """||a - b|| as (batch, 1), from standard layers only."""
    difference = layers.Subtract(name=f"{name}_difference")([a, b])
    direction = layers.UnitNormalization(axis=-1, name=f"{name}_direction")(difference)
    return layers.Dot(axes=1, name=name)([difference, direction])


def build_siamese(embedding: keras.Model, *, name: str = "facesim_resnet") -> keras.Model:
    """The served model: three chips -> two Euclidean descriptor distances to the anchor."""
    shape = tuple(int(v) for v in embedding.input_shape[1:])
    inputs = [keras.Input(shape, name=n, dtype="float32") for n in INPUT_NAMES]
    anchor, first, second = (embedding(x) for x in inputs)
    outputs = [
        _euclidean(anchor, first, "distance_img1"),
        _euclidean(anchor, second, "distance_img2"),
    ]
    return keras.Model(inputs, outputs, name=name)
