"""Wrap the ported descriptor network into the served three-input siamese (README: model contract).

anchor, img1, img2 (150x150 RGB chips, 0..255) -> [d(anchor, img1), d(anchor, img2)], where d is the
Euclidean distance between dlib descriptors, the distance the network was trained for (dlib's
loss_metric_ with a 0.6 threshold). The three chips (and their mirror images) go through the
network as one batch: they are stacked on a new axis and the network runs under TimeDistributed,
which costs a third less than three separate calls on a CPU. Only standard Keras layers: the mirror
is a frozen anti-identity Dense on the width axis, ||a - b|| is (a - b) . unit(a - b), so the file
loads with load_model(path, compile=False) and nothing else.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers
from numpy.typing import NDArray

INPUT_NAMES = ("anchor", "img1", "img2")
EMBEDDINGS = "embeddings"  # (batch, 3, 128): the served embedding of anchor, img1, img2
DESCRIPTORS = "descriptors"  # TimeDistributed(dlib_resnet)


def _mirror(stack: Any, width: int) -> Any:
    """Every chip of a (batch, n, H, W, C) stack flipped left-right, exactly."""
    mirror = layers.Dense(width, use_bias=False, trainable=False, name="mirror_antidiagonal")
    x = layers.Permute((1, 2, 4, 3), name="width_last")(stack)
    x = mirror(x)
    mirror.set_weights([np.eye(width, dtype=np.float32)[::-1]])
    return layers.Permute((1, 2, 4, 3), name="width_back")(x)


def _euclidean(a: Any, b: Any, name: str) -> Any:
    """||a - b|| as (batch, 1), from standard layers only."""
    difference = layers.Subtract(name=f"{name}_difference")([a, b])
    direction = layers.UnitNormalization(axis=-1, name=f"{name}_direction")(difference)
    return layers.Dot(axes=1, name=name)([difference, direction])


def build_siamese(
    descriptor: keras.Model, *, mirror_average: bool, name: str = "facesim_resnet"
) -> keras.Model:
    """The served model: three chips -> two Euclidean distances between their embeddings.

    With mirror_average each chip's embedding is the mean of its descriptor and its mirror image's.
    """
    height, width, channels = (int(v) for v in descriptor.input_shape[1:])
    dims = int(descriptor.output_shape[-1])
    inputs = [keras.Input((height, width, channels), name=n, dtype="float32") for n in INPUT_NAMES]
    steps = [
        layers.Reshape((1, height, width, channels), name=f"{n}_step")(x)
        for n, x in zip(INPUT_NAMES, inputs, strict=True)
    ]
    stack = layers.Concatenate(axis=1, name="stack")(steps)
    if mirror_average:
        stack = layers.Concatenate(axis=1, name="chips_and_mirrors")([stack, _mirror(stack, width)])
    vectors = layers.TimeDistributed(descriptor, name=DESCRIPTORS)(stack)
    if mirror_average:
        # (batch, 6, d) -> (batch, 2, 3d): the chips and the mirrors as two steps, averaged.
        halves = layers.Reshape((2, 3 * dims), name="chips_then_mirrors")(vectors)
        averaged = layers.GlobalAveragePooling1D(name="mirror_average")(halves)
        vectors = layers.Reshape((3, dims), name=EMBEDDINGS)(averaged)
    else:
        vectors = layers.Reshape((3, dims), name=EMBEDDINGS)(vectors)
    anchor, first, second = (
        layers.Flatten(name=f"{n}_embedding")(
            layers.Cropping1D((i, 2 - i), name=f"{n}_pick")(vectors)
        )
        for i, n in enumerate(INPUT_NAMES)
    )
    outputs = [
        _euclidean(anchor, first, "distance_img1"),
        _euclidean(anchor, second, "distance_img2"),
    ]
    return keras.Model(inputs, outputs, name=name)


def descriptor_of(siamese: keras.Model) -> keras.Model:
    """The ported network inside a served model."""
    return siamese.get_layer(DESCRIPTORS).layer


def embed(siamese: keras.Model, chips: NDArray[np.float32], batch: int = 16) -> NDArray[np.float32]:
    """The served model's own embedding of each chip (three at a time through its inputs)."""
    head = keras.Model(siamese.inputs, siamese.get_layer(EMBEDDINGS).output)
    count = len(chips)
    padded = (
        np.concatenate([chips, np.repeat(chips[-1:], (-count) % 3, axis=0)]) if count % 3 else chips
    )
    triplets = padded.reshape(-1, 3, *chips.shape[1:])
    parts = []
    for start in range(0, len(triplets), batch):
        group = triplets[start : start + batch]
        parts.append(np.asarray(head([group[:, 0], group[:, 1], group[:, 2]], training=False)))
    return np.concatenate(parts).reshape(-1, parts[0].shape[-1])[:count].astype(np.float32)
