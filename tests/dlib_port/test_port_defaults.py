"""`make port` with no arguments builds what was published: the same settings as the committed model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dlib_port import release
from scripts import port_dlib
from service.paths import REPO_ROOT as REPO


class PortStarted(Exception):
    """Raised in place of the port itself: the test wants only what it was asked to build."""


def default_port_call(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The arguments scripts/port_dlib.py hands the port when run without options."""
    calls: list[dict[str, Any]] = []

    def build(out_dir: Path, assets_dir: Path, **options: Any) -> dict[str, Any]:
        calls.append({"out_dir": out_dir, "assets_dir": assets_dir, **options})
        raise PortStarted

    monkeypatch.setattr(release, "build", build)
    monkeypatch.setattr("sys.argv", ["scripts/port_dlib.py"])
    with pytest.raises(PortStarted):
        port_dlib.main()
    (call,) = calls
    return call


def test_the_port_averages_each_face_with_its_mirror_image_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert default_port_call(monkeypatch)["mirror_average"] is True


def test_the_default_port_builds_the_committed_models_network_into_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = default_port_call(monkeypatch)
    _, manifest_path = release.model_paths(REPO / "models")
    published = json.loads(manifest_path.read_text())
    assert call["mirror_average"] == published["network"]["mirror_average"]
    assert (call["out_dir"], call["assets_dir"]) == (Path("models"), Path("models/dlib"))
    for ref in (published["crop"]["landmark_model"], published["crop"]["cnn_detector"]):
        assert (REPO / call["assets_dir"] / ref["file"]).is_file()
