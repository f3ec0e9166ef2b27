import asyncio
import json

import pytest
from starlette.types import Message

from tests.support.memory_bus import MemoryBus
from topichub.bus.port import OutRecord, TopicSpec
from topichub.topics.stream.frames import CloseReason
from topichub.topics.stream.hub import Start, StreamHub
from topichub.topics.stream.sse import (
    HEARTBEAT,
    SSEResponse,
    format_comment,
    format_event,
    format_retry,
)


def parse(stream: bytes) -> list[dict[str, str]]:
    """A spec-faithful SSE parser (WHATWG "event stream interpretation")."""
    text = stream.decode()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    events: list[dict[str, str]] = []
    data: list[str] = []
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if data or fields:
                events.append({**fields, "data": "\n".join(data)})
            data, fields = [], {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
    return events


def field_lines(frame: bytes) -> list[str]:
    return frame.decode().replace("\r\n", "\n").replace("\r", "\n").split("\n")


def test_event_frame_has_id_event_and_data() -> None:
    frame = format_event("0:5,1:2", b'{"a":1}', "gap")
    assert frame == b'id: 0:5,1:2\nevent: gap\ndata: {"a":1}\n\n'


@pytest.mark.parametrize(
    "forgery",
    [
        b"x\nid: 9:9\nevent: close",
        b"x\rid: 9:9\revent: close",
        b"x\r\nid: 9:9\r\nevent: close",
        b"x\n\nid: 9:9\n\nevent: close\ndata: {}\n\n",
        b"x\r\rid: 9:9\r\r",
        b"\nid: 9:9",
        b"id: 9:9",
        b"event: close",
        b"x\n\r\nretry: 1\n",
    ],
)
def test_data_can_never_forge_a_field_or_an_event(forgery: bytes) -> None:
    frame = format_event("0:1", forgery)
    for line in field_lines(frame):
        assert line == "" or line.startswith(("id: 0:1", "data: ")), line
    events = parse(frame)
    assert len(events) == 1
    assert events[0]["id"] == "0:1"
    assert "event" not in events[0]
    assert "retry" not in events[0]
    # The client sees the payload back, with every line break normalised to LF.
    expected = forgery.decode().replace("\r\n", "\n").replace("\r", "\n")
    assert events[0]["data"] == expected


def test_json_data_arrives_unchanged() -> None:
    payload = {"text": "line1\nline2\r\nid: 1", "n": [1, 2]}
    frame = format_event("0:1", json.dumps(payload).encode())
    assert json.loads(parse(frame)[0]["data"]) == payload


@pytest.mark.parametrize("bad", ["0:1\n", "0:1\rid: 2", "0:1\r\n", "a\x00b"])
def test_ids_and_event_names_with_line_breaks_or_nul_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="must not contain"):
        format_event(bad, b"{}")
    with pytest.raises(ValueError, match="must not contain"):
        format_event("0:1", b"{}", event=bad)


def test_comments_stay_comments() -> None:
    frame = format_comment("hello\nid: 9:9\revent: x\r\ndata: y")
    assert all(line == "" or line.startswith(": ") for line in field_lines(frame))
    assert parse(frame) == []


def test_retry_field() -> None:
    assert format_retry(3000) == b"retry: 3000\n\n"
    with pytest.raises(ValueError, match="retry"):
        format_retry(-1)


# -- the streaming response ----------------------------------------------------------------


class Body:
    """Runs an ``SSEResponse`` on an ASGI channel of our own and reads its body chunks."""

    def __init__(self, response: SSEResponse) -> None:
        self.sent: asyncio.Queue[Message] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.writable = asyncio.Event()
        """Cleared: a send waits, as the server's does while the client does not read."""
        self.writable.set()
        self.broken = False
        """Set: a send fails, as an ASGI 2.4 server's does once the client left."""
        self.task = asyncio.create_task(response({"type": "http"}, self.receive, self.send))

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.broken:
            raise OSError("client gone")
        await self.writable.wait()
        await self.sent.put(message)

    async def chunk(self) -> bytes:
        async with asyncio.timeout(5):
            while True:
                message = await self.sent.get()
                if message["type"] == "http.response.body":
                    body: bytes = message["body"]
                    if not message.get("more_body", False):
                        raise StopAsyncIteration
                    return body

    async def aclose(self) -> None:
        self.gone.set()
        async with asyncio.timeout(5):
            await asyncio.gather(self.task, return_exceptions=True)


async def started_hub(bus: MemoryBus, heartbeat_s: float = 15) -> StreamHub:
    hub = StreamHub(bus, linger_s=0, retry_initial_s=0.01, heartbeat_s=heartbeat_s)
    await hub.start()
    return hub


async def test_body_streams_connect_events_heartbeats_and_close() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus, heartbeat_s=0.05)
    await bus.create_topic(TopicSpec("t"))
    sub = await hub.subscribe("t")
    finished = asyncio.Event()

    async def on_close() -> None:
        finished.set()

    body = Body(SSEResponse(sub, on_close=on_close))
    try:
        assert await body.chunk() == b": connected\n\n"
        assert await body.chunk() == HEARTBEAT  # idle
        await bus.publish("t", [OutRecord(b'{"n": 1}')])
        frame = await body.chunk()
        while frame == HEARTBEAT:
            frame = await body.chunk()
        [event] = parse(frame)
        assert event["id"] == "0:1"
        assert json.loads(event["data"])["value"] == {"n": 1}
        sub.close(CloseReason.REVOKED)
        closing = await body.chunk()
        assert parse(closing) == [{"event": "close", "data": '{"reason":"revoked"}'}]
        with pytest.raises(StopAsyncIteration):
            await body.chunk()
        assert finished.is_set()
    finally:
        await body.aclose()
        await hub.stop()


async def test_body_writes_events_that_are_ready_together_in_one_chunk() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    sub = await hub.subscribe("t")
    body = Body(SSEResponse(sub, first_comment=None))
    try:
        await bus.publish("t", [OutRecord(str(i).encode()) for i in range(100)])
        chunk = await body.chunk()
        events = parse(chunk)
        assert [e["id"] for e in events] == [f"0:{i + 1}" for i in range(len(events))]
        assert 1 < len(events) <= 100
        seen = len(events)
        while seen < 100:
            seen += len(parse(await body.chunk()))
        assert seen == 100
    finally:
        await body.aclose()
        await hub.stop()


async def test_body_frames_a_gap_with_the_cursor_after_it() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    await bus.publish("t", [OutRecord(b"1"), OutRecord(b"2"), OutRecord(b"3")])
    bus.truncate("t", 0, before=2)
    sub = await hub.subscribe("t", Start.earliest())
    body = Body(SSEResponse(sub, first_comment=None))
    try:
        events = parse(await body.chunk())
        while len(events) < 2:
            events += parse(await body.chunk())
        assert events[0] == {
            "id": "0:2",
            "event": "gap",
            "data": '{"partition":0,"requested":0,"available":2}',
        }
        assert events[1]["id"] == "0:3"
    finally:
        await body.aclose()
        await hub.stop()


async def test_client_leaving_closes_the_subscription() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))

    # The server says the client went away...
    sub = await hub.subscribe("t")
    body = Body(SSEResponse(sub))
    await body.chunk()
    await body.aclose()
    assert sub.closed_reason == "client_gone"

    # ...or cancels the task running the response while it waits for the next event.
    sub = await hub.subscribe("t")
    body = Body(SSEResponse(sub))
    await body.chunk()
    await asyncio.sleep(0)
    body.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await body.task
    assert sub.closed_reason == "client_gone"
    assert hub.stats().subscribers == 0
    await hub.stop()


async def test_the_request_body_and_a_failing_receive_are_told_from_a_disconnect() -> None:
    """The response watches ``receive`` without a task of its own: the request's (empty)
    body is no disconnect, a ``receive`` that fails is one, and a stream that ends for
    another reason stops watching (the pending ``receive`` is closed, not left waiting)."""
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    gone = asyncio.Event()
    calls = 0
    waiting = 0

    async def receive() -> Message:
        nonlocal calls, waiting
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        waiting += 1
        try:
            await gone.wait()
        finally:
            waiting -= 1
        raise OSError("connection reset")

    async def send(message: Message) -> None:
        pass

    sub = await hub.subscribe("t")
    task = asyncio.create_task(SSEResponse(sub)({"type": "http"}, receive, send))
    await asyncio.sleep(0.05)
    assert (calls, waiting, sub.closed_reason) == (2, 1, None)
    gone.set()
    await asyncio.wait_for(task, 5)
    assert sub.closed_reason == "client_gone"
    assert waiting == 0

    gone.clear()
    calls = 0
    sub = await hub.subscribe("t")
    task = asyncio.create_task(SSEResponse(sub)({"type": "http"}, receive, send))
    await asyncio.sleep(0.05)
    assert waiting == 1
    sub.close(CloseReason.REVOKED)
    await asyncio.wait_for(task, 5)
    assert waiting == 0
    await hub.stop()


async def test_a_write_the_transport_makes_wait_is_finished_before_anything_later() -> None:
    # The hub writes a batch to a waiting stream itself; when that write has to wait
    # for the client, the response's task finishes it, and what came meanwhile follows.
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    sub = await hub.subscribe("t")
    body = Body(SSEResponse(sub, first_comment=None))
    try:
        await bus.publish("t", [OutRecord(b"0")])
        assert [json.loads(e["data"])["value"] for e in parse(await body.chunk())] == [0]
        body.writable.clear()
        for i in range(1, 6):
            await bus.publish("t", [OutRecord(str(i).encode())])
            await asyncio.sleep(0.01)
        assert body.sent.empty()
        body.writable.set()
        values: list[int] = []
        while len(values) < 5:
            values += [json.loads(e["data"])["value"] for e in parse(await body.chunk())]
        assert values == [1, 2, 3, 4, 5]
        await bus.publish("t", [OutRecord(b"6")])
        assert [json.loads(e["data"])["value"] for e in parse(await body.chunk())] == [6]
        assert sub.closed_reason is None
    finally:
        await body.aclose()
        await hub.stop()


async def test_a_failed_write_closes_that_stream_only() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    subs = [await hub.subscribe("t") for _ in range(3)]
    bodies = [Body(SSEResponse(sub)) for sub in subs]
    try:
        for body in bodies:
            assert await body.chunk() == b": connected\n\n"
        await bus.publish("t", [OutRecord(b"0")])
        for body in bodies:
            assert len(parse(await body.chunk())) == 1
        bodies[1].broken = True
        await bus.publish("t", [OutRecord(b"1")])
        for i in (0, 2):
            [event] = parse(await bodies[i].chunk())
            assert json.loads(event["data"])["value"] == 1
        assert subs[1].closed_reason == CloseReason.CLIENT_GONE
        assert [s.closed_reason for s in (subs[0], subs[2])] == [None, None]
        assert hub.stats().subscribers == 2
    finally:
        for body in bodies:
            await body.aclose()
        await hub.stop()
