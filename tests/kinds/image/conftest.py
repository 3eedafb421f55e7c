"""MNIST digits from ../shared/data/examples for the preprocessing tests."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from service.paths import REPO_ROOT as REPO
from tests.support import needs
from training.examples.datasets import read_idx

MNIST_IMAGES = REPO.parent / "shared/data/examples/mnist/digits8k-images-idx3-ubyte.gz"


@pytest.fixture(scope="session")
def mnist() -> NDArray[np.uint8]:
    """Every 160th of the 8,000 MNIST test-set digits (50, all ten classes), 28x28 grey."""
    needs.example_data()
    return read_idx(MNIST_IMAGES)[::160]
