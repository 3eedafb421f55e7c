"""The dlib files a crop recipe needs (landmarks, CNN detector): found, verified, loaded once per thread.

They are named by the recipe in the model's manifest, with their sha256, and shipped with the service
(`models/dlib/`, FACE_ASSETS_DIR), the way OpenCV ships its Haar cascade. dlib's detectors and
predictors are not documented as safe to share between threads, so each thread loads its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.checksums import sha256_of
from service.errors import ModelError


@dataclass(frozen=True)
class FaceAssets:
    """Verified paths of the files a recipe names."""

    paths: Mapping[str, Path]

    @classmethod
    def verified(cls, directory: Path, expected: Mapping[str, str]) -> FaceAssets:
        """Each named file exists in `directory` with the manifest's sha256, or a ModelError says which."""
        paths: dict[str, Path] = {}
        for name, sha256 in expected.items():
            path = directory / name
            if not path.is_file():
                raise ModelError(
                    f"the model's crop recipe needs {name}, which is not in FACE_ASSETS_DIR "
                    f"({directory})"
                )
            actual = sha256_of(path)
            if actual != sha256:
                raise ModelError(
                    f"{path} has sha256 {actual}; the model's crop recipe expects {sha256}"
                )
            paths[name] = path
        return cls(paths)

    def path(self, name: str) -> Path:
        """The verified path of one named file."""
        return self.paths[name]


_local = threading.local()


def per_thread(key: str, make: Callable[[], Any]) -> Any:
    """This thread's instance of an object built by `make` (dlib objects are not shared)."""
    cache: dict[str, Any] | None = getattr(_local, "objects", None)
    if cache is None:
        cache = _local.objects = {}
    if key not in cache:
        cache[key] = make()
    return cache[key]
