"""The service's own face code as the peers use it: decode and crop one upload, answer like /predict.

The one module of the peers that imports the service's face code (the BentoML venv imports it too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from service.config import DEFAULT_FACE_ASSETS, Settings
from service.images import ImageLimits, decode_image
from service.kinds.face.crop import cropper_for
from service.kinds.face.manifest import read_face_manifest
from service.manifest import manifest_path_for

DEFAULTS = Settings.model_fields  # the service's default limits, so all accept the same requests
LIMITS = ImageLimits(DEFAULTS["max_upload_bytes"].default, DEFAULTS["max_image_pixels"].default)


class UploadCropper:
    """Decode and crop uploads the way the model's manifest says, with the service's functions."""

    def __init__(self, model_path: Path) -> None:
        self.manifest = read_face_manifest(manifest_path_for(model_path))
        self.cropper = cropper_for(self.manifest.crop, DEFAULT_FACE_ASSETS)

    def __call__(self, data: bytes, field: str) -> np.ndarray[Any, Any]:
        """One upload as a batch of one float32 crop."""
        return self.crop_pixels(decode_image(data, field=field, limits=LIMITS), field)

    def crop_pixels(self, image: np.ndarray[Any, Any], field: str) -> np.ndarray[Any, Any]:
        """An already decoded upright RGB image as a batch of one float32 crop."""
        return self.cropper.crop(image, field=field).pixels[None].astype(np.float32)

    def blank(self) -> np.ndarray[Any, Any]:
        """A batch of one all-zero chip, for a warm-up call."""
        return np.zeros((1, *self.manifest.input_shape), dtype=np.float32)


def answer(d1: float, d2: float) -> dict[str, Any]:
    """The part of /predict's answer the bench reads."""
    return {
        "most_similar": "img1" if d1 <= d2 else "img2",
        "scores": {"img1": {"distance": d1}, "img2": {"distance": d2}},
    }
