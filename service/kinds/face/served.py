"""How the face routes find the model being served: FaceModelDep, from the app's kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.errors import ModelNotReady
from service.kinds.face.model import FaceModel


def get_face_model(request: Request) -> FaceModel:
    """The app's face model once its kind has opened it; 503 before."""
    model = getattr(request.app.state.kind, "model", None)
    if not isinstance(model, FaceModel):
        raise ModelNotReady("not ready: the model is still loading")
    return model


FaceModelDep = Annotated[FaceModel, Depends(get_face_model)]
