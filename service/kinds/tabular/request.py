"""The request schema, generated from the manifest's features, and its errors naming row and field."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from service.errors import InvalidRequest
from service.kinds.tabular.features import CategoricalFeature, Feature, example_row


def row_model(features: Sequence[Feature]) -> type[BaseModel]:
    """One row: every feature required, numbers within their bounds, categories from their list."""
    fields: dict[str, Any] = {}
    for feature in features:
        if isinstance(feature, CategoricalFeature):
            kind: Any = Literal[tuple(feature.categories)]
            fields[feature.name] = (
                kind,
                Field(description=feature.description, examples=[feature.example]),
            )
        else:
            fields[feature.name] = (
                float,
                Field(
                    ge=feature.minimum,
                    le=feature.maximum,
                    description=feature.description,
                    examples=[feature.example],
                ),
            )
    example: dict[str, Any] = example_row(features)
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})
    return create_model("Row", __config__=config, **fields)


def request_model(features: Sequence[Feature], max_rows: int) -> type[BaseModel]:
    """{"rows": [Row, ...]} with 1 to max_rows rows and nothing else."""
    row = row_model(features)
    example: dict[str, Any] = {"rows": [example_row(features)]}
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})
    return create_model(
        "PredictRequest",
        __config__=config,
        rows=(list[row], Field(min_length=1, max_length=max_rows)),  # type: ignore[valid-type]
    )


def parse_rows(body: bytes, model: type[BaseModel]) -> list[dict[str, Any]]:
    """The validated rows, or 422 naming the first bad row and field and saying why."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            f"the body is not valid JSON: {exc.msg if hasattr(exc, 'msg') else exc}"
        ) from None
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc) from None
    return [row.model_dump() for row in parsed.rows]  # type: ignore[attr-defined]


def _first_error(exc: ValidationError) -> InvalidRequest:
    """The first problem as 'rows[2].age: Input should be less than or equal to 90'."""
    first = exc.errors(include_url=False)[0]
    field = _where(first["loc"])
    message = first["msg"]
    if first["type"] == "missing":
        message = "this feature is required"
    elif first["type"] == "extra_forbidden" and len(first["loc"]) == 1:
        message = 'unknown field; the body has only "rows"'
    elif first["type"] == "extra_forbidden":
        message = "unknown field (not a feature of this model)"
    elif first["type"] == "literal_error":
        allowed = first["msg"].replace("Input should be", "expected")
        message = f"unknown category {json.dumps(first['input'])}; {allowed}"
    elif first["type"] in ("model_type", "model_attributes_type", "dict_type"):
        message = 'expected a JSON object, e.g. {"rows": [{...}]}'
    elif first["type"] == "list_type":
        message = "expected a list of rows"
    elif first["type"] in ("float_parsing", "float_type"):
        message = f"expected a number, got {json.dumps(first['input'])}"
    return InvalidRequest(f"{field or 'body'}: {message}", field=field or None)


def _where(loc: Sequence[int | str]) -> str:
    """('rows', 2, 'age') -> 'rows[2].age'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
