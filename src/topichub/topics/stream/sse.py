"""Server-Sent Events: the streaming body of an SSE response (framing is in ``frames``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from topichub.topics.stream.frames import Closed, CloseReason, format_comment, format_event
from topichub.topics.stream.subscription import Subscription

__all__ = ["CONNECTED", "HEARTBEAT", "format_comment", "format_event", "format_retry", "sse_body"]

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


async def sse_body(
    sub: Subscription,
    *,
    heartbeat_s: float,
    first_comment: bytes | None = CONNECTED,
) -> AsyncIterator[bytes]:
    """Stream a subscription as SSE bytes, for a ``StreamingResponse``.

    Yields ``first_comment`` at once (so the client and any proxy see the response start
    before the first event), then each event as ``id: <cursor>`` + ``data: <json>``, a gap
    as ``event: gap``, a heartbeat comment whenever nothing was sent for ``heartbeat_s``,
    and finally ``event: close`` with ``{"reason": ...}`` when the server ends the stream
    (slow consumer, revoked, shutdown, ...). Every event carries the cursor a reconnect
    sends back as ``Last-Event-ID`` to resume with no gap and no duplicate.

    When the client goes away the server closes or cancels this generator, and the
    subscription is closed here, so its buffer and its share of the topic's reader are
    released at once.
    """
    try:
        if first_comment:
            yield first_comment
        while True:
            item = await sub.get(timeout=heartbeat_s)
            if item is None:
                yield HEARTBEAT
                continue
            # Whatever else is ready goes out in the same chunk: one write per burst
            # instead of one per event.
            frames = [item.sse_frame()]
            size = len(frames[0])
            while not isinstance(item, Closed) and size < CHUNK_BYTES:
                more = sub.ready(CHUNK_EVENTS)
                if not more:
                    break
                for ready in more:
                    frames.append(ready.sse_frame())
                    size += len(frames[-1])
                item = more[-1]
            yield b"".join(frames)
            if isinstance(item, Closed):
                return
    finally:
        sub.close(CloseReason.CLIENT_GONE)
