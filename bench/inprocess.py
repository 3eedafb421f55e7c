"""The limit: the same work without HTTP, in one process, run as `python -m bench.inprocess`.

The model's compiled forward pass alone (batch of one triplet), the service's own pipeline
functions in-process (decode + crop of the three images in worker threads, as a request does, then
the forward pass), Keras `predict` for one triplet (what the naive peer pays), and face detection
for the three images, coarse to fine (the recipe) against one full-resolution pass.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import numpy as np

from bench.inputs import FIELDS, read_images
from bench.results import InProcess, Timing, save
from bench.stages import profile
from bench.stats import timing
from dlib_port.files import RESNET_FILE, package_models_dir
from service.config import Settings
from service.images import ImageLimits, decode_image
from service.kinds.face.align import ChipAligner
from service.kinds.face.model import open_local
from service.kinds.face.prepare import prepare_faces, prepare_one
from service.metrics import Metrics

DLIB_CHIP_SIDE = 150  # dlib_face_recognition_resnet_model_v1 refuses any other chip size


def timed_loop(step: Callable[[], object], seconds: float, warmup: int = 5) -> Timing:
    """Run step repeatedly for `seconds` after a few unrecorded calls; latency summary + rate."""
    for _ in range(warmup):
        step()
    latencies: list[float] = []
    cpu0, end = time.process_time(), time.perf_counter() + seconds
    while time.perf_counter() < end or len(latencies) < 10:
        started = time.perf_counter()
        step()
        latencies.append(time.perf_counter() - started)
    return timing([v * 1000.0 for v in latencies], cpu_s=time.process_time() - cpu0)


def full_collection_ms(repeats: int = 3) -> dict[str, float]:
    """A full garbage collection's pause with the model loaded, then frozen as the service freezes it."""

    def pause() -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            gc.collect()
            times.append((time.perf_counter() - started) * 1000.0)
        return round(sorted(times)[len(times) // 2], 2)

    live = pause()
    gc.freeze()
    return {"live": live, "frozen": pause()}


def measure(model_path: Path, images: dict[str, bytes], seconds: float) -> InProcess:
    """Forward pass alone, the in-process pipeline (parallel and sequential), and predict()."""
    settings = Settings(model_uri=str(model_path))
    face, distances_of = open_local(model_path, settings)
    aligner = cast(ChipAligner, face.cropper)  # the dlib recipe: its stages are timed one by one
    metrics = Metrics()
    gc_pause = full_collection_ms()
    one = np.zeros((1, *face.manifest.input_shape), dtype=np.float32)
    limits = settings_limits(settings)

    def batch_of(crops: list[Any]) -> list[np.ndarray[Any, Any]]:
        return [c.pixels[None].astype(np.float32) for c in crops]

    crops = [prepare_one(images[n], n, face.cropper, limits).crop for n in FIELDS]
    inputs = batch_of(crops)
    forward = timed_loop(lambda: distances_of(inputs), seconds)
    # dlib's own network on the same chips (it takes 150x150 chips only: not a tiny test model's).
    dlib_descriptor = (
        timed_loop(_dlib_descriptors([c.pixels for c in crops]), seconds / 2)
        if crops[0].pixels.shape[:2] == (DLIB_CHIP_SIDE, DLIB_CHIP_SIDE)
        else None
    )
    distances = [float(v) for v in distances_of(inputs)[0]]

    loop = asyncio.new_event_loop()

    # The service's decode pool, sized as the service sizes it.
    pool = ThreadPoolExecutor(settings.preprocess_workers)

    def pipeline() -> object:
        faces = loop.run_until_complete(
            prepare_faces(images, face.cropper, settings, metrics, pool)
        )
        return distances_of(batch_of([faces[n].crop for n in FIELDS]))

    def sequential() -> object:
        found = [prepare_one(images[n], n, face.cropper, limits).crop for n in FIELDS]
        return distances_of(batch_of(found))

    decoded = [decode_image(images[n], field=n, limits=limits) for n in FIELDS]
    detect, detect_single = _detection_timings(aligner, decoded, seconds / 4)
    stages = profile(images, aligner, distances_of, limits, seconds / 4)
    in_pipeline = timed_loop(pipeline, seconds)
    in_sequence = timed_loop(sequential, seconds / 2)
    loop.close()
    pool.shutdown()
    # Keras's predict(), as the naive peer calls it (TensorFlow is loaded by open_local already).
    import keras

    keras_model = keras.models.load_model(model_path, compile=False)
    predict = timed_loop(lambda: keras_model.predict([one, one, one], verbose=0), seconds / 2)
    return InProcess(
        forward_b1=forward,
        pipeline=in_pipeline,
        pipeline_sequential=in_sequence,
        predict_b1=predict,
        detect_3=detect,
        detect_3_single_pass=detect_single,
        dlib_descriptor_3=dlib_descriptor,
        stages=stages,
        gc_pause_ms=gc_pause,
        distances=distances,
        tf_threads=settings.tf_threads,
    )


def _dlib_descriptors(chips: list[Any]) -> Callable[[], object]:
    """dlib's own descriptor of the same three chips (its C++ network), for the per-face comparison."""
    import dlib

    net = dlib.face_recognition_model_v1(str(package_models_dir() / RESNET_FILE))
    return lambda: [net.compute_face_descriptor(chip) for chip in chips]


def _detection_timings(
    aligner: ChipAligner, decoded: list[Any], seconds: float
) -> tuple[Timing, Timing]:
    """Detection of the three images by the recipe's cascade, and by one full-resolution pass."""
    import dlib

    hog = dlib.get_frontal_face_detector()
    return (
        timed_loop(lambda: [aligner.detect(im) for im in decoded], seconds),
        timed_loop(lambda: [hog(im, 1) for im in decoded], seconds),
    )


def settings_limits(settings: Settings) -> Any:
    """The per-image limits a request gets."""
    return ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)


def main(argv: list[str] | None = None) -> int:
    """Measure and write the JSON result."""
    parser = argparse.ArgumentParser(description="the in-process limit")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True, help="dir with anchor/img1/img2.jpg")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    save(args.out, measure(args.model, read_images(args.images), args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
