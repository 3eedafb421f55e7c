"""The BentoML peer's venv installs what the service code it imports needs, at the service's pins."""

from __future__ import annotations

import re

from bench.bentoml_env import BENTOML, PACKAGES
from service.paths import REPO_ROOT


def _service_pins() -> dict[str, str]:
    """requirements.txt as name -> requirement line (markers dropped)."""
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split(";")[0].split("#")[0].strip()
        if line:
            pins[re.split(r"[=<>\[]", line)[0].lower()] = line
    return pins


def test_every_package_but_bentoml_has_the_service_pin() -> None:
    pins = _service_pins()
    for package in PACKAGES:
        if package == BENTOML:
            continue
        name = re.split(r"[=<>]", package)[0].lower()
        assert pins.get(name) == package, (package, pins.get(name))


def test_the_crop_recipes_and_settings_dependencies_are_installed() -> None:
    names = {re.split(r"[=<>]", p)[0] for p in PACKAGES}
    # service.kinds.face.align needs dlib, service.config pydantic-settings, service.haar_crop OpenCV.
    assert {"dlib-bin", "pydantic-settings", "opencv-python-headless", "tensorflow-cpu"} <= names
