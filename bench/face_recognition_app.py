"""The peer users pick for this job: the face_recognition library's way, behind FastAPI with one worker.

face_recognition's README: `load_image_file` (PIL, RGB), `face_encodings(image)`, which finds faces
with dlib's HOG detector upsampled once, puts the 5-point predictor on each box and calls
`compute_face_descriptor(image, shape, num_jitters=1)`; `face_distance` is Euclidean. The package
pins a source-built dlib, so this calls dlib-bin with the same defaults, per request. Same network
as ours, run by dlib's own C++ code. Run with `python -m bench.face_recognition_app --port 8002`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException
from PIL import Image, ImageOps

from bench.peers import Predict, face_app, serve
from dlib_port.files import LANDMARKS_FILE, RESNET_FILE, package_models_dir


def load() -> Predict:
    """dlib's detector, landmarks and network, loaded once: three encodings, two distances."""
    import dlib

    folder = package_models_dir()
    detector = dlib.get_frontal_face_detector()
    landmarks = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
    encoder = dlib.face_recognition_model_v1(str(folder / RESNET_FILE))

    def encoding(data: bytes, name: str) -> np.ndarray[Any, Any]:
        """face_recognition.face_encodings(load_image_file(...))[0]."""
        # load_image_file ignores EXIF orientation, so a phone photo stored turned has no upright
        # face for HOG to find (422); users who send phone photos add this line, and so do we.
        image = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
        if not (boxes := detector(image, 1)):
            raise HTTPException(422, f"no face in {name}")
        return np.asarray(encoder.compute_face_descriptor(image, landmarks(image, boxes[0]), 1))

    def predict(uploads: dict[str, bytes]) -> tuple[float, float]:
        """face_distance(anchor, [img1, img2])."""
        a, b, c = (encoding(data, name) for name, data in uploads.items())
        return float(np.linalg.norm(a - b)), float(np.linalg.norm(a - c))

    return predict


def create_app(_: Path | None = None) -> FastAPI:
    """The peer (it needs no model file: dlib-bin's come with the package)."""
    return face_app(load)


if __name__ == "__main__":
    sys.exit(serve("the face_recognition-style peer", create_app, model=False))
