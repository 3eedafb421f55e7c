"""What a face-similarity manifest adds: input shape, crop recipe, threshold, calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.kinds.face.crop import CropRecipe
from service.manifest import ModelManifest, read_manifest, validate_manifest


class Calibration(BaseModel):
    """Same-person probability from a distance: logistic(slope * (distance - threshold)).

    The 0.5 point is the threshold in force, so the verdict and the probability are one comparison
    (service.kinds.face.verdicts). An older manifest's "logistic" fit also carries an intercept,
    whose 0.5 point was not the threshold: it is read but not used.
    """

    model_config = ConfigDict(extra="allow")

    method: Literal["logistic-at-threshold", "logistic"] = "logistic-at-threshold"
    slope: float = Field(
        lt=0.0, description="negative: a larger distance is less likely the same person"
    )
    intercept: float | None = Field(None, description="older manifests only; not used")


class FaceManifest(ModelManifest):
    """A siamese model: three image inputs, two distances out, judged against the threshold."""

    input_shape: tuple[int, int, int]
    crop: CropRecipe
    threshold: float = Field(ge=0.0)
    distance: str = "cosine"
    calibration: Calibration | None = None
    min_face_px: int | None = Field(
        None,
        ge=1,
        description="narrowest face (detector box width, pixels of the decoded picture) the "
        "verdict is trusted on; a narrower one is refused with 422 face_too_small",
    )

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
