"""Server-Sent Events: safe framing and the streaming body of an SSE response.

Framing is where a payload could forge protocol: an SSE parser ends a field at CR, LF or
CRLF, so a data line holding ``"\\nid: 0:999"`` would set the client's ``Last-Event-ID``
and one holding ``"\\n\\nevent: close"`` would dispatch an event the server never sent.
``format_event`` therefore splits data on every line break into several ``data:`` lines
(the client rejoins them with LF) and refuses ids and event names that hold CR, LF or NUL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from topichub.topics.stream.hub import Subscription

HEARTBEAT = b": heartbeat\n\n"
"""Sent when a stream is idle so proxies keep the connection and clients see it alive."""

CONNECTED = b": connected\n\n"

CHUNK_BYTES = 256 * 1024
"""Events ready together are written as one chunk of about this size at most."""
CHUNK_EVENTS = 64

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_FORBIDDEN_IN_FIELD = re.compile(r"[\r\n\x00]")


def _field(name: bytes, value: str) -> bytes:
    if _FORBIDDEN_IN_FIELD.search(value):
        raise ValueError(f"SSE {name.decode()} must not contain CR, LF or NUL")
    return name + b": " + value.encode()


def format_event(id: str | None, data: bytes, event: str | None = None) -> bytes:
    """One SSE event: optional ``id:`` and ``event:`` lines, then ``data:`` lines.

    ``data`` is split on CR, LF and CRLF so it can never start a field of its own; a
    client joins the lines with LF, so JSON (which never holds a raw line break inside a
    string) arrives unchanged. ``ValueError`` when ``id`` or ``event`` holds CR, LF or NUL.
    """
    lines = []
    if id is not None:
        lines.append(_field(b"id", id))
    if event is not None:
        lines.append(_field(b"event", event))
    lines.extend(b"data: " + line for line in _LINE_BREAK.split(data))
    return b"\n".join(lines) + b"\n\n"


def format_comment(text: str) -> bytes:
    """A comment block (ignored by clients); every line of ``text`` stays a comment."""
    body = b"\n".join(b": " + line for line in _LINE_BREAK.split(text.encode()))
    return body + b"\n\n"


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
    # The hub imports this module for framing; importing it back here, not at module
    # level, keeps the two free of an import cycle.
    from topichub.topics.stream.hub import Closed, CloseReason

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
