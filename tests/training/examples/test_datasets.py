"""Reading the example data: IDX files to the last byte, census CSV spacing, SHA256SUMS."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from training.examples.datasets import data_file, read_idx, read_table


def _idx(path: Path, array: np.ndarray, *, extra: bytes = b"") -> Path:
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes() + extra))
    return path


def test_an_idx_file_reads_back_in_its_own_shape(tmp_path: Path) -> None:
    """The header's dimensions shape the data (images 3-D, labels 1-D)."""
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(_idx(tmp_path / "i.gz", images)), images)
    labels = np.array([7, 1, 9], np.uint8)
    assert np.array_equal(read_idx(_idx(tmp_path / "l.gz", labels)), labels)


def test_an_idx_file_with_bytes_left_over_is_refused(tmp_path: Path) -> None:
    """A file whose data does not fill its header's shape exactly is not what it claims."""
    with pytest.raises(ValueError, match="bytes of data for shape"):
        read_idx(_idx(tmp_path / "i.gz", np.zeros((2, 2), np.uint8), extra=b"\x00"))


def test_census_values_lose_the_space_after_each_comma_and_keep_question_marks(
    tmp_path: Path,
) -> None:
    """`, State-gov` is `State-gov`; `?` (not recorded) stays a value of its own."""
    path = tmp_path / "census.csv"
    path.write_text("age, workclass, salary\n39, State-gov, <=50K\n50, ?, >50K\n\n")
    table = read_table(path)
    assert table.columns == ["age", "workclass", "salary"]
    assert table.rows == [
        {"age": "39", "workclass": "State-gov", "salary": "<=50K"},
        {"age": "50", "workclass": "?", "salary": ">50K"},
    ]


def test_a_data_file_must_match_its_sha256sums_entry(tmp_path: Path) -> None:
    """Training records the file's digest only after checking the file against SHA256SUMS."""
    (tmp_path / "set").mkdir()
    data = tmp_path / "set" / "rows.csv"
    data.write_text("a,b\n1,2\n")
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    (tmp_path / "set" / "SHA256SUMS").write_text(f"{digest}  rows.csv\n")
    assert data_file(tmp_path, "set/rows.csv").sha256 == digest
    data.write_text("a,b\n1,3\n")
    with pytest.raises(ValueError, match="SHA256SUMS"):
        data_file(tmp_path, "set/rows.csv")
