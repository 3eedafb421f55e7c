"""The model manifest: the JSON beside the .h5 that says what the model is and how to feed it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from service.errors import ModelError
from service.face_align import ChipRecipe
from service.face_crop import CropRecipe
from service.haar_crop import HaarRecipe


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


class ModelManifest(BaseModel):
    """Name, version, checksum, input shape, crop recipe and threshold; extra keys are kept."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    input_shape: tuple[int, int, int]
    crop: CropRecipe = HaarRecipe()
    threshold: float = Field(ge=0.0)
    distance: str = "cosine"
    calibration: Calibration | None = None

    @model_validator(mode="after")
    def _chip_matches_input(self) -> ModelManifest:
        """The dlib recipe cuts square RGB chips; the model must take exactly those."""
        if isinstance(self.crop, ChipRecipe):
            side = self.crop.chip_size
            if tuple(self.input_shape) != (side, side, 3):
                raise ValueError(
                    f"input_shape {list(self.input_shape)} does not take the recipe's "
                    f"{side}x{side}x3 chips"
                )
        return self


def manifest_path_for(model_path: Path) -> Path:
    """`<model>.json` beside `<model>.h5`."""
    return model_path.with_suffix(".json")


def read_manifest(path: Path) -> ModelManifest:
    """Parse and validate a manifest, failing with a message that names the file."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"model manifest {path} does not exist") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"model manifest {path} is not readable JSON: {exc}") from exc
    try:
        return ModelManifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ModelError(f"model manifest {path} is invalid at '{where}': {first['msg']}") from exc
