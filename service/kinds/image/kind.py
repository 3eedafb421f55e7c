"""The image-classification kind: one image in, one probability per label out (e.g. digits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter

from service.config import Settings
from service.errors import ModelError
from service.inference import Array, BatchFunction
from service.kinds.base import Forward, Kind, opened
from service.kinds.classification import probabilities
from service.kinds.image import routes
from service.kinds.image.manifest import ImageManifest
from service.manifest import ModelManifest, validate_manifest
from service.model import Signature

STATIC_DIR = Path(__file__).resolve().parent / "static"


class ImageKind(Kind):
    """POST /predict with one image: the label and every label's probability."""

    name = "image-classification"
    summary = "Upload or draw an image; learn its label, with every label's probability."
    static_dir = STATIC_DIR

    def __init__(self) -> None:
        self._manifest: ImageManifest | None = None

    @property
    def manifest(self) -> ImageManifest:
        """The opened model's manifest; 503 before start-up has opened it."""
        return opened(self._manifest)

    def routers(self) -> list[APIRouter]:
        """POST /predict."""
        return [routes.router]

    def open(self, manifest: ModelManifest, settings: Settings) -> None:
        """Input shape, labels and preprocessing recipe."""
        self._manifest = validate_manifest(manifest, ImageManifest, manifest.name)

    def bind(self, signature: Signature, predict: Forward) -> BatchFunction:
        """One input of the manifest's shape; one output of one probability per label."""
        want = tuple(self.manifest.input_shape)
        shapes = [t.shape for t in signature.inputs]
        if shapes != [want]:
            raise ModelError(
                f"model inputs {[list(s) for s in shapes]}; the manifest's input_shape needs one "
                f"input of {list(want)}"
            )
        return probabilities(signature.outputs, self.manifest.labels, predict)

    def warm_up_inputs(self) -> list[Array]:
        """One blank image."""
        return [np.zeros((1, *self.manifest.input_shape), dtype=np.float32)]

    def describe(self) -> str:
        """Name, version, input and labels."""
        m = self.manifest
        height, width, channels = m.input_shape
        return (
            f"**{m.name} {m.version}** ({width}x{height}x{channels} input, "
            f"labels {', '.join(m.labels)})."
        )

    def info(self) -> dict[str, Any]:
        """Input shape, labels and the preprocessing recipe."""
        m = self.manifest
        return {
            "input_shape": m.input_shape,
            "labels": m.labels,
            "preprocessing": m.preprocessing.model_dump(),
        }
