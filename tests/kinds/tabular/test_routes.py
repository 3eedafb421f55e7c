"""POST /predict of a tabular classifier: typed rows from the manifest, 422s naming row and field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ClientFactory

ROW = {"age": 39, "hours": 40, "workclass": "State-gov"}


@pytest.fixture
def client(make_client: ClientFactory, tiny_tabular_model: Path) -> Iterator[TestClient]:
    with make_client(model_uri=str(tiny_tabular_model), max_rows=3) as c:
        yield c


def test_each_row_gets_its_own_label_and_probabilities_in_order(client: TestClient) -> None:
    rows = [ROW, {**ROW, "age": 80, "workclass": "?"}, {**ROW, "hours": 2}]
    body = client.post("/predict", json={"rows": rows}).json()
    alone = [client.post("/predict", json={"rows": [r]}).json()["predictions"][0] for r in rows]
    assert len(body["predictions"]) == 3
    for together, single in zip(body["predictions"], alone, strict=True):
        assert together["probabilities"] == pytest.approx(single["probabilities"], abs=1e-6)
        assert list(together["probabilities"]) == ["no", "yes"]
        assert sum(together["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert len({p["probabilities"]["yes"] for p in body["predictions"]}) == 3
    assert body["model"] == {"name": "tiny-table", "version": "0.0.1"}


@pytest.mark.parametrize(
    ("rows", "field", "says"),
    [
        ([{"age": 39, "hours": 40}], "rows[0].workclass", "required"),
        ([ROW, {**ROW, "workclass": "Pirate"}], "rows[1].workclass", "unknown category"),
        ([{**ROW, "age": "old"}], "rows[0].age", "expected a number"),
        ([{**ROW, "age": None}], "rows[0].age", "expected a number"),
        ([{**ROW, "hours": 100}], "rows[0].hours", "less than or equal to 99"),
        ([{**ROW, "colour": "red"}], "rows[0].colour", "unknown field"),
        ([], "rows", "at least 1"),
        ([ROW] * 4, "rows", "at most 3"),
    ],
)
def test_a_bad_row_is_a_422_naming_the_row_and_the_field(
    client: TestClient, rows: list[dict[str, Any]], field: str, says: str
) -> None:
    response = client.post("/predict", json={"rows": rows})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == field
    assert says in error["message"] and "NoneType" not in error["message"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"rows": [ROW], "threshold": "0.5"},
            "threshold",
            'threshold: unknown field; the body has only "rows"',
        ),
        ({"rows": None}, "rows", "rows: expected a list of rows"),
        ({"rows": [7]}, "rows[0]", 'rows[0]: expected a JSON object, e.g. {"rows": [{...}]}'),
        (
            {"rows": [{**ROW, "age": [1]}]},
            "rows[0].age",
            "rows[0].age: expected a number, got [1]",
        ),
    ],
)
def test_a_body_field_error_is_named_in_json_words(
    client: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"], error["message"]) == ("invalid_request", field, message)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"rows": [', "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b'{"rows": [], "extra": 1}', "application/json", 422),
        (b"age=39", "application/x-www-form-urlencoded", 415),
    ],
)
def test_a_body_that_is_not_rows_is_a_4xx_with_the_error_shape(
    client: TestClient, content: bytes, content_type: str, status: int
) -> None:
    response = client.post("/predict", content=content, headers={"content-type": content_type})
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "field", "message"}


def test_docs_show_the_models_real_fields_with_an_example_row(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    row = schema["components"]["schemas"]["Row"]
    assert set(row["required"]) == set(ROW)
    assert row["properties"]["age"]["maximum"] == 90
    assert row["properties"]["workclass"]["enum"] == ["Private", "State-gov", "?"]
    request = schema["components"]["schemas"]["PredictRequest"]
    assert request["properties"]["rows"]["maxItems"] == 3
    assert request["examples"][0]["rows"][0] == ROW
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/PredictRequest"


def test_the_model_info_and_page_are_the_tabular_kinds(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert info["kind"] == "tabular-classification" and info["labels"] == ["no", "yes"]
    assert [f["name"] for f in info["features"]] == list(ROW) and info["max_rows"] == 3
    page = client.get("/")
    assert page.status_code == 200 and 'id="row-form"' in page.text
    assert client.get("/static/form.js").status_code == 200
