"""One model per process behind a bounded queue: concurrent requests are fused into small batches."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from service.errors import Overloaded
from service.model import SiameseModel

Pixels = NDArray[np.uint8]


@dataclass
class _Job:
    """Three crops waiting for the model, and where to put their two distances."""

    anchor: Pixels
    img1: Pixels
    img2: Pixels
    done: asyncio.Future[tuple[float, float]] = field(repr=False)


class InferenceQueue:
    """Serialises model calls on one thread; whatever queued while the model ran becomes one batch.

    There is no waiting for a batch to fill, so a lone request pays nothing; under load the batch
    grows up to max_batch. At most max_queue requests are admitted (being decoded or waiting for
    the model); the next one is answered 503 at once instead of letting latency grow.
    """

    def __init__(
        self,
        model: SiameseModel,
        *,
        max_batch: int,
        max_queue: int,
        observe: Callable[[int, float], None] | None = None,
    ) -> None:
        self._model = model
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._observe = observe
        self._worker: asyncio.Task[None] | None = None
        self._max_queue = max_queue
        self._admitted = 0

    def start(self) -> None:
        """Start the batching loop on the running event loop."""
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="inference-loop")

    async def stop(self) -> None:
        """Stop the loop after the current batch; called at shutdown when no request is in flight."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._executor.shutdown(wait=True)

    @property
    def depth(self) -> int:
        """Requests waiting for the model."""
        return self._queue.qsize()

    @contextlib.asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """Hold one of max_queue places from decoding to the answer; 503 at once when none is free.

        Decoding and face detection cost more than a forward pass, so the bound covers them too:
        counting only the requests waiting for the model let latency grow with concurrency.
        """
        if self._admitted >= self._max_queue:
            raise Overloaded(
                f"the service is at capacity ({self._max_queue} requests in progress); retry shortly"
            )
        self._admitted += 1  # the event loop's thread only: no lock needed
        try:
            yield
        finally:
            self._admitted -= 1

    async def distances(self, anchor: Pixels, img1: Pixels, img2: Pixels) -> tuple[float, float]:
        """Queue one triplet and wait for its (anchor-img1, anchor-img2) distances."""
        job = _Job(anchor, img1, img2, asyncio.get_running_loop().create_future())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            raise Overloaded(
                f"the service is at capacity ({self._queue.maxsize} requests queued); retry shortly"
            ) from None
        return await job.done

    async def _run(self) -> None:
        """Take what is queued (up to max_batch), run it on the model thread, hand back results."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                result = await loop.run_in_executor(self._executor, self._forward, batch)
            except Exception as exc:  # delivered to every waiting request, which reports it
                for job in batch:
                    if not job.done.done():
                        job.done.set_exception(exc)
                continue
            for job, row in zip(batch, result, strict=True):
                if not job.done.done():
                    job.done.set_result((float(row[0]), float(row[1])))

    def _forward(self, batch: list[_Job]) -> NDArray[np.float64]:
        """Stack the crops and run one forward pass (on the inference thread)."""
        started = time.perf_counter()
        anchors = np.stack([j.anchor for j in batch]).astype(np.float32)
        first = np.stack([j.img1 for j in batch]).astype(np.float32)
        second = np.stack([j.img2 for j in batch]).astype(np.float32)
        out = self._model.distances(anchors, first, second)
        if self._observe is not None:
            self._observe(len(batch), time.perf_counter() - started)
        return out
