"""The FastAPI shell of the peers: /readyz and one /predict whose work runs inline, as their
examples do (`async def` handler, one request at a time on the event loop, one worker)."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, UploadFile

from bench.face import answer

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


def serve(description: str, build: Callable[[Path | None], FastAPI], *, model: bool) -> int:
    """`python -m bench.<peer> --port N [--model PATH]`: serve the peer on loopback."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", type=Path, required=model)
    args = parser.parse_args()
    uvicorn.run(build(args.model), host="127.0.0.1", port=args.port, log_level="warning")
    return 0
