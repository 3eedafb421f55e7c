"""Read the request's images into memory only: multipart form fields or JSON base64 / data: URLs."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from service.errors import (
    InvalidImage,
    InvalidRequest,
    ModelNotReady,
    PayloadTooLarge,
    UnsupportedMediaType,
)

# Far more than any route's fields; a body of thousands of tiny parts is refused while parsing
# (it would otherwise cost ~10x its size in memory and seconds of event-loop time).
MAX_PARTS = 16

DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?),(?P<data>.*)$", re.S
)

# A value like https://host/x.jpg (base64 never contains ':'); the service never fetches URLs.
URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


@dataclass
class _Part:
    """One multipart part being received."""

    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing it as soon as it passes the limit (it is never spooled to disk)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is {declared} bytes; the limit is {limit} bytes")
    received = bytearray()
    try:
        async for chunk in request.stream():
            received.extend(chunk)
            if len(received) > limit:
                raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
    except asyncio.CancelledError:
        # At the end of GRACEFUL_TIMEOUT uvicorn cancels what still runs and answers 500; an upload
        # still arriving then is the client's delay, not a fault: 503, retry (on another task).
        if not request.app.state.runtime.draining:
            raise
        if (task := asyncio.current_task()) is not None:
            task.uncancel()
        raise ModelNotReady("the service is shutting down; the upload had not arrived") from None
    return bytes(received)


async def read_images(request: Request, names: tuple[str, ...], limit: int) -> dict[str, bytes]:
    """The named images from a multipart form or a JSON object, each exactly once."""
    content_type = request.headers.get("content-type", "")
    media, params = parse_options_header(content_type)
    body = await read_body(request, limit)
    if media == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise InvalidRequest("multipart/form-data without a boundary parameter")
        found = parse_multipart(body, boundary)
    elif media == b"application/json":
        found = parse_json(body, names)
    else:
        shown = content_type or "none"
        raise UnsupportedMediaType(
            f"content type {shown!r} is not accepted; send multipart/form-data with fields "
            f"{', '.join(names)}, or application/json with those fields as base64 or data: URLs"
        )
    return _exactly(found, names)


def _exactly(found: dict[str, list[bytes]], names: tuple[str, ...]) -> dict[str, bytes]:
    """Every expected field once; unknown or repeated fields are named in the error."""
    for name, values in found.items():
        if name not in names:
            raise InvalidRequest(
                f"unexpected field '{name}'; expected {', '.join(names)}", field=name
            )
        if len(values) > 1:
            raise InvalidRequest(f"field '{name}' was sent {len(values)} times", field=name)
    for name in names:
        if name not in found:
            raise InvalidRequest(f"field '{name}' is missing", field=name)
    return {name: found[name][0] for name in names}


def parse_multipart(body: bytes, boundary: bytes) -> dict[str, list[bytes]]:
    """Parse multipart/form-data entirely in memory; returns field name -> list of payloads."""
    parts: list[_Part] = []
    current: list[_Part] = []
    header_field = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        if len(parts) + len(current) >= MAX_PARTS:
            raise InvalidRequest(f"multipart body has more than {MAX_PARTS} parts")
        current.append(_Part())

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current[-1].chunks.append(data[start:end])

    def on_part_end() -> None:
        parts.append(current.pop())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        current[-1].headers[header_field.decode("latin-1").lower()] = header_value.decode("latin-1")
        header_field.clear()
        header_value.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
        },
        max_header_count=16,
    )
    try:
        parser.write(body)
        parser.finalize()
    except InvalidRequest:
        raise
    except Exception as exc:  # python-multipart raises its own error types for malformed bodies
        raise InvalidRequest(f"malformed multipart body: {exc}") from exc
    if current:
        raise InvalidRequest("malformed multipart body: a part is not terminated")
    found: dict[str, list[bytes]] = {}
    for part in parts:
        _, options = parse_options_header(part.headers.get("content-disposition", ""))
        name = options.get(b"name")
        if not name:
            raise InvalidRequest("a multipart part has no name in its Content-Disposition")
        found.setdefault(name.decode("utf-8", "replace"), []).append(b"".join(part.chunks))
    return found


def parse_json(body: bytes, names: tuple[str, ...]) -> dict[str, list[bytes]]:
    """A JSON object whose values are base64 strings or data: URLs of images.

    Unknown keys are refused before any value is decoded, so the error names the key, not its value.
    """
    try:
        # Members are kept as pairs so a repeated key is refused like a repeated form field.
        doc = json.loads(body, object_pairs_hook=_Members)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidRequest("body is not valid JSON: nested too deeply") from exc
    if not isinstance(doc, _Members):
        raise InvalidRequest("JSON body must be an object with the image fields")
    for name, _ in doc:
        if name not in names:
            raise InvalidRequest(
                f"unexpected field '{name}'; expected {', '.join(names)}", field=name
            )
    found: dict[str, list[bytes]] = {}
    for name, value in doc:
        if not isinstance(value, str):
            raise InvalidRequest(
                f"field '{name}': expected a base64 string or data: URL, got {_json_kind(value)}",
                field=name,
            )
        found.setdefault(name, []).append(decode_base64_image(value, name))
    return found


def _json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words (never a Python type name)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, _Members):
        return "an object"
    return "a list"


class _Members(list[tuple[str, object]]):
    """A JSON object's members in order, repeated keys included."""


def decode_base64_image(value: str, field: str) -> bytes:
    """Bytes from plain base64 (standard or URL-safe) or a data: URL whose type is an image."""
    text = value.strip()
    if URL_SCHEME.match(text):
        raise InvalidRequest(
            f"'{field}' is a URL; URLs are not fetched: send the image's bytes as base64 "
            "or a data: URL (or as a multipart/form-data file)",
            field=field,
        )
    if text.startswith("data:"):
        match = DATA_URL.match(text)
        if match is None:
            raise InvalidImage(f"'{field}' is not a well-formed data: URL", field=field)
        media = (match.group("type") or "text/plain").lower()
        if not media.startswith("image/"):
            raise UnsupportedMediaType(
                f"'{field}' is a data: URL of type {media}; only image/* is accepted", field=field
            )
        if ";base64" not in match.group("params").lower():
            raise InvalidImage(f"'{field}' data: URL must be base64-encoded", field=field)
        text = match.group("data")
    compact = re.sub(r"\s+", "", text)
    if not compact:
        raise InvalidImage(f"'{field}' is empty", field=field)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidImage(f"'{field}' is not valid base64: {exc}", field=field) from exc
