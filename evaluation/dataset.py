"""LFW as the evaluation needs it: View 2's pairs and every image's chip, cropped once and cached."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evaluation import lfw
from evaluation.crops import CropSet, CropSpec, load_or_build

Logger = Callable[[str], None]


@dataclass(frozen=True)
class DataSource:
    """Where the data comes from and how it is cropped, and the switches of a tiny run (tests)."""

    data: Path
    spec: CropSpec
    cache: Path = lfw.DEFAULT_CACHE
    pairs_per_fold: int | None = None
    images_per_person: int | None = None


@dataclass(frozen=True)
class Dataset:
    """View 2's pairs and the chip of every image (every LFW image, not only the pairs')."""

    source: DataSource
    images_dir: Path
    pairs: list[lfw.Pair]
    crops: CropSet


def load_dataset(source: DataSource, log: Logger = print, *, workers: int | None = None) -> Dataset:
    """Locate/extract the images, read pairs.txt and crop everything (cached); optionally a tiny subset."""
    images_dir = lfw.resolve_images_dir(source.data, source.cache)
    pairs_file = source.data / "pairs.txt"
    if not pairs_file.is_file():
        pairs_file = images_dir.parent / "pairs.txt"
    pairs = lfw.read_pairs(pairs_file)
    lfw.people_by_fold(pairs)  # refuses a pairs.txt that puts one person in two folds
    people = lfw.list_images(images_dir)
    if source.pairs_per_fold is not None:
        pairs = first_pairs(pairs, source.pairs_per_fold)
        named = {n for p in pairs for n in (p.name1, p.name2)}
        people = {n: keys for n, keys in people.items() if n in named}
    if source.images_per_person is not None:
        needed = {k for p in pairs for k in (p.image1, p.image2)}
        people = {n: _cap(keys, needed, source.images_per_person) for n, keys in people.items()}
    keys = sorted(k for ks in people.values() for k in ks)
    started = time.perf_counter()
    crops = load_or_build(images_dir, keys, source.spec, source.cache / "crops", workers=workers)
    log(f"{len(keys)} crops of {len(people)} people ready in {time.perf_counter() - started:.0f} s")
    return Dataset(source, images_dir, pairs, crops)


def first_pairs(pairs: list[lfw.Pair], n: int) -> list[lfw.Pair]:
    """The first n same and n different pairs of every fold (tiny runs for tests)."""
    kept: list[lfw.Pair] = []
    for fold in range(lfw.N_FOLDS):
        for same in (True, False):
            kept.extend([p for p in pairs if p.fold == fold and p.same is same][:n])
    return kept


def _cap(keys: list[str], needed: set[str], limit: int) -> list[str]:
    """A person's images cut to `limit`, always keeping those the pairs use."""
    extra = [k for k in keys if k not in needed][: max(0, limit - len(needed & set(keys)))]
    return sorted({*extra, *(k for k in keys if k in needed)})
