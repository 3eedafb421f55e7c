"""docs/postman_collection.json: one folder per model kind, in sync with the samples, green under newman.

Each folder runs against the model it is for, served as `make stack MODEL=...` serves it (nginx/TLS).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service.paths import REPO_ROOT
from tests.e2e.conftest import FACES, Stack, running_stack

COLLECTION = REPO_ROOT / "docs" / "postman_collection.json"
EXAMPLES = REPO_ROOT / "tests" / "data" / "examples"
FACE_FOLDER = "face-similarity (facesim-resnet)"
# The other kinds' folders and the example model each is for.
KIND_FOLDERS = {
    "image-classification (digits-cnn)": "digits-cnn-1.0.0.h5",
    "tabular-classification (census-income)": "census-income-1.0.0.h5",
    "tabular-classification (banknote-authentication)": "banknote-authentication-1.0.0.h5",
}
REQUESTS = {
    "readyz": ("GET", "readyz"),
    "v1/model": ("GET", "v1/model"),
    "predict (multipart)": ("POST", "predict"),
    "predict (JSON base64)": ("POST", "predict"),
    "verify": ("POST", "verify"),
}


def load() -> dict[str, Any]:
    return dict(json.loads(COLLECTION.read_text()))


def folder(name: str) -> list[dict[str, Any]]:
    """The requests of one folder of the collection."""
    (found,) = [f for f in load()["item"] if f["name"] == name]
    return list(found["item"])


def test_collection_is_postman_v21_with_a_folder_per_kind_and_make_runs_address() -> None:
    collection = load()
    assert collection["info"]["schema"].endswith("/collection/v2.1.0/collection.json")
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables["baseUrl"] == "http://127.0.0.1:8000"  # make run; the stack's environment:
    stack = json.loads((REPO_ROOT / "docs" / "postman_environment_stack.json").read_text())
    assert {v["key"]: v["value"] for v in stack["values"]}["baseUrl"] == "https://127.0.0.1:8443"
    assert [f["name"] for f in collection["item"]] == [FACE_FOLDER, *KIND_FOLDERS]
    items = {i["name"]: (i["request"]["method"], i["request"]["url"]) for i in folder(FACE_FOLDER)}
    assert {name: (method, url["raw"]) for name, (method, url) in items.items()} == {
        name: (method, "{{baseUrl}}/" + path) for name, (method, path) in REQUESTS.items()
    }


def test_the_tabular_folders_send_the_committed_rows_and_expect_their_labels() -> None:
    for name, model in KIND_FOLDERS.items():
        if not name.startswith("tabular"):
            continue
        rows = json.loads((EXAMPLES / model.replace("-1.0.0.h5", "-rows.json")).read_text())
        (predict,) = [i for i in folder(name) if i["name"] == "predict (rows)"]
        sent = json.loads(predict["request"]["body"]["raw"])["rows"]
        assert sent == [r["row"] for r in rows["rows"]]
        script = "\n".join(predict["event"][0]["script"]["exec"])
        assert json.dumps([r["label"] for r in rows["rows"]]) in script


def test_the_digit_folder_sends_the_committed_samples() -> None:
    variables = {v["key"]: v["value"] for v in load()["variable"]}
    canvas = variables["digitCanvasDataUrl"].removeprefix("data:image/png;base64,")
    assert base64.b64decode(canvas) == (EXAMPLES / "digit-canvas-5.png").read_bytes()
    for item in folder("image-classification (digits-cnn)"):
        for part in item["request"].get("body", {}).get("formdata", []):
            assert (REPO_ROOT / part["src"]).is_file(), part["src"]


def test_collection_files_and_embedded_images_are_the_committed_faces() -> None:
    collection = load()
    for item in folder(FACE_FOLDER):
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
def test_newman_runs_the_face_folder_green_against_the_stack(stack: Stack, tmp_path: Path) -> None:
    stats = newman(FACE_FOLDER, stack, tmp_path)
    assert stats["requests"] == {"total": len(REQUESTS), "pending": 0, "failed": 0}
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] >= 18


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("name", list(KIND_FOLDERS))
def test_newman_runs_each_kinds_folder_green_against_its_model_behind_nginx(
    name: str, tmp_path: Path
) -> None:
    with running_stack(REPO_ROOT / "models" / KIND_FOLDERS[name]) as stack:
        stats = newman(name, stack, tmp_path)
    assert stats["requests"] == {"total": len(folder(name)), "pending": 0, "failed": 0}
    tests = sum(
        line.count("pm.test(")
        for i in folder(name)
        for e in i["event"]
        for line in e["script"]["exec"]
    )
    assert stats["assertions"] == {"total": tests, "pending": 0, "failed": 0}


def newman(folder_name: str, stack: Stack, tmp_path: Path) -> dict[str, Any]:
    """newman on one folder of the collection through the stack's nginx; its run statistics."""
    npx = shutil.which("npx")
    assert npx is not None, "npx (Node.js) is required; make test installs newman"
    report = tmp_path / "newman.json"
    result = subprocess.run(
        [npx, "--no-install", "newman", "run", str(COLLECTION), "--folder", folder_name,
         "--env-var", f"baseUrl={stack.https_url}", "--insecure",
         "--working-dir", str(REPO_ROOT), "--reporters", "cli,json",
         "--reporter-json-export", str(report), "--color", "off"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return dict(json.loads(report.read_text())["run"]["stats"])
