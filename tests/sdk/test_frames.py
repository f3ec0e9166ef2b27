"""The SDK reads the frames the server's own encoders write (``topics.stream.frames``):
a retention gap and a close arrive as typed items over SSE and WebSocket, and ``tail``
shows a gap as what it is. Over the wire this is covered in test_publish_and_stream.py;
a gap needs retention to have removed records, which a live server does not do on cue."""

from __future__ import annotations

import json

import httpx
import typer
from typer.testing import CliRunner

from topichub.bus.port import Record
from topichub.cli_client import _show
from topichub.topics.stream import Closed, Event, Gap
from topichub.topics.stream.sse import CONNECTED
from topichub_client import AsyncClient, Close, Message
from topichub_client import Gap as GapItem
from topichub_client._core import StreamState

GAP = Gap(partition=0, requested=0, available=2, cursor="0:2")
EVENT = Event(Record("t", 0, 2, 1_700_000_000_000, b'{"n":3}', b"k", (("h", b"v"),)), "0:3")


async def test_a_gap_and_a_close_over_sse_are_typed_items() -> None:
    body = CONNECTED + GAP.sse_frame() + EVENT.sse_frame() + Closed("topic_deleted").sse_frame()
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=body, headers={"content-type": "text/event-stream"}
        )
    )
    async with AsyncClient("http://hub.test", api_key="k", transport=transport) as hub:
        items = [item async for item in hub.stream("t", start="earliest")]
    assert items == [
        GapItem(id="0:2", partition=0, requested=0, available=2),
        Message.from_payload("0:3", json.loads(EVENT.payload_json())),
        Close(reason="topic_deleted"),
    ]
    assert items[1].value == {"n": 3}  # type: ignore[union-attr]
    assert (items[1].key, items[1].headers) == ("k", {"h": "v"})  # type: ignore[union-attr]


def test_a_gap_and_a_close_over_websocket_are_typed_items() -> None:
    state = StreamState()
    assert state.ws_item(GAP.ws_text()) == GapItem(id="0:2", partition=0, requested=0, available=2)
    message = state.ws_item(EVENT.ws_text())
    assert isinstance(message, Message)
    assert (message.id, message.value, message.offset) == ("0:3", {"n": 3}, 2)
    assert state.cursor == "0:3"  # where a reconnect resumes
    assert state.ws_item(Closed("revoked").ws_text()) == Close(reason="revoked")
    assert state.ws_item('{"type":"heartbeat"}') is None


def test_tail_shows_a_gap_as_a_gap() -> None:
    item = GapItem(id="0:2", partition=0, requested=0, available=2)
    runner = CliRunner()
    probe = typer.Typer()
    probe.command()(lambda: _show(item, terminal=False))
    piped = runner.invoke(probe, [])
    assert json.loads(piped.stdout) == {
        "type": "gap",
        "id": "0:2",
        "partition": 0,
        "requested": 0,
        "available": 2,
    }
    probe = typer.Typer()
    probe.command()(lambda: _show(item, terminal=True))
    shown = runner.invoke(probe, [])
    assert "gap: partition 0 offsets 0..1 were removed by retention" in shown.stdout
