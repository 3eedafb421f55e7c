"""The model manifest: the JSON beside the .h5 that says what the model is, which kind, how to feed it.

The core reads only what every kind has (name, version, sha256, kind); each kind validates the rest
with its own subclass (service/kinds/<kind>/manifest.py). Unknown keys are kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.errors import ModelError

KindName = Literal["face-similarity", "image-classification", "tabular-classification"]
# Manifests published before kinds existed describe face models: absent means face-similarity.
DEFAULT_KIND: KindName = "face-similarity"


class ModelManifest(BaseModel):
    """Name, version, checksum and kind; extra keys are kept for the kind to read."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    kind: KindName = DEFAULT_KIND
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


M = TypeVar("M", bound=ModelManifest)


def manifest_path_for(model_path: Path) -> Path:
    """`<model>.json` beside `<model>.h5`."""
    return model_path.with_suffix(".json")


def read_manifest(path: Path) -> ModelManifest:
    """Parse and validate a manifest's common part, failing with a message that names the file."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"model manifest {path} does not exist") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"model manifest {path} is not readable JSON: {exc}") from exc
    return validate_manifest(raw, ModelManifest, str(path))


def validate_manifest(raw: Any, schema: type[M], where: str) -> M:
    """Validate a manifest (or the common part already read) as `schema`, naming the bad key."""
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(p) for p in first["loc"])
        raise ModelError(f"model manifest {where} is invalid at '{at}': {first['msg']}") from exc
