"""The hot path's caches (``topichub.resources.Caches``) never let a change made on one
process go unseen on another for more than a second.

Two real ``topichub serve`` processes share one PostgreSQL database, one Redis prefix and
one broker. Each test first makes ``b`` answer from its caches (a request there), then
changes something through ``a`` and measures, from the moment ``a`` answered, how long
``b`` keeps serving the old answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.scale.support import ADMIN_EMAIL, ADMIN_PASSWORD, Cluster, cluster
from tests.support.factories import Account, create_key, signup

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.kafka,
    pytest.mark.timeout(240),
]

WITHIN_S = 1.0
"""RELIABILITY.md and issue 20: every process applies a change within a second."""


@pytest.fixture(scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    async with cluster(
        tmp_path_factory.mktemp("caches"),
        {"a": 1, "b": 1},
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    ) as group:
        yield group


@pytest.fixture(scope="module")
async def clients(servers: Cluster) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with contextlib.AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            httpx.AsyncClient(base_url=servers["a"].url, timeout=30)
        )
        b = await stack.enter_async_context(
            httpx.AsyncClient(base_url=servers["b"].url, timeout=30)
        )
        yield a, b


async def publish(
    client: httpx.AsyncClient, headers: dict[str, str], topic: str = "events"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/topics/{topic}/publish", json={"messages": [{"value": 1}]}, headers=headers
    )


async def seconds_until(
    answer: Callable[[], Awaitable[httpx.Response]], status: int, since: float
) -> float:
    """Ask until the answer has ``status``; seconds from ``since`` to that answer."""
    while True:
        response = await answer()
        if response.status_code == status:
            return time.monotonic() - since
        assert response.status_code == 200, response.text
        assert time.monotonic() - since < 5, f"still {response.status_code} after 5 s"
        await asyncio.sleep(0.02)


async def keep_warm(answer: Callable[[], Awaitable[httpx.Response]]) -> None:
    """Several answers in a row: the process now answers from its caches."""
    for _ in range(5):
        response = await answer()
        assert response.status_code == 200, response.text


async def test_key_revoked_on_one_process_is_refused_on_the_other_within_a_second(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = clients
    account = await signup(a)
    key = await create_key(a, account)
    headers = {"X-API-Key": key["key"]}
    await keep_warm(lambda: publish(b, headers))
    revoked = await a.delete(f"/api/v1/api-keys/{key['id']}", headers=account.headers)
    assert revoked.status_code == 204
    since = time.monotonic()
    # The revoking process itself refuses it at once.
    assert (await publish(a, headers)).status_code == 401
    assert await seconds_until(lambda: publish(b, headers), 401, since) < WITHIN_S


async def test_deactivated_user_is_refused_on_the_other_process_within_a_second(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = clients
    account = await signup(a)
    await keep_warm(lambda: publish(b, account.headers))
    gone = await a.delete("/auth/me", headers=account.headers)
    assert gone.status_code in (200, 204), gone.text
    since = time.monotonic()
    assert await seconds_until(lambda: publish(b, account.headers), 401, since) < WITHIN_S


async def test_tenant_limit_changed_on_one_process_applies_on_the_other_within_a_second(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], servers: Cluster
) -> None:
    a, b = clients
    login = await a.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    admin = {"Authorization": f"Bearer {login.json()['token']}"}
    account: Account = await signup(a)
    await keep_warm(lambda: publish(b, account.headers))
    changed = await a.patch(
        f"/api/admin/tenants/{account.tenant_id}",
        json={"rate_limits": {"per_minute": 3}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    since = time.monotonic()
    # b has counted more than 3 requests of this tenant this minute: the new limit refuses.
    assert await seconds_until(lambda: publish(b, account.headers), 429, since) < WITHIN_S


async def test_topic_deleted_on_one_process_is_not_found_on_the_other_within_a_second(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = clients
    account = await signup(a)
    created = await a.post("/api/v1/topics", json={"name": "short-lived"}, headers=account.headers)
    assert created.status_code == 201, created.text
    await keep_warm(lambda: publish(b, account.headers, "short-lived"))
    deleted = await a.delete("/api/v1/topics/short-lived", headers=account.headers)
    assert deleted.status_code == 204
    since = time.monotonic()
    assert (await publish(a, account.headers, "short-lived")).status_code == 404
    elapsed = await seconds_until(lambda: publish(b, account.headers, "short-lived"), 404, since)
    assert elapsed < WITHIN_S
    # Publishes that raced the deletion did not bring the topic back.
    assert (await publish(b, account.headers, "short-lived")).status_code == 404
    listed = await b.get("/api/v1/topics", headers=account.headers)
    assert "short-lived" not in {t["name"] for t in listed.json()["topics"]}
