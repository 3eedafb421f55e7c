"""dlib's binary serialization format (dlib/serialize.h, dlib/cuda/tensor.h), read with numpy only.

One method per record type. Facts from dlib 20.0.1's sources, checked against the real file:
integers are a control byte (0x80 = negative, low 4 bits = byte count) and that many little-endian
bytes; bools are ASCII '1'/'0'; floats are (mantissa, exponent) as two such integers, mantissa
first; tensors are (version 2, n, k, nr, nc) then raw little-endian float32 in NCHW order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# float_details exponents that mean inf, -inf and NaN (dlib/float_details.h).
_SPECIAL_EXPONENTS = {32000: float("inf"), 32001: float("-inf"), 32002: float("nan")}


class DatFormatError(ValueError):
    """The bytes are not what dlib would have written here."""


class DatStream:
    """A cursor over the bytes of a dlib-serialized file."""

    def __init__(self, data: bytes, name: str = "<bytes>") -> None:
        self.data = data
        self.pos = 0
        self.name = name

    @classmethod
    def open(cls, path: Path) -> DatStream:
        """The whole file in memory (the largest dlib model is 22 MB)."""
        return cls(path.read_bytes(), str(path))

    @property
    def at_end(self) -> bool:
        """Every byte consumed."""
        return self.pos == len(self.data)

    def fail(self, message: str) -> DatFormatError:
        """An error that says where in which file."""
        return DatFormatError(f"{self.name} at byte {self.pos}: {message}")

    def _take(self, count: int) -> bytes:
        """The next `count` bytes."""
        if self.pos + count > len(self.data):
            raise self.fail(f"needs {count} more bytes, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def peek(self) -> int:
        """The next byte, not consumed."""
        if self.at_end:
            raise self.fail("unexpected end of file")
        return self.data[self.pos]

    def integer(self) -> int:
        """Any integral type (int, long, size_t, enum): control byte + magnitude bytes."""
        control = self._take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise self.fail(f"bad integer control byte 0x{control:02x}")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def boolean(self) -> bool:
        """One ASCII byte, '1' or '0'."""
        byte = self._take(1)
        if byte not in (b"0", b"1"):
            raise self.fail(f"bad bool byte {byte!r}")
        return byte == b"1"

    def text(self) -> str:
        """Length, then the raw bytes."""
        length = self.integer()
        return self._take(length).decode("ascii")

    def expect_string(self, *allowed: str) -> str:
        """A version string that must be one of `allowed`."""
        start = self.pos
        value = self.text()
        if value not in allowed:
            self.pos = start
            raise self.fail(f"expected {' or '.join(allowed)}, found {value!r}")
        return value

    def real(self) -> float:
        """float or double in dlib's portable form: mantissa * 2**exponent."""
        if self.peek() & 0x70:
            raise self.fail("legacy ASCII floating point format is not supported")
        mantissa = self.integer()
        exponent = self.integer()
        if exponent in _SPECIAL_EXPONENTS:
            return _SPECIAL_EXPONENTS[exponent]
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> NDArray[np.float32]:
        """A (resizable_)tensor: shape (num_samples, k, nr, nc) and its float32 values."""
        version = self.integer()
        if version != 2:
            raise self.fail(f"tensor version {version}, expected 2")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def alias_tensor(self) -> tuple[int, int, int, int]:
        """An alias_tensor: a shape only (a view into a layer's params)."""
        version = self.integer()
        if version != 1:
            raise self.fail(f"alias_tensor version {version}, expected 1")
        n, k, nr, nc = (self.integer() for _ in range(4))
        return n, k, nr, nc
