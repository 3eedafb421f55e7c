"""The naive peer: the same model served the way the seed projects do it.

Decode and crop inline (with the service's own functions, so only the serving differs) and
`model.predict` once per request. Run with
`python -m bench.naive_app --model models/facesim-resnet-2.0.0.h5 --port 8001`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from fastapi import FastAPI

from bench.face import UploadCropper
from bench.peers import FACE_ROUTES, Predict, peer_app, serve


def create_app(model_path: Path | None) -> FastAPI:
    """The peer on this model."""
    assert model_path is not None

    def load() -> Predict:
        import keras

        model, crop = keras.models.load_model(model_path, compile=False), UploadCropper(model_path)

        def predict(uploads: dict[str, bytes]) -> tuple[float, float]:
            outputs = model.predict([crop(data, name) for name, data in uploads.items()], verbose=0)
            d1, d2 = (float(np.ravel(o)[0]) for o in outputs)
            return d1, d2

        return predict

    return peer_app(load, FACE_ROUTES)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(serve("the naive FastAPI + model.predict peer", create_app, model=True))
