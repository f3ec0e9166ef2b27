"""The WebSocket side of a stream: pump a subscription into an accepted WebSocket.

Frames sent to the client (JSON text):

- an event: ``{"id": <cursor>, "value", "key", "headers", "partition", "offset",
  "timestamp"}`` — resume after it by reconnecting with ``?cursor=<id>``;
- a gap: ``{"type": "gap", "id": <cursor>, "partition", "requested", "available"}``;
- ``{"type": "heartbeat"}`` after ``heartbeat_s`` without a frame.

The stream ends with a close frame whose code comes from ``frames.WS_CLOSE_CODES`` (4008 slow
consumer, 4003 revoked or forbidden, 1001 shutdown, ...) and whose reason is the
``CloseReason`` value. Frames from the client are read and ignored (the stream is one-way)
so that its close is noticed at once.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from topichub.topics.stream.frames import Closed, CloseReason, ws_close_code
from topichub.topics.stream.subscription import Subscription

HEARTBEAT = '{"type":"heartbeat"}'


async def pump(
    websocket: WebSocket,
    sub: Subscription,
    *,
    heartbeat_s: float,
    close_grace_s: float = 1.0,
) -> None:
    """Send ``sub`` to ``websocket`` (already accepted) until either side ends it.

    Returns when the client closed, or when the subscription was closed (then the close
    frame is sent). A client that does not read cannot hold the pump: once the
    subscription is closed the pump waits at most ``close_grace_s`` for the close frame to
    go out, then returns so the server drops the connection. The subscription is always
    closed on return.
    """
    sender = asyncio.create_task(_send(websocket, sub, heartbeat_s))
    receiver = asyncio.create_task(_receive(websocket))
    closed = asyncio.create_task(sub.wait_closed())
    tasks = (sender, receiver, closed)
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if receiver in done:
            sub.close(CloseReason.CLIENT_GONE)
        if not sender.done():
            await asyncio.wait((sender,), timeout=close_grace_s)
    finally:
        sub.close(CloseReason.CLIENT_GONE)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result


async def _send(websocket: WebSocket, sub: Subscription, heartbeat_s: float) -> None:
    # A send to a client that already left raises WebSocketDisconnect: the stream is over.
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            item = await sub.get(timeout=heartbeat_s)
            if item is None:
                await websocket.send_text(HEARTBEAT)
            elif isinstance(item, Closed):
                if item.reason != CloseReason.CLIENT_GONE:
                    await websocket.close(code=ws_close_code(item.reason), reason=item.reason)
                return
            else:
                await websocket.send_text(item.ws_text())


async def _receive(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
