"""Server-Sent Events: the streaming body of an SSE response (framing is in ``frames``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from topichub.kit.asgi import RAW_SEND
from topichub.topics.stream.frames import (
    Closed,
    CloseReason,
    Event,
    Item,
    format_comment,
    format_event,
)
from topichub.topics.stream.stepping import Resumed
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


async def _disconnected(receive: Receive, first: Awaitable[Message] | None = None) -> None:
    if first is not None and (await first)["type"] == "http.disconnect":
        return
    while (await receive())["type"] != "http.disconnect":
        pass


class _Disconnect:
    """Calls ``on_gone`` once the client left (``receive`` gave ``http.disconnect``, or
    failed), without a task of its own: ``receive()`` is stepped by hand from the
    done-callback of the future it waits on, as a task would step it. A watcher task per
    stream was about 850 bytes of every held stream (issue 13). ``cancel`` stops it."""

    __slots__ = ("_coro", "_on_gone", "_receive", "_task", "_waiting")

    def __init__(self, receive: Receive, on_gone: Callable[[], None]) -> None:
        self._receive = receive
        self._on_gone = on_gone
        self._coro: Coroutine[Any, Any, Message] | None = None
        self._waiting: asyncio.Future[Any] | None = None
        self._task: asyncio.Future[None] | None = None
        self._next()

    def _next(self) -> None:
        awaitable = self._receive()
        if isinstance(awaitable, Coroutine):
            self._coro = awaitable
            self._advance()
        else:  # an awaitable of another kind: a task waits for it after all
            self._task = asyncio.ensure_future(_disconnected(self._receive, awaitable))
            self._task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[None]) -> None:
        if self._task is task:
            self._task = None
            self._on_gone()

    def _advance(self, _: object = None) -> None:
        self._waiting = None
        while (coro := self._coro) is not None:
            try:
                waiting_on = coro.send(None)
            except StopIteration as done:
                self._coro = None
                if done.value["type"] == "http.disconnect":
                    self._on_gone()
                    return
                self._next()  # the request's own (empty) body: wait for the next message
                return
            except (Exception, asyncio.CancelledError):  # noqa: BLE001 - the server cannot read: gone
                self._coro = None
                self._on_gone()
                return
            if isinstance(waiting_on, asyncio.Future):
                self._waiting = waiting_on
                waiting_on.add_done_callback(self._advance)
                return
            if waiting_on is not None:  # not an asyncio future: a task finishes it
                self._coro = None
                self._task = asyncio.ensure_future(
                    _disconnected(self._receive, Resumed(coro, waiting_on))
                )
                self._task.add_done_callback(self._task_done)
                return
            # A bare yield: step again at the next turn of the loop, as a task would.
            self._waiting = asyncio.get_running_loop().create_future()
            self._waiting.add_done_callback(self._advance)
            self._waiting.set_result(None)
            return

    def cancel(self) -> None:
        coro, self._coro = self._coro, None
        waiting, self._waiting = self._waiting, None
        task, self._task = self._task, None
        if waiting is not None:
            waiting.remove_done_callback(self._advance)
        if coro is not None:
            coro.close()
        if task is not None:
            task.cancel()


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
        watcher = _Disconnect(receive, sub.client_gone)
        # The response head goes through the middleware (security headers, request id,
        # status for the metrics); body chunks go to the server's own ``send``: the
        # middleware's wrappers only look at the head, and a per-chunk hop through each
        # of them was a sixth of a fan-out's CPU.
        writer = _Writer(scope.get(RAW_SEND, send), sub)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            self.raw_headers = []  # sent: not kept for the stream's life
            if self.first_comment:
                await writer.send(self.first_comment)
            if self.on_write is None:
                sub.write_through(writer.write_through)
            while True:
                items = await sub.pull(CHUNK_EVENTS)
                if writer.pending is not None:
                    # A write-through the transport made wait: finish it, in order.
                    pending, writer.pending = writer.pending, None
                    await pending
                    if not items:
                        continue
                if not items:
                    chunk, last = HEARTBEAT, None
                else:
                    chunk, last = _chunk(sub, items)
                await writer.send(chunk)
                if isinstance(last, Closed):
                    break
                if self.on_write is not None:
                    await self.on_write()
            await writer.send(b"", more_body=False)
        except OSError:
            pass  # servers of ASGI 2.4 raise it for a send to a client that left
        finally:
            sub.write_through(None)
            watcher.cancel()
            sub.close(CloseReason.CLIENT_GONE)
            if isinstance(writer.pending, Resumed):
                writer.pending.close()
            if self.on_close is not None:
                await self.on_close()


class _Writer:
    """Body chunks of one response, written by its own task (``send``) or synchronously
    from the hub's fan-out (``write_through``)."""

    __slots__ = ("_send", "_sub", "pending")

    def __init__(self, send: Send, sub: Subscription) -> None:
        self._send = send
        self._sub = sub
        self.pending: Awaitable[None] | None = None

    async def send(self, chunk: bytes, *, more_body: bool = True) -> None:
        await self._send({"type": "http.response.body", "body": chunk, "more_body": more_body})

    def write_through(self, events: Sequence[Event]) -> bool:
        """The subscription's sink: runs the server's ``send`` up to its first wait. A
        send that completes without waiting (the transport accepted the bytes) costs no
        task wakeup; one that waits (flow control) is left in ``pending`` for the
        response's task to finish."""
        message: Message = {
            "type": "http.response.body",
            "body": _batch_chunk(events) if events else HEARTBEAT,
            "more_body": True,
        }
        coro = self._send(message)
        if not isinstance(coro, Coroutine):
            self.pending = coro  # an awaitable of another kind: its task awaits it
            return False
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return True
        except Exception:  # noqa: BLE001 - whatever it is, the fan-out must go on
            # The client left (ASGI 2.4 servers raise OSError) or the transport broke:
            # nothing more can be written; the fan-out must go on for the others.
            self._sub.close(CloseReason.CLIENT_GONE)
            return True
        self.pending = Resumed(coro, waiting_on)
        return False


class _LastBatch:
    """The body chunk of the batch being fanned out: the feed hands one shared tuple to
    every subscriber in turn, so it is joined once, not once per subscriber."""

    batch: Sequence[Event] | None = None
    chunk: bytes = b""


def _batch_chunk(events: Sequence[Event]) -> bytes:
    if events is not _LastBatch.batch:
        _LastBatch.chunk = b"".join([event.sse_frame() for event in events])
        _LastBatch.batch = events
    return _LastBatch.chunk


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
