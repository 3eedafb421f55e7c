"""Response bodies, as the OpenAPI schema shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """What went wrong and which request field it was about."""

    code: str = Field(examples=["no_face"])
    field: str | None = Field(examples=["img2"])
    message: str = Field(
        examples=["no face found in 'img2': use a photo where the face is frontal"]
    )


class ErrorResponse(BaseModel):
    """Every error the service returns has this shape."""

    error: ErrorDetail


class ModelRef(BaseModel):
    """Which model answered."""

    name: str
    version: str


class ModelInfo(BaseModel):
    """The model being served and where it came from; each kind adds its own fields."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: str
    kind: str = Field(examples=["face-similarity"])
    sha256: str
    source_uri: str
    loaded_at: datetime


class Health(BaseModel):
    """Liveness or readiness."""

    status: str
    detail: str | None = None
