"""dlib's face-recognition ResNet (anet_type) as a Keras graph of standard layers, weights from the .dat.

The topology is dlib's `anet_type` (dlib/tools/python/src/face_recognition.cpp): a 7x7/2 stem, max pool,
then levels of residual blocks, global mean, a 128-d fc without bias. The file supplies every number;
a cursor walks its layers in forward order and refuses any record that is not what the topology
expects next, so a reader bug is a clear error rather than a silent shift.

Exactness notes (dlib/dnn/layers.h and cpu_dlib.cpp): stride-2 convolutions and pools have no
padding (Keras 'valid'), stride-1 3x3 convolutions pad 1 ('same'); add_prev zero-pads the smaller
input at the bottom/right and in the trailing channels. Each affine (a folded batch norm) is folded
into the convolution before it, and the input normalisation (x - mean) / 256 into the first one
(exact there: it has no padding), so the model takes raw 0..255 RGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import layers

from dlib_port.dat_network import AddPrev, Affine, Conv, Dense, DlibNetwork, Layer, Pool, Relu

EMBEDDING_NAME = "dlib_resnet"


@dataclass(frozen=True)
class Level:
    """Residual blocks of one width; the first one halves the resolution when `down`."""

    filters: int
    blocks: int
    down: bool


# anet_type from the input side: alevel4 .. alevel0.
LEVELS = (
    Level(32, 3, down=False),
    Level(64, 4, down=True),
    Level(128, 3, down=True),
    Level(256, 3, down=True),
    Level(256, 1, down=True),
)


class _Records:
    """The file's layers in forward order, taken one expected type at a time."""

    def __init__(self, records: list[Layer]) -> None:
        self._records = records
        self._next = 0

    def take(self, kind: type[Layer], where: str) -> Any:
        """The next record, which must be of `kind`."""
        if self._next >= len(self._records):
            raise ValueError(f"{where}: expected {kind.__name__}, the file has no more layers")
        record = self._records[self._next]
        if not isinstance(record, kind):
            raise ValueError(
                f"{where}: expected {kind.__name__} as layer {self._next}, found {type(record).__name__}"
            )
        self._next += 1
        return record

    def finish(self) -> None:
        """Every record used."""
        if self._next != len(self._records):
            raise ValueError(f"{len(self._records) - self._next} layers of the file were not used")


def _folded(conv: Conv, affine: Affine) -> tuple[np.ndarray, np.ndarray]:
    """Keras kernel (kh, kw, in, out) and bias of affine(conv(x)), computed in float64."""
    gamma = affine.gamma.astype(np.float64)
    kernel = conv.filters.astype(np.float64).transpose(2, 3, 1, 0) * gamma
    bias = conv.biases.astype(np.float64) * gamma + affine.beta.astype(np.float64)
    return kernel, bias


def _conv_affine(x: Any, records: _Records, name: str, stride: int, kernel_size: int) -> Any:
    """con_ + affine_ as one Conv2D with the affine folded in."""
    conv: Conv = records.take(Conv, name)
    affine: Affine = records.take(Affine, name)
    expected_padding = kernel_size // 2 if stride == 1 else 0
    if conv.stride != (stride, stride) or conv.padding != (expected_padding,) * 2:
        raise ValueError(f"{name}: file has stride {conv.stride}, padding {conv.padding}")
    if conv.filters.shape[2:] != (kernel_size, kernel_size):
        raise ValueError(f"{name}: file has a {conv.filters.shape[2:]} kernel")
    kernel, bias = _folded(conv, affine)
    layer = layers.Conv2D(
        conv.filters.shape[0],
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        name=name,
    )
    y = layer(x)
    layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return y


def _stem(x: Any, records: _Records, mean_rgb: tuple[float, float, float]) -> Any:
    """conv 7x7/2 with the input normalisation folded in, ReLU, max pool 3x3/2."""
    conv: Conv = records.take(Conv, "stem")
    affine: Affine = records.take(Affine, "stem")
    if conv.stride != (2, 2) or conv.padding != (0, 0):
        raise ValueError(f"stem: file has stride {conv.stride}, padding {conv.padding}")
    kernel, bias = _folded(conv, affine)
    # affine(conv((x - mean) / 256)): with no padding every window sees only real pixels.
    mean = np.asarray(mean_rgb, dtype=np.float64)
    bias = bias - np.einsum("hwio,i->o", kernel, mean) / 256.0
    kernel = kernel / 256.0
    layer = layers.Conv2D(conv.filters.shape[0], 7, strides=2, padding="valid", name="stem_conv")
    y = layer(x)
    layer.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    records.take(Relu, "stem")
    y = layers.ReLU(name="stem_relu")(y)
    pool: Pool = records.take(Pool, "stem pool")
    if (pool.kind, pool.size, pool.stride, pool.padding) != ("max", (3, 3), (2, 2), (0, 0)):
        raise ValueError(f"stem pool: file has {pool}")
    return layers.MaxPooling2D(3, strides=2, padding="valid", name="stem_pool")(y)


def _downsampled_skip(x: Any, filters: int, name: str) -> Any:
    """avg_pool 2x2/2 of the block input, zero-padded to `filters` channels, as one fixed Conv2D."""
    channels = int(x.shape[-1])
    kernel = np.zeros((2, 2, channels, filters), dtype=np.float32)
    for c in range(channels):
        kernel[:, :, c, c] = 0.25
    layer = layers.Conv2D(
        filters, 2, strides=2, padding="valid", use_bias=False, trainable=False, name=name
    )
    y = layer(x)
    layer.set_weights([kernel])
    return y


def _block(x: Any, records: _Records, filters: int, down: bool, name: str) -> Any:
    """relu(add_prev(block(x), skip)): conv-affine-relu-conv-affine, skip avg-pooled when down."""
    stride = 2 if down else 1
    y = _conv_affine(x, records, f"{name}_conv1", stride, 3)
    records.take(Relu, name)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = _conv_affine(y, records, f"{name}_conv2", 1, 3)
    skip = x
    if down:
        pool: Pool = records.take(Pool, f"{name} skip pool")
        if (pool.kind, pool.size, pool.stride, pool.padding) != ("avg", (2, 2), (2, 2), (0, 0)):
            raise ValueError(f"{name} skip pool: file has {pool}")
        skip = _downsampled_skip(x, filters, f"{name}_skip")
    records.take(AddPrev, name)
    gap = int(skip.shape[1]) - int(y.shape[1])
    if gap < 0 or int(skip.shape[-1]) != filters:
        raise ValueError(f"{name}: block {tuple(y.shape)} and skip {tuple(skip.shape)} do not add")
    if gap:
        # add_prev aligns both at the top-left and zero-fills the smaller one.
        y = layers.ZeroPadding2D(((0, gap), (0, gap)), name=f"{name}_pad")(y)
    out = layers.Add(name=f"{name}_add")([y, skip])
    records.take(Relu, name)
    return layers.ReLU(name=f"{name}_relu2")(out)


def build_descriptor_model(network: DlibNetwork) -> keras.Model:
    """Image (H, W, 3) RGB 0..255 -> dlib's 128-d face descriptor (not normalised)."""
    height, width = network.input.size
    records = _Records(network.layers)
    inputs = keras.Input((height, width, 3), name="chip")
    x = _stem(inputs, records, network.input.mean_rgb)
    for level_number, level in enumerate(LEVELS):
        for block in range(level.blocks):
            down = level.down and block == 0
            x = _block(x, records, level.filters, down, f"level{level_number}_block{block}")
    pool: Pool = records.take(Pool, "global pool")
    if pool.kind != "avg" or pool.size != (0, 0):
        raise ValueError(f"global pool: file has {pool}")
    x = layers.GlobalAveragePooling2D(name="global_mean")(x)
    fc: Dense = records.take(Dense, "fc")
    dense = layers.Dense(fc.weights.shape[1], use_bias=False, name="descriptor")
    out = dense(x)
    dense.set_weights([fc.weights.astype(np.float32)])
    records.finish()
    return keras.Model(inputs, out, name=EMBEDDING_NAME)
