"""dlib's own pipeline, the way the face_recognition library runs it: the reference row of the evaluation.

face_recognition (ageitgey, api.py) loads the file with PIL as RGB, finds faces with dlib's HOG
detector upsampled once, puts the 5-point predictor on a box and calls
compute_face_descriptor(image, shape) (no jitter, chip padding 0.25); distances are Euclidean.
Davis King's LFW protocol (dlib issue #444) takes the HOG box and puts a box in the middle of the
image where HOG finds none, so every pair gets an answer; here that box is the median of the
boxes found. Where HOG finds several faces the reference takes the one nearest the centre (LFW's
labelled person is the centred face); face_recognition users' usual `[0]` (dlib's first box) is
scored too, as a second row. dlib-bin is called directly: face_recognition pins a source-built dlib.
"""

from __future__ import annotations

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

from dlib_port.files import LANDMARKS_FILE, RESNET_FILE, package_models_dir


@dataclass(frozen=True)
class ReferenceResult:
    """Descriptors of dlib's pipeline and where HOG found a face."""

    keys: list[str]
    descriptors: NDArray[np.float32]  # (N, 128), the HOG box nearest the centre
    first_box_descriptors: NDArray[np.float32]  # (N, 128), face_recognition's usual [0]
    hog_found: NDArray[np.bool_]
    centre_box: Box  # (left, top, right, bottom) used where HOG found none


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


Box = tuple[int, int, int, int]


def _boxes(args: tuple[Path, list[str]]) -> list[tuple[list[Box], tuple[int, int]]]:
    """Worker: every HOG box (one upsampling) of each image, in dlib's order, and the image size."""
    images_dir, keys = args
    hog, _, _ = _models()
    out = []
    for key in keys:
        image = load_rgb(images_dir / key)
        found = [(r.left(), r.top(), r.right(), r.bottom()) for r in hog(image, 1)]
        out.append((found, (image.shape[1], image.shape[0])))
    return out


def nearest_centre(boxes: list[Box], size: tuple[int, int]) -> Box:
    """The box whose centre is nearest the image's centre."""
    width, height = size
    return min(
        boxes,
        key=lambda b: ((b[0] + b[2]) / 2 - width / 2) ** 2 + ((b[1] + b[3]) / 2 - height / 2) ** 2,
    )


def _describe(
    args: tuple[Path, list[str], list[Box]],
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
    """dlib's pipeline on every image: HOG boxes first, then the median box where none was found.

    Two choices of face where HOG finds several: the one nearest the centre (the reference row),
    and the first (face_recognition's `face_encodings(image)[0]`), described only where they differ.
    """
    workers = workers or max(1, os.cpu_count() or 1)
    chunks = [keys[i : i + chunk] for i in range(0, len(keys), chunk)]
    with _pool(workers) as pool:
        found = [b for part in pool.map(_boxes, [(images_dir, c) for c in chunks]) for b in part]
        detected = [boxes for boxes, _ in found if boxes]
        if not detected:
            raise RuntimeError("dlib's HOG detector found no face in any image")
        centre = _median_box([nearest_centre(b, s) for b, s in found if b])
        central = [nearest_centre(b, s) if b else centre for b, s in found]
        first = [b[0] if b else centre for b, _ in found]
        descriptors = _describe_all(pool, images_dir, keys, central, chunk)
        differ = [i for i, (a, b) in enumerate(zip(central, first, strict=True)) if a != b]
        first_descriptors = descriptors.copy()
        if differ:
            first_descriptors[differ] = _describe_all(
                pool, images_dir, [keys[i] for i in differ], [first[i] for i in differ], chunk
            )
    return ReferenceResult(
        list(keys),
        descriptors,
        first_descriptors,
        np.array([bool(b) for b, _ in found]),
        centre,
    )


def _describe_all(
    pool: ProcessPoolExecutor, images_dir: Path, keys: list[str], boxes: list[Box], chunk: int
) -> NDArray[np.float32]:
    """Descriptors of these images at these boxes, on the pool's workers."""
    jobs = [
        (images_dir, keys[i : i + chunk], boxes[i : i + chunk]) for i in range(0, len(keys), chunk)
    ]
    return np.concatenate(list(pool.map(_describe, jobs)))


def _median_box(boxes: list[Box]) -> Box:
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
