"""``topichub.bus.deadlines``: one timer settles every watched future at its deadline,
in deadline order even when watched out of order, and leaves answered ones alone."""

from __future__ import annotations

import asyncio

import pytest

from topichub.bus.deadlines import Deadlines


class Late(Exception):
    pass


def deadlines() -> Deadlines:
    return Deadlines(lambda topic: Late(topic))


async def test_each_future_fails_at_its_deadline_and_answered_ones_are_left_alone() -> None:
    loop = asyncio.get_running_loop()
    watch = deadlines()
    start = loop.time()
    futures = [loop.create_future() for _ in range(4)]
    for i, future in enumerate(futures):
        watch.watch(future, start + 0.05 * (i + 1), f"t{i}")
    futures[1].set_result("answered")
    futures[3].cancel()

    with pytest.raises(Late, match="t0"):
        await futures[0]
    assert 0.05 <= loop.time() - start < 0.09
    assert not futures[2].done()
    with pytest.raises(Late, match="t2"):
        await futures[2]
    assert loop.time() - start >= 0.15
    assert futures[1].result() == "answered"
    assert futures[3].cancelled()


async def test_an_earlier_deadline_watched_later_still_comes_first() -> None:
    loop = asyncio.get_running_loop()
    watch = deadlines()
    start = loop.time()
    late, early = loop.create_future(), loop.create_future()
    watch.watch(late, start + 5, "late")
    watch.watch(early, start + 0.05, "early")
    with pytest.raises(Late, match="early"):
        await early
    assert loop.time() - start < 1
    assert not late.done()
    late.cancel()


async def test_one_timer_serves_many_calls() -> None:
    loop = asyncio.get_running_loop()
    watch = deadlines()
    start = loop.time()
    futures = [loop.create_future() for _ in range(1000)]
    for future in futures:
        watch.watch(future, start + 10, "t")
    timers = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    assert len([h for h in timers if h.when() == start + 10]) == 1
    for future in futures:
        future.set_result(None)
    extra = loop.create_future()
    watch.watch(extra, start + 10, "t")
    assert len(watch._waiting) == 1  # answered calls left from the front
    extra.cancel()


def test_a_deadline_is_due_when_its_timer_runs_though_uvloops_clock_lags() -> None:
    """uvloop's ``time()`` is cached per loop iteration in milliseconds: the timer of a
    sub-millisecond deadline runs while the clock still reads earlier. It expires then,
    as ``asyncio.timeout`` would, not a millisecond later (a publish could meanwhile be
    confirmed past its timeout)."""
    import uvloop

    async def watched() -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(TimeoutError)
        future: asyncio.Future[None] = loop.create_future()
        deadlines.watch(future, loop.time() + 1e-6, "t")
        await asyncio.sleep(0)  # one loop iteration: the timer (0 ms) runs
        await asyncio.sleep(0)
        return future

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        future = runner.run(watched())
    assert isinstance(future.exception(), TimeoutError)
