"""Tiny real models of the classifier kinds, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tiny_model import write_image_model, write_tabular_model


@pytest.fixture(scope="session")
def tiny_image_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained digits classifier with a correct manifest."""
    return write_image_model(tmp_path_factory.mktemp("tiny-image"))


@pytest.fixture(scope="session")
def tiny_tabular_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained tabular classifier (two numbers, one category) with a correct manifest."""
    return write_tabular_model(tmp_path_factory.mktemp("tiny-tabular"))
