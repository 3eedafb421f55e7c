"""Read a serialized dlib DNN (add_loss_layer<loss_metric_, ...>) into plain layer records, input side first.

The file nests layers from the loss inwards: each add_layer writes its version, then its whole
subnetwork, then its own details. So the file holds every wrapper's version integer from the outside
in, then the input layer, then each layer's details in forward order (dlib/dnn/core.h). Tag and skip
layers store only a version: which tag an add_prev or skip refers to is part of the C++ type, not the
file, so the graph builder supplies the topology and checks it against this sequence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from dlib_port.dat_format import DatStream

Array = NDArray[np.float32]


@dataclass(frozen=True)
class Conv:
    """con_: cross-correlation with bias; filters (out, in, kh, kw)."""

    filters: Array
    biases: Array
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Affine:
    """affine_ in CONV_MODE: y = gamma[c] * x + beta[c] (a batch norm already folded)."""

    gamma: Array
    beta: Array


@dataclass(frozen=True)
class Relu:
    """relu_: max(0, x)."""


@dataclass(frozen=True)
class AddPrev:
    """add_prev_: adds a tagged earlier output, zero-padding the smaller one (dims = elementwise max)."""


@dataclass(frozen=True)
class Pool:
    """max_pool_ or avg_pool_; size (0, 0) means the whole plane (avg_pool_everything)."""

    kind: str  # "max" or "avg"
    size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Dense:
    """fc_ without bias: out = in (1 x num_inputs) . weights (num_inputs x num_outputs)."""

    weights: Array


Layer = Conv | Affine | Relu | AddPrev | Pool | Dense


@dataclass(frozen=True)
class InputRGB:
    """input_rgb_image_sized: RGB planes, (pixel - mean) / 256, fixed size."""

    mean_rgb: tuple[float, float, float]
    size: tuple[int, int]


@dataclass(frozen=True)
class MetricLoss:
    """loss_metric_: the training margin and the distance threshold it was trained for."""

    margin: float
    distance_threshold: float


@dataclass(frozen=True)
class DlibNetwork:
    """A whole metric-learning network: input, layers in forward order, loss, and the nesting."""

    input: InputRGB
    layers: list[Layer]
    loss: MetricLoss
    # Wrapper kinds from the outside in: "layer" (add_layer) or "tag" (add_tag_layer/add_skip_layer).
    nesting: list[str]

    @property
    def parameter_count(self) -> int:
        """Trainable numbers in the file (filters, biases, gammas, betas, fc weights)."""
        arrays: list[Array] = []
        for layer in self.layers:
            if isinstance(layer, Conv):
                arrays += [layer.filters, layer.biases]
            elif isinstance(layer, Affine):
                arrays += [layer.gamma, layer.beta]
            elif isinstance(layer, Dense):
                arrays.append(layer.weights)
        return sum(a.size for a in arrays)


def read_network(path: Path) -> DlibNetwork:
    """Parse the whole file and insist that nothing is left over."""
    stream = DatStream.open(path)
    if (version := stream.integer()) != 1:
        raise stream.fail(f"add_loss_layer version {version}, expected 1")
    loss = _loss(stream)
    nesting: list[str] = []
    while (version := stream.integer()) != 3:  # 3: the add_layer that holds the input layer
        if version not in (1, 2):
            raise stream.fail(f"unexpected layer version {version}")
        nesting.append("layer" if version == 2 else "tag")
    network_input = _input(stream)
    layers = [_layer(stream)]
    _layer_state(stream, input_layer=True)
    for kind in reversed(nesting):
        if kind == "layer":
            layers.append(_layer(stream))
            _layer_state(stream, input_layer=False)
    if not stream.at_end:
        raise stream.fail(f"{len(stream.data) - stream.pos} bytes left after the network")
    return DlibNetwork(network_input, layers, loss, nesting)


def _loss(s: DatStream) -> MetricLoss:
    """loss_metric_2: margin and distance threshold."""
    s.expect_string("loss_metric_2")
    return MetricLoss(margin=s.real(), distance_threshold=s.real())


def _input(s: DatStream) -> InputRGB:
    """input_rgb_image_sized: the three channel means and the fixed size."""
    s.expect_string("input_rgb_image_sized")
    mean = (s.real(), s.real(), s.real())
    return InputRGB(mean, (s.integer(), s.integer()))


def _layer_state(s: DatStream, *, input_layer: bool) -> None:
    """The training state after a layer's details: three flags and cached tensors, unused here."""
    for _ in range(3):
        s.boolean()
    for _ in range(3):
        if s.tensor().size:
            raise s.fail("a trained network should not carry gradients or cached outputs")
    if input_layer:
        s.integer()  # sample_expansion_factor


def _layer(s: DatStream) -> Layer:
    """One layer's details, by its version string."""
    start = s.pos
    version = s.text()
    s.pos = start
    readers: dict[str, Callable[[DatStream], Layer]] = {
        "con_4": _conv,
        "affine_": _affine,
        "relu_": _relu,
        "add_prev_": _add_prev,
        "max_pool_2": _pool,
        "avg_pool_2": _pool,
        "fc_2": _dense,
    }
    if version not in readers:
        raise s.fail(f"layer type {version!r} is not supported by this reader")
    return readers[version](s)


def _split(params: Array, *shapes: tuple[int, int, int, int]) -> list[Array]:
    """Cut a layer's flat params tensor into the alias tensors that view it."""
    flat = params.reshape(-1)
    sizes = [int(np.prod(shape)) for shape in shapes]
    if sum(sizes) != flat.size:
        raise ValueError(f"params hold {flat.size} values, aliases need {sum(sizes)}")
    out, offset = [], 0
    for shape, size in zip(shapes, sizes, strict=True):
        out.append(flat[offset : offset + size].reshape(shape))
        offset += size
    return out


def _conv(s: DatStream) -> Conv:
    """con_4: params, num_filters, nr, nc, strides, paddings, filter/bias aliases, 4 multipliers."""
    s.expect_string("con_4")
    params = s.tensor()
    num_filters, nr, nc = s.integer(), s.integer(), s.integer()
    stride = (s.integer(), s.integer())
    padding = (s.integer(), s.integer())
    filters, biases = _split(params, s.alias_tensor(), s.alias_tensor())
    for _ in range(4):
        s.real()
    if filters.shape[0] != num_filters or filters.shape[2:] != (nr, nc):
        raise s.fail(f"conv filters {filters.shape} disagree with {num_filters}x{nr}x{nc}")
    return Conv(filters, biases.reshape(-1), stride, padding)


def _affine(s: DatStream) -> Affine:
    """affine_ (version 1): params, gamma/beta aliases, mode (0 = per channel)."""
    s.expect_string("affine_")
    params = s.tensor()
    gamma, beta = _split(params, s.alias_tensor(), s.alias_tensor())
    if (mode := s.integer()) != 0:
        raise s.fail(f"affine mode {mode}; only CONV_MODE (0) is supported")
    return Affine(gamma.reshape(-1), beta.reshape(-1))


def _relu(s: DatStream) -> Relu:
    """relu_: nothing but the version."""
    s.expect_string("relu_")
    return Relu()


def _add_prev(s: DatStream) -> AddPrev:
    """add_prev_: nothing but the version."""
    s.expect_string("add_prev_")
    return AddPrev()


def _pool(s: DatStream) -> Pool:
    """max_pool_2 / avg_pool_2: window, stride and padding."""
    kind = "max" if s.expect_string("max_pool_2", "avg_pool_2") == "max_pool_2" else "avg"
    size = (s.integer(), s.integer())
    stride = (s.integer(), s.integer())
    return Pool(kind, size, stride, (s.integer(), s.integer()))


def _dense(s: DatStream) -> Dense:
    """fc_2 with FC_NO_BIAS: num_outputs, num_inputs, params, aliases, bias mode, 4 multipliers."""
    s.expect_string("fc_2")
    num_outputs, num_inputs = s.integer(), s.integer()
    params = s.tensor()
    weights_shape, bias_shape = s.alias_tensor(), s.alias_tensor()
    if (mode := s.integer()) != 1:
        raise s.fail(f"fc bias mode {mode}; only FC_NO_BIAS (1) is supported")
    (weights,) = _split(params, weights_shape)
    if int(np.prod(bias_shape)) not in (0, num_outputs):
        raise s.fail(f"unexpected fc bias alias {bias_shape}")
    for _ in range(4):
        s.real()
    return Dense(weights.reshape(num_inputs, num_outputs))
