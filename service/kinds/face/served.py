"""The face model being served, as the routes see it; they find it on the app through FaceModelDep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from service.errors import ModelNotReady
from service.kinds.face.crop import FaceCropper
from service.kinds.face.manifest import FaceManifest


@dataclass(frozen=True)
class FaceModel:
    """The face model being served: manifest, recipe and the threshold in force."""

    manifest: FaceManifest
    cropper: FaceCropper
    threshold: float
    threshold_source: Literal["manifest", "DISTANCE_THRESHOLD"]

    def probability(self, distance: float) -> float | None:
        """The manifest's calibrated same-person probability, if it has a calibration."""
        calibration = self.manifest.calibration
        return calibration.probability(distance) if calibration is not None else None


def get_face_model(request: Request) -> FaceModel:
    """The app's face model once its kind has opened it; 503 before."""
    model = getattr(request.app.state.kind, "model", None)
    if not isinstance(model, FaceModel):
        raise ModelNotReady("not ready: the model is still loading")
    return model


FaceModelDep = Annotated[FaceModel, Depends(get_face_model)]
