"""docs/postman_collection.json: well-formed, in sync with the sample faces, green under newman."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack.nginx_config import REPO_ROOT
from tests.e2e.conftest import FACES, Stack

COLLECTION = REPO_ROOT / "docs" / "postman_collection.json"
REQUESTS = {
    "readyz": ("GET", "readyz"),
    "v1/model": ("GET", "v1/model"),
    "predict (multipart)": ("POST", "predict"),
    "predict (JSON base64)": ("POST", "predict"),
    "verify": ("POST", "verify"),
}


def load() -> dict[str, Any]:
    return dict(json.loads(COLLECTION.read_text()))


def test_collection_is_postman_v21_with_a_base_url_variable() -> None:
    collection = load()
    assert collection["info"]["schema"].endswith("/collection/v2.1.0/collection.json")
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables["baseUrl"] == "https://127.0.0.1:8443"
    items = {i["name"]: (i["request"]["method"], i["request"]["url"]) for i in collection["item"]}
    assert {name: (method, url["raw"]) for name, (method, url) in items.items()} == {
        name: (method, "{{baseUrl}}/" + path) for name, (method, path) in REQUESTS.items()
    }


def test_collection_files_and_embedded_images_are_the_committed_faces() -> None:
    collection = load()
    for item in collection["item"]:
        for part in item["request"].get("body", {}).get("formdata", []):
            assert (REPO_ROOT / part["src"]).is_file(), part["src"]
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    embedded = {
        "anchorBase64": variables["anchorBase64"],
        "img1Base64": variables["img1Base64"],
        "img2DataUrl": variables["img2DataUrl"].removeprefix("data:image/jpeg;base64,"),
    }
    expected = {"anchorBase64": "a1", "img1Base64": "a2", "img2DataUrl": "b1"}
    for key, name in expected.items():
        assert base64.b64decode(embedded[key]) == (FACES / f"{name}.jpg").read_bytes(), key


@pytest.mark.e2e
@pytest.mark.slow
def test_newman_runs_the_collection_green_against_the_stack(stack: Stack, tmp_path: Path) -> None:
    npx = shutil.which("npx")
    assert npx is not None, "npx (Node.js) is required; make test installs newman"
    report = tmp_path / "newman.json"
    result = subprocess.run(
        [npx, "--no-install", "newman", "run", str(COLLECTION),
         "--env-var", f"baseUrl={stack.https_url}", "--insecure",
         "--working-dir", str(REPO_ROOT), "--reporters", "cli,json",
         "--reporter-json-export", str(report), "--color", "off"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    stats = json.loads(report.read_text())["run"]["stats"]
    assert stats["requests"] == {"total": len(REQUESTS), "pending": 0, "failed": 0}
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] >= 18
