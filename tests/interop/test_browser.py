"""Issue 15 item 5: a browser's native EventSource, opened with a stream ticket and no
library or reconnect code, resumes by itself after its connection is cut with the server
up — with no gap and no duplicate. Debian's Chromium, driven over CDP."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.conftest import make_settings, running_app
from tests.support.chromium import chromium_page
from tests.support.factories import Account, signup
from tests.support.proxy import cuttable_proxy
from tests.support.server import serving
from tests.support.tansu import free_port
from topichub.config import Settings

OPEN_STREAM = """
window.got = []; window.opens = 0; window.errors = 0;
const source = new EventSource("/api/v1/topics/events/stream?ticket=" + %s);
source.onopen = () => { window.opens += 1; };
source.onerror = () => { window.errors += 1; };
source.onmessage = (event) => { window.got.push(JSON.parse(event.data).value); };
window.source = source;
true
"""


async def _publish(http: httpx.AsyncClient, account: Account, values: range) -> None:
    response = await http.post(
        "/api/v1/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": n} for n in values]},
    )
    assert response.status_code == 200, response.text


async def test_native_eventsource_with_a_ticket_resumes_after_a_network_cut(
    tmp_path: Path,
) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path)
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        cuttable_proxy(int(urlsplit(url).port or 0)) as proxy,
    ):
        account = await signup(http)
        ticket = (await http.post("/api/v1/stream-tickets", headers=account.headers)).json()
        # The page and its stream go through the proxy; publishing goes straight in.
        async with chromium_page(f"http://127.0.0.1:{proxy.port}/health") as page:
            await page.evaluate(OPEN_STREAM % json.dumps(ticket["ticket"]))
            await page.wait_for("window.opens === 1 && window.source.readyState === 1")
            await _publish(http, account, range(1, 6))
            await page.wait_for("window.got.length >= 5")

            assert proxy.cut() >= 1
            await page.wait_for("window.errors >= 1")
            # Published while the browser is cut off: it must get these after resuming.
            await _publish(http, account, range(6, 11))
            await page.wait_for("window.opens >= 2 && window.source.readyState === 1", timeout=30)
            await _publish(http, account, range(11, 13))
            await page.wait_for("window.got.length >= 12", timeout=30)

            assert await page.evaluate("window.got") == list(range(1, 13))
            assert await page.evaluate("window.source.readyState") == 1
            assert await page.evaluate("window.opens") == 2


OPEN_SOCKET = """
window.wsOpen = false; window.wsClose = null;
window.socket = new WebSocket(
  location.origin.replace("http", "ws") + "/api/v1/topics/events/ws?ticket=" + %s);
window.socket.onopen = () => { window.wsOpen = true; };
window.socket.onclose = (event) => { window.wsClose = event.code; };
true
"""


async def _start(settings: Settings, stack: contextlib.AsyncExitStack) -> str:
    app = await stack.enter_async_context(running_app(settings))
    return await stack.enter_async_context(serving(app))


async def test_eventsource_resumes_across_a_restart_where_used_tickets_stay_used(
    tmp_path: Path,
) -> None:
    """The server stops and starts again on the same database (and another port, behind
    the same proxy): the browser's EventSource reconnects by itself with its ticket and
    resumes where it was, while a WebSocket ticket used before the restart stays used.
    The restart is in-process (app lifespan and uvicorn), the stream's connection reset
    as the server goes; a SIGTERM'd ``topichub serve`` is tests/faults' subject."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path)
    server = contextlib.AsyncExitStack()
    try:
        url = await _start(settings, server)
        async with (
            cuttable_proxy(int(urlsplit(url).port or 0)) as proxy,
            chromium_page(f"http://127.0.0.1:{proxy.port}/health") as page,
        ):
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                account = await signup(http)
                sse_ticket, ws_ticket = [
                    (await http.post("/api/v1/stream-tickets", headers=account.headers)).json()[
                        "ticket"
                    ]
                    for _ in range(2)
                ]
                await page.evaluate(OPEN_SOCKET % json.dumps(ws_ticket))
                await page.wait_for("window.wsOpen === true")
                await page.evaluate("window.socket.close(); true")
                await page.evaluate(OPEN_STREAM % json.dumps(sse_ticket))
                await page.wait_for("window.opens === 1 && window.source.readyState === 1")
                await _publish(http, account, range(1, 4))
                await page.wait_for("window.got.length >= 3")

            # Down: new connections find nothing, open ones are reset (uvicorn in this
            # process would otherwise wait for the stream to end before stopping).
            proxy.target_port = free_port()
            proxy.cut()
            await server.aclose()
            await page.wait_for("window.errors >= 1")
            server = contextlib.AsyncExitStack()
            url = await _start(settings, server)
            proxy.target_port = int(urlsplit(url).port or 0)

            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                await _publish(http, account, range(4, 7))
                await page.wait_for(
                    "window.opens >= 2 && window.source.readyState === 1", timeout=30
                )
                await page.wait_for("window.got.length >= 6", timeout=30)
                assert await page.evaluate("window.got") == list(range(1, 7))
                # The WebSocket ticket was used before the restart: refused after it.
                await page.evaluate(OPEN_SOCKET % json.dumps(ws_ticket))
                assert await page.wait_for("window.wsClose") == 4001
    finally:
        await server.aclose()
