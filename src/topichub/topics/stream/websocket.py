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
import logging
from collections.abc import Callable, Sequence

from starlette.websockets import WebSocket, WebSocketDisconnect

from topichub.topics.stream.frames import Closed, CloseReason, Event, Gap, Item, ws_close_code
from topichub.topics.stream.stepping import Resumed, step
from topichub.topics.stream.subscription import Subscription

log = logging.getLogger(__name__)

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
    writer = _Writer(websocket, sub, render, heartbeats)
    # While the pump waits with nothing buffered, the hub writes each live batch (and a
    # heartbeat) itself in its fan-out pass: no task woken per batch, as for SSE.
    sub.write_through(writer.write_through)
    try:
        while True:
            items: Sequence[Item] = await sub.pull(BATCH)
            if writer.pending is not None:
                # A write-through the transport made wait: finish it, then the rest of
                # its batch, in order, before anything buffered meanwhile.
                pending, writer.pending = writer.pending, None
                await pending
                rest, writer.rest = writer.rest, ()
                for event in rest:
                    if sub.closed_reason is not None:
                        break  # closed meanwhile (revoked, ...): nothing more goes out
                    text = render(event)
                    if text is not None:
                        await websocket.send_text(text)
                if not items:
                    continue
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
    finally:
        sub.write_through(None)
        if writer.pending is not None:
            writer.pending.close()


class _Writer:
    """The frames of one pump written synchronously from the hub's fan-out
    (``Subscription.write_through``): each event's frame goes to the socket up to the
    send's first wait. A send that completes without waiting costs no task wakeup; one
    that waits (flow control) is left in ``pending``, with the rest of its batch in
    ``rest``, for the pump's task to finish in order."""

    __slots__ = ("_heartbeats", "_render", "_sub", "_websocket", "pending", "rest")

    def __init__(
        self, websocket: WebSocket, sub: Subscription, render: Render, heartbeats: bool
    ) -> None:
        self._websocket = websocket
        self._sub = sub
        self._render = render
        self._heartbeats = heartbeats
        self.pending: Resumed[None] | None = None
        self.rest: Sequence[Event] = ()

    def write_through(self, events: Sequence[Event]) -> bool:
        if not events:
            return self._write(HEARTBEAT, ()) if self._heartbeats else True
        sub = self._sub
        for index, event in enumerate(events):
            try:
                text = self._render(event)
            except Exception:  # the fan-out must go on for the others
                log.exception("rendering a WebSocket frame failed: the stream is closed")
                sub.close(CloseReason.CLOSED)
                return True
            if text is not None and not self._write(text, events[index + 1 :]):
                return False
            if sub.closed_reason is not None:
                # render() ended the stream (chat: the user left the group), or the
                # client is gone: the rest of the batch must not go out.
                return True
        return True

    def _write(self, text: str, rest: Sequence[Event]) -> bool:
        try:
            pending = step(self._websocket.send_text(text))
        except Exception:  # noqa: BLE001 - whatever it is, the fan-out must go on
            # The client left (WebSocketDisconnect, OSError) or the transport broke:
            # nothing more can be written; the fan-out goes on for the others.
            self._sub.close(CloseReason.CLIENT_GONE)
            return True
        if pending is None:
            return True
        self.pending, self.rest = pending, rest
        return False


async def _receive(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
