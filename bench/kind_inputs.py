"""The requests of the classifier kinds: digits as the drawing page sends them, and table rows one
per request, as the generated form (or a Postman user) sends them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.loadgen import Payload
from service.kinds.tabular.features import CategoricalFeature, Feature, example_row
from service.kinds.tabular.manifest import TabularManifest
from service.manifest import manifest_path_for, read_manifest, validate_manifest
from service.paths import EXAMPLES_DIR, REPO_ROOT, repo_relative
from training.examples.datasets import read_idx
from training.examples.samples import encode, render

MNIST_IMAGES = EXAMPLES_DIR / "mnist" / "digits8k-images-idx3-ubyte.gz"
MNIST_LABELS = EXAMPLES_DIR / "mnist" / "digits8k-labels-idx1-ubyte.gz"
SAMPLES_DIR = REPO_ROOT / "tests" / "data" / "examples"  # the committed sample digits
SPREAD_ROWS = 7  # rows beside the example, spread over every feature's range and categories
MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class Requests:
    """A workload: what the clients send in turn, a line on each, and where it came from."""

    payloads: list[Payload]
    described: list[str]
    source: str


def digit_requests(_: Path, *, allow_fallback: bool = False) -> Requests:
    """The first MNIST image of each digit, drawn as the page's 280x280 canvas sends it (a PNG).

    Without the data set (allowed in quick runs only), the committed sample digits as they are.
    """
    if MNIST_IMAGES.is_file():
        images, labels = read_idx(MNIST_IMAGES), read_idx(MNIST_LABELS)
        picked = [int(np.flatnonzero(labels == digit)[0]) for digit in range(10)]
        files = {
            f"digit-{labels[i]}-mnist-{i}.png": encode(render(images[i], "canvas"), "PNG")
            for i in picked
        }
        source = (
            f"{os.path.relpath(MNIST_IMAGES, REPO_ROOT)}: the first image of each digit (indices "
            f"{', '.join(map(str, picked))}) as 280x280 canvas drawings (PNG)"
        )
    elif allow_fallback:
        found = sorted(p for p in SAMPLES_DIR.glob("digit-*") if p.suffix in MEDIA)
        if not found:
            raise FileNotFoundError(f"neither {MNIST_IMAGES} nor sample digits in {SAMPLES_DIR}")
        files = {p.name: p.read_bytes() for p in found}
        source = f"{repo_relative(SAMPLES_DIR)}: {', '.join(files)}"
    else:
        raise FileNotFoundError(f"MNIST {MNIST_IMAGES} not found (the full benchmark needs it)")
    payloads = [
        Payload.multipart({"image": (name, data, MEDIA[Path(name).suffix])})
        for name, data in files.items()
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


def row_requests(model: Path, *, allow_fallback: bool = False) -> Requests:
    """One row per request: the manifest's example row, then rows spread over the features."""
    manifest = validate_manifest(
        read_manifest(manifest_path_for(model)), TabularManifest, str(model)
    )
    rows = [example_row(manifest.features)]
    rows += [spread_row(manifest.features, i) for i in range(SPREAD_ROWS)]
    payloads = [Payload.json({"rows": [row]}) for row in rows]
    source = (
        f"{manifest_path_for(model).name}: its example row and {SPREAD_ROWS} rows spread over "
        "every feature's bounds and categories, one row per request"
    )
    return Requests(payloads, [p.body.decode() for p in payloads], source)
