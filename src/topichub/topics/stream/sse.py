"""Server-Sent Events: the streaming body of an SSE response (framing is in ``frames``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from topichub.topics.stream.frames import Closed, CloseReason, Item, format_comment, format_event
from topichub.topics.stream.subscription import Subscription

__all__ = [
    "CONNECTED",
    "HEARTBEAT",
    "SSEResponse",
    "format_comment",
    "format_event",
    "format_retry",
]

HEARTBEAT = b": heartbeat\n\n"
"""Sent when a stream is idle so proxies keep the connection and clients see it alive."""

CONNECTED = b": connected\n\n"

CHUNK_BYTES = 256 * 1024
"""Events ready together are written as one chunk of about this size at most."""
CHUNK_EVENTS = 64


def format_retry(milliseconds: int) -> bytes:
    """Tell the client how long to wait before reconnecting."""
    if milliseconds < 0:
        raise ValueError("retry must be >= 0")
    return b"retry: %d\n\n" % milliseconds


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class SSEResponse(Response):
    """An SSE response that writes a subscription straight to the ASGI ``send``.

    Sends ``first_comment`` at once (so the client and any proxy see the response start
    before the first event), then, each time the subscription has something, everything
    it has ready as one body chunk (up to ``CHUNK_BYTES``): each event as ``id: <cursor>``
    + ``data: <json>``, a gap as ``event: gap``, and finally ``event: close`` with
    ``{"reason": ...}`` when the server ends the stream (slow consumer, revoked,
    shutdown, ...). A heartbeat comment goes out when the hub's heartbeat timer finds
    the stream idle. Every event carries the cursor a reconnect sends back as
    ``Last-Event-ID`` to resume with no gap and no duplicate.

    ``on_write`` (if given) is awaited after each chunk, heartbeats included (a ticket
    stream keeps its ticket resumable with it). The subscription is closed, and
    ``on_close`` awaited, however the response ends; a
    client that leaves is noticed at once (its disconnect closes the subscription), so
    its buffer and its share of the topic's reader are released.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        subscription: Subscription,
        *,
        headers: Mapping[str, str] | None = None,
        first_comment: bytes | None = CONNECTED,
        on_close: Callable[[], Awaitable[None]] | None = None,
        on_write: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.subscription = subscription
        self.first_comment = first_comment
        self.on_close = on_close
        self.on_write = on_write
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub = self.subscription
        watcher = asyncio.ensure_future(_disconnected(receive))
        watcher.add_done_callback(lambda _: sub.close(CloseReason.CLIENT_GONE))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if self.first_comment:
                await send(
                    {"type": "http.response.body", "body": self.first_comment, "more_body": True}
                )
            while True:
                items = await sub.pull(CHUNK_EVENTS)
                if not items:
                    chunk, last = HEARTBEAT, None
                else:
                    chunk, last = _chunk(sub, items)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if isinstance(last, Closed):
                    break
                if self.on_write is not None:
                    await self.on_write()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # servers of ASGI 2.4 raise it for a send to a client that left
        finally:
            watcher.cancel()
            sub.close(CloseReason.CLIENT_GONE)
            if self.on_close is not None:
                await self.on_close()


def _chunk(sub: Subscription, items: Sequence[Item]) -> tuple[bytes, Item]:
    """Everything ready, up to about ``CHUNK_BYTES``, as one write: a burst costs one
    send instead of one per event (the frames themselves are encoded once per record
    and shared by every subscriber)."""
    frames = [item.sse_frame() for item in items]
    size = sum(len(frame) for frame in frames)
    last = items[-1]
    while not isinstance(last, Closed) and size < CHUNK_BYTES:
        more = sub.ready(CHUNK_EVENTS)
        if not more:
            break
        for item in more:
            frame = item.sse_frame()
            frames.append(frame)
            size += len(frame)
        last = more[-1]
    return b"".join(frames), last
