"""The registry of open streams meters them all from one periodic loop (kit.periodic):
every stream each round, a failing one without stopping the round, and a stop that lets a
round in progress finish."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from topichub.topics.stream.registry import OpenStream, StreamRegistry


def _stream(meter: Callable[[], Awaitable[None]]) -> OpenStream:
    stream = OpenStream(
        tenant_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        topic="t",
        transport="sse",
        user_id=None,
        api_key_id=None,
        token_version=None,
        close=lambda _reason: None,
    )
    stream.meter = meter
    return stream


async def test_one_loop_meters_every_stream_and_survives_a_failing_one(app: FastAPI) -> None:
    registry = StreamRegistry(
        app.state.resources.sessionmaker, interval_s=3600, meter_interval_s=0.02
    )
    rounds = {"good": 0, "bad": 0}
    in_round = asyncio.Event()
    release = asyncio.Event()

    async def good() -> None:
        rounds["good"] += 1
        if rounds["good"] == 3:
            in_round.set()
            await release.wait()

    async def bad() -> None:
        rounds["bad"] += 1
        raise RuntimeError("metering failed")

    first, second = _stream(bad), _stream(good)
    registry.add(first)
    registry.add(second)
    await registry.start()
    try:
        async with asyncio.timeout(5):
            await in_round.wait()
        assert rounds["bad"] >= 3  # failed every round, and the rounds went on
        stopping = asyncio.ensure_future(registry.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # the round in progress is not cut
        release.set()
        async with asyncio.timeout(5):
            await stopping
        assert rounds["good"] == 3
    finally:
        release.set()
        await registry.stop()
        registry.remove(first)
        registry.remove(second)
