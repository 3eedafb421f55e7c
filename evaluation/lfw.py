"""LFW on disk: locate or extract the deep-funneled images, read View 2 pairs.txt, list every image."""

from __future__ import annotations

import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evaluation.tar_extract import extract_data
from service.paths import LFW_ARCHIVE, LFW_DIR, REPO_ROOT

DEFAULT_DATA = LFW_DIR
DEFAULT_CACHE = REPO_ROOT / ".cache"
IMAGES_DIRNAME = "lfw-deepfunneled"
TARBALL_NAME = LFW_ARCHIVE.name
N_FOLDS = 10


@dataclass(frozen=True)
class Pair:
    """One View 2 line: two images (name, 1-based index) and whether they show the same person."""

    name1: str
    index1: int
    name2: str
    index2: int
    same: bool
    fold: int  # 0-based fold number

    @property
    def image1(self) -> str:
        """Relative path of the first image."""
        return image_key(self.name1, self.index1)

    @property
    def image2(self) -> str:
        """Relative path of the second image."""
        return image_key(self.name2, self.index2)


def image_key(name: str, index: int) -> str:
    """The image's path relative to the images folder, as LFW names it."""
    return f"{name}/{name}_{index:04d}.jpg"


def resolve_images_dir(data: Path, cache: Path = DEFAULT_CACHE) -> Path:
    """The folder of per-person image folders: extracted beside the data, in the cache, or extracted now."""
    for candidate in (data / IMAGES_DIRNAME, data, cache / "lfw" / IMAGES_DIRNAME):
        if candidate.is_dir() and any(candidate.glob("*/*_0001.jpg")):
            return candidate
    tarball = data / TARBALL_NAME
    if not tarball.is_file():
        raise FileNotFoundError(
            f"no {IMAGES_DIRNAME}/ folder and no {TARBALL_NAME} under {data}; "
            "download the official LFW deep-funneled tarball there"
        )
    target = cache / "lfw"
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        # The "data" filter refuses absolute paths, links out of the folder and device files.
        extract_data(archive, target)
    return target / IMAGES_DIRNAME


def read_pairs(path: Path) -> list[Pair]:
    """Parse pairs.txt (View 2): a header 'folds n', then per fold n same lines and n different lines."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    folds, per_fold = int(lines[0][0]), int(lines[0][1])
    pairs: list[Pair] = []
    for row_number, fields in enumerate(lines[1:]):
        fold = row_number // (2 * per_fold)
        if len(fields) == 3:
            pairs.append(Pair(fields[0], int(fields[1]), fields[0], int(fields[2]), True, fold))
        elif len(fields) == 4:
            pairs.append(Pair(fields[0], int(fields[1]), fields[2], int(fields[3]), False, fold))
        else:
            raise ValueError(f"{path}: line {row_number + 2} has {len(fields)} fields")
    if len(pairs) != folds * 2 * per_fold:
        raise ValueError(f"{path}: expected {folds * 2 * per_fold} pairs, read {len(pairs)}")
    return pairs


def people_by_fold(pairs: Iterable[Pair]) -> dict[str, int]:
    """Each person named in the pairs mapped to their fold; a person in two folds is an error."""
    fold_of: dict[str, int] = {}
    for pair in pairs:
        for name in (pair.name1, pair.name2):
            if fold_of.setdefault(name, pair.fold) != pair.fold:
                raise ValueError(f"{name} appears in folds {fold_of[name]} and {pair.fold}")
    return fold_of


def list_images(images_dir: Path) -> dict[str, list[str]]:
    """Every person's image keys, sorted, from the folder layout."""
    people: dict[str, list[str]] = {}
    for person_dir in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        keys = sorted(f"{person_dir.name}/{f.name}" for f in person_dir.glob("*.jpg"))
        if keys:
            people[person_dir.name] = keys
    return people
