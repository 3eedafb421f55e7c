"""Safe image decoding: format by content, pixel limit before decode, EXIF orientation, any mode to RGB."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from service import jpeg
from service.errors import InvalidImage, PayloadTooLarge, UnsupportedMediaType

RGBImage = NDArray[np.uint8]

# Pillow format names for the signatures we accept; anything else is refused before Pillow sees it.
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
SUPPORTED_TEXT = "JPEG, PNG, WebP, BMP, TIFF or GIF"

# Our own limit (MAX_IMAGE_PIXELS, checked right after the header is read) replaces Pillow's global
# one, so the refusal names the real dimensions and the configured limit.
Image.MAX_IMAGE_PIXELS = None

# Decode big JPEGs at a reduced DCT scale: the face crop ends up far smaller than this anyway.
JPEG_DRAFT_SIDE = 1280
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Decoded:
    """Decoded pixels, and how they relate to the upright uploaded image the API reports in."""

    pixels: RGBImage
    width: int  # of the upright (EXIF-oriented) uploaded image, in its own pixels
    height: int
    scale: float  # uploaded-image pixels per decoded pixel (> 1 when decoded at reduced size)


@dataclass(frozen=True)
class ImageLimits:
    """Per-image limits: bytes on the wire and pixels after decoding."""

    max_bytes: int
    max_pixels: int


def sniff_format(data: bytes) -> str | None:
    """The image format named by the file's magic bytes, or None; the file name is never trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:2] == b"BM" and len(data) >= 26:
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


def describe_non_image(data: bytes) -> str:
    """A short human name for common things people upload by mistake."""
    head = data[:512].lstrip().lower()
    if data.startswith(b"%PDF"):
        return "a PDF document"
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "an SVG drawing"
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if head[:1] in (b"{", b"["):
        return "JSON text"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "a HEIC/AVIF image"
    try:
        data[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of an unknown kind"
    return "plain text"


def decode_image(data: bytes, *, field: str, limits: ImageLimits) -> RGBImage:
    """Decode untrusted bytes into an RGB uint8 array, refusing bombs before any pixel is decoded."""
    return decode_upright(data, field=field, limits=limits).pixels


def decode_upright(data: bytes, *, field: str, limits: ImageLimits) -> Decoded:
    """Like decode_image, and also the upright image's size and its scale to the decoded array."""
    if not data:
        raise InvalidImage(f"'{field}' is empty (0 bytes)", field=field)
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(
            f"'{field}' is {len(data)} bytes; the limit is {limits.max_bytes} bytes", field=field
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMediaType(
            f"'{field}' is {describe_non_image(data)}, not an image; send {SUPPORTED_TEXT}",
            field=field,
        )
    try:
        img = Image.open(io.BytesIO(data), formats=[fmt])
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(
            f"'{field}' looks like {fmt} but its header is broken", field=field
        ) from exc
    with img:
        width, height = img.size
        if width * height > limits.max_pixels:
            raise PayloadTooLarge(
                f"'{field}' is {width}x{height} = {width * height} pixels; "
                f"the limit is {limits.max_pixels} pixels",
                field=field,
            )
        if width < 1 or height < 1:
            raise InvalidImage(f"'{field}' has no pixels", field=field)
        try:
            return _to_rgb(img, fmt, data)
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise InvalidImage(
                f"'{field}' is a damaged or truncated {fmt} file ({exc})", field=field
            ) from exc


def _to_rgb(img: Image.Image, fmt: str, data: bytes) -> Decoded:
    """Decode the first frame, apply EXIF orientation, and convert any mode to 8-bit RGB."""
    width, height = img.size
    scale = 1.0
    if fmt == "JPEG":
        # draft() decodes at 1/2, 1/4 or 1/8 size (rounded up); it returns the original size over
        # the scale it chose, which is the only exact way back to the uploaded image's pixels.
        drafted = img.draft("RGB", (JPEG_DRAFT_SIDE, JPEG_DRAFT_SIDE))
        if drafted is not None and drafted[1][2]:
            scale = width / drafted[1][2]
        if img.mode == "RGB":  # colour: the decoder writes the array (greyscale, CMYK: Pillow)
            pixels = jpeg.decode_colour(data, round(scale), img.size)
            if pixels is not None:
                orientation = img.getexif().get(EXIF_ORIENTATION, 1)
                if orientation in (5, 6, 7, 8):  # these swap the axes
                    width, height = height, width
                return Decoded(jpeg.orient(pixels, orientation), width, height, scale)
    img.seek(0)
    img.load()
    decoded_size = img.size
    oriented = ImageOps.exif_transpose(img)
    frame = oriented if oriented is not None else img
    if frame.size != decoded_size:  # orientations 5-8 swap the axes
        width, height = height, width
    return Decoded(_rgb_pixels(frame), width, height, scale)


def _rgb_pixels(frame: Image.Image) -> RGBImage:
    """Any Pillow mode as a contiguous (H, W, 3) uint8 array; alpha over white."""
    mode = frame.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        grey = _high_depth_to_uint8(np.asarray(frame))
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(white, rgba)
    rgb = frame.convert("RGB") if frame.mode != "RGB" else frame
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _high_depth_to_uint8(arr: NDArray[np.generic]) -> NDArray[np.uint8]:
    """Map 16-bit or float greyscale to 0..255 (16-bit range when values exceed 8 bits)."""
    values = arr.astype(np.float64)
    peak = float(values.max()) if values.size else 0.0
    if peak > 255.0:
        values = values / 257.0
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
