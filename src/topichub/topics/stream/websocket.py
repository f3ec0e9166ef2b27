"""The WebSocket side of a stream: pump a subscription into an accepted WebSocket.

Frames sent to the client (JSON text) by default:

- an event: ``{"id": <cursor>, "value", "key", "headers", "partition", "offset",
  "timestamp"}`` — resume after it by reconnecting with ``?cursor=<id>``;
- a gap: ``{"type": "gap", "id": <cursor>, "partition", "requested", "available"}``;
- ``{"type": "heartbeat"}`` when the hub's heartbeat timer finds the stream idle.

A caller may render events its own way (chat sends only its group's messages). The
stream ends with a close frame whose code comes from ``frames.WS_CLOSE_CODES`` (4008
slow consumer, 4003 revoked or forbidden, 1001 shutdown, ...) and whose reason is the
``CloseReason`` value. Frames from the client are read and ignored (the stream is
one-way) so that its close is noticed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from topichub.topics.stream.frames import Closed, CloseReason, Event, Gap, Item, ws_close_code
from topichub.topics.stream.subscription import Subscription

HEARTBEAT = '{"type":"heartbeat"}'
BATCH = 64
"""Items taken from the subscription at once (a WebSocket frame carries one each)."""

Render = Callable[[Event], str | None]
"""The text frame for an event, or None to send nothing for it."""


def default_render(event: Event) -> str:
    return event.ws_text()


async def pump(
    websocket: WebSocket,
    sub: Subscription,
    *,
    render: Render = default_render,
    heartbeats: bool = True,
    close_grace_s: float = 1.0,
) -> None:
    """Send ``sub`` to ``websocket`` (already accepted) until either side ends it.

    Returns when the client closed, or when the subscription was closed (then the close
    frame is sent). The sending runs in the calling task; one more task only waits for
    the client's close. A client that does not read cannot hold the pump: once the
    subscription is closed the pump waits at most ``close_grace_s`` for its pending send
    and the close frame, then returns so the server drops the connection. The
    subscription is always closed on return.
    """
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    assert me is not None
    receiver = asyncio.ensure_future(_receive(websocket))
    receiver.add_done_callback(lambda _: sub.close(CloseReason.CLIENT_GONE))
    deadline: list[asyncio.TimerHandle] = []

    def on_closed() -> None:
        # A send blocked on a client that stopped reading must not hold the stream.
        deadline.append(loop.call_later(close_grace_s, me.cancel))

    sub.on_close(lambda _: on_closed())
    try:
        with contextlib.suppress(WebSocketDisconnect, OSError):
            await _send(websocket, sub, render, heartbeats)
    except asyncio.CancelledError:
        if not deadline or me.cancelling() > 1:
            raise
        me.uncancel()  # our own grace timer fired: the client is dropped, not us
    finally:
        sub.close(CloseReason.CLIENT_GONE)
        for handle in deadline:
            handle.cancel()
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
    if receiver.done() and not receiver.cancelled():
        error = receiver.exception()
        if error is not None and not isinstance(error, WebSocketDisconnect):
            raise error


async def _send(websocket: WebSocket, sub: Subscription, render: Render, heartbeats: bool) -> None:
    while True:
        items: tuple[Item, ...] | list[Item] = list(await sub.pull(BATCH))
        if not items:
            if heartbeats:
                await websocket.send_text(HEARTBEAT)
            continue
        for item in items:
            if isinstance(item, Closed):
                if item.reason != CloseReason.CLIENT_GONE:
                    await websocket.close(code=ws_close_code(item.reason), reason=item.reason)
                return
            if isinstance(item, Gap):
                await websocket.send_text(item.ws_text())
                continue
            text = render(item)
            if text is not None:
                await websocket.send_text(text)
            if sub.closed_reason is not None:
                # render() may end the stream (chat: the user left the group); what is
                # still buffered must not go out.
                break


async def _receive(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
