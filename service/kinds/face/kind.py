"""The face-similarity kind: a three-input siamese model, faces cropped by the manifest's recipe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter

from service.config import Settings
from service.inference import Array, BatchFunction
from service.kinds.base import Forward, Kind, opened
from service.kinds.face import routes
from service.kinds.face.model import FaceModel, open_face_model, siamese_distances
from service.manifest import ModelManifest
from service.model import Signature

STATIC_DIR = Path(__file__).resolve().parent / "static"


class FaceKind(Kind):
    """Anchor against two candidates (POST /predict), or two faces (POST /verify)."""

    name = "face-similarity"
    summary = "Upload an anchor face and two candidates; learn which candidate is the same person."
    static_dir = STATIC_DIR

    def __init__(self, *, isolate_cnn: bool = True) -> None:
        # The service runs dlib's CNN in a process of its own (it holds the GIL); tools inline.
        self._isolate_cnn = isolate_cnn
        self._model: FaceModel | None = None

    @property
    def model(self) -> FaceModel:
        """The opened model; 503 before start-up has opened it."""
        return opened(self._model)

    def routers(self) -> list[APIRouter]:
        """POST /predict and POST /verify."""
        return [routes.router]

    def open(self, manifest: ModelManifest, settings: Settings) -> None:
        """The face fields, and the recipe's files verified against their sha256s."""
        self._model = open_face_model(manifest, settings, isolate_cnn=self._isolate_cnn)

    def bind(self, signature: Signature, predict: Forward) -> BatchFunction:
        """Three inputs of the manifest's shape; two (batch, 1) distances or one (batch, 2)."""
        return siamese_distances(signature, predict, self.model.manifest.input_shape)

    def warm_up_inputs(self) -> list[Array]:
        """Three blank chips."""
        zeros = np.zeros((1, *self.model.manifest.input_shape), dtype=np.float32)
        return [zeros, zeros, zeros]

    def warm_up(self) -> None:
        """Start the recipe's CNN process before the first request."""
        self.model.cropper.warm_up()

    def close(self) -> None:
        """Stop the recipe's CNN process."""
        if self._model is not None:
            self._model.cropper.close()

    def describe(self) -> str:
        """Name, version, metric and threshold."""
        m = self.model
        return (
            f"**{m.manifest.name} {m.manifest.version}** ({m.manifest.distance} distance, "
            f"same person at <= {m.threshold:g})."
        )

    def info(self) -> dict[str, Any]:
        """Input shape, threshold (and where it came from) and distance metric."""
        m = self.model
        return {
            "input_shape": m.manifest.input_shape,
            "threshold": m.threshold,
            "threshold_source": m.threshold_source,
            "distance": m.manifest.distance,
        }
