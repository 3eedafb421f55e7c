"""A generated corpus of hostile and unusual uploads, each with the answer docs/API.md documents.

Nothing is downloaded: every case is built here from the committed sample faces or from bytes.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from service.paths import SAMPLE_FACES as FACES

FIELDS = ("anchor", "img1", "img2")
MIB = 1024 * 1024
# The shared service's limits (tests/reliability/conftest.py).
UPLOAD_LIMIT = 1 * MIB
REQUEST_LIMIT = 4 * MIB


@dataclass(frozen=True)
class Case:
    """One request and the documented answer: status, error code and the field it names."""

    name: str
    # Keyword arguments of httpx.Client.post; a callable value is called for each send.
    request: dict[str, Any] = field(repr=False)
    status: int
    code: str | None  # None for a 200
    field: str | None
    path: str = "/predict"


# --- image bytes ------------------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header that claims huge dimensions over a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (min(width, 4096) + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    )


def jpeg_claiming(face: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) is patched to claim other dimensions."""
    at = face.index(b"\xff\xc0")
    return face[: at + 5] + struct.pack(">HH", height, width) + face[at + 9 :]


def bmp_claiming(width: int, height: int) -> bytes:
    """A BMP header (24-bit) claiming huge dimensions, with almost no pixel data."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    header = b"BM" + struct.pack("<IHHI", 14 + len(info) + 16, 0, 0, 14 + len(info))
    return header + info + b"\0" * 16


def jpeg_without_scan(face: bytes) -> bytes:
    """Every header segment (frame size included) but no compressed data: looks fine, decodes to nothing."""
    return face[: face.index(b"\xff\xda")]


def animated_gif(face: bytes) -> bytes:
    """Two frames: the face first (used), then a grey frame."""
    first = Image.open(io.BytesIO(face)).convert("RGB")
    grey = Image.new("RGB", first.size, (128, 128, 128))
    return encode(first, "GIF", save_all=True, append_images=[grey], duration=80, loop=0)


def cmyk_jpeg(face: bytes) -> bytes:
    return encode(Image.open(io.BytesIO(face)).convert("CMYK"), "JPEG", quality=95)


def sixteen_bit_png(face: bytes) -> bytes:
    grey = np.asarray(Image.open(io.BytesIO(face)).convert("L"), dtype=np.uint16) * 257
    return encode(Image.fromarray(grey), "PNG")


def exif_rotated(face: bytes) -> bytes:
    """The face stored lying on its side (wider than tall), with EXIF orientation 6 to stand it up."""
    upright = Image.open(io.BytesIO(face)).convert("RGB").resize((200, 260))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # 260 wide, 200 tall, face sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    return encode(stored, "JPEG", exif=exif, quality=95)


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("payload.txt", "not an image")
    return buf.getvalue()


def one_by_one() -> bytes:
    return encode(Image.new("RGB", (1, 1), (200, 150, 120)), "PNG")


# --- request builders -------------------------------------------------------------------------


def form(
    faces: dict[str, bytes], *, fields: tuple[str, ...] = FIELDS, **override: bytes
) -> list[tuple[str, tuple[str, bytes, str]]]:
    """httpx `files=` for a multipart request; `override` replaces (or adds) a field's bytes."""
    chosen = dict(zip(fields, (faces["a1"], faces["a2"], faces["b1"]), strict=False))
    chosen.update(override)
    return [(name, (f"{name}.jpg", data, "image/jpeg")) for name, data in chosen.items()]


def raw_form(parts: list[bytes], boundary: str = "corpus") -> dict[str, Any]:
    """A hand-made multipart body (for shapes httpx will not produce)."""
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    body += f"--{boundary}--\r\n".encode()
    return {
        "content": body,
        "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    }


def named_part(name: str, data: bytes) -> bytes:
    return (
        f'Content-Disposition: form-data; name="{name}"; filename="{name}.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + data


def as_json(faces: dict[str, bytes], **override: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        name: base64.b64encode(data).decode()
        for name, data in zip(FIELDS, (faces["a1"], faces["a2"], faces["b1"]), strict=True)
    }
    doc.update(override)
    return doc


def raw_json(text: str | bytes) -> dict[str, Any]:
    body = text.encode() if isinstance(text, str) else text
    return {"content": body, "headers": {"Content-Type": "application/json"}}


def _chunked(total: int) -> Iterator[bytes]:
    """A body of `total` bytes sent without Content-Length."""
    sent = 0
    while sent < total:
        piece = min(256 * 1024, total - sent)
        sent += piece
        yield b"A" * piece


# --- the corpus -------------------------------------------------------------------------------


def image_cases(faces: dict[str, bytes]) -> list[Case]:
    """Hostile or odd image bytes in one field of an otherwise valid multipart request."""
    face = faces["a1"]
    half = face[: len(face) // 2]

    def bad(name: str, data: bytes, status: int, code: str, where: str = "img1") -> Case:
        return Case(name, {"files": form(faces, **{where: data})}, status, code, where)

    def good(name: str, data: bytes, where: str = "img2") -> Case:
        return Case(name, {"files": form(faces, **{where: data})}, 200, None, None)

    return [
        bad("zero-bytes", b"", 400, "invalid_image"),
        bad("truncated-jpeg", half, 400, "invalid_image", "anchor"),
        bad("header-only-jpeg", face[:20], 400, "invalid_image"),
        bad("jpeg-without-scan-data", jpeg_without_scan(face), 400, "invalid_image", "img2"),
        bad("text-named-jpg", b"hello, I am a holiday note named photo.jpg\n", 415,
            "unsupported_media_type"),
        bad("html-named-jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", 415,
            "unsupported_media_type"),
        bad("svg-named-jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 415,
            "unsupported_media_type", "anchor"),
        bad("pdf-named-jpg", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", 415,
            "unsupported_media_type"),
        bad("zip-named-jpg", zip_bytes(), 415, "unsupported_media_type", "img2"),
        bad("heic-named-jpg", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", 415,
            "unsupported_media_type"),
        bad("png-claiming-100000x100000", png_claiming(100_000, 100_000), 413, "too_large"),
        bad("png-claiming-12000x12000", png_claiming(12_000, 12_000), 413, "too_large", "img2"),
        bad("jpeg-claiming-65535x65535", jpeg_claiming(face, 65_535, 65_535), 413, "too_large"),
        bad("bmp-claiming-50000x50000", bmp_claiming(50_000, 50_000), 413, "too_large"),
        bad("png-header-only", png_claiming(64, 64)[:33], 400, "invalid_image"),
        bad("one-by-one-png", one_by_one(), 422, "no_face", "anchor"),
        bad("broken-gif", b"GIF89a\x10\x00\x10\x00\x80\x00\x00", 400, "invalid_image"),
        bad("gif-js-polyglot", b"GIF89a/*\x00\x00*/=alert(document.domain);", 400,
            "invalid_image"),
        bad("html-behind-jpeg-magic", b"\xff\xd8\xff<html><script>alert(1)</script></html>", 400,
            "invalid_image", "img2"),
        bad("webp-header-only", b"RIFF\x24\x00\x00\x00WEBPVP8 ", 400, "invalid_image"),
        bad("image-over-upload-limit", face + b"\0" * UPLOAD_LIMIT, 413, "too_large", "img2"),
        good("animated-gif", animated_gif(face)),
        good("cmyk-jpeg", cmyk_jpeg(face)),
        good("16-bit-png", sixteen_bit_png(face)),
        good("exif-rotated-jpeg", exif_rotated(face)),
        good("jpeg-zip-polyglot", face + zip_bytes()),
    ]  # fmt: skip


def structure_cases(faces: dict[str, bytes]) -> list[Case]:
    """Wrong, missing, repeated and malformed fields; bodies and content types of the wrong kind."""
    a1 = faces["a1"]
    dup = [*form(faces), ("img1", ("again.jpg", faces["c1"], "image/jpeg"))]
    missing = [part for part in form(faces) if part[0] != "img2"]
    ok_parts = [named_part(name, a1) for name in FIELDS]
    nested = "[" * 100_000 + "]" * 100_000
    return [
        Case("unknown-field", {"files": [*form(faces), ("img3", ("x.jpg", a1, "image/jpeg"))]},
             422, "invalid_request", "img3"),
        Case("duplicated-field", {"files": dup}, 422, "invalid_request", "img1"),
        Case("missing-field", {"files": missing}, 422, "invalid_request", "img2"),
        Case("verify-with-an-anchor", {"files": form(faces)}, 422, "invalid_request", "anchor",
             path="/verify"),
        Case("text-value-instead-of-file", {"files": form(faces, fields=("img1", "img2")),
             "data": {"anchor": "a1.jpg"}}, 415, "unsupported_media_type", "anchor"),
        Case("part-without-name", raw_form([*ok_parts, b"Content-Type: image/jpeg\r\n\r\nxx"]),
             422, "invalid_request", None),
        Case("multipart-without-boundary", {"content": b"x",
             "headers": {"Content-Type": "multipart/form-data"}}, 422, "invalid_request", None),
        Case("multipart-garbage", {"content": b"--corpus\r\nno end of headers",
             "headers": {"Content-Type": "multipart/form-data; boundary=corpus"}},
             422, "invalid_request", None),
        Case("multipart-thousands-of-parts", raw_form([named_part("x", b"")] * 5000),
             422, "invalid_request", None),
        Case("json-sent-as-multipart", {"content": json.dumps(as_json(faces)).encode(),
             "headers": {"Content-Type": "multipart/form-data; boundary=corpus"}},
             422, "invalid_request", None),
        Case("multipart-sent-as-json", raw_json(raw_form(ok_parts)["content"]),
             422, "invalid_request", None),
        Case("invalid-base64", {"json": as_json(faces, img1="!!!not base64!!!")},
             400, "invalid_image", "img1"),
        Case("base64-of-text", {"json": as_json(faces, img2=base64.b64encode(b"hi").decode())},
             415, "unsupported_media_type", "img2"),
        Case("data-url-of-html", {"json": as_json(faces, anchor="data:text/html;base64,PGI+")},
             415, "unsupported_media_type", "anchor"),
        Case("data-url-not-base64", {"json": as_json(faces, img1="data:image/png,rawbytes")},
             400, "invalid_image", "img1"),
        Case("json-null-value", {"json": as_json(faces, img2=None)}, 422, "invalid_request",
             "img2"),
        Case("json-object-value", {"json": as_json(faces, img1={"$ref": "x"})}, 422,
             "invalid_request", "img1"),
        Case("json-number-value", {"json": as_json(faces, anchor=7)}, 422, "invalid_request",
             "anchor"),
        Case("json-unknown-field", {"json": {**as_json(faces), "threshold": "0.5"}}, 422,
             "invalid_request", "threshold"),
        Case("json-http-url-value", {"json": as_json(faces, img1="https://example.com/a.jpg")},
             422, "invalid_request", "img1"),
        Case("json-array-body", {"json": [1, 2, 3]}, 422, "invalid_request", None),
        Case("json-not-utf8", raw_json(b'{"anchor": "\xff\xfe"}'), 422, "invalid_request", None),
        Case("json-nested-100000-deep", raw_json(nested), 422, "invalid_request", None),
        Case("json-repeated-key", raw_json('{"anchor": "QQ==", "anchor": "QQ==", "img1": "QQ==",'
             ' "img2": "QQ=="}'), 422, "invalid_request", "anchor"),
        Case("json-over-request-limit", {"json": as_json(faces, img1="A" * REQUEST_LIMIT)},
             413, "too_large", None),
        Case("chunked-body-over-request-limit", {"content": lambda: _chunked(REQUEST_LIMIT + MIB),
             "headers": {"Content-Type": "application/json"}}, 413, "too_large", None),
        Case("json-image-over-upload-limit", {"json": as_json(
             faces, img1=base64.b64encode(a1 + b"\0" * UPLOAD_LIMIT).decode())},
             413, "too_large", "img1"),
        Case("no-content-type", {"content": b"abc"}, 415, "unsupported_media_type", None),
        Case("text-plain-content-type", {"content": b"abc",
             "headers": {"Content-Type": "text/plain"}}, 415, "unsupported_media_type", None),
        Case("urlencoded-form", {"data": {"anchor": "x", "img1": "y", "img2": "z"}},
             415, "unsupported_media_type", None),
        Case("bad-query-parameter", {"files": form(faces), "params": {"return_crops": "maybe"}},
             422, "invalid_request", "return_crops"),
        Case("unknown-query-parameter", {"files": form(faces), "params": {"threshold": "0.5"}},
             422, "invalid_request", "threshold"),
    ]  # fmt: skip


def sample_faces() -> dict[str, bytes]:
    """The committed sample faces (a1-a3 one person, b1-b2 another, c1 a third)."""
    return {path.stem: path.read_bytes() for path in sorted(FACES.glob("*.jpg"))}


def all_cases(faces: dict[str, bytes]) -> list[Case]:
    """The whole corpus; a callable request value is called for each send (a fresh stream)."""
    return image_cases(faces) + structure_cases(faces)
