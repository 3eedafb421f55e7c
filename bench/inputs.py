"""The request every server gets: three LFW 250x250 JPEGs, read from the archive, as one multipart body."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import Payload
from service.paths import LFW_DIR, REPO_ROOT

LFW_ARCHIVE = LFW_DIR / "lfw-deepfunneled.tgz"
FALLBACK_DIR = REPO_ROOT / "tests" / "data" / "faces"
# anchor and img1 show the same person, img2 another; all three early in the archive (fast to find).
LFW_MEMBERS = {
    "anchor": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0001.jpg",
    "img1": "lfw-deepfunneled/Padraig_Harrington/Padraig_Harrington_0002.jpg",
    "img2": "lfw-deepfunneled/Hal_Sutton/Hal_Sutton_0001.jpg",
}
FALLBACK_FILES = {"anchor": "a1.jpg", "img1": "a2.jpg", "img2": "b1.jpg"}
FIELDS = tuple(LFW_MEMBERS)


@dataclass(frozen=True)
class Triplet:
    """The three images and where they came from."""

    images: dict[str, bytes]
    source: str

    def multipart(self) -> Payload:
        """A multipart/form-data request with the three fields."""
        files = {name: (f"{name}.jpg", self.images[name], "image/jpeg") for name in FIELDS}
        return Payload.multipart(files)

    def write(self, directory: Path) -> Path:
        """Save the images for a process that reads them from disk (the in-process limit)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name in FIELDS:
            (directory / f"{name}.jpg").write_bytes(self.images[name])
        return directory


def read_images(directory: Path) -> dict[str, bytes]:
    """What Triplet.write() saved."""
    return {name: (directory / f"{name}.jpg").read_bytes() for name in FIELDS}


def load_triplet(archive: Path = LFW_ARCHIVE, *, allow_fallback: bool = False) -> Triplet:
    """The three LFW JPEGs straight from the .tgz; the test faces only when allowed and LFW is absent."""
    if archive.is_file():
        wanted = {member: name for name, member in LFW_MEMBERS.items()}
        found: dict[str, bytes] = {}
        with tarfile.open(archive) as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.name in wanted else None
                if handle is not None:
                    found[wanted[member.name]] = handle.read()
                if len(found) == len(wanted):
                    return Triplet(found, f"{archive.name}: {', '.join(LFW_MEMBERS.values())}")
        raise FileNotFoundError(f"{archive} lacks {sorted(set(LFW_MEMBERS) - set(found))}")
    if not allow_fallback:
        raise FileNotFoundError(f"LFW archive {archive} not found (the full benchmark needs it)")
    images = {name: (FALLBACK_DIR / file).read_bytes() for name, file in FALLBACK_FILES.items()}
    return Triplet(images, f"tests/data/faces: {', '.join(FALLBACK_FILES.values())}")
