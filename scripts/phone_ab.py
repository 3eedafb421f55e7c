"""A/B of the face pipeline's stages on the phone photos, variants interleaved in one process.

  python -m scripts.phone_ab [--rounds 3] [--seconds 1] [--repeats 15]

Variants: "full decode" (no JPEG draft: the 12 MP pixels), "pillow array" (draft at 1/2, Pillow's
decode, exif_transpose and array export: the code before service/jpeg.py) and "now" (draft at 1/2,
OpenCV writes the array). Prints CPU ms per request (three photos) of each stage, the median over
rounds (bench.stages.profile), then decode and decode + crop with the variants alternated call by
call, and each variant's distances beside the small photos' (the answers must not move).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from typing import cast
from unittest import mock

import numpy as np

from bench.inprocess import profile, timed_loop
from bench.photos import FIELDS, Triplet, load_triplet, phone_triplet
from service import images as images_module
from service import jpeg
from service.config import DEFAULT_MODEL, Settings
from service.images import ImageLimits, RGBImage, decode_image
from service.inference import BatchFunction
from service.kinds.face.align import ChipAligner
from service.kinds.face.model import FaceModel, open_local
from service.kinds.face.prepare import prepare_one

VARIANTS = ("full decode", "pillow array", "now")


@contextlib.contextmanager
def variant(name: str) -> Iterator[None]:
    """The decode path of one variant, patched in for the block."""
    with contextlib.ExitStack() as stack:
        if name in ("full decode", "pillow array"):
            stack.enter_context(mock.patch.object(jpeg, "decode_colour", lambda *_: None))
        if name == "full decode":
            stack.enter_context(mock.patch.object(images_module, "JPEG_DRAFT_SIDE", 10**6))
        yield


def interleaved_cpu_ms(
    triplet: Triplet, face: FaceModel, limits: ImageLimits, repeats: int
) -> dict[str, dict[str, float]]:
    """Median CPU ms of decode alone and of decode + crop of the three photos, variants alternated
    call by call (the fairest comparison on a shared machine)."""
    runs: dict[str, dict[str, list[float]]] = {
        v: {"decode": [], "decode + crop": []} for v in VARIANTS
    }
    for _ in range(repeats):
        for name in VARIANTS:
            with variant(name):
                started = time.process_time()
                for n in FIELDS:
                    decode_image(triplet.images[n], field=n, limits=limits)
                decoded = time.process_time()
                for n in FIELDS:
                    prepare_one(triplet.images[n], n, face.cropper, limits)
                runs[name]["decode"].append((decoded - started) * 1000.0)
                runs[name]["decode + crop"].append((time.process_time() - decoded) * 1000.0)
    return {v: {k: statistics.median(ms) for k, ms in r.items()} for v, r in runs.items()}


def distances(
    triplet: Triplet, face: FaceModel, dist: BatchFunction, limits: ImageLimits
) -> list[float]:
    """The two distances /predict would answer."""
    crops = [prepare_one(triplet.images[n], n, face.cropper, limits).crop for n in FIELDS]
    return [round(float(d), 4) for d in dist([c.pixels[None].astype(np.float32) for c in crops])[0]]


def stage_cpu_ms(
    triplet: Triplet, aligner: ChipAligner, dist: BatchFunction, limits: ImageLimits, seconds: float
) -> dict[str, float]:
    """CPU ms per request of decoding the three photos, then of each later stage (the bench's profile)."""

    def decode() -> dict[str, RGBImage]:
        return {n: decode_image(d, field=n, limits=limits) for n, d in triplet.images.items()}

    decode_ms = timed_loop(decode, seconds).cpu_ms_per_call
    return {"decode": round(decode_ms, 2)} | profile(decode(), aligner, dist, seconds).cpu_ms


def main(argv: list[str] | None = None) -> int:
    """Measure every variant `rounds` times, interleaved, and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="per stage and round")
    parser.add_argument("--repeats", type=int, default=15, help="alternated requests per variant")
    args = parser.parse_args(argv)
    settings = Settings()
    face, dist = open_local(DEFAULT_MODEL, settings)
    aligner = cast(ChipAligner, face.cropper)
    limits = ImageLimits(settings.max_upload_bytes, settings.max_image_pixels)
    small = load_triplet()
    phone = phone_triplet(small)
    print(f"small photos: distances {distances(small, face, dist, limits)}")
    stages: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
    for _ in range(args.rounds):
        for name in VARIANTS:
            with variant(name):
                measured = stage_cpu_ms(phone, aligner, dist, limits, args.seconds)
            for stage, ms in measured.items():
                stages[name].setdefault(stage, []).append(ms)
    alternated = interleaved_cpu_ms(phone, face, limits, args.repeats)
    for name in VARIANTS:
        for stage, ms in alternated[name].items():
            stages[name][f"{stage}, call by call"] = [ms]
    names = list(stages["now"])
    print("| stage (CPU ms per request) | " + " | ".join(VARIANTS) + " |")
    print("| --- |" + " --- |" * len(VARIANTS))
    for stage in names:
        cells = [f"{statistics.median(stages[v][stage]):.1f}" for v in VARIANTS]
        print(f"| {stage} | " + " | ".join(cells) + " |")
    for name in VARIANTS:
        with variant(name):
            print(f"{name}: distances {distances(phone, face, dist, limits)}")
    face.cropper.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
