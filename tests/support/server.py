"""A real uvicorn server for an app whose lifespan is already running, plus a minimal
SSE client that reports exactly the frames the server sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port; yields the base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_config=None, ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@dataclass
class SSEEvent:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


class SSEStream:
    """Reads an open text/event-stream response frame by frame."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, *, timeout: float = 10.0, skip_comments: bool = True) -> SSEEvent:
        async with asyncio.timeout(timeout):
            while True:
                event = await self._frame()
                if skip_comments and event.data == "" and event.event is None:
                    continue
                return event

    async def _frame(self) -> SSEEvent:
        event = SSEEvent()
        data: list[str] = []
        seen = False
        async for line in self._lines:
            if line == "":
                if seen:
                    event.data = "\n".join(data)
                    return event
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                event.comments.append(value)
            elif name == "id":
                event.id = value
            elif name == "event":
                event.event = value
            elif name == "data":
                data.append(value)
        raise EOFError("stream ended")

    async def events(self, count: int, *, timeout: float = 10.0) -> list[SSEEvent]:
        return [await self.next(timeout=timeout) for _ in range(count)]


@contextlib.asynccontextmanager
async def sse(client: httpx.AsyncClient, url: str, **kwargs: Any) -> AsyncIterator[SSEStream]:
    async with client.stream("GET", url, **kwargs) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SSEStream(response)
