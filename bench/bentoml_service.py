"""The alternative users would pick: the same model served by BentoML (imported only in its own venv).

`bentoml serve bench.bentoml_service:FaceSimBento` with FACESIM_BENCH_MODEL pointing at the .h5.
Written the way BentoML's docs write a service: settings as constants, the model loaded once in
__init__, one typed method per API. It uses the service's own decode, crop and compiled forward
pass, so the comparison measures the serving stack, not the model code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import bentoml
import numpy as np

MODEL_PATH = Path(os.environ.get("FACESIM_BENCH_MODEL", "models/facesim-resnet-2.0.0.h5"))
# Sync APIs run in BentoML's thread pool; its default of 1 serialises requests, so give it a few.
THREADS = int(os.environ.get("FACESIM_BENCH_BENTOML_THREADS", "4"))
LIMIT_BYTES = 8 * 1024 * 1024


@bentoml.service(workers=1, threads=THREADS, traffic={"timeout": 120})
class FaceSimBento:
    """Anchor against two candidates, one request at a time per thread."""

    def __init__(self) -> None:
        from service.config import DEFAULT_FACE_ASSETS
        from service.kinds.face.crop import Cropper
        from service.images import ImageLimits
        from service.manifest import manifest_path_for, read_manifest
        from service.model import load_siamese

        self.manifest = read_manifest(manifest_path_for(MODEL_PATH))
        self.cropper = Cropper(self.manifest.crop, DEFAULT_FACE_ASSETS)
        self.model = load_siamese(MODEL_PATH)
        self.model.warm_up()
        self.limits = ImageLimits(max_bytes=LIMIT_BYTES, max_pixels=40_000_000)

    def _crop(self, path: Path, field: str) -> Any:
        """Decode and crop one upload with the service's functions."""
        from service.images import decode_image

        image = decode_image(path.read_bytes(), field=field, limits=self.limits)
        height, width, channels = self.manifest.input_shape
        crop = self.cropper.crop(image, size=(height, width), channels=channels, field=field)
        return crop.pixels[None].astype(np.float32)

    @bentoml.api  # type: ignore[untyped-decorator]  # bentoml is only in its own venv
    def predict(self, anchor: Path, img1: Path, img2: Path) -> dict[str, Any]:
        """Which candidate is the same person as the anchor."""
        crops = [self._crop(p, n) for p, n in ((anchor, "anchor"), (img1, "img1"), (img2, "img2"))]
        d1, d2 = (float(v) for v in self.model.distances(*crops)[0])
        return {
            "most_similar": "img1" if d1 <= d2 else "img2",
            "scores": {"img1": {"distance": d1}, "img2": {"distance": d2}},
        }
