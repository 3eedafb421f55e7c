"""MAX_REQUEST_BYTES holds for every body kind: JSON as much as multipart, declared or streamed."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from starlette.requests import Request
from starlette.types import Message

from service.errors import PayloadTooLarge
from service.uploads import read_images
from tests.conftest import ClientFactory

LIMIT = 4096
FIELDS = ("anchor", "img1", "img2")
BOUNDARY = "limit-test-boundary"
CONTENT_TYPES = {
    "json": b"application/json",
    "multipart": f"multipart/form-data; boundary={BOUNDARY}".encode(),
}


def body_of(kind: str, image: bytes) -> bytes:
    """The three fields holding `image`, as a JSON document or a multipart form."""
    if kind == "json":
        return json.dumps({f: base64.b64encode(image).decode() for f in FIELDS}).encode()
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{f}"; filename="x"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + image
        + b"\r\n"
        for f in FIELDS
    ]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class Stream:
    """A request body arriving in 1 KiB chunks; counts how many were read."""

    def __init__(self, body: bytes) -> None:
        self.chunks = [body[i : i + 1024] for i in range(0, len(body), 1024)] or [b""]
        self.read = 0

    async def receive(self) -> Message:
        chunk = self.chunks[self.read]
        self.read += 1
        return {"type": "http.request", "body": chunk, "more_body": self.read < len(self.chunks)}


def request(kind: str, stream: Stream, declared: int | None) -> Request:
    headers = [(b"content-type", CONTENT_TYPES[kind])]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "method": "POST", "path": "/predict", "headers": headers}
    return Request(scope, stream.receive)


@pytest.mark.parametrize("kind", CONTENT_TYPES)
def test_a_body_that_declares_more_than_the_limit_is_refused_unread(kind: str) -> None:
    body = body_of(kind, b"x" * LIMIT)
    stream = Stream(body)
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_images(request(kind, stream, len(body)), FIELDS, LIMIT))
    assert stream.read == 0


@pytest.mark.parametrize("kind", CONTENT_TYPES)
def test_a_streamed_body_over_the_limit_is_refused_once_it_passes_it(kind: str) -> None:
    body = body_of(kind, b"x" * 8 * LIMIT)
    stream = Stream(body)
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_images(request(kind, stream, None), FIELDS, LIMIT))
    assert stream.read == LIMIT // 1024 + 1 < len(stream.chunks), "reading stopped at the limit"


@pytest.mark.parametrize("kind", CONTENT_TYPES)
def test_a_body_within_the_limit_is_read_whole(kind: str) -> None:
    image = b"\x89PNG-not-really" * 50
    body = body_of(kind, image)
    assert len(body) <= LIMIT
    found = asyncio.run(read_images(request(kind, Stream(body), len(body)), FIELDS, LIMIT))
    assert found == dict.fromkeys(FIELDS, image)


def test_a_json_body_over_max_request_bytes_is_413_through_the_app(
    make_client: ClientFactory, tiny_model: object, faces: dict[str, bytes]
) -> None:
    doc = {f: base64.b64encode(faces["a1"]).decode() for f in FIELDS}
    assert len(json.dumps(doc)) > 10_000
    with make_client(model_uri=str(tiny_model), max_request_bytes=10_000) as client:
        response = client.post("/predict", json=doc)
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "too_large"
        assert response.json()["error"]["field"] is None
