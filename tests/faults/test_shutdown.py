"""Clean shutdown (SIGTERM) drains: publishes in flight finish, quota counters and usage
are flushed, open streams get a close frame (SSE ``event: close``, WebSocket 1001 or 1012), and
shutting down does not wait for streams to time out.

Jepsen-style: a publish whose answer was lost (``info``) but whose messages are in the
log afterwards was processed and never answered — exactly what draining must prevent —
so under SIGTERM ``recovered`` must be empty, unlike after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest
import websockets

from tests.faults.support import History, ServerProcess, as_reads, check, publish_batch
from tests.faults.test_embedded_crash import read_until
from tests.support.factories import create_key, signup
from tests.support.server import SSEEvent, SSEStream

CLIENTS = 4
TOPIC = "/api/v1/topics/events"
GRACEFUL_TIMEOUT_S = 10  # topichub serve: uvicorn's timeout_graceful_shutdown


@pytest.mark.timeout(180)
async def test_sigterm_drains_publishes_and_closes_streams(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:6]
    server = ServerProcess(tmp_path / "data")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            account = await signup(client)
            key = await create_key(client, account, ["read", "write"])
        headers = {"X-API-Key": key["key"]}
        history = History()
        stop = asyncio.Event()
        batches = iter(range(10**9))
        sse_events: list[SSEEvent] = []
        sse_ready = asyncio.Event()

        async def watch_sse() -> None:
            async with (
                httpx.AsyncClient(base_url=server.url, timeout=60) as client,
                client.stream("GET", f"{TOPIC}/stream", headers=headers) as response,
            ):
                assert response.status_code == 200
                stream = SSEStream(response)
                sse_ready.set()
                with contextlib.suppress(EOFError, httpx.TransportError):
                    while True:
                        sse_events.append(await stream.next(timeout=60))

        async def watch_ws() -> int | None:
            url = server.url.replace("http://", "ws://") + f"{TOPIC}/ws"
            async with websockets.connect(url, additional_headers=headers) as ws:
                ws_ready.set()
                with contextlib.suppress(websockets.ConnectionClosed):
                    while True:
                        await ws.recv()
                return ws.close_code

        async def publisher(n: int) -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
                seq = 0
                while not stop.is_set():
                    values = [f"{run}-{n}-{seq}-{i}" for i in range(1 + seq % 50)]
                    ops = await publish_batch(
                        client, history, f"{TOPIC}/publish", values, next(batches), headers
                    )
                    seq += 1
                    if ops[0].outcome == "fail" and ops[0].status is None:
                        return  # refused: the server no longer listens

        ws_ready = asyncio.Event()
        sse_task = asyncio.create_task(watch_sse())
        ws_task = asyncio.create_task(watch_ws())
        await asyncio.wait_for(asyncio.gather(sse_ready.wait(), ws_ready.wait()), 20)
        tasks = [asyncio.create_task(publisher(n)) for n in range(CLIENTS)]
        await asyncio.sleep(1.0)
        acknowledged_before = len(history.by("ok"))
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        code = await server.wait(GRACEFUL_TIMEOUT_S + 20)
        shutdown_s = time.monotonic() - started
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        await asyncio.wait_for(sse_task, 10)
        ws_code = await asyncio.wait_for(ws_task, 10)

        # Restart on the same data: what was acknowledged is there; usage was flushed.
        await server.start()
        sentinel = f"{run}-sentinel"
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            usage = (await client.get("/api/v1/usage", headers=account.headers)).json()
            response = await client.post(
                f"{TOPIC}/publish", json={"messages": [{"value": sentinel}]}, headers=headers
            )
            assert response.status_code == 200, response.text
            events = await read_until(client, headers, sentinel)
    finally:
        await server.stop()

    summary = history.summary()
    assert acknowledged_before > 0
    # uvicorn re-raises the signal once it has shut down cleanly.
    assert code in (0, -signal.SIGTERM), f"exit code {code}"
    statuses = {op.status for op in history.ops if op.status and op.status >= 500}
    assert not statuses, f"publishes answered {statuses} during shutdown"
    verdict = check(history, as_reads(events), atomic_batches=True)
    assert verdict.valid, f"{verdict}; history {summary}"
    assert not verdict.recovered, (
        f"{len(verdict.recovered)} messages were stored but their publish was never "
        f"answered: the shutdown cut off requests in flight; history {summary}"
    )
    closes = [e for e in sse_events if e.event == "close"]
    assert closes, f"the SSE stream ended without a close event: {sse_events[-3:]}"
    assert json.loads(closes[0].data)["reason"] == "shutdown"
    # 1001 when our stop-signal handler closes the stream first, 1012 ("service restart")
    # when uvicorn's own shutdown reaches the socket first: both are a close frame
    # telling the client the server is going away, which is the promise.
    assert ws_code in (1001, 1012)
    assert shutdown_s < GRACEFUL_TIMEOUT_S - 2, f"shutdown took {shutdown_s:.1f}s"
    acknowledged = len(history.by("ok"))
    assert usage["messages_in"]["used"] == acknowledged, (usage["messages_in"], summary)
    print(f"history {summary}, shutdown {shutdown_s:.2f}s, usage {usage['messages_in']}")
