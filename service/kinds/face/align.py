"""dlib's recipe (model 2.0): find the face, put dlib's 5 landmarks on it, cut the aligned face chip.

The chip is exactly what dlib.get_face_chip(image, shape, size, padding) returns (same geometry,
same bilinear sampling and image pyramid): the network was trained on such chips.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from service.images import RGBImage
from service.kinds.face.assets import FaceAssets, per_thread
from service.kinds.face.cnn_worker import CnnProcess
from service.kinds.face.detect import (
    SMALLEST_FACE_PX,
    BoxFinder,
    DetectionPass,
    Found,
    cnn_boxes,
    hog_boxes,
    make_copy,
    run_pass,
)
from service.kinds.face.faces import Box, FaceCrop, no_face, too_small

# dlib's detectors (HOG and the MMOD CNN) scan a pyramid_down<6> image pyramid: each level is
# 5/6 of the one above.
PYRAMID_STEP = 5 / 6


class AssetRef(BaseModel):
    """A file the recipe needs, by name and content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ChipRecipe(BaseModel):
    """Detection cascade, 5-point landmarks and the aligned chip; stored in the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: Literal["dlib-hog-cnn"] = "dlib-hog-cnn"
    landmarks: Literal["dlib-5-point"] = "dlib-5-point"
    chip_size: int = Field(150, ge=16, le=1024, description="side of the square chip, pixels")
    padding: float = Field(0.25, ge=0.0, le=2.0, description="dlib's chip padding around the face")
    min_face_fraction: float = Field(
        0.1, gt=0.0, lt=1.0, description="smallest face searched for, of the shorter image side"
    )
    quick_face_fraction: float = Field(
        0.3, gt=0.0, lt=1.0, description="the first pass looks only for faces at least this big"
    )
    cnn_pad: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="padding per side of the CNN pass's copy (faces that fill the frame need it)",
    )
    landmark_model: AssetRef
    cnn_detector: AssetRef | None = Field(None, description="dlib's MMOD CNN, the last pass")

    @property
    def assets(self) -> dict[str, str]:
        """Every file this recipe needs, name -> sha256."""
        refs = [self.landmark_model, *([self.cnn_detector] if self.cnn_detector else [])]
        return {ref.file: ref.sha256 for ref in refs}

    def passes(self) -> list[DetectionPass]:
        """The cascade in order: cheap and common first."""
        quick = max(self.quick_face_fraction, self.min_face_fraction)
        steps = [DetectionPass("hog", quick)]
        if self.min_face_fraction < quick:
            steps.append(DetectionPass("hog", self.min_face_fraction))
        if self.cnn_detector is not None:
            steps.append(DetectionPass("cnn", quick, pad_fraction=self.cnn_pad))
        return steps


def _hog() -> object:
    """dlib's frontal face detector (HOG + linear SVM, built into dlib)."""
    import dlib

    return dlib.get_frontal_face_detector()


class ChipAligner:
    """The recipe with its files: detect, landmark and cut chips (one instance per process)."""

    def __init__(
        self, recipe: ChipRecipe, assets: FaceAssets, *, isolate_cnn: bool = False
    ) -> None:
        self.recipe = recipe
        self._landmark_path = str(assets.path(recipe.landmark_model.file))
        self._cnn_path = (
            str(assets.path(recipe.cnn_detector.file)) if recipe.cnn_detector is not None else None
        )
        # The service runs the CNN in a process of its own (it holds the GIL); tools run it inline.
        self._cnn_process = (
            CnnProcess(self._cnn_path) if isolate_cnn and self._cnn_path is not None else None
        )

    def warm_up(self) -> None:
        """Start what the first request would otherwise wait for (the CNN's process)."""
        if self._cnn_process is not None:
            self._cnn_process.warm_up()

    def close(self) -> None:
        """Stop the CNN's process, if there is one."""
        if self._cnn_process is not None:
            self._cnn_process.close()

    def finder(self, kind: str) -> BoxFinder:
        """This thread's HOG detector, or the CNN (in its process, or this thread's)."""
        import dlib

        if kind == "hog":
            return hog_boxes(per_thread("hog", _hog))
        if self._cnn_process is not None:
            return self._cnn_process.detect
        path = self._cnn_path
        assert path is not None
        return cnn_boxes(per_thread(f"cnn:{path}", lambda: dlib.cnn_face_detection_model_v1(path)))

    def _predictor(self) -> object:
        """This thread's 5-point shape predictor."""
        import dlib

        path = self._landmark_path
        return per_thread(f"sp:{path}", lambda: dlib.shape_predictor(path))

    def detect(self, image: RGBImage) -> list[Found]:
        """The faces of the first pass that finds one as big as it looks for; the subject first."""
        return self.detect_traced(image)[0]

    def detect_traced(self, image: RGBImage) -> tuple[list[Found], int]:
        """detect(), and how many passes of the cascade it ran (the benchmark's stage profile).

        A pass that finds only smaller faces (a face in the background, found on a copy scaled for
        bigger ones) does not end the search: the next pass may find the subject beside it.
        "Smaller" allows one step of dlib's image pyramid (PYRAMID_STEP): boxes come in sizes that
        far apart, so a face of just the size a pass looks for may be reported a step smaller.
        Faces of passes that found only such small faces are used when no pass finds more.
        """
        height, width = image.shape[:2]
        if too_small(image):
            return [], 0
        small: list[Found] = []
        passes = self.recipe.passes()
        for number, step in enumerate(passes, start=1):
            found = run_pass(make_copy(image, step), self.finder(step.detector))
            big_enough = step.min_face_fraction * min(height, width) * PYRAMID_STEP
            if any(f.width >= big_enough for f in found):
                return self._subject_first(found, width, height), number
            small += [f for f in found if not any(f.overlaps(s) for s in small)]
        return self._subject_first(small, width, height), len(passes)

    @staticmethod
    def _subject_first(found: list[Found], width: int, height: int) -> list[Found]:
        """The most prominent face first (ties: top, then left)."""
        return sorted(found, key=lambda f: (-f.prominence(width, height), f.top, f.left))

    def landmarks(self, image: RGBImage, face: Box) -> list[tuple[int, int]]:
        """dlib's 5 points for a face box, in image pixels."""
        import dlib

        rect = dlib.rectangle(face.x, face.y, face.x + face.w, face.y + face.h)
        shape = self._predictor()(image, rect)  # type: ignore[operator]
        return [(p.x, p.y) for p in shape.parts()]

    def chip(self, image: RGBImage, points: list[tuple[int, int]]) -> tuple[np.ndarray, Box, float]:
        """dlib's aligned chip for these landmarks, the square it was cut from, and its turn."""
        import dlib

        rect = dlib.rectangle(
            min(x for x, _ in points),
            min(y for _, y in points),
            max(x for x, _ in points),
            max(y for _, y in points),
        )
        shape = dlib.full_object_detection(rect, [dlib.point(x, y) for x, y in points])
        details = dlib.get_face_chip_details(shape, self.recipe.chip_size, self.recipe.padding)
        pixels = dlib.extract_image_chip(image, details)
        r = details.rect
        square = Box(round(r.left()), round(r.top()), round(r.width()), round(r.height()))
        return np.ascontiguousarray(pixels, dtype=np.uint8), square, math.degrees(details.angle)

    def crop(self, image: RGBImage, *, field: str | None = None) -> FaceCrop:
        """The chip of the most prominent face, or 422 no_face naming the field."""
        faces = self.detect(image)
        if not faces:
            raise no_face(
                image,
                field,
                min_fraction=self.recipe.min_face_fraction,
                min_pixels=SMALLEST_FACE_PX,
            )
        box = faces[0].box()
        points = self.landmarks(image, box)
        pixels, square, angle = self.chip(image, points)
        return FaceCrop(pixels, box, square, True, len(faces), angle, tuple(points))
