"""A TCP proxy in front of a real server that loses chosen answers on the way back."""

from __future__ import annotations

import asyncio
import contextlib


class AnswerDroppingProxy:
    """Forwards every connection to ``127.0.0.1:upstream_port``. While ``drops`` is
    positive, a connection whose request contains ``marker`` gets its request through to
    the server, but the server's answer is thrown away and the connection cut: the
    client cannot know whether its request took effect."""

    def __init__(self, upstream_port: int, marker: bytes, drops: int = 1) -> None:
        self.upstream_port = upstream_port
        self.marker = marker
        self.drops = drops
        self.dropped = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> AnswerDroppingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Run as a task of ours: asyncio logs a start_server callback that ends cancelled.
        handler = asyncio.create_task(self._proxy(reader, writer))
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(handler)

    async def _proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        doomed = asyncio.Event()

        async def client_to_server() -> None:
            while chunk := await reader.read(65536):
                if self.drops > 0 and self.marker in chunk:
                    self.drops -= 1
                    doomed.set()
                up_writer.write(chunk)
                await up_writer.drain()

        async def server_to_client() -> None:
            while chunk := await up_reader.read(65536):
                if doomed.is_set():
                    self.dropped += 1
                    writer.transport.abort()
                    return
                writer.write(chunk)
                await writer.drain()

        tasks = [asyncio.create_task(client_to_server()), asyncio.create_task(server_to_client())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for w in (writer, up_writer):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()
