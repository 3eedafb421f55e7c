"""MNIST digits from ../shared/data/examples for the preprocessing tests."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.conftest import REPO
from training.examples.datasets import read_idx

MNIST_IMAGES = REPO.parent / "shared/data/examples/mnist/digits8k-images-idx3-ubyte.gz"


@pytest.fixture(scope="session")
def mnist() -> NDArray[np.uint8]:
    """Every 160th of the 8,000 MNIST test-set digits (50, all ten classes), 28x28 grey."""
    if not MNIST_IMAGES.is_file():
        pytest.skip("the example data sets are not at ../shared/data/examples")
    return read_idx(MNIST_IMAGES)[::160]
