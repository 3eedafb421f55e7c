"""dlib's own pipeline, the way the face_recognition library runs it: the reference row of the evaluation.

face_recognition (ageitgey, api.py) loads the file with PIL as RGB, finds faces with dlib's HOG
detector upsampled once, puts the 5-point predictor on a box and calls
compute_face_descriptor(image, shape) (no jitter, chip padding 0.25); distances are Euclidean.
Davis King's LFW protocol (dlib issue #444) takes the HOG box, and puts a box in the middle of the
image where HOG finds none, so every pair gets an answer. Here that box is the median HOG box of
the images where one was found; where HOG finds several faces, the one nearest the centre (LFW's
labelled person is the centred face; face_recognition's usual `[0]`, the first box, picks a
background face in about 45 of the 7,701 pair images and scores about half a point lower).
dlib-bin is called directly: face_recognition pins a source-built dlib.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

PACKAGE = "face_recognition_models"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"


def package_models_dir() -> Path:
    """face_recognition_models' models/ folder, found without importing the package.

    Its __init__ imports pkg_resources, which setuptools 82 removed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{PACKAGE} is not installed (pip install -r requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class ReferenceResult:
    """Descriptors of dlib's pipeline and where HOG found a face."""

    keys: list[str]
    descriptors: NDArray[np.float32]  # (N, 128)
    hog_found: NDArray[np.bool_]
    centre_box: tuple[int, int, int, int]  # (left, top, right, bottom) used where HOG found none


_state: dict[str, Any] = {}


def _models() -> tuple[Any, Any, Any]:
    """This process's detector, predictor and network (loaded once)."""
    if not _state:
        import dlib

        folder = package_models_dir()
        _state["hog"] = dlib.get_frontal_face_detector()
        _state["sp"] = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        _state["net"] = dlib.face_recognition_model_v1(str(folder / RESNET_FILE))
    return _state["hog"], _state["sp"], _state["net"]


def load_rgb(path: Path) -> NDArray[np.uint8]:
    """face_recognition.load_image_file: PIL, converted to RGB, as an array."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _boxes(args: tuple[Path, list[str]]) -> list[tuple[int, int, int, int] | None]:
    """Worker: HOG with one upsampling, the first box of each image (None when none)."""
    images_dir, keys = args
    hog, _, _ = _models()
    out: list[tuple[int, int, int, int] | None] = []
    for key in keys:
        found = hog(load_rgb(images_dir / key), 1)
        out.append(
            (found[0].left(), found[0].top(), found[0].right(), found[0].bottom())
            if found
            else None
        )
    return out


def _describe(
    args: tuple[Path, list[str], list[tuple[int, int, int, int]]],
) -> NDArray[np.float32]:
    """Worker: 5 landmarks on the box, then the descriptor of the aligned chip."""
    import dlib

    images_dir, keys, boxes = args
    _, predictor, net = _models()
    rows = []
    for key, box in zip(keys, boxes, strict=True):
        image = load_rgb(images_dir / key)
        shape = predictor(image, dlib.rectangle(*box))
        rows.append(np.asarray(net.compute_face_descriptor(image, shape), dtype=np.float32))
    return np.stack(rows)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes (spawned: dlib and TensorFlow do not like fork)."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def run_reference(
    images_dir: Path, keys: list[str], *, workers: int | None = None, chunk: int = 64
) -> ReferenceResult:
    """dlib's pipeline on every image: HOG boxes first, then the median box where none was found."""
    workers = workers or max(1, os.cpu_count() or 1)
    chunks = [keys[i : i + chunk] for i in range(0, len(keys), chunk)]
    with _pool(workers) as pool:
        boxes = [b for part in pool.map(_boxes, [(images_dir, c) for c in chunks]) for b in part]
        found = [b for b in boxes if b is not None]
        if not found:
            raise RuntimeError("dlib's HOG detector found no face in any image")
        centre = _median_box(found)
        filled = [b if b is not None else centre for b in boxes]
        jobs = [
            (images_dir, keys[i : i + chunk], filled[i : i + chunk])
            for i in range(0, len(keys), chunk)
        ]
        descriptors = np.concatenate(list(pool.map(_describe, jobs)))
    return ReferenceResult(
        list(keys), descriptors, np.array([b is not None for b in boxes]), centre
    )


def _median_box(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The median box: LFW's faces are centred, so this is 'a box in the middle of the image'."""
    left, top, right, bottom = (round(float(np.median(v))) for v in zip(*boxes, strict=True))
    return left, top, right, bottom


def descriptor_ms(chips: list[NDArray[np.uint8]], repeats: int = 5) -> float:
    """Median wall time of dlib's descriptor for these aligned chips, one call per chip, in ms."""
    _, _, net = _models()
    for chip in chips:
        net.compute_face_descriptor(chip)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for chip in chips:
            net.compute_face_descriptor(chip)
        times.append((time.perf_counter() - started) * 1000.0)
    return float(np.median(times))
