"""Two app instances sharing PostgreSQL, Redis and a Kafka broker behave as one service."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from tests.conftest import make_settings, running_app
from tests.support.clock import early_in_a_minute
from tests.support.factories import signup
from tests.support.server import serving, sse
from tests.support.services import create_pg_database, drop_pg_database, unavailable

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.kafka]


@contextlib.asynccontextmanager
async def two_instances(
    tmp_path: Path, kafka_bootstrap: str, redis_url: str, **overrides: object
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    try:
        database = await create_pg_database()
    except Exception as exc:
        unavailable("PostgreSQL", exc)
        raise
    prefix = f"th-test-{uuid.uuid4().hex[:8]}"
    common = {
        "kafka_bootstrap_servers": kafka_bootstrap,
        "redis_url": redis_url,
        "redis_key_prefix": prefix,
        **overrides,
    }
    try:
        async with (
            running_app(make_settings(database, tmp_path / "a", **common)) as app_a,
            running_app(make_settings(database, tmp_path / "b", **common)) as app_b,
            serving(app_a) as url_a,
            serving(app_b) as url_b,
            httpx.AsyncClient(base_url=url_a, timeout=30) as a,
            httpx.AsyncClient(base_url=url_b, timeout=30) as b,
        ):
            yield a, b
    finally:
        client = aioredis.from_url(redis_url)
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await drop_pg_database(database)


async def test_stream_limit_holds_across_instances(
    tmp_path: Path, kafka_bootstrap: str, redis_url: str
) -> None:
    async with two_instances(tmp_path, kafka_bootstrap, redis_url) as (a, b):
        account = await signup(a)
        async with (
            sse(a, "/topics/events/stream", headers=account.headers),
            sse(b, "/topics/events/stream", headers=account.headers),
        ):
            for client in (a, b):
                refused = await client.get("/topics/events/stream", headers=account.headers)
                assert refused.status_code == 429
                assert refused.json()["detail"] == (
                    "Maximum 2 active stream connections allowed per user"
                )


async def test_publish_on_one_instance_is_received_on_the_other(
    tmp_path: Path, kafka_bootstrap: str, redis_url: str
) -> None:
    async with two_instances(tmp_path, kafka_bootstrap, redis_url) as (a, b):
        account = await signup(a)
        async with sse(b, "/topics/events/stream", headers=account.headers) as stream:
            await stream._frame()
            published = await a.post(
                "/topics/events/publish",
                headers=account.headers,
                json={"messages": [{"value": {"n": i}} for i in range(3)]},
            )
            assert published.status_code == 200, published.text
            events = await stream.events(3, timeout=15)
        assert [e.json()["value"]["n"] for e in events] == [0, 1, 2]


async def test_rate_limit_budget_is_shared_across_instances(
    tmp_path: Path, kafka_bootstrap: str, redis_url: str
) -> None:
    async with two_instances(tmp_path, kafka_bootstrap, redis_url, rate_per_minute=4) as (a, b):
        await early_in_a_minute()
        account = await signup(a)
        statuses = []
        for client in (a, b, a, b, a, b):
            statuses.append((await client.get("/topics", headers=account.headers)).status_code)
        assert statuses == [200, 200, 200, 200, 429, 429]
