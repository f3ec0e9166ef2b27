"""The SDK against a real ``topichub serve``: publishing with safe retries, streams over
SSE and WebSocket that resume by themselves, and a stream's end as a typed ``Close``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import account_with_key
from tests.scale.support import ServerProcess, server_env
from tests.sdk.support import AnswerDroppingProxy
from tests.support.tansu import free_port
from topichub_client import AsyncClient, Client, Close, Message

UNASYNC = Path(__file__).resolve().parents[2] / "clients" / "python" / "unasync.py"


def test_the_sync_client_is_generated_from_the_async_one() -> None:
    done = subprocess.run(
        [sys.executable, str(UNASYNC), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


async def _values(hub: AsyncClient, topic: str, count: int) -> list[Any]:
    values = []
    async for item in hub.stream(topic, start="earliest"):
        assert isinstance(item, Message)
        values.append(item.value)
        if len(values) == count:
            break
    return values


async def test_a_publish_whose_answer_is_lost_is_retried_and_stored_exactly_once(
    server: ServerProcess,
) -> None:
    _, key = await account_with_key(server)
    async with (
        AnswerDroppingProxy(server.port, marker=b"/publish") as proxy,
        AsyncClient(proxy.url, api_key=key) as hub,
    ):
        await hub.create_topic("once")
        (stored,) = await hub.publish("once", [{"n": 1}])
        assert proxy.dropped == 1  # the first answer never arrived
        assert (stored.partition, stored.offset) == (0, 0)
        await hub.publish("once", ["marker"])
        assert await _values(hub, "once", 2) == [{"n": 1}, "marker"]


async def test_publish_sends_batches_and_reports_each(server: ServerProcess) -> None:
    _, key = await account_with_key(server)
    seen: list[int] = []
    async with AsyncClient(server.url, api_key=key) as hub:
        await hub.create_topic("batched")
        stored = await hub.publish(
            "batched",
            range(5),
            batch_size=2,
            key="k",
            headers={"source": "sdk"},
            on_batch=lambda done: seen.append(len(done)),
        )
        assert [s.offset for s in stored] == [0, 1, 2, 3, 4]
        assert seen == [2, 2, 1]
        async for item in hub.stream("batched", start="earliest"):
            assert isinstance(item, Message)
            assert (item.key, item.headers["source"]) == ("k", "sdk")
            break


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_a_deleted_topic_ends_the_stream_with_a_typed_close(
    server: ServerProcess, transport: Any
) -> None:
    _, key = await account_with_key(server)
    async with AsyncClient(server.url, api_key=key) as hub:
        await hub.create_topic("doomed")
        await hub.publish("doomed", [1])
        items: list[object] = []
        async for item in hub.stream("doomed", start="earliest", transport=transport):
            items.append(item)
            if len(items) == 1:
                await hub.delete_topic("doomed")
        assert isinstance(items[0], Message)
        assert isinstance(items[-1], Close)
        assert items[-1].reason == "topic_deleted"


def test_the_sync_client_publishes_and_streams_over_websocket(server: ServerProcess) -> None:
    _, key = asyncio.run(account_with_key(server))
    with Client(server.url, api_key=key) as hub:
        hub.create_topic("sync")
        hub.publish("sync", [{"i": i} for i in range(3)])
        values = []
        for item in hub.stream("sync", start="earliest", transport="websocket"):
            assert isinstance(item, Message)
            values.append(item.value)
            if len(values) == 3:
                break
        assert values == [{"i": 0}, {"i": 1}, {"i": 2}]
        assert [t["name"] for t in hub.list_topics() if t["name"] == "sync"] == ["sync"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_a_stream_survives_a_server_restart_without_gap_or_duplicate(
    tmp_path: Path, transport: Any
) -> None:
    port = free_port()
    env = server_env(
        database_url=None, kafka=None, redis_url=None, redis_prefix="th-sdk", data_dir=tmp_path
    )
    server = ServerProcess("first", env, tmp_path, port=port)
    try:
        await server.wait_ready()
        _, key = await account_with_key(server)
        received: list[Any] = []
        five = asyncio.Event()
        async with AsyncClient(server.url, api_key=key) as hub:
            await hub.publish("events", range(1, 6))

            async def consume() -> None:
                async for item in hub.stream("events", start="earliest", transport=transport):
                    assert isinstance(item, Message), item
                    received.append(item.value)
                    if len(received) == 5:
                        five.set()
                    if len(received) == 10:
                        return

            consumer = asyncio.create_task(consume())
            await asyncio.wait_for(five.wait(), 60)
            await asyncio.to_thread(server.stop)  # SIGTERM: the server says "shutdown"
            server = ServerProcess("second", env, tmp_path, port=port)
            await server.wait_ready()
            await hub.publish("events", range(6, 11))
            await asyncio.wait_for(consumer, 200)
        assert received == list(range(1, 11))
    finally:
        server.kill()
