"""TensorFlow's thread pools are sized from the settings before the first op (service.model)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from service.cpus import available_cpus

PROBE = (
    "import sys; from service.model import configure_threads; "
    "configure_threads(int(sys.argv[1]), int(sys.argv[2])); import tensorflow as tf; "
    "print(tf.config.threading.get_intra_op_parallelism_threads(), "
    "tf.config.threading.get_inter_op_parallelism_threads())"
)


def pools(intra: int, inter: int) -> tuple[int, int]:
    """(intra-op, inter-op) threads as a fresh process configures them (pools are set only once)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(intra), str(inter)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    a, b = done.stdout.split()[-2:]
    return int(a), int(b)


@pytest.mark.parametrize(("intra", "inter"), [(1, 0), (1, 3), (0, 1)])
def test_zero_means_the_cpus_the_process_may_use(intra: int, inter: int) -> None:
    cpus = available_cpus()
    assert pools(intra, inter) == (intra or cpus, inter or cpus)
