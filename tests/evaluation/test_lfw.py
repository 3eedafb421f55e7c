"""Reading pairs.txt, folds and people, and extracting the tarball."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from evaluation import lfw

PAIRS = """2\t2
Ann\t1\t2
Bob\t1\t3
Ann\t1\tBob\t2
Bob\t1\tAnn\t2
Cy\t1\t2
Dee\t2\t3
Cy\t1\tDee\t1
Dee\t1\tCy\t2
"""


def test_read_pairs_assigns_folds_and_same_flags(tmp_path: Path) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text(PAIRS)
    pairs = lfw.read_pairs(path)
    assert len(pairs) == 8
    assert [p.fold for p in pairs] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert [p.same for p in pairs] == [True, True, False, False] * 2
    assert pairs[2].image2 == "Bob/Bob_0002.jpg"
    assert lfw.people_by_fold(pairs) == {"Ann": 0, "Bob": 0, "Cy": 1, "Dee": 1}


def test_people_in_two_folds_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text(PAIRS.replace("Cy\t1\t2", "Ann\t3\t4"))
    with pytest.raises(ValueError, match="Ann"):
        lfw.people_by_fold(lfw.read_pairs(path))


def lfw_tarball(tmp_path: Path) -> Path:
    """A data folder holding only LFW's tarball, of one photo."""
    source = tmp_path / "src" / lfw.IMAGES_DIRNAME / "Ann"
    source.mkdir(parents=True)
    (source / "Ann_0001.jpg").write_bytes(b"\xff\xd8\xff")
    data = tmp_path / "data"
    data.mkdir()
    with tarfile.open(data / lfw.TARBALL_NAME, "w:gz") as archive:
        archive.add(tmp_path / "src" / lfw.IMAGES_DIRNAME, arcname=lfw.IMAGES_DIRNAME)
    return data


def test_tarball_is_extracted_into_the_cache_when_no_folder_exists(tmp_path: Path) -> None:
    data = lfw_tarball(tmp_path)
    images = lfw.resolve_images_dir(data, tmp_path / "cache")
    assert images == tmp_path / "cache" / "lfw" / lfw.IMAGES_DIRNAME
    assert lfw.list_images(images) == {"Ann": ["Ann/Ann_0001.jpg"]}
    assert lfw.resolve_images_dir(data, tmp_path / "cache") == images  # second call reuses it


@pytest.mark.usefixtures("tarfile_of_python_3_11_2")
def test_the_tarball_extracts_on_debian_12s_python_3_11_2(tmp_path: Path) -> None:
    images = lfw.resolve_images_dir(lfw_tarball(tmp_path), tmp_path / "cache")
    assert lfw.list_images(images) == {"Ann": ["Ann/Ann_0001.jpg"]}


def test_missing_data_says_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="tarball"):
        lfw.resolve_images_dir(tmp_path, tmp_path / "cache")
