"""Debian's headless Chromium driven over the DevTools protocol (CDP), with nothing but
``websockets``: enough to load a page and evaluate JavaScript in it. Never downloads a
browser; a missing ``/usr/bin/chromium`` skips (fails in CI)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.support.services import unavailable

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class Page:
    """One page target: ``evaluate`` runs an expression and returns its JSON value."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        call_id = next(self._ids)
        await self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self._ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self._call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, *, timeout: float = 20.0) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    value = await self.evaluate(expression)
                except RuntimeError as exc:
                    # A page still loading has no execution context yet.
                    if "execution context" not in str(exc):
                        raise
                    value = None
                if value:
                    return value
                await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def chromium_page(url: str) -> AsyncIterator[Page]:
    """Headless Chromium showing ``url``; yields its page."""
    if shutil.which(CHROMIUM) is None:
        unavailable("Chromium", FileNotFoundError(CHROMIUM))
    profile = tempfile.mkdtemp(prefix="th-chromium-")
    # A file, not a pipe: nobody reads Chromium's chatter, and a full pipe would block it.
    log = Path(profile) / "stderr.log"
    stderr = log.open("wb")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        port = await _devtools_port(process, log)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as devtools:
            targets: list[dict[str, Any]] = []
            async with asyncio.timeout(20):
                while not (targets := _pages(await devtools.get("/json/list"), url)):
                    await asyncio.sleep(0.1)
        async with websockets.connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as ws:
            page = Page(ws)
            # The target exists before its document: wait for the page itself.
            await page.wait_for(
                f"location.href.startsWith({json.dumps(url)}) && document.readyState === 'complete'"
            )
            yield page
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        stderr.close()
        shutil.rmtree(profile, ignore_errors=True)


async def _devtools_port(process: subprocess.Popen[bytes], log: Path) -> int:
    async with asyncio.timeout(30):
        while True:
            match = re.search(rb"DevTools listening on ws://[^:]+:(\d+)/", log.read_bytes())
            if match:
                return int(match.group(1))
            if process.poll() is not None:
                raise RuntimeError(f"Chromium exited ({process.returncode}): {log.read_text()}")
            await asyncio.sleep(0.05)


def _pages(response: httpx.Response, url: str) -> list[dict[str, Any]]:
    return [
        t
        for t in response.json()
        if t.get("type") == "page" and t.get("url", "").startswith(url.rstrip("/"))
    ]
