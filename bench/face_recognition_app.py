"""The peer users pick for this job: the face_recognition library's way, behind FastAPI with one worker.

face_recognition's README: `load_image_file` (PIL, RGB), `face_encodings(image)`, which finds faces
with dlib's HOG detector upsampled once, puts the 5-point predictor on each box and calls
`compute_face_descriptor(image, shape, num_jitters=1)`; `face_distance` is Euclidean. The package
pins a source-built dlib, so this calls dlib-bin with the same defaults, per request, inline in an
`async def` handler as its examples do. Same network as ours, run by dlib's own C++ code.
Run with `python -m bench.face_recognition_app --port 8002`.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException, UploadFile
from PIL import Image

from training.dlib_reference import LANDMARKS_FILE, RESNET_FILE, package_models_dir


def create_app() -> FastAPI:
    """One /predict route: three encodings, two distances."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import dlib

        folder = package_models_dir()
        state["detector"] = dlib.get_frontal_face_detector()
        state["predictor"] = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        state["encoder"] = dlib.face_recognition_model_v1(str(folder / RESNET_FILE))
        yield
        state.clear()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        """Ready once the models are loaded."""
        return {"status": "ready"}

    def encoding(data: bytes, name: str) -> np.ndarray:
        """face_recognition.face_encodings(load_image_file(...))[0]."""
        image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        boxes = state["detector"](image, 1)
        if not boxes:
            raise HTTPException(422, f"no face in {name}")
        shape = state["predictor"](image, boxes[0])
        return np.asarray(state["encoder"].compute_face_descriptor(image, shape, 1))

    @app.post("/predict")
    async def predict(anchor: UploadFile, img1: UploadFile, img2: UploadFile) -> dict[str, Any]:
        """face_distance(anchor, [img1, img2])."""
        uploads = (("anchor", anchor), ("img1", img1), ("img2", img2))
        a, b, c = [encoding(await upload.read(), name) for name, upload in uploads]
        d1, d2 = float(np.linalg.norm(a - b)), float(np.linalg.norm(a - c))
        return {
            "most_similar": "img1" if d1 <= d2 else "img2",
            "scores": {"img1": {"distance": d1}, "img2": {"distance": d2}},
        }

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the peer on loopback."""
    parser = argparse.ArgumentParser(description="the face_recognition-style peer")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
