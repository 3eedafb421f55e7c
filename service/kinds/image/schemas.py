"""The image-classification kind's response body."""

from __future__ import annotations

from pydantic import Field

from service.kinds.classification import Prediction
from service.schemas import ModelRef


class ImagePrediction(Prediction):
    """The label of one image, every label's probability, and what the model was shown."""

    model: ModelRef
    input_png: str | None = Field(
        None, description="data: URL of the exact model input, when return_input=true"
    )
    request_id: str
