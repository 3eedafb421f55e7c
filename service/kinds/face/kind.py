"""The face-similarity kind: a three-input siamese model, faces cropped by the manifest's recipe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter
from numpy.typing import NDArray

from service.config import Settings
from service.errors import ModelError, ModelNotReady
from service.inference import Array, BatchFunction
from service.kinds.base import Forward, Kind
from service.kinds.face import routes
from service.kinds.face.crop import cropper_for
from service.kinds.face.manifest import FaceManifest
from service.kinds.face.served import FaceModel
from service.manifest import ModelManifest, validate_manifest
from service.model import Signature

STATIC_DIR = Path(__file__).resolve().parent / "static"


class FaceKind(Kind):
    """Anchor against two candidates (POST /predict), or two faces (POST /verify)."""

    name = "face-similarity"
    summary = "Upload an anchor face and two candidates; learn which candidate is the same person."
    static_dir = STATIC_DIR

    def __init__(self) -> None:
        self._model: FaceModel | None = None

    @property
    def model(self) -> FaceModel:
        """The opened model; 503 before start-up has opened it."""
        if self._model is None:
            raise ModelNotReady("not ready: the model is still loading")
        return self._model

    def routers(self) -> list[APIRouter]:
        """POST /predict and POST /verify."""
        return [routes.router]

    def open(self, manifest: ModelManifest, settings: Settings) -> None:
        """The face fields, and the recipe's files verified against their sha256s."""
        face = validate_manifest(manifest, FaceManifest, manifest.name)
        override = settings.distance_threshold
        self._model = FaceModel(
            manifest=face,
            cropper=cropper_for(face.crop, settings.face_assets_dir, isolate_cnn=True),
            threshold=override if override is not None else face.threshold,
            threshold_source="DISTANCE_THRESHOLD" if override is not None else "manifest",
        )

    def bind(self, signature: Signature, predict: Forward) -> BatchFunction:
        """Three inputs of the manifest's shape; two (batch, 1) distances or one (batch, 2)."""
        shapes = [t.shape for t in signature.inputs]
        if len(shapes) != 3:
            raise ModelError(
                f"model has {len(shapes)} inputs; the face-similarity contract is 3 "
                "(anchor, img1, img2)"
            )
        want = tuple(self.model.manifest.input_shape)
        if any(shape != want for shape in shapes):
            raise ModelError(
                f"model inputs {[list(s) for s in shapes]} differ from the manifest's "
                f"input_shape {list(want)}"
            )
        out_dims = [int(np.prod([d or 1 for d in t.shape])) for t in signature.outputs]
        if out_dims not in ([1, 1], [2]):
            raise ModelError(
                f"model outputs {[list(t.shape) for t in signature.outputs]}; the "
                "face-similarity contract is two (batch, 1) distances or one (batch, 2)"
            )

        def distances(inputs: list[Array]) -> NDArray[np.float64]:
            return np.concatenate(predict(inputs), axis=1)

        return distances

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
