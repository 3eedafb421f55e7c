"""The feature list of a tabular model and the one encoder training and serving both use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

# The model's input names (KINDS_PLAN.md): raw numeric values, and category indices.
NUMERIC_INPUT = "numeric"
CATEGORICAL_INPUT = "categorical"


class NumericFeature(BaseModel):
    """A number; the bounds are what the model saw in training, and what requests are held to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    type: Literal["numeric"] = "numeric"
    description: str = ""
    minimum: float
    maximum: float
    example: float

    @model_validator(mode="after")
    def _ordered(self) -> NumericFeature:
        """minimum <= example <= maximum."""
        if not self.minimum <= self.example <= self.maximum:
            raise ValueError(
                f"{self.name}: need minimum <= example <= maximum, got "
                f"{self.minimum}, {self.example}, {self.maximum}"
            )
        return self


class CategoricalFeature(BaseModel):
    """One of a fixed list of values; the model sees the value's index in `categories`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    type: Literal["categorical"] = "categorical"
    description: str = ""
    categories: list[str] = Field(min_length=1)
    example: str

    @model_validator(mode="after")
    def _known_example(self) -> CategoricalFeature:
        """Categories unique, and the example one of them."""
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"{self.name}: categories repeat")
        if self.example not in self.categories:
            raise ValueError(f"{self.name}: example {self.example!r} is not a category")
        return self

    def index(self, value: str) -> int:
        """The position of a value in `categories`; ValueError names the feature when unknown."""
        try:
            return self.categories.index(value)
        except ValueError:
            raise ValueError(f"{self.name}: unknown category {value!r}") from None


Feature = Annotated[NumericFeature | CategoricalFeature, Field(discriminator="type")]
FEATURE_LIST: TypeAdapter[list[Feature]] = TypeAdapter(list[Feature])


def parse_features(raw: Any) -> list[Feature]:
    """A manifest's "features" list as typed features (pydantic ValidationError when malformed)."""
    features = FEATURE_LIST.validate_python(raw)
    names = [feature.name for feature in features]
    if len(set(names)) != len(names):
        raise ValueError("feature names repeat")
    return features


def encode_rows(
    rows: Sequence[Mapping[str, Any]], features: Sequence[Feature]
) -> dict[str, NDArray[np.float32]]:
    """Rows as the model's inputs: "numeric" raw values and "categorical" indices, in feature order.

    Both are float32 (indices are exact in float32); "categorical" is absent when no feature is
    categorical. Bounds are not checked here: that is request validation's job.
    """
    numeric = [f for f in features if isinstance(f, NumericFeature)]
    categorical = [f for f in features if isinstance(f, CategoricalFeature)]
    encoded = {
        NUMERIC_INPUT: np.array(
            [[float(row[f.name]) for f in numeric] for row in rows], np.float32
        ).reshape(len(rows), len(numeric))
    }
    if categorical:
        encoded[CATEGORICAL_INPUT] = np.array(
            [[f.index(str(row[f.name])) for f in categorical] for row in rows], np.float32
        ).reshape(len(rows), len(categorical))
    return encoded


def example_row(features: Sequence[Feature]) -> dict[str, float | str]:
    """The row made of every feature's example value (docs, the page, a warm-up request)."""
    return {feature.name: feature.example for feature in features}
