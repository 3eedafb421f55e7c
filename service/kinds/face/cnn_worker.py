"""dlib's CNN face detector in a process of its own, so that it never stalls the server.

dlib's Python binding holds the GIL for the whole CNN pass (a few hundred milliseconds on a copy of
about 400 x 300 px), and the pass runs exactly for the pictures where HOG found nothing, which
includes every picture without a face. In the server's process that would stop the event loop and
the other requests for that long; in a separate process it costs one core while the rest go on.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

Box = tuple[int, int, int, int]  # left, top, right, bottom

_detector: Any = None


def _load(path: str) -> None:
    """Worker start: ignore Ctrl-C (the server shuts this process down), load the detector once."""
    global _detector
    # The terminal sends SIGINT to the whole process group; without this the worker dies with a
    # KeyboardInterrupt traceback while the server is still shutting down gracefully.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import dlib

    _detector = dlib.cnn_face_detection_model_v1(path)


def _detect(pixels: NDArray[np.uint8], upsample: int) -> list[Box]:
    """Worker: every face box the CNN finds."""
    return [
        (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom())
        for d in _detector(pixels, upsample)
    ]


class CnnProcess:
    """One worker process running dlib's MMOD CNN face detector; callable like the detector."""

    def __init__(self, path: str) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load,
            initargs=(path,),
        )

    def warm_up(self) -> None:
        """Start the process and load the detector now, not on the first request that needs it."""
        self.detect(np.zeros((32, 32, 3), dtype=np.uint8), 0)

    def detect(self, pixels: NDArray[np.uint8], upsample: int) -> list[Box]:
        """The detector's boxes for this copy; the calling thread waits without the GIL."""
        return self._pool.submit(_detect, pixels, upsample).result()

    def close(self) -> None:
        """Stop the worker process (after the pass it may be running: under a second)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
