"""Where a request's CPU goes: decode, each detection pass, landmarks, chip, forward pass.

Each stage is timed on its own, repeatedly, on the bench's three images, in one thread, with the
service's own functions; the HTTP share is what the server spends per request beyond their sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from bench.results import Stages
from service.images import ImageLimits, RGBImage, decode_image
from service.inference import BatchFunction
from service.kinds.face.align import ChipAligner
from service.kinds.face.detect import DetectionPass, make_copy, run_pass


def cpu_ms(step: Callable[[], object], seconds: float, warmup: int = 3) -> float:
    """CPU milliseconds per call of `step`, over at least `seconds` of repeats."""
    for _ in range(warmup):
        step()
    calls, cpu0, end = 0, time.process_time(), time.perf_counter() + seconds
    while time.perf_counter() < end or calls < 5:
        step()
        calls += 1
    return (time.process_time() - cpu0) * 1000.0 / calls


def _pass_runner(
    aligner: ChipAligner, step: DetectionPass, images: list[RGBImage]
) -> Callable[[], object]:
    """One detection pass over these images."""
    find = aligner.finder(step.detector)
    return lambda: [run_pass(make_copy(image, step), find) for image in images]


def profile(
    images: dict[str, bytes],
    aligner: ChipAligner,
    distances: BatchFunction,
    limits: ImageLimits,
    seconds: float,
) -> Stages:
    """CPU ms per request (three images) of each stage, as the service runs it."""
    fields = list(images)
    decoded = {n: decode_image(images[n], field=n, limits=limits) for n in fields}
    stages: dict[str, float] = {
        "decode": cpu_ms(
            lambda: [decode_image(images[n], field=n, limits=limits) for n in fields], seconds
        )
    }
    passes_run: dict[str, int] = {}
    # How far each image goes down the cascade, by the service's own rule for ending the search.
    depth = {n: aligner.detect_traced(decoded[n])[1] for n in fields}
    for number, step in enumerate(aligner.recipe.passes()):
        reaching = [n for n in fields if depth[n] > number]
        name = (
            f"detect pass {number + 1} ({step.detector}, faces >= {step.min_face_fraction:.0%}"
            + (f", padded {step.pad_fraction:.0%})" if step.pad_fraction else ")")
        )
        passes_run[name] = len(reaching)
        if reaching:
            stages[name] = cpu_ms(
                _pass_runner(aligner, step, [decoded[n] for n in reaching]), seconds / 2
            )
    faces = {n: aligner.detect(decoded[n])[0].box() for n in fields}
    stages["landmarks"] = cpu_ms(
        lambda: [aligner.landmarks(decoded[n], faces[n]) for n in fields], seconds / 2
    )
    points = {n: aligner.landmarks(decoded[n], faces[n]) for n in fields}
    stages["chip"] = cpu_ms(
        lambda: [aligner.chip(decoded[n], points[n]) for n in fields], seconds / 2
    )
    chips = [aligner.chip(decoded[n], points[n])[0][None].astype(np.float32) for n in fields]
    stages["forward"] = cpu_ms(lambda: distances(chips), seconds)
    return Stages({k: round(v, 2) for k, v in stages.items()}, passes_run)
