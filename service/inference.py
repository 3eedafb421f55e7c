"""One model per process behind a bounded queue: concurrent requests are fused into small batches.

It knows no model kind: a request is a tuple of arrays with the same number of rows (one face
triplet, one image, or a few table rows); a batch concatenates them, runs the kind's batch function
once, and hands each request its own rows of the answer, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from service.errors import Overloaded

Array = NDArray[Any]
# A kind's batch function: the model's inputs (rows on axis 0) to one (rows, k) answer.
BatchFunction = Callable[[list[Array]], NDArray[np.float64]]


@dataclass
class _Job:
    """One request's inputs waiting for the model, and where to put its rows of the answer."""

    inputs: tuple[Array, ...]
    rows: int
    done: asyncio.Future[NDArray[np.float64]] = field(repr=False)


class InferenceQueue:
    """Serialises model calls on one thread; whatever queued while the model ran becomes one batch.

    A batch smaller than `fill` may wait, up to `max_wait` seconds, for requests whose inputs are
    being prepared right now (and only for them), so a lone request pays nothing; under load the
    batch grows up to max_batch. At most max_queue requests wait (service.admission lets fewer in).
    """

    def __init__(
        self,
        model: BatchFunction,
        *,
        max_batch: int,
        max_queue: int,
        observe: Callable[[int, float], None] | None = None,
        fill: int = 1,
        max_wait: float = 0.0,
    ) -> None:
        self._model = model
        self._max_batch = max_batch
        self._fill = min(fill, max_batch)
        self._max_wait = max_wait
        self._preparing = 0  # requests whose inputs are being prepared (preparing())
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._observe = observe
        self._worker: asyncio.Task[None] | None = None

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

    @contextlib.contextmanager
    def preparing(self) -> Iterator[None]:
        """Mark a request whose inputs are being prepared: a small batch may wait for it."""
        self._preparing += 1
        try:
            yield
        finally:
            self._preparing -= 1

    async def run(self, *inputs: Array) -> NDArray[np.float64]:
        """Queue one request's inputs (rows on axis 0) and wait for its rows of the answer."""
        rows = int(inputs[0].shape[0])
        job = _Job(tuple(inputs), rows, asyncio.get_running_loop().create_future())
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
            batch = await self._take()
            try:
                result = await loop.run_in_executor(self._executor, self._forward, batch)
            except Exception as exc:  # delivered to every waiting request, which reports it
                for job in batch:
                    if not job.done.done():
                        job.done.set_exception(exc)
                continue
            start = 0
            for job in batch:
                if not job.done.done():
                    job.done.set_result(result[start : start + job.rows])
                start += job.rows

    async def _take(self) -> list[_Job]:
        """The next batch: what is queued, and while it is under `fill`, what is being prepared.

        Waiting costs the cores nothing (they are preparing the requests waited for) and the forward
        pass's CPU per request falls with the batch (docs/BENCHMARKS.md, the BATCH_FILL A/B).
        """
        loop = asyncio.get_running_loop()
        batch = [await self._queue.get()]
        deadline = loop.time() + self._max_wait
        while len(batch) < self._max_batch:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            left = deadline - loop.time()
            if len(batch) >= self._fill or self._preparing <= 0 or left <= 0:
                return batch
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), left))
            except TimeoutError:
                return batch
        return batch

    def _forward(self, batch: list[_Job]) -> NDArray[np.float64]:
        """Concatenate the requests' inputs and run one forward pass (on the inference thread)."""
        started = time.perf_counter()
        columns = len(batch[0].inputs)
        inputs = [np.concatenate([job.inputs[i] for job in batch]) for i in range(columns)]
        out = self._model(inputs)
        expected = sum(job.rows for job in batch)
        if out.shape[0] != expected:
            raise RuntimeError(f"the model answered {out.shape[0]} rows for {expected}")
        if self._observe is not None:
            self._observe(len(batch), time.perf_counter() - started)
        return out
