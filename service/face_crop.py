"""The crop recipe named in a model's manifest, and the one function that applies it to an image.

Two recipes exist: "opencv-haar-frontalface" (a square around OpenCV's Haar box, models up to 1.2.0
and bring-your-own models trained that way) and "dlib-hog-cnn" (dlib's detectors, 5 landmarks and
the aligned 150x150 chip, model 2.0). Training, evaluation and serving all crop through `Cropper`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Discriminator, Tag

from service import haar_crop
from service.face_align import ChipAligner, ChipRecipe
from service.face_assets import FaceAssets
from service.faces import FaceCrop
from service.haar_crop import HaarRecipe
from service.images import RGBImage

HAAR = "opencv-haar-frontalface"


def _recipe_kind(value: Any) -> str:
    """Which recipe a manifest's crop object is; manifests written before 2.0 may omit the detector."""
    detector = value.get("detector", HAAR) if isinstance(value, dict) else value.detector
    return "chip" if detector == "dlib-hog-cnn" else "haar"


CropRecipe = Annotated[
    Annotated[HaarRecipe, Tag("haar")] | Annotated[ChipRecipe, Tag("chip")],
    Discriminator(_recipe_kind),
]


class Cropper:
    """A recipe ready to run: its files verified and located; one per process."""

    def __init__(
        self, recipe: HaarRecipe | ChipRecipe, assets_dir: Path, *, isolate_cnn: bool = False
    ) -> None:
        self.recipe = recipe
        self._aligner = (
            ChipAligner(
                recipe, FaceAssets.verified(assets_dir, recipe.assets), isolate_cnn=isolate_cnn
            )
            if isinstance(recipe, ChipRecipe)
            else None
        )

    def warm_up(self) -> None:
        """Start the recipe's helper process, if it has one, before the first request."""
        if self._aligner is not None:
            self._aligner.warm_up()

    def close(self) -> None:
        """Stop the recipe's helper process, if it has one."""
        if self._aligner is not None:
            self._aligner.close()

    def crop(
        self,
        image: RGBImage,
        *,
        size: tuple[int, int],
        channels: int,
        field: str | None = None,
        fallback: bool = False,
    ) -> FaceCrop:
        """The model input for the largest face in the image, or 422 no_face naming the field.

        With fallback (training the Haar recipe only) a centred square stands in for a miss.
        """
        if self._aligner is None:
            assert isinstance(self.recipe, HaarRecipe)
            return haar_crop.crop_face(
                image, self.recipe, size=size, channels=channels, field=field, fallback=fallback
            )
        if fallback:
            raise ValueError("the dlib recipe has no fallback crop")
        chip_size = self._aligner.recipe.chip_size
        if size != (chip_size, chip_size) or channels != 3:
            raise ValueError(f"the dlib recipe cuts {chip_size}x{chip_size}x3 chips, not {size}")
        return self._aligner.crop(image, field=field)
