"""The request every server gets: three LFW 250x250 JPEGs, read from the archive, as one multipart body."""

from __future__ import annotations

import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LFW_ARCHIVE = REPO.parent / "shared" / "data" / "lfw" / "lfw-deepfunneled.tgz"
FALLBACK_DIR = REPO / "tests" / "data" / "faces"

# anchor and img1 show the same person, img2 another; all three early in the archive (fast to find).
LFW_MEMBERS = {
    "anchor": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0001.jpg",
    "img1": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0002.jpg",
    "img2": "lfw-deepfunneled/Hal_Sutton/Hal_Sutton_0001.jpg",
}
FALLBACK_FILES = {"anchor": "a1.jpg", "img1": "a2.jpg", "img2": "b1.jpg"}
FIELDS = ("anchor", "img1", "img2")


@dataclass(frozen=True)
class Triplet:
    """The three images and where they came from."""

    images: dict[str, bytes]
    source: str

    def multipart(self) -> tuple[bytes, str]:
        """(body, content type) of a multipart/form-data request with the three fields."""
        boundary = uuid.uuid4().hex
        parts = []
        for name in FIELDS:
            parts.append(
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{name}.jpg"\r\n'
                "Content-Type: image/jpeg\r\n\r\n".encode()
                + self.images[name]
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return body, f"multipart/form-data; boundary={boundary}"


def load_triplet(archive: Path = LFW_ARCHIVE, *, allow_fallback: bool = False) -> Triplet:
    """The three LFW JPEGs straight from the .tgz; the test faces only when allowed and LFW is absent."""
    if archive.is_file():
        wanted = {member: field for field, member in LFW_MEMBERS.items()}
        found: dict[str, bytes] = {}
        with tarfile.open(archive) as tar:
            for member in tar:
                field = wanted.get(member.name)
                if field is None:
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    found[field] = handle.read()
                if len(found) == len(wanted):
                    return Triplet(found, f"{archive.name}: {', '.join(LFW_MEMBERS.values())}")
        raise FileNotFoundError(f"{archive} lacks {sorted(set(wanted) - set(found))}")
    if not allow_fallback:
        raise FileNotFoundError(f"LFW archive {archive} not found (the full benchmark needs it)")
    images = {field: (FALLBACK_DIR / name).read_bytes() for field, name in FALLBACK_FILES.items()}
    return Triplet(images, f"tests/data/faces: {', '.join(FALLBACK_FILES.values())}")


def write_triplet(triplet: Triplet, directory: Path) -> dict[str, Path]:
    """Save the images for processes that read them from disk (the load generator)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in FIELDS:
        path = directory / f"{name}.jpg"
        path.write_bytes(triplet.images[name])
        paths[name] = path
    return paths
