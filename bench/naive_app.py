"""The naive peer: the same model served the way the seed projects do it.

An `async def` FastAPI handler that reads three `UploadFile`s, decodes and crops them inline (with
the service's own functions, so only the serving differs) and calls `model.predict` once per
request. Everything runs on the event loop, one request at a time. Run with
`python -m bench.naive_app --model models/facesim-resnet-2.0.0.h5 --port 8001`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import uvicorn
from fastapi import FastAPI, UploadFile

from service.config import DEFAULT_FACE_ASSETS
from service.kinds.face.crop import Cropper
from service.images import ImageLimits, decode_image
from service.manifest import manifest_path_for, read_manifest

LIMITS = ImageLimits(max_bytes=8 * 1024 * 1024, max_pixels=40_000_000)


def create_app(model_path: Path) -> FastAPI:
    """A FastAPI app with one /predict route calling model.predict per request."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import keras

        state["model"] = keras.models.load_model(model_path, compile=False)
        state["manifest"] = read_manifest(manifest_path_for(model_path))
        state["cropper"] = Cropper(state["manifest"].crop, DEFAULT_FACE_ASSETS)
        yield
        state.clear()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        """Ready once the model is loaded."""
        return {"status": "ready"}

    @app.post("/predict")
    async def predict(anchor: UploadFile, img1: UploadFile, img2: UploadFile) -> dict[str, Any]:
        """Decode, crop and predict inline, as the seeds do."""
        manifest = state["manifest"]
        height, width, channels = manifest.input_shape
        batch = []
        for name, upload in (("anchor", anchor), ("img1", img1), ("img2", img2)):
            image = decode_image(await upload.read(), field=name, limits=LIMITS)
            crop = state["cropper"].crop(image, size=(height, width), channels=channels, field=name)
            batch.append(crop.pixels[None].astype(np.float32))
        outputs = state["model"].predict(batch, verbose=0)
        d1, d2 = (float(np.ravel(o)[0]) for o in outputs)
        return {
            "most_similar": "img1" if d1 <= d2 else "img2",
            "scores": {"img1": {"distance": d1}, "img2": {"distance": d2}},
        }

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the naive app on loopback."""
    parser = argparse.ArgumentParser(description="the naive FastAPI + model.predict peer")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.model), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
