"""Our reader on dlib's real face ResNet file: every byte used, every layer where dlib puts it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from dlib_port.dat_format import DatFormatError
from dlib_port.dat_network import (
    AddPrev,
    Affine,
    Conv,
    Dense,
    DlibNetwork,
    Pool,
    Relu,
    read_network,
)

# Published facts, not read from the file: dlib's README and tools/python/src/face_recognition.cpp.
PARAMETERS = 5_614_592
COUNTS = {"Conv": 29, "Affine": 29, "Relu": 29, "AddPrev": 14, "Pool": 6, "Dense": 1}


def test_the_whole_file_is_read_and_holds_dlibs_network(network: DlibNetwork) -> None:
    assert Counter(type(layer).__name__ for layer in network.layers) == COUNTS
    assert network.parameter_count == PARAMETERS
    assert network.input.size == (150, 150)
    assert network.input.mean_rgb == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    assert network.loss.distance_threshold == pytest.approx(0.6)
    assert network.loss.margin == pytest.approx(0.04)
    # 107 add_layers around the one that holds the input, 14 tag1 + 4 tag2 + 4 skip1 wrappers.
    assert Counter(network.nesting) == {"layer": 107, "tag": 22}


def test_layers_come_in_forward_order_with_dlibs_shapes(network: DlibNetwork) -> None:
    stem = network.layers[0]
    assert isinstance(stem, Conv) and stem.filters.shape == (32, 3, 7, 7)
    assert stem.stride == (2, 2) and stem.padding == (0, 0)
    assert [type(x) for x in network.layers[1:4]] == [Affine, Relu, Pool]
    assert isinstance(network.layers[3], Pool) and network.layers[3].kind == "max"
    fc = network.layers[-1]
    assert isinstance(fc, Dense) and fc.weights.shape == (256, 128)
    assert isinstance(network.layers[-2], Pool) and network.layers[-2].size == (0, 0)
    convs = [x for x in network.layers if isinstance(x, Conv)]
    assert [c.filters.shape[0] for c in convs] == [32] + [32] * 6 + [64] * 8 + [128] * 6 + [256] * 8
    assert all(c.padding == ((1, 1) if c.stride == (1, 1) else (0, 0)) for c in convs)
    assert sum(isinstance(x, AddPrev) for x in network.layers) == 14


def test_weights_are_real_numbers_not_a_shifted_read(network: DlibNetwork) -> None:
    for layer in network.layers:
        if isinstance(layer, Affine):
            assert np.isfinite(layer.gamma).all() and np.abs(layer.gamma).max() < 100
        if isinstance(layer, Conv):
            assert np.isfinite(layer.filters).all() and np.abs(layer.biases).max() < 1e-2


def test_a_file_with_trailing_bytes_is_refused(resnet_dat: Path, tmp_path: Path) -> None:
    longer = tmp_path / "longer.dat"
    longer.write_bytes(resnet_dat.read_bytes() + b"\x00")
    with pytest.raises(DatFormatError, match="1 bytes left after the network"):
        read_network(longer)


def test_a_truncated_file_is_refused(resnet_dat: Path, tmp_path: Path) -> None:
    shorter = tmp_path / "shorter.dat"
    shorter.write_bytes(resnet_dat.read_bytes()[:-100])
    with pytest.raises(DatFormatError):
        read_network(shorter)


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.dat"
    other.write_bytes(b"\x01\x01\x01\x0dloss_metric_3")
    with pytest.raises(DatFormatError, match="expected loss_metric_2"):
        read_network(other)
