"""Reading the example data sets from ../shared/data/examples (or a path the user gives)."""

from __future__ import annotations

import csv
import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from service.checksums import sha256_of

# IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
IDX_IMAGES = 0x00000803
IDX_LABELS = 0x00000801


@dataclass(frozen=True)
class DataFile:
    """A data file named relative to the data folder, with the sha256 its SHA256SUMS lists."""

    relative: str
    sha256: str


@dataclass(frozen=True)
class Table:
    """A CSV as rows of strings keyed by column, and its header order."""

    columns: list[str]
    rows: list[dict[str, str]]


def data_file(root: Path, relative: str) -> DataFile:
    """The file's recorded sha256 (from SHA256SUMS beside it), checked against the file's bytes."""
    path = root / relative
    sums = path.parent / "SHA256SUMS"
    listed = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            listed[name.lstrip("*")] = digest
    if path.name not in listed:
        raise ValueError(f"{sums} does not list {path.name}")
    if sha256_of(path) != listed[path.name]:
        raise ValueError(f"{path} does not match its SHA256SUMS entry")
    return DataFile(relative=relative, sha256=listed[path.name])


def read_idx(path: Path) -> NDArray[np.uint8]:
    """An IDX (MNIST) gzip file as an array; its header gives the shape, and the data must fill it."""
    raw = gzip.decompress(path.read_bytes())
    (magic,) = struct.unpack(">I", raw[:4])
    dimensions = magic & 0xFF
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: not unsigned-byte IDX data (magic {magic:#010x})")
    shape = struct.unpack(f">{dimensions}I", raw[4 : 4 + 4 * dimensions])
    body = np.frombuffer(raw, np.uint8, offset=4 + 4 * dimensions)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {body.size} bytes of data for shape {shape}")
    return body.reshape(shape)


def read_table(path: Path) -> Table:
    """A CSV whose values may have spaces after the commas (census.csv): every value stripped."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        columns = [name.strip() for name in next(reader)]
        rows = [
            dict(zip(columns, (value.strip() for value in record), strict=True))
            for record in reader
            if record
        ]
    return Table(columns=columns, rows=rows)
