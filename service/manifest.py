"""The model manifest: the JSON beside the .h5 that says what the model is and how to feed it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.errors import ModelError
from service.face_crop import CropRecipe


class ModelManifest(BaseModel):
    """Name, version, checksum, input shape, crop recipe and threshold; extra keys are kept."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    input_shape: tuple[int, int, int]
    crop: CropRecipe = CropRecipe()
    threshold: float = Field(ge=0.0, le=2.0)
    distance: str = "cosine"


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
