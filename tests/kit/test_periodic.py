"""Periodic: a step every interval, a failing step retried at the next one, and a stop
that lets a step in progress finish; Backoff reads live bounds."""

from __future__ import annotations

import asyncio
import logging

import pytest

from topichub.kit.backoff import Backoff
from topichub.kit.periodic import Periodic


async def test_a_step_runs_every_interval_and_first_at_start_runs_one_at_once() -> None:
    runs: list[float] = []

    async def step() -> None:
        runs.append(asyncio.get_running_loop().time())

    late = Periodic(step, 0.05, name="late")
    late.start()
    await asyncio.sleep(0.01)
    assert runs == []
    async with asyncio.timeout(5):
        while len(runs) < 2:
            await asyncio.sleep(0.01)
    await late.stop()
    assert runs[1] - runs[0] >= 0.04
    runs.clear()
    early = Periodic(step, 10.0, name="early", first_at_start=True)
    early.start()
    await asyncio.sleep(0.01)
    await early.stop()
    assert len(runs) == 1


async def test_a_failing_step_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    async def step() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("down")

    periodic = Periodic(step, 0.02, name="flaky flush")
    with caplog.at_level(logging.WARNING, logger="topichub.kit.periodic"):
        periodic.start()
        async with asyncio.timeout(5):
            while calls < 2:
                await asyncio.sleep(0.01)
        await periodic.stop()
    assert calls >= 2
    assert "flaky flush failed" in caplog.text


async def test_stop_waits_for_the_step_in_progress_and_skips_the_wait() -> None:
    finished = asyncio.Event()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.set()

    periodic = Periodic(slow, 3600.0, name="slow", first_at_start=True)
    periodic.start()
    await started.wait()
    async with asyncio.timeout(1.0):  # not the hour-long interval
        await periodic.stop()
    assert finished.is_set()
    assert not periodic.running
    periodic.start()  # a stopped loop starts again
    await started.wait()
    await periodic.stop()


def test_backoff_reads_bounds_given_as_functions_at_each_step() -> None:
    most = [1.0]
    backoff = Backoff(0.5, lambda: most[0])
    delays = [backoff.next() for _ in range(4)]
    assert all(0.25 <= d <= 1.0 for d in delays)
    most[0] = 0.1
    assert backoff.next() <= 0.1
    backoff.reset()
    assert backoff.next() <= 0.1
