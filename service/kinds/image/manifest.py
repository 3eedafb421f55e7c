"""What an image-classification manifest adds: input size and channels, labels, preprocessing."""

from __future__ import annotations

from pydantic import Field, model_validator

from service.kinds.image.preprocess import ImagePreprocessing
from service.manifest import ModelManifest


class ImageManifest(ModelManifest):
    """One image in, one probability per label out; pixels prepared by the named recipe."""

    input_shape: tuple[int, int, int]
    labels: list[str] = Field(min_length=2)
    preprocessing: ImagePreprocessing

    @model_validator(mode="after")
    def _channels_match(self) -> ImageManifest:
        """The recipe's colour must be what the model takes, and labels must not repeat."""
        if self.input_shape[2] != self.preprocessing.channels():
            raise ValueError(
                f"input_shape {list(self.input_shape)} does not take the recipe's "
                f"{self.preprocessing.colour} pixels"
            )
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels repeat")
        return self
