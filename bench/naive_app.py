"""The naive peer: the same model served the way the seed projects do it, on any kind.

FastAPI and `model.predict` once per request, inline on its event loop, one worker. Inputs are
prepared with the service's own functions (faces: decode + crop; images: `decode_upright` +
`prepare`; table rows: the schema generated from the features + `encode_rows`) and answered in the
service's shape, so only the serving differs. The manifest's kind picks the route. Run with
`python -m bench.naive_app --model models/facesim-resnet-2.0.0.h5 --port 8001`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Request, UploadFile

from bench.face import UploadCropper
from bench.peers import Predict, face_app, peer_app, serve
from service.config import Settings
from service.images import ImageLimits, decode_upright
from service.kinds.classification import predictions
from service.kinds.image.manifest import ImageManifest
from service.kinds.image.preprocess import prepare
from service.kinds.tabular.features import encode_rows
from service.kinds.tabular.manifest import TabularManifest
from service.kinds.tabular.request import parse_rows, request_model
from service.manifest import manifest_path_for, read_manifest, validate_manifest

DEFAULTS = Settings.model_fields  # the service's default limits, so both accept the same requests
LIMITS = ImageLimits(DEFAULTS["max_upload_bytes"].default, DEFAULTS["max_image_pixels"].default)


def create_app(model_path: Path | None) -> FastAPI:
    """The peer of the kind the model's manifest names; the model is loaded once, at start-up."""
    assert model_path is not None
    manifest = read_manifest(manifest_path_for(model_path))

    def load() -> Any:
        import keras

        return keras.models.load_model(model_path, compile=False)

    def classify(request: Request, inputs: Any, labels: list[str]) -> list[dict[str, Any]]:
        rows = np.asarray(request.app.state.loaded.predict(inputs, verbose=0), np.float64)
        return [answer.model_dump() for answer in predictions(rows, labels)]

    if manifest.kind == "face-similarity":

        def load_face() -> Predict:
            model, crop = load(), UploadCropper(model_path)

            def predict(uploads: dict[str, bytes]) -> tuple[float, float]:
                outputs = model.predict([crop(data, n) for n, data in uploads.items()], verbose=0)
                d1, d2 = (float(np.ravel(o)[0]) for o in outputs)
                return d1, d2

            return predict

        return face_app(load_face)
    app = peer_app(load)
    if manifest.kind == "image-classification":
        spec = validate_manifest(manifest, ImageManifest, str(model_path))

        @app.post("/predict")
        async def classify_image(request: Request, image: UploadFile) -> dict[str, Any]:
            """The image's label and every label's probability."""
            decoded = decode_upright(await image.read(), field="image", limits=LIMITS)
            pixels = prepare(decoded.pixels, spec.preprocessing, spec.input_shape)
            return classify(request, pixels[np.newaxis].astype(np.float32), spec.labels)[0]

    elif manifest.kind == "tabular-classification":
        table = validate_manifest(manifest, TabularManifest, str(model_path))
        schema = request_model(table.features, DEFAULTS["max_rows"].default)

        @app.post("/predict")
        async def classify_rows(request: Request) -> dict[str, Any]:
            """Each row's label and every label's probability."""
            rows = parse_rows(await request.body(), schema)  # Keras takes the inputs by name
            return {
                "predictions": classify(request, encode_rows(rows, table.features), table.labels)
            }

    else:
        raise SystemExit(f"{model_path}: no naive peer for kind {manifest.kind!r}")
    return app


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(serve("the naive FastAPI + model.predict peer", create_app, model=True))
