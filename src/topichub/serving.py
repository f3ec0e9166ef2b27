"""The HTTP protocol ``topichub serve`` runs: uvicorn's httptools protocol with a bound
on how long a request's head (request line and headers) may take to arrive.

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

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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
