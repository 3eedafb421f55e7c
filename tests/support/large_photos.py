"""Large photos with one face at a known place, as JPEG, EXIF-rotated JPEG and PNG."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from service.paths import SAMPLE_FACES as FACES

SIZE = (4000, 3000)  # a phone photo, landscape, upright
FACE_AT = (2600, 1400)  # where the enlarged sample face is pasted
FACE_SIDE = 1000
ORIENTATION = 0x0112


def upright_photo(face: Path = FACES / "a1.jpg") -> Image.Image:
    """A 4000x3000 upright photo: a flat background and one sample face enlarged to 1000 px."""
    canvas = Image.new("RGB", SIZE, (120, 130, 140))
    with Image.open(face) as sample:
        enlarged = sample.convert("RGB").resize((FACE_SIDE, FACE_SIDE), Image.Resampling.BICUBIC)
    canvas.paste(enlarged, FACE_AT)
    return canvas


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    """The image's bytes in `fmt`."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def rotated_jpeg(upright: Image.Image) -> bytes:
    """Stored turned a quarter left, with EXIF orientation 6 (turn right to display), as phones do."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    return encode(upright.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif, quality=90)


def variants() -> dict[str, bytes]:
    """The same upright photo in every way a client may send it."""
    upright = upright_photo()
    return {
        "jpeg": encode(upright, "JPEG", quality=90),
        "jpeg-exif-rotated": rotated_jpeg(upright),
        "png": encode(upright, "PNG"),
    }
