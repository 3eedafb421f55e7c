"""The embedding CNN, the siamese wrapper the service loads, and the CosFace head used only in training.

The only training module that imports TensorFlow/Keras.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops
from numpy.typing import NDArray

from training.whitening import Whitening


@dataclass(frozen=True)
class NetConfig:
    """Architecture knobs, recorded in the manifest."""

    input_shape: tuple[int, int, int]
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: tuple[int, ...] = (1, 1, 1, 1)
    embedding_dim: int = 128
    dropout: float = 0.2


def configure_threads(threads: int) -> None:
    """Pin TensorFlow to the cores we were given (the build box is shared)."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def _conv_bn(x: Any, filters: int, *, strides: int = 1, relu: bool = True) -> Any:
    """3x3 convolution, batch norm, optional ReLU."""
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x) if relu else x


def _residual(x: Any, filters: int, strides: int) -> Any:
    """A basic ResNet block; a 1x1 projection when the shape changes."""
    shortcut = x
    y = _conv_bn(x, filters, strides=strides)
    y = _conv_bn(y, filters, relu=False)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def build_embedding(config: NetConfig) -> keras.Model:
    """Image (0..255) -> embedding; a compact ResNet with a flatten+dense head that keeps face layout."""
    inputs = keras.Input(config.input_shape, name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    x = _conv_bn(x, config.widths[0])
    for width, blocks in zip(config.widths, config.blocks, strict=True):
        x = _residual(x, width, 2)
        for _ in range(blocks - 1):
            x = _residual(x, width, 1)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(config.dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(config.embedding_dim, use_bias=False)(x)
    x = layers.BatchNormalization(name="embedding_bn")(x)
    return keras.Model(inputs, x, name="embedding")


def horizontal_flip(shape: tuple[int, int, int], name: str) -> keras.Sequential:
    """A mirror image made of standard layers: put width last, multiply by an anti-identity, put it back."""
    width = shape[1]
    mirror = layers.Dense(width, use_bias=False, trainable=False, name=f"{name}_antidiag")
    flip = keras.Sequential(
        [
            keras.Input(shape),
            layers.Permute((3, 1, 2)),  # (C, H, W)
            mirror,
            layers.Permute((2, 3, 1)),  # back to (H, W, C)
        ],
        name=name,
    )
    mirror.set_weights([np.eye(width, dtype=np.float32)[::-1]])
    return flip


def build_siamese(
    embedding: keras.Model, *, flip_tta: bool = True, whitening: Whitening | None = None
) -> keras.Model:
    """The served model: three images -> [d(anchor, img1), d(anchor, img2)], cosine distance 1 - cos."""
    shape = tuple(int(v) for v in embedding.input_shape[1:])
    flip = horizontal_flip(shape, "hflip") if flip_tta else None  # type: ignore[arg-type]
    normalize = layers.UnitNormalization(axis=-1, name="l2")
    project = None
    if whitening is not None:
        project = layers.Dense(len(whitening.mean), name="wccn", trainable=False)
        project.build((None, len(whitening.mean)))
        project.set_weights(whitening.dense_weights())

    def embed(image: Any) -> Any:
        """Embedding of the image (plus its mirror image: test-time augmentation), then whitened."""
        vector = normalize(embedding(image))
        if flip is not None:
            vector = layers.Add()([vector, normalize(embedding(flip(image)))])
        if project is not None:
            vector = project(normalize(vector))
        return vector

    anchor = keras.Input(shape, name="anchor", dtype="float32")
    img1 = keras.Input(shape, name="img1", dtype="float32")
    img2 = keras.Input(shape, name="img2", dtype="float32")
    e_anchor, e1, e2 = embed(anchor), embed(img1), embed(img2)
    distances = []
    for other, name in ((e1, "distance1"), (e2, "distance2")):
        cosine = layers.Dot(axes=1, normalize=True)([e_anchor, other])
        distances.append(layers.Rescaling(scale=-1.0, offset=1.0, name=name)(cosine))
    return keras.Model([anchor, img1, img2], distances, name="facesim")


class CosineClassifier(layers.Layer):  # type: ignore[misc]
    """Cosine similarity of the embedding to one learned centre per identity (training only, never saved)."""

    def __init__(self, classes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.classes = classes

    def build(self, input_shape: tuple[int, ...]) -> None:
        """One unit-normalised centre per class."""
        self.centres = self.add_weight(
            shape=(int(input_shape[-1]), self.classes), initializer="glorot_normal", name="centres"
        )

    def call(self, inputs: Any) -> Any:
        """cos(embedding, centre) for every class."""
        x = ops.normalize(inputs, axis=-1)
        w = ops.normalize(self.centres, axis=0)
        return ops.matmul(x, w)


def cosface_loss(scale: float, margin: float) -> Any:
    """Large-margin cosine loss (CosFace): the true class's cosine must beat the others by `margin`."""

    def loss(y_true: Any, cosine: Any) -> Any:
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        onehot = ops.one_hot(labels, ops.shape(cosine)[-1])
        logits = scale * (cosine - margin * onehot)
        return keras.losses.categorical_crossentropy(onehot, logits, from_logits=True)

    return loss


def build_trainer(embedding: keras.Model, classes: int, augment: bool = True) -> keras.Model:
    """Embedding plus augmentation in front and the cosine classifier behind, for fitting."""
    shape = embedding.input_shape[1:]
    inputs = keras.Input(shape)
    x = inputs
    if augment:
        x = layers.RandomFlip("horizontal")(x)
        x = layers.RandomTranslation(0.06, 0.06, fill_mode="reflect")(x)
        x = layers.RandomZoom((-0.08, 0.08), fill_mode="reflect")(x)
        x = layers.RandomBrightness(0.15, value_range=(0.0, 255.0))(x)
        x = layers.RandomContrast(0.2)(x)
        x = ops.clip(x, 0.0, 255.0)
    cosine = CosineClassifier(classes, name="cosface")(embedding(x))
    return keras.Model(inputs, cosine, name="trainer")


def embed_images(
    embedding: keras.Model,
    pixels: NDArray[np.uint8],
    *,
    flip_tta: bool = True,
    whitening: Whitening | None = None,
    batch: int = 256,
) -> NDArray[np.float32]:
    """Unit embeddings for cached crops, with the same flip TTA and whitening the saved model applies."""
    x = pixels.astype(np.float32)
    vectors = _unit(embedding.predict(x, batch_size=batch, verbose=0))
    if flip_tta:
        vectors = vectors + _unit(embedding.predict(x[:, :, ::-1, :], batch_size=batch, verbose=0))
    vectors = _unit(vectors)
    return vectors if whitening is None else _unit(whitening.apply(vectors))


def _unit(v: NDArray[Any]) -> NDArray[np.float32]:
    """Rows scaled to unit length."""
    rows = np.asarray(v, dtype=np.float32)
    norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), np.float32(1e-12))
    return np.asarray(rows / norms, dtype=np.float32)


def save_model(model: keras.Model, path: Path) -> None:
    """Legacy HDF5, the format the service loads with load_model(compile=False)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)


def load_model(path: Path) -> keras.Model:
    """Load exactly as the service does: no custom objects, not compiled."""
    return keras.models.load_model(path, compile=False)


def forward_latency_ms(model: keras.Model, *, repeats: int = 50) -> float:
    """Median wall time of one (anchor, img1, img2) forward pass after warm-up, in milliseconds.

    Measured through a tf.function with a fixed signature, the way service/model.py calls the model.
    """
    shape = (1, *model.inputs[0].shape[1:])
    spec = tf.TensorSpec(shape=(None, *shape[1:]), dtype=tf.float32)

    @tf.function(input_signature=[spec, spec, spec])  # type: ignore[untyped-decorator]
    def forward(a: Any, b: Any, c: Any) -> Any:
        return model([a, b, c], training=False)

    rng = np.random.default_rng(0)
    batch = [tf.constant(rng.uniform(0, 255, shape).astype(np.float32)) for _ in range(3)]
    for _ in range(5):
        forward(*batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(forward(*batch)[0])
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))
