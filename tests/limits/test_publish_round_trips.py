"""Issue 20: with Redis, a publish decides its rate limit and its daily quota in one
round trip (one script), with the same answers as two: a refused hit consumes no quota,
a request refused before the quota is still counted, and every answer has its
``X-RateLimit-*`` headers. Counted on the real Redis connections, by the commands the
request's own context sends (the quota flusher and other background tasks excluded)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio.connection import AbstractConnection

from tests.conftest import client_for, make_settings, running_app
from tests.limits import REDIS_URL, random_prefix, redis_reachable, unavailable
from tests.support.factories import Account, create_key, signup
from topichub.limits import RedisStore

pytestmark = pytest.mark.redis

PUBLISH = "/api/v1/topics/events/publish"
_COUNTING: contextvars.ContextVar[list[bytes] | None] = contextvars.ContextVar(
    "counting", default=None
)

MakeApp = Callable[..., Awaitable[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[bytes]]:
    """Start counting: what the current context sends to Redis, one entry per write
    to a connection (a round trip), its command name as the entry."""
    original = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        seen = _COUNTING.get()
        if seen is not None:
            parts = [command] if isinstance(command, bytes | str) else list(command)
            first = parts[0].encode() if isinstance(parts[0], str) else bytes(parts[0])
            # "*<n>\r\n$<len>\r\n<NAME>\r\n...": the first command's name.
            seen.append(first.split(b"\r\n")[2].upper())
        await original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)

    def start() -> list[bytes]:
        seen: list[bytes] = []
        _COUNTING.set(seen)
        return seen

    return start


@pytest.fixture
async def make_app(tmp_path: Path) -> AsyncIterator[MakeApp]:
    if not await redis_reachable():
        unavailable("Redis")
    prefix = random_prefix()
    async with contextlib.AsyncExitStack() as stack:

        async def make(**overrides: Any) -> tuple[FastAPI, httpx.AsyncClient]:
            settings = make_settings(
                f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
                tmp_path,
                redis_url=REDIS_URL,
                redis_key_prefix=prefix,
                **overrides,
            )
            app = await stack.enter_async_context(running_app(settings))
            client = await stack.enter_async_context(client_for(app))
            return app, client

        yield make
    store = RedisStore(REDIS_URL, key_prefix=prefix)
    await store.delete_all_keys()
    await store.aclose()


async def publish(client: httpx.AsyncClient, headers: dict[str, str], n: int = 1) -> httpx.Response:
    return await client.post(PUBLISH, headers=headers, json={"messages": [{"value": "m"}] * n})


async def used_today(app: FastAPI, account: Account) -> int:
    usage = await app.state.resources.quotas.usage("user", account.user["id"])
    return int(usage.messages_in)


async def test_a_publish_is_one_round_trip(
    make_app: MakeApp, sent: Callable[[], list[bytes]]
) -> None:
    app, client = await make_app()
    assert app.state.resources.rate_limiter.backend == "redis"
    account = await signup(client)
    headers = {"X-API-Key": (await create_key(client, account))["key"]}
    # The first publishes load the day's counters and the scripts.
    for _ in range(2):
        assert (await publish(client, headers)).status_code == 200
    remaining = []
    for _ in range(5):
        seen = sent()
        response = await publish(client, headers, 3)
        assert response.status_code == 200, response.text
        assert seen == [b"EVALSHA"], seen
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == sorted(remaining, reverse=True)
    assert len(set(remaining)) == 5
    assert await used_today(app, account) == 2 + 5 * 3


async def test_a_rate_limited_publish_consumes_no_quota(
    make_app: MakeApp, sent: Callable[[], list[bytes]]
) -> None:
    app, client = await make_app(rate_per_minute=6)
    account = await signup(client)
    headers = {"X-API-Key": (await create_key(client, account))["key"]}  # 1 of 6
    statuses = [(await publish(client, headers)).status_code for _ in range(5)]
    assert statuses == [200] * 5
    seen = sent()
    refused = await publish(client, headers)
    assert seen == [b"EVALSHA"], seen
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert refused.json()["error"]["details"] == {"limit": 6, "window": "minute"}
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-limit"] == "6"
    assert int(refused.headers["retry-after"]) >= 1
    assert await used_today(app, account) == 5


async def test_a_publish_refused_before_the_quota_is_still_rate_limited(
    make_app: MakeApp, sent: Callable[[], list[bytes]]
) -> None:
    app, client = await make_app(rate_per_minute=5)
    account = await signup(client)
    reader = {"X-API-Key": (await create_key(client, account, ["read"]))["key"]}  # 1
    writer = {"X-API-Key": (await create_key(client, account))["key"]}  # 2
    assert (await publish(client, writer)).status_code == 200  # 3
    forbidden = [await publish(client, reader) for _ in range(2)]  # 4, 5
    assert [r.status_code for r in forbidden] == [403, 403]
    assert [r.headers["x-ratelimit-remaining"] for r in forbidden] == ["1", "0"]
    unknown = await client.post(
        "/api/v1/topics/x/publish?project_id=00000000-0000-0000-0000-000000000000",
        headers=writer,
        json={"messages": [{"value": 1}]},
    )
    assert unknown.status_code == 429, unknown.text
    assert unknown.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert (await publish(client, reader)).status_code == 429
    assert (await publish(client, writer)).status_code == 429
    assert await used_today(app, account) == 1


async def test_a_quota_refusal_keeps_its_answer_and_the_rate_headers(
    make_app: MakeApp, sent: Callable[[], list[bytes]]
) -> None:
    app, client = await make_app(quota_user_messages_per_day=4)
    account = await signup(client)
    headers = {"X-API-Key": (await create_key(client, account))["key"]}
    assert (await publish(client, headers, 3)).status_code == 200
    ok = await publish(client, headers)
    seen = sent()
    refused = await publish(client, headers)
    assert seen == [b"EVALSHA"], seen
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "QUOTA_EXCEEDED"
    assert int(refused.headers["retry-after"]) >= 1
    # The refused publish was counted by the rate limit, as before.
    assert int(refused.headers["x-ratelimit-remaining"]) == (
        int(ok.headers["x-ratelimit-remaining"]) - 1
    )
    assert await used_today(app, account) == 4
