"""The model's kind decides the routes; a model that does not fit its kind is refused at load."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from service.config import Settings
from service.kinds.face.kind import FaceKind
from service.kinds.image.kind import ImageKind
from service.kinds.registry import chosen_kind
from service.kinds.tabular.kind import TabularKind
from tests.conftest import ClientFactory


def test_the_manifest_beside_a_local_model_names_its_kind(
    tiny_model: Path, tiny_image_model: Path, tiny_tabular_model: Path
) -> None:
    assert isinstance(chosen_kind(Settings(model_uri=str(tiny_model))), FaceKind)
    assert isinstance(chosen_kind(Settings(model_uri=str(tiny_image_model))), ImageKind)
    assert isinstance(chosen_kind(Settings(model_uri=str(tiny_tabular_model))), TabularKind)


def test_model_kind_decides_for_a_model_in_s3() -> None:
    uri = "s3://bucket/models/m.h5"
    assert isinstance(chosen_kind(Settings(model_uri=uri)), FaceKind)
    kind = chosen_kind(Settings(model_uri=uri, model_kind="tabular-classification"))
    assert isinstance(kind, TabularKind)


def wait_fatal(client: object) -> str:
    deadline = time.monotonic() + 60
    while not client.fatal:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "start-up neither failed nor finished"
        time.sleep(0.05)
    return str(client.fatal[0])  # type: ignore[attr-defined]


def test_a_manifest_of_another_kind_than_model_kind_is_refused_naming_both(
    make_client: ClientFactory, tiny_tabular_model: Path
) -> None:
    with make_client(
        ready=False, model_uri=str(tiny_tabular_model), model_kind="image-classification"
    ) as client:
        reason = wait_fatal(client)
        assert client.get("/readyz").status_code == 503
    assert "'tabular-classification'" in reason and "'image-classification'" in reason


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"labels": ["a", "b", "c"]}, "3 labels"),
        ({"features": None}, "numeric"),
    ],
)
def test_a_model_that_does_not_fit_its_manifest_is_refused_at_load(
    make_client: ClientFactory, tiny_tabular_model: Path, tmp_path: Path, change: dict, says: str
) -> None:
    manifest = json.loads(tiny_tabular_model.with_suffix(".json").read_text())
    if change.get("features", 0) is None:  # one numeric feature fewer than the model takes
        manifest["features"] = manifest["features"][1:]
    else:
        manifest.update(change)
    model = tmp_path / tiny_tabular_model.name
    model.write_bytes(tiny_tabular_model.read_bytes())
    model.with_suffix(".json").write_text(json.dumps(manifest))
    with make_client(ready=False, model_uri=str(model)) as client:
        reason = wait_fatal(client)
    assert says in reason, reason


def test_an_image_model_whose_input_differs_from_its_manifest_is_refused(
    make_client: ClientFactory, tiny_image_model: Path, tmp_path: Path
) -> None:
    manifest = json.loads(tiny_image_model.with_suffix(".json").read_text())
    manifest["input_shape"] = [32, 32, 1]
    model = tmp_path / tiny_image_model.name
    model.write_bytes(tiny_image_model.read_bytes())
    model.with_suffix(".json").write_text(json.dumps(manifest))
    with make_client(ready=False, model_uri=str(model)) as client:
        reason = wait_fatal(client)
    assert "[28, 28, 1]" in reason and "[32, 32, 1]" in reason
