"""The peers, served the way their own examples serve them: FastAPI, the work inline in an
`async def` handler (one request at a time on the event loop), one worker.

`naive`: the same model and `model.predict` once per request, on any kind. Inputs are prepared with
the service's own functions (faces: decode + crop; images: `decode_upright` + `prepare`; table rows:
the schema generated from the features + `encode_rows`) and answered in the service's shape, so
only the serving differs; the manifest's kind picks the route.

`face_recognition`: the face_recognition library's way. Its README: `load_image_file` (PIL, RGB),
`face_encodings(image)`, which finds faces with dlib's HOG detector upsampled once, puts the 5-point
predictor on each box and calls `compute_face_descriptor(image, shape, num_jitters=1)`;
`face_distance` is Euclidean. The package pins a source-built dlib, so this calls dlib-bin with the
same defaults, per request: the same network as ours, run by dlib's own C++ code.

Run with `python -m bench.peers naive --model models/facesim-resnet-2.0.0.h5 --port 8001` or
`python -m bench.peers face_recognition --port 8002`.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException, Request, UploadFile
from PIL import Image, ImageOps

from bench.face import DEFAULTS, LIMITS, UploadCropper, answer
from dlib_port.files import LANDMARKS_FILE, RESNET_FILE, package_models_dir
from service.images import decode_upright
from service.kinds.classification import predictions
from service.kinds.image.manifest import ImageManifest
from service.kinds.image.preprocess import prepare
from service.kinds.tabular.features import encode_rows
from service.kinds.tabular.manifest import TabularManifest
from service.kinds.tabular.request import parse_rows, request_model
from service.manifest import manifest_path_for, read_manifest, validate_manifest

# Loaded once in the lifespan: three uploads by field name -> the two distances.
Predict = Callable[[dict[str, bytes]], tuple[float, float]]


def peer_app(load: Callable[[], object]) -> FastAPI:
    """An app whose routes find what `load` returned in `app.state.loaded`, ready once it has."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.loaded = load()
        yield
        del app.state.loaded

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        """Ready once the model is loaded."""
        return {"status": "ready"}

    return app


def face_app(load: Callable[[], Predict]) -> FastAPI:
    """A face peer: anchor, img1 and img2 in, the service's answer shape out."""
    app = peer_app(load)

    @app.post("/predict")
    async def predict_face(
        request: Request, anchor: UploadFile, img1: UploadFile, img2: UploadFile
    ) -> dict[str, Any]:
        """Which candidate is the same person as the anchor."""
        uploads = {"anchor": anchor, "img1": img1, "img2": img2}
        return answer(*request.app.state.loaded({k: await v.read() for k, v in uploads.items()}))

    return app


def naive_app(model_path: Path) -> FastAPI:
    """The naive peer of the kind the model's manifest names; the model is loaded once."""
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


def load_face_recognition() -> Predict:
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


def main() -> int:
    """`python -m bench.peers {naive,face_recognition} --port N [--model PATH]` on loopback."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("peer", choices=("naive", "face_recognition"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", type=Path, help="the .h5 (naive only; dlib-bin has its own)")
    args = parser.parse_args()
    if args.peer == "naive" and args.model is None:
        parser.error("the naive peer needs --model")
    app = naive_app(args.model) if args.peer == "naive" else face_app(load_face_recognition)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
