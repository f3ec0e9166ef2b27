"""Baseline servers, run under the same uvicorn setup as ``topichub serve``:

- ``noop``: a bare FastAPI app with one POST route returning a small JSON (publish_single).
- ``naive``: a naive SSE broadcaster (fanout, latency): each ``GET /stream`` client gets an
  ``asyncio.Queue`` behind a ``StreamingResponse``; ``POST /publish`` (the same body as
  topichub's publish) serialises each message once and puts it into every queue.

Run: ``python -m bench.apps noop|naive --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse


def noop_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    @app.post("/noop")
    async def noop() -> dict[str, Any]:
        return {"ok": True, "count": 1}

    return app


def naive_app() -> FastAPI:
    app = FastAPI()
    queues: set[asyncio.Queue[bytes]] = set()
    offset = 0

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "healthy", "subscribers": len(queues)}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        queues.add(queue)

        async def body() -> AsyncIterator[bytes]:
            try:
                yield b": connected\n\n"
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        return StreamingResponse(
            body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @app.post("/publish")
    async def publish(request: Request) -> dict[str, Any]:
        nonlocal offset
        data = await request.json()
        for message in data["messages"]:
            payload = json.dumps({"value": message["value"], "offset": offset})
            encoded = f"id: {offset}\ndata: {payload}\n\n".encode()
            offset += 1
            for queue in queues:
                queue.put_nowait(encoded)
        return {"count": len(data["messages"])}

    return app


APPS = {"noop": noop_app, "naive": naive_app}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from bench.common import raise_nofile

    raise_nofile()
    # The options of `topichub serve` (topichub.cli.serve), its HTTP protocol included
    # (one write per answer, no `server` header), so only the app differs.
    from topichub.serving import ServeProtocol

    uvicorn.run(
        f"bench.apps:{args.app}_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        http=ServeProtocol,
        server_header=False,
        log_config=None,
        proxy_headers=True,
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
