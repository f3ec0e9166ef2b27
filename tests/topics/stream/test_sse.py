import asyncio
import json

import pytest

from tests.support.memory_bus import MemoryBus
from topichub.bus.port import OutRecord, TopicSpec
from topichub.topics.stream.frames import CloseReason
from topichub.topics.stream.hub import Start, StreamHub
from topichub.topics.stream.sse import (
    HEARTBEAT,
    format_comment,
    format_event,
    format_retry,
    sse_body,
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


# -- the streaming body ------------------------------------------------------------------


async def started_hub(bus: MemoryBus) -> StreamHub:
    hub = StreamHub(bus, linger_s=0, retry_initial_s=0.01)
    await hub.start()
    return hub


async def test_body_streams_connect_events_heartbeats_and_close() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    sub = await hub.subscribe("t")
    body = sse_body(sub, heartbeat_s=0.01)
    try:
        assert await anext(body) == b": connected\n\n"
        assert await anext(body) == HEARTBEAT  # idle
        await bus.publish("t", [OutRecord(b'{"n": 1}')])
        frame = await anext(body)
        [event] = parse(frame)
        assert event["id"] == "0:1"
        assert json.loads(event["data"])["value"] == {"n": 1}
        sub.close(CloseReason.REVOKED)
        closing = await anext(body)
        assert parse(closing) == [{"event": "close", "data": '{"reason":"revoked"}'}]
        with pytest.raises(StopAsyncIteration):
            await anext(body)
    finally:
        await body.aclose()
        await hub.stop()


async def test_body_writes_events_that_are_ready_together_in_one_chunk() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))
    sub = await hub.subscribe("t")
    body = sse_body(sub, heartbeat_s=5, first_comment=None)
    try:
        await bus.publish("t", [OutRecord(str(i).encode()) for i in range(100)])
        chunk = await anext(body)
        events = parse(chunk)
        assert [e["id"] for e in events] == [f"0:{i + 1}" for i in range(len(events))]
        assert 1 < len(events) <= 100
        seen = len(events)
        while seen < 100:
            seen += len(parse(await anext(body)))
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
    body = sse_body(sub, heartbeat_s=5, first_comment=None)
    try:
        [gap] = parse(await anext(body))
        assert gap == {
            "id": "0:2",
            "event": "gap",
            "data": '{"partition":0,"requested":0,"available":2}',
        }
        [event] = parse(await anext(body))
        assert event["id"] == "0:3"
    finally:
        await body.aclose()
        await hub.stop()


async def test_client_leaving_closes_the_subscription() -> None:
    bus = MemoryBus()
    hub = await started_hub(bus)
    await bus.create_topic(TopicSpec("t"))

    # The server closes the generator when the client goes away...
    sub = await hub.subscribe("t")
    body = sse_body(sub, heartbeat_s=5)
    await anext(body)
    await body.aclose()
    assert sub.closed_reason == "client_gone"

    # ...or cancels the task iterating it while it waits for the next event.
    sub = await hub.subscribe("t")
    body = sse_body(sub, heartbeat_s=5)
    await anext(body)
    waiting = asyncio.create_task(anext(body))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert sub.closed_reason == "client_gone"
    assert hub.stats().subscribers == 0
    await hub.stop()
