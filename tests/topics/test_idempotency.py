"""Idempotency-Key on publish: a retry never stores the messages twice."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.factories import signup

BODY = {"messages": [{"value": {"order": 1}}, {"value": {"order": 2}}]}


async def _publish(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, body: object = BODY
) -> httpx.Response:
    return await client.post(
        "/api/v1/topics/events/publish", json=body, headers={**headers, "Idempotency-Key": key}
    )


async def test_a_retry_replays_the_first_answer_and_stores_nothing_new(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    first = await _publish(client, account.headers, "order-1")
    retry = await _publish(client, account.headers, "order-1")
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    # The next message lands right after the first two: the retry stored nothing.
    after = await client.post(
        "/api/v1/topics/events/publish", json={"messages": [{"value": 3}]}, headers=account.headers
    )
    assert after.json()["messages"][0]["offset"] == 2


async def test_the_same_key_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    assert (await _publish(client, account.headers, "k")).status_code == 200
    other = await _publish(client, account.headers, "k", {"messages": [{"value": "other"}]})
    assert other.status_code == 422
    assert "different" in other.json()["detail"]


async def test_concurrent_duplicates_store_once(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    responses = await asyncio.gather(
        *(_publish(client, account.headers, "burst") for _ in range(5))
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {200, 409}
    assert codes.count(200) >= 1
    after = await client.post(
        "/api/v1/topics/events/publish", json={"messages": [{"value": 3}]}, headers=account.headers
    )
    assert after.json()["messages"][0]["offset"] == 2


async def test_keys_are_per_tenant(client: httpx.AsyncClient) -> None:
    first, second = await signup(client), await signup(client)
    assert (await _publish(client, first.headers, "shared")).status_code == 200
    other = await _publish(client, second.headers, "shared")
    assert other.status_code == 200
    assert "idempotent-replayed" not in other.headers


async def test_a_failed_publish_releases_the_key(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    too_big = {"messages": [{"value": "x" * 70_000}]}
    assert (await _publish(client, account.headers, "retry-me", too_big)).status_code == 413
    assert (await _publish(client, account.headers, "retry-me")).status_code == 200


async def test_invalid_keys_are_422(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    assert (await _publish(client, account.headers, "x" * 201)).status_code == 422
