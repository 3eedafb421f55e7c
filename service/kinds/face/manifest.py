"""What a face-similarity manifest adds: input shape, crop recipe, threshold, calibration."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.kinds.face.crop import CropRecipe
from service.manifest import ModelManifest, read_manifest, validate_manifest


class Calibration(BaseModel):
    """Same-person probability from a distance: logistic(intercept + slope * distance), fitted on LFW."""

    model_config = ConfigDict(extra="allow")

    method: Literal["logistic"] = "logistic"
    intercept: float
    slope: float = Field(
        lt=0.0, description="negative: a larger distance is less likely the same person"
    )

    def probability(self, distance: float) -> float:
        """P(same person | distance), at the prior of the pairs it was fitted on."""
        z = self.intercept + self.slope * distance
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


class FaceManifest(ModelManifest):
    """A siamese model: three image inputs, two distances out, judged against the threshold."""

    input_shape: tuple[int, int, int]
    crop: CropRecipe
    threshold: float = Field(ge=0.0)
    distance: str = "cosine"
    calibration: Calibration | None = None

    @model_validator(mode="after")
    def _chip_matches_input(self) -> FaceManifest:
        """The recipe cuts square RGB chips; the model must take exactly those."""
        side = self.crop.chip_size
        if tuple(self.input_shape) != (side, side, 3):
            raise ValueError(
                f"input_shape {list(self.input_shape)} does not take the recipe's "
                f"{side}x{side}x3 chips"
            )
        return self


def read_face_manifest(path: Path) -> FaceManifest:
    """A face model's manifest with its face fields validated (for tools: evaluation, bench)."""
    return validate_manifest(read_manifest(path), FaceManifest, str(path))
