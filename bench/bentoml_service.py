"""The alternative users would pick: the same model served by BentoML (imported only in its own venv).

`bentoml serve bench.bentoml_service:FaceSimBento` with FACESIM_BENCH_MODEL pointing at the .h5.
Written the way BentoML's docs write a service: settings as constants, the model loaded once in
__init__, one typed method per API, images taken as BentoML's `PIL.Image.Image` input type (BentoML
reads the upload, Pillow decodes it whole; EXIF turns it upright, as the face_recognition peer
does). From the decoded pixels on it runs the service's own crop and compiled forward pass, so the
comparison measures the serving stack, image decoding included, not the model code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import bentoml
import numpy as np
from PIL import Image, ImageOps

MODEL_PATH = Path(os.environ.get("FACESIM_BENCH_MODEL", "models/facesim-resnet-2.0.0.h5"))
# Sync APIs run in BentoML's thread pool; its default of 1 serialises requests, so give it a few.
THREADS = int(os.environ.get("FACESIM_BENCH_BENTOML_THREADS", "4"))


@bentoml.service(workers=1, threads=THREADS, traffic={"timeout": 120})
class FaceSimBento:
    """Anchor against two candidates, one request at a time per thread."""

    def __init__(self) -> None:
        # Deferred, as BentoML's services defer heavy imports: `bentoml serve` imports this module
        # to find the service; the service's code (and TensorFlow) loads in the worker only.
        from bench.face import UploadCropper
        from service.config import Settings
        from service.kinds.face.model import open_local

        self.crop = UploadCropper(MODEL_PATH)
        _, self.distances = open_local(MODEL_PATH, Settings(model_uri=str(MODEL_PATH)))
        self.distances([self.crop.blank()] * 3)  # warm-up: the first call traces the graph

    @bentoml.api  # type: ignore[untyped-decorator]  # bentoml is only in its own venv
    def predict(self, anchor: Image.Image, img1: Image.Image, img2: Image.Image) -> dict[str, Any]:
        """Which candidate is the same person as the anchor."""
        from bench.face import answer  # already loaded by __init__; deferred for the same reason

        uploads = {"anchor": anchor, "img1": img1, "img2": img2}
        crops = [
            self.crop.crop_pixels(np.asarray(ImageOps.exif_transpose(image).convert("RGB")), name)
            for name, image in uploads.items()
        ]
        d1, d2 = (float(v) for v in self.distances(crops)[0])
        return answer(d1, d2)
