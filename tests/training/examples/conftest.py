"""The example data sets (../shared/data/examples) and the committed example models."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.paths import REPO_ROOT as REPO
from tests.support import needs

SAMPLES_DIR = REPO / "tests" / "data" / "examples"
MODELS_DIR = REPO / "models"
EXAMPLE_MODELS = ("digits-cnn", "census-income", "banknote-authentication")


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    """The data folder; the tests that read it skip, saying why, where it is missing."""
    return needs.example_data()
