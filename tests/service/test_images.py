"""Decoding: formats by content, modes, orientation, and every kind of bad input."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from service.errors import InvalidImage, PayloadTooLarge, UnsupportedMediaType
from service.images import ImageLimits, decode_image, decode_upright, sniff_format

LIMITS = ImageLimits(max_bytes=8 * 1024 * 1024, max_pixels=40_000_000)


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    arr = np.zeros((height, width, 3), dtype=np.uint8)
    arr[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    arr[..., 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    arr[..., 2] = 128
    return Image.fromarray(arr)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_decodes_every_supported_format_by_content(fmt: str) -> None:
    data = encode(gradient(), fmt)
    assert sniff_format(data) == fmt
    out = decode_image(data, field="anchor", limits=LIMITS)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8


def test_animated_gif_uses_first_frame() -> None:
    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    out = decode_image(buf.getvalue(), field="img1", limits=LIMITS)
    assert out[0, 0, 0] > 200 and out[0, 0, 2] < 50


def test_exif_orientation_is_applied() -> None:
    img = gradient(64, 32)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    data = encode(img, "JPEG", exif=exif)
    out = decode_image(data, field="anchor", limits=LIMITS)
    assert out.shape[:2] == (64, 32)


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "CMYK", "P", "1", "I;16"])
def test_any_mode_becomes_rgb(mode: str) -> None:
    if mode == "I;16":
        img = Image.fromarray((np.arange(64 * 48).reshape(48, 64) * 20).astype(np.uint16))
        fmt = "PNG"
    else:
        img = gradient().convert(mode)
        fmt = "JPEG" if mode in ("L", "CMYK") else "PNG"
    out = decode_image(encode(img, fmt), field="img2", limits=LIMITS)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8


def test_sixteen_bit_png_keeps_its_range() -> None:
    arr = np.full((20, 20), 65535, dtype=np.uint16)
    arr[:10] = 0
    out = decode_image(encode(Image.fromarray(arr), "PNG"), field="anchor", limits=LIMITS)
    assert out[0, 0, 0] == 0 and out[-1, -1, 0] == 255


def test_transparent_png_is_composited_on_white() -> None:
    img = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    out = decode_image(encode(img, "PNG"), field="anchor", limits=LIMITS)
    assert (out == 255).all()


def test_empty_upload_is_invalid() -> None:
    with pytest.raises(InvalidImage) as err:
        decode_image(b"", field="img1", limits=LIMITS)
    assert err.value.field == "img1" and err.value.status_code == 400


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (b"hello, I am a text file named photo.jpg", "plain text"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "an HTML page"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "an SVG drawing"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b'{"anchor": 1}', "JSON text"),
    ],
)
def test_non_images_are_refused_with_what_they_are(payload: bytes, named: str) -> None:
    with pytest.raises(UnsupportedMediaType) as err:
        decode_image(payload, field="img2", limits=LIMITS)
    assert named in err.value.message and err.value.field == "img2"
    assert err.value.status_code == 415


def test_zip_named_jpg_is_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "x")
    with pytest.raises(UnsupportedMediaType, match="ZIP"):
        decode_image(buf.getvalue(), field="anchor", limits=LIMITS)


@pytest.mark.parametrize("cut", [4, 20, 200])
def test_truncated_jpeg_is_invalid(cut: int) -> None:
    data = encode(gradient(256, 256), "JPEG", quality=95)
    with pytest.raises(InvalidImage) as err:
        decode_image(data[:cut], field="anchor", limits=LIMITS)
    assert err.value.field == "anchor"


def test_jpeg_truncated_mid_scan_is_invalid() -> None:
    data = encode(gradient(256, 256), "JPEG", quality=95)
    with pytest.raises(InvalidImage, match="damaged or truncated"):
        decode_image(data[: len(data) // 2], field="img1", limits=LIMITS)


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header and a tiny compressed body that claims huge dimensions."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 8, 9)  # only the first rows; enough to look real
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_pixel_bomb_is_refused_before_decoding_and_fast() -> None:
    data = png_claiming(12000, 12000)
    assert len(data) < 200_000
    started = time.perf_counter()
    with pytest.raises(PayloadTooLarge) as err:
        decode_image(data, field="img2", limits=LIMITS)
    assert time.perf_counter() - started < 1.0
    assert err.value.status_code == 413 and "12000x12000" in err.value.message


def test_oversize_upload_is_refused() -> None:
    with pytest.raises(PayloadTooLarge):
        decode_image(b"\xff\xd8\xff" + b"0" * 100, field="anchor", limits=ImageLimits(50, 10**6))


def test_one_pixel_image_decodes() -> None:
    out = decode_image(encode(Image.new("RGB", (1, 1)), "PNG"), field="anchor", limits=LIMITS)
    assert out.shape == (1, 1, 3)


def test_header_only_jpeg_is_invalid() -> None:
    with pytest.raises(InvalidImage):
        decode_image(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", field="img1", limits=LIMITS)


def test_broken_gif_is_invalid() -> None:
    with pytest.raises(InvalidImage):
        decode_image(b"GIF89a\x10\x00\x10\x00\x80\x00\x00", field="img1", limits=LIMITS)


@pytest.mark.parametrize(("size", "scale"), [((4001, 3001), 2.0), ((1200, 900), 1.0)])
def test_reduced_jpeg_decode_reports_the_uploaded_size_and_scale(
    size: tuple[int, int], scale: float
) -> None:
    decoded = decode_upright(encode(gradient(*size), "JPEG"), field="img1", limits=LIMITS)
    assert (decoded.width, decoded.height) == size and decoded.scale == scale
    height, width = decoded.pixels.shape[:2]
    assert (width, height) == (-(-size[0] // scale), -(-size[1] // scale))  # rounded up


def test_exif_rotated_jpeg_reports_the_upright_size() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 3000 wide, 4000 high; shown turned right: 4000 x 3000
    data = encode(gradient(3000, 4000), "JPEG", exif=exif)
    decoded = decode_upright(data, field="img1", limits=LIMITS)
    assert (decoded.width, decoded.height, decoded.scale) == (4000, 3000, 2.0)
    assert decoded.pixels.shape[:2] == (1500, 2000)


def test_png_is_decoded_at_full_size() -> None:
    decoded = decode_upright(encode(gradient(3000, 2000), "PNG"), field="img1", limits=LIMITS)
    assert (decoded.width, decoded.height, decoded.scale) == (3000, 2000, 1.0)
    assert decoded.pixels.shape[:2] == (2000, 3000)
