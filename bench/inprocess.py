"""The limit: the same work without HTTP, in one process (a fresh one per round: bench/run.py).

The model's compiled forward pass alone (batch of one triplet), the service's own pipeline
functions in-process (decode + crop of the three images in worker threads, as a request does, then
the forward pass), Keras `predict` for one triplet (what the naive peer pays), face detection for
the three images, coarse to fine (the recipe) against one full-resolution pass, and where a
request's CPU goes, stage by stage.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import numpy as np

from bench.figures import timing
from bench.results import InProcess, Stages, Timing
from dlib_port.files import RESNET_FILE, package_models_dir
from service.config import Settings
from service.images import ImageLimits, RGBImage, decode_image
from service.inference import BatchFunction
from service.kinds.face.align import ChipAligner
from service.kinds.face.detect import make_copy, run_pass
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
        latencies.append((time.perf_counter() - started) * 1000.0)
    return timing(latencies, cpu_s=time.process_time() - cpu0)


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


def profile(
    images: dict[str, RGBImage], aligner: ChipAligner, distances: BatchFunction, seconds: float
) -> Stages:
    """CPU ms per request (three images) of each stage after decoding, as the service runs it."""

    def cpu_ms(step: Callable[[], object], share: float = 0.5) -> float:
        return round(timed_loop(step, seconds * share, warmup=3).cpu_ms_per_call, 2)

    stages, reaching = {}, {}
    # How far each image goes down the cascade, by the service's own rule for ending the search.
    depth = {n: aligner.detect_traced(image)[1] for n, image in images.items()}
    for number, step in enumerate(aligner.recipe.passes()):
        pad = f", padded {step.pad_fraction:.0%}" if step.pad_fraction else ""
        name = f"detect pass {number + 1} ({step.detector}, faces >= {step.min_face_fraction:.0%}{pad})"
        found = [images[n] for n in images if depth[n] > number]
        reaching[name], find = len(found), aligner.finder(step.detector)
        if found:
            stages[name] = cpu_ms(lambda: [run_pass(make_copy(im, step), find) for im in found])  # noqa: B023
    faces = {n: aligner.detect(image)[0].box() for n, image in images.items()}
    stages["landmarks"] = cpu_ms(lambda: [aligner.landmarks(images[n], faces[n]) for n in images])
    points = {n: aligner.landmarks(images[n], faces[n]) for n in images}
    stages["chip"] = cpu_ms(lambda: [aligner.chip(images[n], points[n]) for n in images])
    chips = [aligner.chip(images[n], points[n])[0][None].astype(np.float32) for n in images]
    stages["forward"] = cpu_ms(lambda: distances(chips), 1.0)
    return Stages(stages, reaching)


def measure(
    model_path: Path,
    images: dict[str, bytes],
    seconds: float,
    phone: dict[str, bytes] | None = None,
) -> InProcess:
    """Forward pass alone, the in-process pipeline (parallel and sequential), and predict(); the
    pipeline and its stages again on the phone photos when given (the same faces, 12 MP)."""
    import dlib

    settings = Settings(model_uri=str(model_path))
    face, distances_of = open_local(model_path, settings)
    aligner = cast(ChipAligner, face.cropper)  # the dlib recipe: its stages are timed one by one
    gc_pause = full_collection_ms()
    limits = ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)

    def decoded(photos: dict[str, bytes]) -> dict[str, RGBImage]:
        return {n: decode_image(data, field=n, limits=limits) for n, data in photos.items()}

    def crops_of(found: list[Any]) -> list[np.ndarray[Any, Any]]:
        return [c.pixels[None].astype(np.float32) for c in found]

    def cropped() -> list[Any]:
        return [prepare_one(data, n, face.cropper, limits).crop for n, data in images.items()]

    def stages_of(photos: dict[str, bytes]) -> Stages:
        decode_ms = timed_loop(lambda: decoded(photos), seconds / 4)
        found = profile(decoded(photos), aligner, distances_of, seconds / 4)
        found.cpu_ms = {"decode": round(decode_ms.cpu_ms_per_call, 2)} | found.cpu_ms
        return found

    crops = cropped()
    forward = timed_loop(lambda: distances_of(crops_of(crops)), seconds)
    # dlib's own network on the same chips: 150x150 only (not a tiny model's)
    dlib_descriptor = None
    if crops[0].pixels.shape[:2] == (DLIB_CHIP_SIDE, DLIB_CHIP_SIDE):
        net = dlib.face_recognition_model_v1(str(package_models_dir() / RESNET_FILE))
        dlib_descriptor = timed_loop(
            lambda: [net.compute_face_descriptor(c.pixels) for c in crops], seconds / 2
        )
    stages, small = stages_of(images), decoded(images).values()
    hog = dlib.get_frontal_face_detector()
    detect = timed_loop(lambda: [aligner.detect(im) for im in small], seconds / 4)
    detect_single = timed_loop(lambda: [hog(im, 1) for im in small], seconds / 4)
    # The service's own preparation, with its pool sized as the service sizes it.
    loop, pool = asyncio.new_event_loop(), ThreadPoolExecutor(settings.preprocess_workers)

    def pipeline(photos: dict[str, bytes] = images) -> object:
        faces = loop.run_until_complete(
            prepare_faces(photos, face.cropper, settings, Metrics(), pool)
        )
        return distances_of(crops_of([faces[n].crop for n in photos]))

    in_pipeline = timed_loop(pipeline, seconds)
    in_sequence = timed_loop(lambda: distances_of(crops_of(cropped())), seconds / 2)
    in_phone = timed_loop(lambda: pipeline(phone), seconds) if phone else None
    phone_stages = stages_of(phone) if phone else None
    loop.close()
    pool.shutdown()
    import keras  # predict() as the naive peer calls it (TensorFlow is loaded by open_local already)

    keras_model, one = keras.models.load_model(model_path, compile=False), crops_of(crops)
    return InProcess(
        forward_b1=forward,
        pipeline=in_pipeline,
        pipeline_sequential=in_sequence,
        predict_b1=timed_loop(lambda: keras_model.predict(one, verbose=0), seconds / 2),
        detect_3=detect,
        detect_3_single_pass=detect_single,
        dlib_descriptor_3=dlib_descriptor,
        stages=stages,
        phone_pipeline=in_phone,
        phone_stages=phone_stages,
        gc_pause_ms=gc_pause,
        distances=[float(v) for v in distances_of(crops_of(crops))[0]],
        tf_threads=settings.tf_threads,
    )
