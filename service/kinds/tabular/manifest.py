"""What a tabular-classification manifest adds: the labels and the feature list."""

from __future__ import annotations

from pydantic import Field, field_validator

from service.kinds.tabular.features import Feature, parse_features
from service.manifest import ModelManifest


class TabularManifest(ModelManifest):
    """Rows of named features in, one probability per label out."""

    labels: list[str] = Field(min_length=2)
    features: list[Feature] = Field(min_length=1)

    @field_validator("features", mode="before")
    @classmethod
    def _unique_names(cls, raw: object) -> object:
        """Each feature once (parse_features refuses repeats)."""
        return parse_features(raw)
