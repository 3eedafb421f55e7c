"""The crop recipe a face model's manifest names, and the one interface every recipe implements.

One recipe exists today: dlib's ("dlib-hog-cnn": HOG and CNN detectors, 5 landmarks and the aligned
chip, in align.py). A new recipe is a new class that implements `FaceCropper`, a new member of
`CropRecipe`, and a line in `cropper_for`. Serving, evaluation and the bench all crop through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from service.images import RGBImage
from service.kinds.face.align import ChipAligner, ChipRecipe
from service.kinds.face.assets import FaceAssets
from service.kinds.face.faces import FaceCrop

# The recipes a manifest's "crop" may hold (a bring-your-own model sets chip_size and padding).
CropRecipe = ChipRecipe


class FaceCropper(Protocol):
    """A recipe ready to run: it finds the subject's face and cuts the model input."""

    recipe: CropRecipe

    def crop(self, image: RGBImage, *, field: str | None = None) -> FaceCrop:
        """The model input for the subject's face, or 422 no_face naming the field."""
        ...

    def warm_up(self) -> None:
        """Start any helper process before the first request."""
        ...

    def close(self) -> None:
        """Stop any helper process."""
        ...


def cropper_for(recipe: CropRecipe, assets_dir: Path, *, isolate_cnn: bool = False) -> FaceCropper:
    """The recipe's implementation, its files verified against the manifest's sha256s."""
    return ChipAligner(
        recipe, FaceAssets.verified(assets_dir, recipe.assets), isolate_cnn=isolate_cnn
    )
