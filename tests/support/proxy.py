"""A loopback TCP proxy whose connections a test can cut while both ends stay up: the
"network blip" of RELIABILITY.md, without touching the host's network."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class CuttableProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        """Where new connections go; a test may point it at a restarted server."""
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()  # the server is down: the client sees a reset
            return
        link = (writer, up_writer)
        self._links.add(link)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._links.discard(link)
            for task in pumps:
                task.cancel()
            for side in link:
                side.transport.abort()
            self._tasks.difference_update(pumps)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()

    def cut(self) -> int:
        """Reset every open connection, both ways; new ones are still accepted."""
        links = list(self._links)
        for link in links:
            for side in link:
                side.transport.abort()
        return len(links)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            await self._server.wait_closed()


@contextlib.asynccontextmanager
async def cuttable_proxy(target_port: int) -> AsyncIterator[CuttableProxy]:
    proxy = CuttableProxy(target_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
