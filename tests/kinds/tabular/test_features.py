"""Tabular features: the manifest's typed list, and encode_rows shared by training and serving."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from service.kinds.tabular.features import (
    CategoricalFeature,
    NumericFeature,
    encode_rows,
    example_row,
    parse_features,
)

FEATURES: list[dict[str, Any]] = [
    {"name": "age", "type": "numeric", "minimum": 17, "maximum": 90, "example": 39},
    {"name": "sex", "type": "categorical", "categories": ["Female", "Male"], "example": "Male"},
    {"name": "hours", "type": "numeric", "minimum": 1, "maximum": 99, "example": 40},
    {
        "name": "work",
        "type": "categorical",
        "categories": ["?", "Private", "State-gov"],
        "example": "?",
    },
]


def test_a_manifest_list_parses_into_typed_features_by_type() -> None:
    """The "type" key picks the model: numbers get bounds, categories get their list."""
    features = parse_features(FEATURES)
    assert [type(f) for f in features] == [
        NumericFeature,
        CategoricalFeature,
        NumericFeature,
        CategoricalFeature,
    ]
    assert features[1].description == ""


def test_rows_encode_to_numbers_and_category_indices_in_manifest_order() -> None:
    """Numeric features in list order as raw values; categorical ones as their index in the list."""
    rows: list[dict[str, Any]] = [
        {"work": "State-gov", "hours": 40, "sex": "Female", "age": 39},
        {"age": "50.5", "hours": "13", "sex": "Male", "work": "?"},
    ]
    encoded = encode_rows(rows, parse_features(FEATURES))
    assert set(encoded) == {"numeric", "categorical"}
    assert encoded["numeric"].dtype == np.float32 and encoded["categorical"].dtype == np.float32
    assert encoded["numeric"].tolist() == [[39.0, 40.0], [50.5, 13.0]]
    assert encoded["categorical"].tolist() == [[0.0, 2.0], [1.0, 0.0]]


def test_a_model_without_categories_gets_only_the_numeric_input() -> None:
    """A numbers-only model (banknotes) has one input; zero rows keep their column count."""
    numeric_only = parse_features([FEATURES[0], FEATURES[2]])
    encoded = encode_rows([example_row(numeric_only)], numeric_only)
    assert list(encoded) == ["numeric"] and encoded["numeric"].tolist() == [[39.0, 40.0]]
    assert encode_rows([], numeric_only)["numeric"].shape == (0, 2)


def test_an_unknown_category_is_an_error_naming_the_feature() -> None:
    """Encoding never guesses an index for a value the model never saw."""
    row = {"age": 39, "sex": "Male", "hours": 40, "work": "Without-pay"}
    with pytest.raises(ValueError, match="work"):
        encode_rows([row], parse_features(FEATURES))


def test_the_example_row_encodes() -> None:
    """Every feature's example together make a row the model accepts."""
    features = parse_features(FEATURES)
    assert example_row(features) == {"age": 39, "sex": "Male", "hours": 40, "work": "?"}
    assert encode_rows([example_row(features)], features)["categorical"].tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize(
    "broken",
    [
        {**FEATURES[0], "example": 12},  # example below the minimum
        {**FEATURES[0], "minimum": 91},  # minimum above the maximum
        {**FEATURES[1], "example": "Other"},  # example not a category
        {**FEATURES[1], "categories": ["Male", "Male"], "example": "Male"},  # repeated category
        {**FEATURES[1], "categories": []},  # nothing to choose from
        {**FEATURES[0], "type": "text"},  # unknown type
        {**FEATURES[0], "unit": "years"},  # unknown key
    ],
)
def test_an_inconsistent_feature_is_refused(broken: dict[str, Any]) -> None:
    """The manifest cannot declare a feature its own example or bounds contradict."""
    with pytest.raises(ValidationError):
        parse_features([broken])


def test_repeated_feature_names_are_refused() -> None:
    """Rows are keyed by name: two features of one name cannot both be fed."""
    with pytest.raises(ValueError, match="repeat"):
        parse_features([FEATURES[0], {**FEATURES[2], "name": "age"}])
