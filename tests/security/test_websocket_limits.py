"""Issue 12.6: WebSockets take the limits SSE takes. A chat socket holds one of the
user's stream slots, and opening a topic or chat socket counts against the tenant's
rate limit, over a real server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import websockets

from tests.chat.support import make_group, next_frame, ws_base
from tests.conftest import make_settings, running_app
from tests.support.clock import early_in_a_minute
from tests.support.factories import signup
from tests.support.server import serving


@contextlib.asynccontextmanager
async def _server(
    database_url: str, tmp_path: Path, **overrides: object
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    settings = make_settings(database_url, tmp_path, **overrides)
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield url, client


async def _close_code(url: str) -> int | None:
    async with websockets.connect(url) as ws:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.recv()
        return ws.close_code


async def test_chat_sockets_take_stream_slots(own_database_url: str, tmp_path: Path) -> None:
    async with _server(own_database_url, tmp_path, max_streams_per_user=2) as (base, client):
        alice = await signup(client)
        group = await make_group(client, alice)
        url = f"{ws_base(base)}/subscribe/{group}?token={alice.token}"
        async with websockets.connect(url) as one, websockets.connect(url) as two:
            for ws in (one, two):
                assert (await next_frame(ws))["type"] == "subscribed"
            assert await _close_code(url) == 4029
            # A topic stream is refused too: the chat sockets hold both slots.
            sse = await client.get("/topics/events/stream", headers=alice.headers)
            assert sse.status_code == 429
        # Closing them gives the slots back.
        async with websockets.connect(url) as again:
            assert (await next_frame(again))["type"] == "subscribed"


async def test_websocket_opens_count_against_the_rate_limit(
    own_database_url: str, tmp_path: Path
) -> None:
    async with _server(own_database_url, tmp_path, rate_per_minute=6) as (base, client):
        await early_in_a_minute()
        alice = await signup(client)
        group = await make_group(client, alice)  # one request counted
        ws = ws_base(base)
        codes = []
        for n in range(6):
            target = "/topics/events/ws" if n % 2 else f"/subscribe/{group}"
            async with websockets.connect(
                f"{ws}{target}", additional_headers=alice.headers
            ) as socket:
                with contextlib.suppress(TimeoutError, websockets.ConnectionClosed):
                    await asyncio.wait_for(socket.recv(), timeout=1)
                codes.append(socket.close_code)
        # Five opens fit in the minute with the group's creation; the sixth does not.
        assert codes[:5] == [None] * 5, codes
        assert codes[5] == 4029, codes
