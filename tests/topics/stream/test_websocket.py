"""The WebSocket pump, driven through a real starlette ``WebSocket`` on an ASGI channel
pair we control (so a stuck or vanished client can be staged exactly)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.types import Message
from starlette.websockets import WebSocket

from tests.support.memory_bus import MemoryBus
from topichub.bus.port import OutRecord, TopicSpec
from topichub.topics.stream import CloseReason, Start, StreamHub, Subscription, pump
from topichub.topics.stream.frames import WS_CLOSE_CODES


class Client:
    """The far end of an ASGI WebSocket: what the app receives and what it sends."""

    def __init__(self) -> None:
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.stuck = asyncio.Event()  # set: every send blocks, as on a full TCP window
        self.to_app.put_nowait({"type": "websocket.connect"})

    async def receive(self) -> Message:
        return await self.to_app.get()

    async def send(self, message: Message) -> None:
        if self.stuck.is_set() and message["type"] != "websocket.accept":
            await asyncio.Event().wait()
        await self.from_app.put(message)

    async def next(self, timeout: float = 5.0) -> Message:
        async with asyncio.timeout(timeout):
            return await self.from_app.get()

    async def next_json(self) -> Any:
        message = await self.next()
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    def disconnect(self, code: int = 1000) -> None:
        self.to_app.put_nowait({"type": "websocket.disconnect", "code": code})


async def accepted(client: Client) -> WebSocket:
    scope = {
        "type": "websocket",
        "path": "/stream",
        "raw_path": b"/stream",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
    }
    websocket = WebSocket(scope, client.receive, client.send)
    await websocket.accept()
    assert (await client.next())["type"] == "websocket.accept"
    return websocket


@pytest.fixture
async def hub() -> AsyncIterator[StreamHub]:
    bus = MemoryBus()
    await bus.create_topic(TopicSpec("t"))
    hub = StreamHub(bus, linger_s=0, retry_initial_s=0.01)
    await hub.start()
    yield hub
    await hub.stop()


async def start_pump(
    hub: StreamHub, start: Start | None = None
) -> tuple[Client, Subscription, asyncio.Task[None]]:
    client = Client()
    websocket = await accepted(client)
    sub = await hub.subscribe("t", start or Start.latest())
    task = asyncio.create_task(pump(websocket, sub, close_grace_s=0.2))
    return client, sub, task


async def test_events_are_json_frames_with_their_cursor(hub: StreamHub) -> None:
    client, sub, task = await start_pump(hub)
    await hub.bus.publish("t", [OutRecord(b'{"n": 1}', key=b"k")])
    frame = await client.next_json()
    assert frame["id"] == "0:1"
    assert frame["value"] == {"n": 1}
    assert frame["key"] == "k"
    assert (frame["partition"], frame["offset"]) == (0, 0)
    sub.close()
    assert (await client.next())["type"] == "websocket.close"
    await task


async def test_gap_frames(hub: StreamHub) -> None:
    bus = hub.bus
    assert isinstance(bus, MemoryBus)
    await bus.publish("t", [OutRecord(b"1"), OutRecord(b"2")])
    bus.truncate("t", 0, before=1)
    client, sub, task = await start_pump(hub, start=Start.earliest())
    assert await client.next_json() == {
        "type": "gap",
        "id": "0:1",
        "partition": 0,
        "requested": 0,
        "available": 1,
    }
    assert (await client.next_json())["offset"] == 1
    sub.close()
    await task


async def test_heartbeats_when_idle() -> None:
    bus = MemoryBus()
    await bus.create_topic(TopicSpec("t"))
    # The hub's one timer beats for every idle stream; a busy one gets none.
    hub = StreamHub(bus, linger_s=0, heartbeat_s=0.05)
    await hub.start()
    try:
        client, sub, task = await start_pump(hub)
        assert await client.next_json() == {"type": "heartbeat"}
        sub.close()
        await task
    finally:
        await hub.stop()


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (CloseReason.SLOW_CONSUMER, 4008),
        (CloseReason.REVOKED, 4003),
        (CloseReason.FORBIDDEN, 4003),
        (CloseReason.STREAM_LIMIT, 4029),
        (CloseReason.QUOTA_EXCEEDED, 4029),
        (CloseReason.UNAUTHENTICATED, 4001),
        (CloseReason.SHUTDOWN, 1001),
    ],
)
async def test_a_closed_subscription_closes_the_socket_with_its_code(
    hub: StreamHub, reason: CloseReason, code: int
) -> None:
    assert WS_CLOSE_CODES[reason] == code
    client, sub, task = await start_pump(hub)
    sub.close(reason)
    message = await client.next()
    assert message == {"type": "websocket.close", "code": code, "reason": str(reason)}
    async with asyncio.timeout(1):
        await task


async def test_client_frames_are_ignored_and_its_close_ends_the_pump(hub: StreamHub) -> None:
    client, sub, task = await start_pump(hub)
    client.to_app.put_nowait({"type": "websocket.receive", "text": "hello"})
    client.to_app.put_nowait({"type": "websocket.receive", "bytes": b"\x00"})
    await hub.bus.publish("t", [OutRecord(b"1")])
    assert (await client.next_json())["value"] == 1
    client.disconnect()
    async with asyncio.timeout(1):
        await task
    assert sub.closed_reason == "client_gone"
    assert client.from_app.empty()  # nothing is sent to a client that left
    assert hub.stats().subscribers == 0


async def test_a_client_that_stopped_reading_cannot_hold_a_revoked_stream(
    hub: StreamHub,
) -> None:
    client, sub, task = await start_pump(hub)
    client.stuck.set()
    await hub.bus.publish("t", [OutRecord(b"1")])
    await asyncio.sleep(0.05)  # let the pump block in its send
    sub.close(CloseReason.REVOKED)
    async with asyncio.timeout(1):
        await task
    assert hub.stats().subscribers == 0


async def test_cancelling_the_pump_closes_the_subscription(hub: StreamHub) -> None:
    _client, sub, task = await start_pump(hub)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sub.closed_reason == "client_gone"


class SlowClient(Client):
    """A client whose sends wait while ``writable`` is clear (a full TCP window)."""

    def __init__(self) -> None:
        super().__init__()
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, message: Message) -> None:
        await self.writable.wait()
        await self.from_app.put(message)


async def test_a_write_the_transport_makes_wait_is_finished_before_anything_later(
    hub: StreamHub,
) -> None:
    """The hub writes a waiting pump's batches itself; when a send has to wait for the
    client, the pump's task finishes it and the rest of its batch, then what came
    meanwhile, in order."""
    client = SlowClient()
    websocket = await accepted(client)
    sub = await hub.subscribe("t", Start.latest())
    task = asyncio.create_task(pump(websocket, sub, close_grace_s=0.2))
    await hub.bus.publish("t", [OutRecord(b"0")])
    assert (await client.next_json())["value"] == 0
    client.writable.clear()
    await hub.bus.publish("t", [OutRecord(b"1"), OutRecord(b"2"), OutRecord(b"3")])
    for i in (4, 5):
        await asyncio.sleep(0.01)
        await hub.bus.publish("t", [OutRecord(str(i).encode())])
    await asyncio.sleep(0.05)
    assert client.from_app.empty()
    client.writable.set()
    assert [(await client.next_json())["value"] for _ in range(5)] == [1, 2, 3, 4, 5]
    await hub.bus.publish("t", [OutRecord(b"6")])
    assert (await client.next_json())["value"] == 6
    assert sub.closed_reason is None
    sub.close()
    await task


async def test_a_render_that_ends_the_stream_stops_its_batch(hub: StreamHub) -> None:
    """Chat's render closes the stream when the user leaves the group: nothing after
    that event goes out, whether the hub or the pump's task writes the batch."""
    client = Client()
    websocket = await accepted(client)
    sub = await hub.subscribe("t", Start.latest())

    def render(event: Any) -> str | None:
        value = int(event.record.value)
        if value == 2:
            sub.close(CloseReason.REMOVED)
            return None
        return str(value)

    task = asyncio.create_task(pump(websocket, sub, render=render, close_grace_s=0.2))
    await hub.bus.publish("t", [OutRecord(b"0")])
    assert (await client.next())["text"] == "0"
    await hub.bus.publish("t", [OutRecord(b"1"), OutRecord(b"2"), OutRecord(b"3")])
    assert (await client.next())["text"] == "1"
    assert await client.next() == {"type": "websocket.close", "code": 4003, "reason": "removed"}
    async with asyncio.timeout(1):
        await task
    assert client.from_app.empty()
