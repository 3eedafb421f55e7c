"""What the servers are sent: three LFW JPEGs for the face servers, MNIST digits drawn as the page
sends them for the image kind, and table rows one per request, as the generated form sends them."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.loadgen import Payload
from service.kinds.tabular.features import CategoricalFeature, Feature, example_row
from service.kinds.tabular.manifest import TabularManifest
from service.manifest import manifest_path_for, read_manifest, validate_manifest
from service.paths import EXAMPLES_DIR, LFW_DIR, REPO_ROOT
from training.examples.datasets import read_idx
from training.examples.samples import encode, render

LFW_ARCHIVE = LFW_DIR / "lfw-deepfunneled.tgz"
# anchor and img1 show the same person, img2 another; all three early in the archive (fast to find).
LFW_MEMBERS = {
    "anchor": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0001.jpg",
    "img1": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0002.jpg",
    "img2": "lfw-deepfunneled/Hal_Sutton/Hal_Sutton_0001.jpg",
}
FIELDS = tuple(LFW_MEMBERS)  # the face kind's request fields, in order
MNIST = EXAMPLES_DIR / "mnist"
SPREAD_ROWS = 7  # rows beside the example, spread over every feature's range and categories


@dataclass(frozen=True)
class Triplet:
    """The three face images by field name, and where they came from."""

    images: dict[str, bytes]
    source: str

    def multipart(self) -> Payload:
        """A multipart/form-data request with the three fields."""
        return Payload.multipart({k: (f"{k}.jpg", v, "image/jpeg") for k, v in self.images.items()})


def load_triplet(archive: Path = LFW_ARCHIVE) -> Triplet:
    """The three LFW JPEGs straight from the .tgz."""
    wanted, found = {member: name for name, member in LFW_MEMBERS.items()}, dict[str, bytes]()
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.name in wanted and (handle := tar.extractfile(member)):
                found[wanted[member.name]] = handle.read()
            if len(found) == len(wanted):
                images = {name: found[name] for name in LFW_MEMBERS}
                return Triplet(images, f"{archive.name}: {', '.join(LFW_MEMBERS.values())}")
    raise FileNotFoundError(f"{archive} lacks {sorted(set(LFW_MEMBERS) - set(found))}")


@dataclass(frozen=True)
class Requests:
    """A classifier workload: what the clients send in turn, a line on each, where it came from."""

    payloads: list[Payload]
    described: list[str]
    source: str


def digit_requests(_: Path) -> Requests:
    """The first MNIST image of each digit, drawn as the page's 280x280 canvas sends it (a PNG)."""
    images_file = MNIST / "digits8k-images-idx3-ubyte.gz"
    images, labels = read_idx(images_file), read_idx(MNIST / "digits8k-labels-idx1-ubyte.gz")
    picked = [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]
    files = {
        f"digit-{labels[i]}-mnist-{i}.png": encode(render(images[i], "canvas"), "PNG")
        for i in picked
    }
    source = (
        f"{os.path.relpath(images_file, REPO_ROOT)}: the first image of each digit (indices "
        f"{', '.join(map(str, picked))}) as 280x280 canvas drawings (PNG)"
    )
    payloads = [
        Payload.multipart({"image": (name, data, "image/png")}) for name, data in files.items()
    ]
    return Requests(payloads, list(files), source)


def spread_row(features: Sequence[Feature], index: int) -> dict[str, float | str]:
    """Row `index` of SPREAD_ROWS: numbers stepped through their bounds, categories taken in turn."""
    row: dict[str, float | str] = {}
    for position, feature in enumerate(features):
        if isinstance(feature, CategoricalFeature):
            row[feature.name] = feature.categories[(index + position) % len(feature.categories)]
            continue
        value = feature.minimum + (feature.maximum - feature.minimum) * (index + 0.5) / SPREAD_ROWS
        whole = float(feature.minimum).is_integer() and float(feature.maximum).is_integer()
        row[feature.name] = round(value) if whole else round(value, 3)
    return row


def row_requests(model: Path) -> Requests:
    """One row per request: the manifest's example row, then rows spread over the features."""
    path = manifest_path_for(model)
    manifest = validate_manifest(read_manifest(path), TabularManifest, str(model))
    rows = [example_row(manifest.features)]
    rows += [spread_row(manifest.features, i) for i in range(SPREAD_ROWS)]
    payloads = [Payload.json({"rows": [row]}) for row in rows]
    source = (
        f"{path.name}: its example row and {SPREAD_ROWS} rows spread over "
        "every feature's bounds and categories, one row per request"
    )
    return Requests(payloads, [p.body.decode() for p in payloads], source)
