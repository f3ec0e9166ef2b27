"""Bursts that once exhausted the connection pool: every request must be answered.

A request that held its pooled connection while waiting for work needing another one
(first quota load, the log's offsets for a new stream) stalled everyone once the pool
ran dry, until the pool's 30 s timeout.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tests.support.factories import signup
from tests.support.server import sse


async def test_a_burst_of_first_publishes_is_answered(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    async with asyncio.timeout(20):
        responses = await asyncio.gather(
            *(
                client.post(
                    "/topics/events/publish",
                    headers=account.headers,
                    json={"messages": [{"value": i}]},
                )
                for i in range(30)
            )
        )
    assert [r.status_code for r in responses] == [200] * 30
    offsets = sorted(r.json()["messages"][0]["offset"] for r in responses)
    assert offsets == list(range(30))


async def test_a_burst_of_stream_opens_is_answered(http: httpx.AsyncClient) -> None:
    accounts = [await signup(http) for _ in range(8)]
    async with contextlib.AsyncExitStack() as stack, asyncio.timeout(20):
        opened = await asyncio.gather(
            *(
                stack.enter_async_context(sse(http, "/topics/events/stream", headers=a.headers))
                for a in accounts
                for _ in range(2)
            )
        )
        assert len(opened) == 16
