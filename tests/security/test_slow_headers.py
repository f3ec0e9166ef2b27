"""Issue 12.17: ``topichub serve`` closes a connection whose request headers trickle in
(slowloris), while a client that sends its headers at once is answered as usual."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from tests.scale.support import ServerProcess, server_env


async def _trickle_until_closed(port: int, limit_s: float) -> bool:
    """Send one header line every 0.3 s; True when the server closed the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        await writer.drain()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        n = 0
        while loop.time() < deadline:
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(reader.read(1024), timeout=0.3) == b"":
                    return True
            try:
                writer.write(f"X-Slow-{n}: x\r\n".encode())
                await writer.drain()
            except ConnectionError:
                return True
            n += 1
        return False
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_slow_headers_are_cut_off(tmp_path: Path) -> None:
    env = server_env(
        database_url=None,
        kafka=None,
        redis_url=None,
        redis_prefix="slowloris",
        data_dir=tmp_path / "data",
        header_timeout_s="1",
    )
    server = ServerProcess("slowloris", env, tmp_path)
    try:
        await server.wait_ready()
        # Well past the 1 s bound, yet far from what the trickle could last unbounded.
        assert await _trickle_until_closed(server.port, limit_s=8.0)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200")
    finally:
        server.stop()
