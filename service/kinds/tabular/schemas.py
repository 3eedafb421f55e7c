"""The tabular-classification kind's response body."""

from __future__ import annotations

from pydantic import BaseModel

from service.kinds.classification import Prediction
from service.schemas import ModelRef


class TabularPredictions(BaseModel):
    """One prediction per row, in the order of the request's rows."""

    predictions: list[Prediction]
    model: ModelRef
    request_id: str
