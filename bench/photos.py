"""The face servers' workloads: three small LFW photos, and the same faces in 12-megapixel scenes.

A phone sends 4032x3024 JPEGs at about quality 90, often stored sideways with an EXIF orientation,
the face a small part of the picture. These are built, deterministically, from data we have (the
LFW faces and scikit-image's bundled photos, enlarged) into a cache folder: the recipe is
committed, the photos are not. Same faces as the small workload, so the answers can be compared.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from skimage import data as skimage_data

from bench.loadgen import Payload
from service.paths import LFW_ARCHIVE, REPO_ROOT

# anchor and img1 show the same person, img2 another; all three early in the archive (fast to find).
LFW_MEMBERS = {
    "anchor": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0001.jpg",
    "img1": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0002.jpg",
    "img2": "lfw-deepfunneled/Hal_Sutton/Hal_Sutton_0001.jpg",
}
FIELDS = tuple(LFW_MEMBERS)  # the face kind's request fields, in order
PHONE_SIZE = (4032, 3024)  # a 12 MP phone sensor, as stored (landscape)
QUALITY = 90
# In LFW's deep-funneled 250x250 pictures the face is about 115 px wide (the data set's README).
LFW_FACE_PX = 115
CACHE_DIR = REPO_ROOT / ".cache" / "bench" / "phone"
EXIF_ORIENTATION = 0x0112
# What a viewer does to stored pixels for an orientation; the recipe stores the inverse.
_STORE = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class Triplet:
    """The three face images by field name, and where they came from."""

    images: dict[str, bytes]
    source: str

    def multipart(self) -> Payload:
        """A multipart/form-data request with the three fields."""
        return Payload.multipart({k: (f"{k}.jpg", v, "image/jpeg") for k, v in self.images.items()})


def load_triplet(archive: Path = LFW_ARCHIVE) -> Triplet:
    """The three LFW JPEGs straight from the .tgz."""
    wanted, found = {member: name for name, member in LFW_MEMBERS.items()}, dict[str, bytes]()
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.name in wanted and (handle := tar.extractfile(member)):
                found[wanted[member.name]] = handle.read()
            if len(found) == len(wanted):
                images = {name: found[name] for name in LFW_MEMBERS}
                return Triplet(images, f"{archive.name}: {', '.join(LFW_MEMBERS.values())}")
    raise FileNotFoundError(f"{archive} lacks {sorted(set(LFW_MEMBERS) - set(found))}")


@dataclass(frozen=True)
class Scene:
    """Where one face goes: the backdrop, its size and place, and how the phone stored it."""

    background: str  # a photo bundled with scikit-image
    face_fraction: float  # the face's width over the upright picture's shorter side
    centre: tuple[float, float]  # the face's centre, fractions of the upright width and height
    orientation: int  # EXIF orientation: 1 upright, 3 upside down, 6 turned (portrait shot)


SCENES = {
    "anchor": Scene("rocket.jpg", 0.13, (0.42, 0.45), 1),
    "img1": Scene("coffee.png", 0.22, (0.5, 0.4), 6),
    "img2": Scene("motorcycle_left.png", 0.17, (0.58, 0.5), 3),
}


def upright_size(scene: Scene) -> tuple[int, int]:
    """The picture as a viewer shows it: portrait when the phone was turned."""
    width, height = PHONE_SIZE
    return (height, width) if scene.orientation in (6, 8) else (width, height)


def _backdrop(name: str, size: tuple[int, int]) -> Image.Image:
    """The bundled photo cropped to the picture's shape and enlarged to its size."""
    photo = Image.open(Path(skimage_data.__file__).parent / name).convert("RGB")
    aspect = size[0] / size[1]
    w, h = photo.size
    cw, ch = (round(h * aspect), h) if w / h > aspect else (w, round(w / aspect))
    box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
    return photo.resize(size, Image.Resampling.BICUBIC, box=box)


def _soft_oval(side: int) -> Image.Image:
    """A feathered oval mask: the LFW picture's own background fades into the scene."""
    mask = Image.new("L", (side, side), 0)
    inset = side // 10
    ImageDraw.Draw(mask).ellipse((inset, inset // 2, side - inset, side - inset // 2), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(side / 25))


def compose(face_jpeg: bytes, scene: Scene) -> Image.Image:
    """The upright scene with the face pasted where the recipe says."""
    size = upright_size(scene)
    picture = _backdrop(scene.background, size)
    face = Image.open(io.BytesIO(face_jpeg)).convert("RGB")
    side = round(scene.face_fraction * min(size) * face.width / LFW_FACE_PX)
    face = face.resize((side, side), Image.Resampling.LANCZOS)
    left = round(scene.centre[0] * size[0] - side / 2)
    top = round(scene.centre[1] * size[1] - side / 2)
    picture.paste(face, (left, top), _soft_oval(side))
    return picture


def phone_jpeg(face_jpeg: bytes, scene: Scene) -> bytes:
    """The scene as a phone stores it: pixels turned, EXIF orientation set, JPEG quality 90."""
    picture = compose(face_jpeg, scene)
    turn = _STORE[scene.orientation]
    stored = picture.transpose(turn) if turn is not None else picture
    assert stored.size == PHONE_SIZE
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = scene.orientation
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=QUALITY, exif=exif.tobytes())
    return out.getvalue()


def _recipe_key(small: Triplet) -> str:
    """Names the cache entry: the faces, the scenes and this module's code."""
    digest = hashlib.sha256(repr(sorted(SCENES.items())).encode())
    digest.update(Path(__file__).read_bytes())
    for name in FIELDS:
        digest.update(small.images[name])
    return digest.hexdigest()[:16]


def phone_triplet(small: Triplet, cache_dir: Path = CACHE_DIR) -> Triplet:
    """The phone photos of the small workload's faces, built once into the cache folder."""
    folder = cache_dir / _recipe_key(small)
    if not all((folder / f"{n}.jpg").is_file() for n in FIELDS):
        folder.mkdir(parents=True, exist_ok=True)
        for name in FIELDS:
            data = phone_jpeg(small.images[name], SCENES[name])
            partial = folder / f"{name}.jpg.part"
            partial.write_bytes(data)
            partial.replace(folder / f"{name}.jpg")
    images = {n: (folder / f"{n}.jpg").read_bytes() for n in FIELDS}
    return Triplet(images, f"phone photos ({PHONE_SIZE[0]}x{PHONE_SIZE[1]}) of {small.source}")
