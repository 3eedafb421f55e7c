"""Tarballs extract with the "data" filter's refusals, also on Debian 12's Python 3.11.2 (no filter)."""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluation.tar_extract import UnsafeArchive, extract_data


def archive_with(tmp_path: Path, *members: tarfile.TarInfo) -> Path:
    """A tarball of one harmless file plus `members` (regular ones get a few bytes)."""
    path = tmp_path / "archive.tar"
    with tarfile.open(path, "w") as archive:
        for member in (file_info("lfw/Ann/Ann_0001.jpg"), *members):
            data = b"\xff\xd8\xff" if member.isreg() else b""
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if data else None)
    return path


def file_info(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def link_info(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def device_info(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    return info


def extract(path: Path, target: Path) -> None:
    with tarfile.open(path) as archive:
        extract_data(archive, target)


@pytest.mark.usefixtures("tarfile_of_python_3_11_2")
def test_a_plain_archive_extracts_on_python_3_11_2(tmp_path: Path) -> None:
    extract(archive_with(tmp_path, link_info("lfw/Ann/same.jpg", "Ann_0001.jpg")), tmp_path / "out")
    assert (tmp_path / "out/lfw/Ann/Ann_0001.jpg").read_bytes() == b"\xff\xd8\xff"
    assert (tmp_path / "out/lfw/Ann/same.jpg").read_bytes() == b"\xff\xd8\xff"


# Each given the test's folder: the absolute path points into it, so a slip writes nowhere else.
UNSAFE: dict[str, Callable[[Path], tarfile.TarInfo]] = {
    "a path up and out": lambda _: file_info("../escaped.txt"),
    "an absolute path": lambda tmp: file_info(str(tmp / "escaped.txt")),
    "a link out of the folder": lambda _: link_info("lfw/out", "../../.."),
    "an absolute link": lambda _: link_info("lfw/passwd", "/etc/passwd"),
    "a hard link outside": lambda _: link_info("lfw/hard", "../outside", tarfile.LNKTYPE),
    "a device file": lambda _: device_info("lfw/tty"),
}


@pytest.mark.usefixtures("tarfile_of_python_3_11_2")
@pytest.mark.parametrize("what", sorted(UNSAFE))
def test_python_3_11_2_refuses_what_the_data_filter_refuses(tmp_path: Path, what: str) -> None:
    path = archive_with(tmp_path, UNSAFE[what](tmp_path))
    with pytest.raises(UnsafeArchive):
        extract(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything is written
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize("what", sorted(UNSAFE))
def test_on_this_python_nothing_lands_outside(tmp_path: Path, what: str) -> None:
    path = archive_with(tmp_path, UNSAFE[what](tmp_path))
    # Refused (the filter's FilterError where Python has it), or for an absolute name made relative.
    refusals = (UnsafeArchive, getattr(tarfile, "FilterError", UnsafeArchive))
    with contextlib.suppress(*refusals):
        extract(path, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()
