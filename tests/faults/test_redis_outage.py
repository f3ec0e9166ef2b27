"""Redis goes away and comes back: limits fail open, visibly, as the README's "Limits"
section documents — publishing goes on (rate limits fall back to per-process counting,
quota consumption is accepted and added to Redis once it is back), failures are counted
in ``storage_errors``, nothing answers 500 and nothing hangs.

A private ``redis-server`` on a free loopback port is killed and restarted; the machine's
Redis is never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_settings, running_app
from tests.faults.support import _die_with_parent
from tests.support.factories import create_key, signup
from tests.support.server import serving
from tests.support.services import unavailable
from tests.support.tansu import free_port

pytestmark = pytest.mark.redis

PER_MINUTE = 40
REQUEST_BOUND_S = 5.0


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                return

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
async def redis() -> AsyncIterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server", FileNotFoundError("redis-server"))
    server = PrivateRedis()
    await server.start()
    try:
        yield server
    finally:
        server.kill()


async def timed(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    started = time.monotonic()
    async with asyncio.timeout(REQUEST_BOUND_S):
        response = await client.request(method, path, **kwargs)
    assert time.monotonic() - started < REQUEST_BOUND_S, f"{method} {path} took too long"
    return response


def storage_errors(app: FastAPI) -> dict[str, int]:
    resources = app.state.resources
    return {
        "rate": resources.rate_limiter.storage_errors,
        "quota": resources.quotas.storage_errors,
    }


@pytest.mark.timeout(120)
async def test_limits_fail_open_while_redis_is_down(redis: PrivateRedis, tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        redis_url=redis.url,
        redis_key_prefix=f"th-test-{redis.port}",
        rate_per_minute=PER_MINUTE,
    )
    async with (
        running_app(settings) as app,
        serving(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        account = await signup(client)
        other = await signup(client)  # spends its rate budget during the outage
        key = await create_key(client, account, ["read", "write"])
        headers = {"X-API-Key": key["key"]}
        publish = "/api/v1/topics/events/publish"
        body = {"messages": [{"value": "m"}] * 5}

        async def publish_once() -> httpx.Response:
            return await timed(client, "POST", publish, json=body, headers=headers)

        assert (await publish_once()).status_code == 200
        before = storage_errors(app)
        # Durable before the outage (a killed Redis loses what it held since the last
        # flush, as documented: at most one flush interval).
        await app.state.resources.quotas.flush()

        redis.kill()
        during = [await publish_once() for _ in range(3)]
        assert [r.status_code for r in during] == [200] * 3, [r.text[:200] for r in during]
        for response in during:
            assert response.headers["x-ratelimit-limit"] == str(PER_MINUTE)
        # Everything else a user does goes on too.
        login = await timed(
            client,
            "POST",
            "/auth/login",
            json={"email": account.email, "password": account.password},
        )
        assert login.status_code == 200, login.text
        usage = await timed(client, "GET", "/api/v1/usage", headers=account.headers)
        assert usage.status_code == 200, usage.text
        # Streams open, their slots counted in this process.
        async with client.stream("GET", "/api/v1/topics/events/stream", headers=headers) as r:
            assert r.status_code == 200
        ticket = await timed(client, "POST", "/api/v1/stream-tickets", headers=account.headers)
        assert ticket.status_code == 200
        # A stream ticket is single-use, which only Redis can guarantee across
        # processes: redeeming one fails closed, with a 503 to retry (not a 500).
        redeem = await timed(
            client, "GET", f"/api/v1/topics/events/stream?ticket={ticket.json()['ticket']}"
        )
        assert redeem.status_code == 503, redeem.text
        assert redeem.headers["retry-after"]
        assert redeem.json()["error"]["request_id"]
        # Visibly degraded: the failures are counted.
        after = storage_errors(app)
        assert after["rate"] > before["rate"], after
        assert after["quota"] > before["quota"], after
        # Fail open to per-process counting: the per-minute limit still holds here.
        statuses = [
            (await timed(client, "GET", "/api/v1/topics", headers=other.headers)).status_code
            for _ in range(PER_MINUTE + 5)
        ]
        assert 429 in statuses, statuses
        assert set(statuses) <= {200, 429}, statuses

        await redis.start()
        # Consumption accepted during the outage reaches Redis with the next flush.
        await app.state.resources.quotas.flush()
        usage = await timed(client, "GET", "/api/v1/usage", headers=account.headers)
        assert usage.status_code == 200
        assert usage.json()["messages_in"]["used"] == 5 * (1 + len(during))
