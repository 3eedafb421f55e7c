"""The batching queue: whatever waits while the model runs becomes one batch, and every request in
it gets back the rows computed from its own inputs, not a neighbour's."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np
import pytest
from numpy.typing import NDArray

from service.errors import Overloaded
from service.inference import InferenceQueue

T = TypeVar("T")
SIDE = 4


def triplet(k: int) -> tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]:
    """Three tiny images filled with values that identify request k."""
    fills = (10 + k, 100 + 2 * k, 200 - 3 * k)
    return tuple(np.full((SIDE, SIDE, 3), v, np.uint8) for v in fills)  # type: ignore[return-value]


def expected(k: int) -> tuple[float, float]:
    """The fake model's two distances for request k: each column depends on its own candidate."""
    anchor, first, second = (float(p[0, 0, 0]) for p in triplet(k))
    return anchor + first / 1000, anchor + second / 1000


class RowWiseModel:
    """A stand-in model computing each row from that row's inputs; it can hold its first call."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.batches: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.fail_with: Exception | None = None

    def __call__(self, inputs: list[NDArray[np.float32]]) -> NDArray[np.float64]:
        anchor, img1, img2 = inputs
        self.entered.set()
        assert self.release.wait(10), "the test never released the model"
        self.batches.append(anchor.shape[0])
        if self.fail_with is not None:
            raise self.fail_with
        a, b, c = (x[:, 0, 0, 0].astype(np.float64) for x in (anchor, img1, img2))
        return np.stack([a + b / 1000, a + c / 1000], axis=1)


def run_with_queue(
    model: RowWiseModel,
    scenario: Callable[[InferenceQueue], Awaitable[T]],
    *,
    max_batch: int = 8,
    max_queue: int = 32,
    fill: int = 1,
    max_wait: float = 0.0,
) -> T:
    """Start a queue on a fresh event loop, run the scenario, stop the queue."""

    async def main() -> T:
        queue = InferenceQueue(
            model, max_batch=max_batch, max_queue=max_queue, fill=fill, max_wait=max_wait
        )
        queue.start()
        try:
            return await scenario(queue)
        finally:
            model.release.set()
            await queue.stop()

    return asyncio.run(main())


async def ask(queue: InferenceQueue, k: int) -> tuple[float, float]:
    """Request k's two distances, through the queue as a route sends them (a batch of one)."""
    row = (await queue.run(*(image[np.newaxis] for image in triplet(k))))[0]
    return float(row[0]), float(row[1])


async def queue_behind_a_held_batch(
    queue: InferenceQueue, model: RowWiseModel, count: int
) -> list[Any]:
    """Request 0 occupies the model; requests 1..count-1 queue meanwhile; then all are answered."""
    tasks = [asyncio.create_task(ask(queue, 0))]
    assert await asyncio.to_thread(model.entered.wait, 10)
    tasks += [asyncio.create_task(ask(queue, k)) for k in range(1, count)]
    # Every later request is waiting for the model, or was refused.
    while queue.depth + sum(t.done() for t in tasks[1:]) < count - 1:
        await asyncio.sleep(0.001)
    model.release.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_each_request_in_a_batch_gets_its_own_distances() -> None:
    model = RowWiseModel(hold_first=True)
    answers = run_with_queue(model, lambda q: queue_behind_a_held_batch(q, model, 7))
    assert model.batches == [1, 6], "the six requests that waited were fused into one batch"
    assert answers == [pytest.approx(expected(k)) for k in range(7)]
    assert len({a for pair in answers for a in pair}) == 14, "every answer is distinguishable"


def test_a_batch_never_exceeds_max_batch_and_the_rest_keep_their_answers() -> None:
    model = RowWiseModel(hold_first=True)
    answers = run_with_queue(model, lambda q: queue_behind_a_held_batch(q, model, 8), max_batch=3)
    assert model.batches == [1, 3, 3, 1]
    assert answers == [pytest.approx(expected(k)) for k in range(8)]


def test_a_failed_forward_pass_reaches_every_request_of_its_batch_and_the_queue_goes_on() -> None:
    model = RowWiseModel(hold_first=True)
    broken = RuntimeError("forward pass failed")

    async def scenario(queue: InferenceQueue) -> tuple[list[Any], tuple[float, float]]:
        model.fail_with = broken
        failed = await queue_behind_a_held_batch(queue, model, 4)
        model.fail_with = None
        return failed, await ask(queue, 9)

    failed, after = run_with_queue(model, scenario)
    assert failed == [broken] * 4
    assert after == pytest.approx(expected(9))


def test_a_full_queue_answers_overloaded_at_once() -> None:
    model = RowWiseModel(hold_first=True)

    async def scenario(queue: InferenceQueue) -> list[Any]:
        return await queue_behind_a_held_batch(queue, model, 4)

    answers = run_with_queue(model, scenario, max_queue=2)
    # Request 0 is with the model, 1 and 2 fill the queue's two places, 3 is refused.
    assert [type(a) for a in answers] == [tuple, tuple, tuple, Overloaded]
    assert answers[:3] == [pytest.approx(expected(k)) for k in range(3)]


def test_requests_of_several_rows_each_get_their_own_rows_back_in_order() -> None:
    model = RowWiseModel(hold_first=True)

    async def rows(queue: InferenceQueue, ks: list[int]) -> list[tuple[float, float]]:
        images = [np.stack([triplet(k)[i] for k in ks]) for i in range(3)]
        return [(float(a), float(b)) for a, b in await queue.run(*images)]

    async def scenario(queue: InferenceQueue) -> list[Any]:
        first = asyncio.create_task(rows(queue, [0]))
        assert await asyncio.to_thread(model.entered.wait, 10)
        later = [asyncio.create_task(rows(queue, ks)) for ks in ([1, 2, 3], [4], [5, 6])]
        while queue.depth < 3:
            await asyncio.sleep(0.001)
        model.release.set()
        return await asyncio.gather(first, *later)

    answers = run_with_queue(model, scenario)
    assert model.batches == [1, 6], "three requests of 3, 1 and 2 rows ran as one batch of six"
    want = [[0], [1, 2, 3], [4], [5, 6]]
    assert answers == [[pytest.approx(expected(k)) for k in ks] for ks in want]


async def prepared_later(queue: InferenceQueue, k: int, seconds: float) -> tuple[float, float]:
    """Request k, whose inputs take `seconds` to prepare, marked as being prepared meanwhile."""
    with queue.preparing():
        await asyncio.sleep(seconds)
    return await ask(queue, k)


def test_a_small_batch_waits_for_the_requests_being_prepared() -> None:
    model = RowWiseModel()

    async def scenario(queue: InferenceQueue) -> list[tuple[float, float]]:
        return await asyncio.gather(
            ask(queue, 0), prepared_later(queue, 1, 0.05), prepared_later(queue, 2, 0.1)
        )

    answers = run_with_queue(model, scenario, fill=4, max_wait=5.0)
    assert model.batches == [3], "the ready request waited for the two being prepared"
    assert answers == [expected(k) for k in range(3)]


def test_a_batch_waits_no_longer_than_max_wait_nor_once_it_holds_fill() -> None:
    model = RowWiseModel()

    async def scenario(queue: InferenceQueue) -> list[tuple[float, float]]:
        late = [prepared_later(queue, k, 0.05) for k in (1, 2)] + [prepared_later(queue, 3, 0.3)]
        return await asyncio.gather(ask(queue, 0), *late)

    answers = run_with_queue(model, scenario, fill=3, max_wait=2.0)
    assert model.batches == [3, 1], "full at fill=3: the slower fourth request was not waited for"
    assert answers == [expected(k) for k in range(4)]
    slow = RowWiseModel()

    async def waits_out(queue: InferenceQueue) -> float:
        started = asyncio.get_running_loop().time()
        with queue.preparing():  # a request that never reaches the model in time
            await ask(queue, 0)
        return asyncio.get_running_loop().time() - started

    waited = run_with_queue(slow, waits_out, fill=4, max_wait=0.2)
    assert slow.batches == [1]
    assert 0.2 <= waited < 5.0, "the batch went once max_wait had passed"


def test_a_lone_request_never_waits_for_a_batch() -> None:
    model = RowWiseModel()

    async def scenario(queue: InferenceQueue) -> float:
        started = asyncio.get_running_loop().time()
        await ask(queue, 0)
        return asyncio.get_running_loop().time() - started

    waited = run_with_queue(model, scenario, fill=8, max_wait=30.0)
    assert model.batches == [1]
    assert waited < 5.0, "nothing was being prepared, so the batch went at once"
