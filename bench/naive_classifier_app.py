"""The naive peer of the classifier kinds: FastAPI and `model.predict` once per request.

The manifest's "kind" picks the route. Inputs are prepared with the service's own functions (image:
`decode_upright` + `prepare`; table rows: the schema generated from the features + `encode_rows`)
and answered in the service's shape, so only the serving differs. Run with
`python -m bench.naive_classifier_app --model models/digits-cnn-1.0.0.h5 --port 8003`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, FastAPI, Request, UploadFile
from pydantic import BaseModel

from bench.peers import peer_app, serve
from service.config import Settings
from service.images import ImageLimits, decode_upright
from service.kinds.classification import predictions
from service.kinds.image.manifest import ImageManifest
from service.kinds.image.preprocess import prepare
from service.kinds.tabular.features import encode_rows
from service.kinds.tabular.manifest import TabularManifest
from service.kinds.tabular.request import parse_rows, request_model
from service.manifest import KindName, manifest_path_for, read_manifest, validate_manifest

DEFAULTS = Settings.model_fields  # the service's default limits, so both accept the same requests
LIMITS = ImageLimits(DEFAULTS["max_upload_bytes"].default, DEFAULTS["max_image_pixels"].default)
IMAGE_ROUTES, TABULAR_ROUTES = APIRouter(), APIRouter()


@dataclass(frozen=True)
class Classifier:
    """The Keras model and its labels: `model.predict` on one request's inputs, one answer per row."""

    model: Any
    labels: list[str]

    def __call__(self, inputs: Any) -> list[dict[str, Any]]:
        """Every row's label and probabilities, as the service's Prediction."""
        rows = np.asarray(self.model.predict(inputs, verbose=0), np.float64)
        return [answer.model_dump() for answer in predictions(rows, self.labels)]


@dataclass(frozen=True)
class ImagePeer:
    """What the image route needs."""

    classify: Classifier
    manifest: ImageManifest


@dataclass(frozen=True)
class TabularPeer:
    """What the rows route needs: the request schema generated from the manifest's features."""

    classify: Classifier
    manifest: TabularManifest
    request: type[BaseModel]


def _classifier(model_path: Path, labels: list[str]) -> Classifier:
    import keras

    return Classifier(keras.models.load_model(model_path, compile=False), labels)


def image_peer(model_path: Path) -> ImagePeer:
    """The model and its image manifest."""
    manifest = validate_manifest(
        read_manifest(manifest_path_for(model_path)), ImageManifest, str(model_path)
    )
    return ImagePeer(_classifier(model_path, manifest.labels), manifest)


def tabular_peer(model_path: Path) -> TabularPeer:
    """The model, its tabular manifest and the request schema."""
    manifest = validate_manifest(
        read_manifest(manifest_path_for(model_path)), TabularManifest, str(model_path)
    )
    schema = request_model(manifest.features, DEFAULTS["max_rows"].default)
    return TabularPeer(_classifier(model_path, manifest.labels), manifest, schema)


@IMAGE_ROUTES.post("/predict")
async def classify_image(request: Request, image: UploadFile) -> dict[str, Any]:
    """The image's label and every label's probability."""
    peer: ImagePeer = request.app.state.loaded
    decoded = decode_upright(await image.read(), field="image", limits=LIMITS)
    pixels = prepare(decoded.pixels, peer.manifest.preprocessing, peer.manifest.input_shape)
    return peer.classify(pixels[np.newaxis].astype(np.float32))[0]


@TABULAR_ROUTES.post("/predict")
async def classify_rows(request: Request) -> dict[str, Any]:
    """Each row's label and every label's probability."""
    peer: TabularPeer = request.app.state.loaded
    rows = parse_rows(await request.body(), peer.request)
    # Keras takes the inputs by name: {"numeric": ..., "categorical": ...}.
    return {"predictions": peer.classify(encode_rows(rows, peer.manifest.features))}


PEERS: Mapping[KindName, tuple[Callable[[Path], object], APIRouter]] = {
    "image-classification": (image_peer, IMAGE_ROUTES),
    "tabular-classification": (tabular_peer, TABULAR_ROUTES),
}


def create_app(model_path: Path | None) -> FastAPI:
    """The peer of the kind the model's manifest names."""
    assert model_path is not None
    kind = read_manifest(manifest_path_for(model_path)).kind
    if kind not in PEERS:
        raise SystemExit(f"{model_path}: no naive peer for kind {kind!r}")
    load, routes = PEERS[kind]
    return peer_app(lambda: load(model_path), routes)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(
        serve("the naive FastAPI + model.predict peer of a classifier", create_app, model=True)
    )
