"""The face kind's response bodies, as the OpenAPI schema shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.schemas import ModelRef


class Score(BaseModel):
    """One candidate's distance to the anchor and the verdict at the threshold."""

    distance: float = Field(
        description="distance to the anchor in the model's metric (manifest `distance`); lower is "
        "more similar",
        examples=[0.3328],
    )
    same_person: bool = Field(
        description="distance <= threshold; with a calibration exactly when probability >= 0.5",
        examples=[True],
    )
    probability: float | None = Field(
        None,
        description="calibrated probability that this is the anchor's person, at the 50 % prior "
        "of LFW's balanced pairs the model was calibrated on: 1 / (1 + exp(-slope * (distance - "
        "threshold))), one half at the threshold, so it never disagrees with same_person; null "
        "when the model has no calibration",
        examples=[0.99999],
    )


class Scores(BaseModel):
    """Scores of both candidates."""

    img1: Score
    img2: Score


class BoxOut(BaseModel):
    """A box in the uploaded image's pixel coordinates (after EXIF orientation)."""

    x: int
    y: int
    width: int
    height: int


class FaceOut(BaseModel):
    """How the face in one image was found and cropped."""

    box: BoxOut = Field(description="the face the model compared (the largest one found)")
    crop: BoxOut = Field(
        description="the square cut around it before turning (may extend past the edges)"
    )
    angle: float = Field(
        0.0, description="degrees the square was turned to level the eyes (clockwise on screen)"
    )
    landmarks: list[list[int]] | None = Field(
        None,
        description="the [x, y] points the face was aligned on (dlib's 5), when the recipe uses any",
    )
    faces_found: int = Field(
        description="faces of the largest size found (a small background face beside a big one "
        "is not counted); the largest is used"
    )
    image_width: int = Field(description="of the uploaded image, upright (after EXIF orientation)")
    image_height: int = Field(description="of the uploaded image, upright (after EXIF orientation)")
    crop_png: str | None = Field(
        None, description="data: URL of the exact model input, when return_crops=true"
    )


class PredictResponse(BaseModel):
    """Which candidate shows the same person as the anchor."""

    most_similar: Literal["img1", "img2"] = Field(
        description="the candidate closer to the anchor (img1 on an exact tie)"
    )
    scores: Scores
    threshold: float = Field(description="same-person threshold on the distance")
    model: ModelRef
    faces: dict[str, FaceOut] = Field(description="keyed by anchor, img1, img2")
    request_id: str


class VerifyResponse(BaseModel):
    """Whether two images show the same person."""

    distance: float
    same_person: bool = Field(description="distance <= threshold (see Score.same_person)")
    probability: float | None = Field(
        None, description="calibrated same-person probability (see Score.probability)"
    )
    threshold: float
    model: ModelRef
    faces: dict[str, FaceOut] = Field(description="keyed by img1, img2")
    request_id: str
