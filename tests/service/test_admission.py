"""Admission: a bounded number of requests in the service, fewer worked on at once, first come first
served, and a 503 for whoever would not be served in time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from service.admission import Admission
from service.errors import Overloaded

T = TypeVar("T")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """The scenario on a fresh event loop."""
    return asyncio.run(scenario())  # type: ignore[arg-type]


async def hold_turn(
    admission: Admission, entered: list[int], k: int, release: asyncio.Event
) -> int:
    """Request k: a place, a turn (noted on entry), held until released."""
    async with admission.place(), admission.turn():
        entered.append(k)
        await release.wait()
    return k


async def settle() -> None:
    """Let every runnable task run until it blocks."""
    for _ in range(10):
        await asyncio.sleep(0)


def test_a_full_service_refuses_at_once_and_takes_requests_again_when_one_leaves() -> None:
    admission = Admission(max_queue=2, max_active=2, queue_timeout=10)

    async def scenario() -> None:
        release, entered = asyncio.Event(), list[int]()
        held = [asyncio.create_task(hold_turn(admission, entered, k, release)) for k in range(2)]
        try:
            await settle()
            with pytest.raises(Overloaded, match="2 requests in progress") as refused:
                async with admission.place():
                    pass
            assert refused.value.status_code == 503
            assert refused.value.headers() == {"Retry-After": "1"}
        finally:
            release.set()  # a failed test must not leave tasks holding turns
        await asyncio.gather(*held)
        async with admission.place(), admission.turn():
            pass

    run(scenario)


def test_turns_never_exceed_max_active_and_go_first_come_first_served() -> None:
    admission = Admission(max_queue=10, max_active=2, queue_timeout=10)

    async def scenario() -> list[int]:
        releases, entered = [asyncio.Event() for _ in range(6)], list[int]()
        tasks = []
        try:
            for k in range(6):
                tasks.append(asyncio.create_task(hold_turn(admission, entered, k, releases[k])))
                await settle()
            assert entered == [0, 1], "two turns at once; the others wait in line"
            assert admission.waiting == 4
            releases[0].set()
            await settle()
            assert entered == [0, 1, 2], "one turn ended: one more request in"
        finally:
            for release in releases:
                release.set()
        await asyncio.gather(*tasks)
        return entered

    assert run(scenario) == [0, 1, 2, 3, 4, 5]


def test_a_request_that_gets_no_turn_in_time_is_refused_and_leaves_the_line() -> None:
    admission = Admission(max_queue=10, max_active=1, queue_timeout=0.05)

    async def scenario() -> None:
        release, entered = asyncio.Event(), list[int]()
        first = asyncio.create_task(hold_turn(admission, entered, 0, release))
        try:
            await settle()
            with pytest.raises(Overloaded, match=r"no turn within 0\.05 s"):
                async with admission.place(), admission.turn():
                    pass
            assert admission.waiting == 0
        finally:
            release.set()
        await first
        async with admission.place(), admission.turn():  # the turn it gave up is not lost
            pass

    run(scenario)


def test_a_newcomer_is_refused_at_once_when_the_line_would_outlast_the_timeout() -> None:
    clock = Clock()
    admission = Admission(max_queue=100, max_active=2, queue_timeout=3.0, clock=clock)

    async def scenario() -> list[str]:
        async with admission.turn():  # one turn of 1 s: the estimate's first measurement
            clock.now += 1.0
        assert admission.mean_turn == pytest.approx(1.0)
        release, entered = asyncio.Event(), list[int]()
        tasks, refused = [], list[str]()
        try:
            # Two served at a time, 1 s each: the k-th in line waits about (k + 1) / 2 s.
            for k in range(12):
                task = asyncio.create_task(hold_turn(admission, entered, k, release))
                await settle()
                if task.done():
                    error = task.exception()
                    assert isinstance(error, Overloaded)
                    refused.append(error.headers()["Retry-After"])
                else:
                    tasks.append(task)
            assert admission.waiting == 6, "the 6th in line waits 3 s; a 7th would wait 3.5 s"
        finally:
            release.set()  # a failed test must not leave tasks holding turns
        await asyncio.gather(*tasks)
        return refused

    # 8 in the service, 2 at a time, 1 s each: room in 4 s; each refused client after the first
    # also waits for the half second of work of each one refused before it.
    assert run(scenario) == ["4", "5", "5", "6"]


def test_a_client_that_leaves_the_line_hands_its_turn_on() -> None:
    admission = Admission(max_queue=10, max_active=1, queue_timeout=10)

    async def scenario() -> list[int]:
        release, entered = asyncio.Event(), list[int]()
        first = asyncio.create_task(hold_turn(admission, entered, 0, release))
        await settle()
        leaving = asyncio.create_task(hold_turn(admission, entered, 1, release))
        staying = asyncio.create_task(hold_turn(admission, entered, 2, release))
        try:
            await settle()
            leaving.cancel()
            await settle()
            assert admission.waiting == 1, "the client that left is out of the line"
        finally:
            release.set()
        await asyncio.gather(first, staying)
        assert leaving.cancelled()
        return entered

    assert run(scenario) == [0, 2]


def test_retry_after_is_when_the_work_in_the_service_is_done_not_when_a_newcomer_starts() -> None:
    clock = Clock()
    admission = Admission(max_queue=32, max_active=10, queue_timeout=10.0, clock=clock)

    async def scenario() -> None:
        async with admission.turn():  # turns of 1 s
            clock.now += 1.0
        release, entered = asyncio.Event(), list[int]()
        held = [asyncio.create_task(hold_turn(admission, entered, k, release)) for k in range(32)]
        try:
            await settle()
            assert (len(entered), admission.waiting) == (10, 22)
            with pytest.raises(Overloaded) as refused:
                async with admission.place():
                    pass
            # A newcomer would start in (22 + 1) / 10 = 2.3 s; the 32 in the service are done in 3.2 s.
            assert refused.value.headers() == {"Retry-After": "4"}
            told = []
            for _ in range(9):
                with pytest.raises(Overloaded) as again:
                    async with admission.place():
                        pass
                told.append(again.value.retry_after)
            # Each client refused before adds its 0.1 s of work: 3.2 + 0.1 ... 3.2 + 0.9 s.
            assert (told[:7], told[-1]) == ([4] * 7, 5), "the 10th refused: 3.2 + 0.9 = 4.1 s"
            clock.now += 10.0  # every refused client has come back (and found it full again)
            with pytest.raises(Overloaded) as later:
                async with admission.place():
                    pass
            assert later.value.retry_after == 4, "only the clients still to come back count"
        finally:
            release.set()
        await asyncio.gather(*held)

    run(scenario)
