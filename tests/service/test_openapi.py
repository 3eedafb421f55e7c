"""/openapi.json (and so /docs) describes this deployment: version, model, auth only when on."""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

import service
from service.paths import REPO_ROOT as REPO
from tests.conftest import ClientFactory, wait_ready


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for ops in spec["paths"].values() for op in ops.values()]


def test_no_security_scheme_or_401_when_no_api_keys_are_configured(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "securitySchemes" not in spec.get("components", {})
    for op in operations(spec):
        assert "security" not in op, op["summary"]
        assert "401" not in op["responses"], op["summary"]
    # With keys set, tests/reliability/test_security.py checks the scheme is there.


def test_version_is_the_package_version_and_the_description_names_the_model(
    client: TestClient,
) -> None:
    info = client.get("/openapi.json").json()["info"]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert info["version"] == service.__version__ == pyproject
    assert "tiny 0.0.1" in info["description"]


def test_description_says_loading_until_the_model_is_known(
    make_client: ClientFactory, tiny_model: Path, held_model_load: threading.Event
) -> None:
    with make_client(model_uri=str(tiny_model), ready=False) as c:
        assert "still loading" in c.get("/openapi.json").json()["info"]["description"]
        held_model_load.set()
        wait_ready(c)
        assert "tiny 0.0.1" in c.get("/openapi.json").json()["info"]["description"]
