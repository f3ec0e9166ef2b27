"""The HTTP protocol ``topichub serve`` runs: uvicorn's httptools protocol with a bound
on how long a request's head (request line and headers) may take to arrive, and with
each answer written to the socket at once rather than head first, then body.

uvicorn has no such bound: its keep-alive timeout runs only between requests, so a
client sending one header byte every few seconds (slowloris) holds a connection, and
enough of them hold every connection the process will accept. Here each connection
must deliver a complete request head within ``TOPICHUB_HEADER_TIMEOUT_S`` of its first
byte (or of connecting), else it is closed. Bodies are not bounded by this: an upload
may be slow, and streams are long by design.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

DEFAULT_HEADER_TIMEOUT_S = 10.0


def header_timeout_s() -> float:
    # Read from the environment: worker processes get the settings that way.
    return float(os.environ.get("TOPICHUB_HEADER_TIMEOUT_S", DEFAULT_HEADER_TIMEOUT_S))


class HeaderTimeoutProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout_s()
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        # The deadline counts from the first byte: later header lines do not extend it.
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self._header_timeout, self._too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class ServeProtocol(HeaderTimeoutProtocol):
    """``HeaderTimeoutProtocol`` whose answers go out in one write each (``OneWrite``)."""

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        if self.cycle is not previous:  # a new request (not a WebSocket upgrade)
            # Its task may already be scheduled, but none of its code has run yet.
            self.cycle.transport = OneWrite(self.cycle)


class OneWrite(asyncio.Transport):
    """What one request's ``RequestResponseCycle`` writes to until its response head is
    out: the connection's transport, except that the head is kept back and written
    together with the first body bytes, so that a whole answer costs one ``send()`` (on
    loopback, each one also runs the receiver's TCP path) instead of two. Then the cycle
    is given the connection's transport back: the rest of a long response (a stream)
    pays nothing for this.

    uvicorn writes the head as the last step of ``http.response.start`` (when
    ``response_started`` has just become true; nothing else is written in between) and
    always calls ``write`` for the first ``http.response.body`` message, even with an
    empty body, except for a HEAD request. So the head is kept back only when that
    write is sure to come: not for HEAD, and not for a chunked answer (no Content-Length:
    an event stream, whose head must reach the client before its first event). If the
    body never comes (the app fails or gives up), uvicorn closes the connection, and
    ``close`` writes the head first, as it was written before. If the connection is
    gone, uvicorn writes nothing more, and the head is dropped with it.
    ``tests/test_serving.py`` pins the uvicorn code this relies on.
    """

    __slots__ = ("_cycle", "_held", "_transport")

    def __init__(self, cycle: RequestResponseCycle) -> None:
        super().__init__()
        self._cycle = cycle
        self._transport = cycle.transport
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        cycle = self._cycle
        if self._held is not None:  # the first body bytes: with the head, in one write
            data = self._held + data
            self._held = None
            cycle.transport = self._transport
        elif cycle.response_started:  # the head
            if cycle.chunked_encoding is not True and cycle.scope["method"] != "HEAD":
                self._held = bytes(data)
                return
            cycle.transport = self._transport
        self._transport.write(data)

    def close(self) -> None:
        if self._held is not None and not self._transport.is_closing():
            self._transport.write(self._held)
        self._held = None
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()
