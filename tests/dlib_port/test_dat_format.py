"""dlib's serialization primitives, on bytes written by hand from dlib/serialize.h's rules."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from dlib_port.dat_format import DatFormatError, DatStream


def stream(data: bytes) -> DatStream:
    return DatStream(data, "test")


def test_integers_are_a_control_byte_and_little_endian_magnitude() -> None:
    s = stream(b"\x01\x00" + b"\x01\x02" + b"\x02\x2c\x01" + b"\x81\x05" + b"\x04\x78\x56\x34\x12")
    assert [s.integer() for _ in range(5)] == [0, 2, 300, -5, 0x12345678]
    assert s.at_end


@pytest.mark.parametrize("control", [b"\x00", b"\x09", b"\x71"])
def test_a_bad_integer_control_byte_is_refused(control: bytes) -> None:
    with pytest.raises(DatFormatError, match="control byte"):
        stream(control + b"\x00" * 9).integer()


def test_floats_are_mantissa_then_exponent() -> None:
    # The margin of dlib's face ResNet as the file stores it: 10737418 * 2**-28 = 0.04.
    s = stream(bytes.fromhex("030ad7a3811c"))
    assert s.real() == pytest.approx(0.04, abs=1e-9)
    assert s.at_end


def test_special_exponents_mean_infinity_and_nan() -> None:
    inf = b"\x01\x00" + b"\x02" + struct.pack("<H", 32000)
    minus_inf = b"\x01\x00" + b"\x02" + struct.pack("<H", 32001)
    nan = b"\x01\x00" + b"\x02" + struct.pack("<H", 32002)
    s = stream(inf + minus_inf + nan)
    assert s.real() == float("inf") and s.real() == float("-inf") and np.isnan(s.real())


def test_the_legacy_ascii_float_format_is_refused() -> None:
    with pytest.raises(DatFormatError, match="legacy ASCII"):
        stream(b"0.5 ").real()


def test_bools_and_strings() -> None:
    s = stream(b"10" + b"\x01\x04relu")
    assert s.boolean() is True and s.boolean() is False
    assert s.text() == "relu"
    with pytest.raises(DatFormatError, match="bool"):
        stream(b"x").boolean()


def test_expect_string_names_what_it_found_and_does_not_consume_it() -> None:
    s = stream(b"\x01\x05con_4")
    with pytest.raises(DatFormatError, match="expected fc_2, found 'con_4'"):
        s.expect_string("fc_2")
    assert s.pos == 0 and s.expect_string("fc_2", "con_4") == "con_4"


def test_tensors_are_shape_then_raw_float32() -> None:
    values = np.arange(6, dtype="<f4")
    header = b"\x01\x02" + b"\x01\x01" + b"\x01\x02" + b"\x01\x03" + b"\x01\x01"
    s = stream(header + values.tobytes())
    tensor = s.tensor()
    assert tensor.shape == (1, 2, 3, 1) and tensor.ravel().tolist() == values.tolist()
    assert s.at_end


def test_alias_tensors_hold_only_a_shape() -> None:
    s = stream(b"\x01\x01" + b"\x01\x01" + b"\x01\x20" + b"\x01\x03" + b"\x01\x03")
    assert s.alias_tensor() == (1, 32, 3, 3)


def test_a_truncated_tensor_says_how_much_is_missing() -> None:
    header = b"\x01\x02" + b"\x01\x01" * 3 + b"\x01\x04"
    with pytest.raises(DatFormatError, match="needs 16 more bytes, 8 left"):
        stream(header + b"\x00" * 8).tensor()


def test_a_tensor_of_an_unknown_version_is_refused() -> None:
    with pytest.raises(DatFormatError, match="tensor version 3"):
        stream(b"\x01\x03").tensor()
