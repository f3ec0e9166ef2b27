"""Publishing (seed 000): per-message results, limits, validation, quotas."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import client_for, make_settings, running_app
from tests.support.clock import early_in_a_minute
from tests.support.factories import bearer, create_key, signup


async def test_seed_000_publish_example(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": {"test": "message"}}]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["topic"] == "events"
    assert body["count"] == 1
    assert body["messages"][0]["offset"] == 0
    assert body["messages"][0]["partition"] == 0


async def test_batch_offsets_are_consecutive_and_in_order(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    messages = [{"value": i, "key": "k", "headers": {"source": "test"}} for i in range(50)]
    response = await client.post(
        "/api/v1/topics/events/publish", headers=account.headers, json={"messages": messages}
    )
    assert response.status_code == 200
    results = response.json()["messages"]
    assert [m["index"] for m in results] == list(range(50))
    assert [m["offset"] for m in results] == list(range(50))


async def test_any_json_value_is_accepted(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    values = [None, True, 1.5, "text", [1, [2]], {"nested": {"deep": ["é", "😀"]}}]
    response = await client.post(
        "/api/v1/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": v} for v in values]},
    )
    assert response.status_code == 200
    assert response.json()["count"] == len(values)


async def test_a_message_over_the_size_limit_is_413_naming_its_index(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    big = "x" * (64 * 1024)
    response = await client.post(
        "/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": "small"}, {"value": big}]},
    )
    assert response.status_code == 413
    assert "index 1" in response.json()["detail"]
    assert response.json()["error"]["details"]["index"] == 1
    # Nothing of the batch was stored.
    after = await client.post(
        "/topics/events/publish", headers=account.headers, json={"messages": [{"value": 1}]}
    )
    assert after.json()["messages"][0]["offset"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"messages": []},
        {"messages": "nope"},
        {"messages": [{"key": "no value"}]},
        {"messages": [{"value": 1, "partition": -1}]},
        {"messages": [{"value": 1, "headers": {"a": 5}}]},
        {"messages": [{"value": 1, "extra": True}]},
        {"messages": [{"value": 1, "key": "k" * 2000}]},
    ],
)
async def test_malformed_publish_bodies_are_422(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.post("/topics/events/publish", headers=account.headers, json=body)
    assert response.status_code == 422, response.text


async def test_too_many_messages_in_a_batch_is_422(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": i} for i in range(1001)]},
    )
    assert response.status_code == 422
    assert "1000" in response.json()["detail"]


async def test_a_partition_the_topic_lacks_is_422(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/topics/events/publish",
        headers=account.headers,
        json={"messages": [{"value": 1, "partition": 1}]},
    )
    assert response.status_code == 422


async def test_unknown_topic_is_404(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post(
        "/topics/nope/publish", headers=account.headers, json={"messages": [{"value": 1}]}
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "Topic 'nope' not found"


async def test_read_keys_cannot_publish_and_write_keys_can(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    reader = await create_key(client, account, ["read"])
    writer = await create_key(client, account, ["write"])
    body = {"messages": [{"value": 1}]}
    denied = await client.post("/topics/events/publish", headers=bearer(reader["key"]), json=body)
    assert denied.status_code == 403
    for headers in (
        bearer(writer["key"]),
        {"Authorization": f"ApiKey {writer['key']}"},
        {"X-API-Key": writer["key"]},
    ):
        allowed = await client.post("/topics/events/publish", headers=headers, json=body)
        assert allowed.status_code == 200


async def test_daily_message_quota_is_enforced(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, quota_user_messages_per_day=5
    )
    async with running_app(settings) as app, client_for(app) as client:
        account = await signup(client)
        ok = await client.post(
            "/topics/events/publish",
            headers=account.headers,
            json={"messages": [{"value": i} for i in range(5)]},
        )
        assert ok.status_code == 200
        refused = await client.post(
            "/topics/events/publish", headers=account.headers, json={"messages": [{"value": 5}]}
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "QUOTA_EXCEEDED"
        assert "5" in refused.json()["detail"]
        assert "retry-after" in refused.headers
        usage = await client.get("/usage", headers=account.headers)
        assert usage.status_code == 200


async def test_cluster_wide_brake_stops_every_user(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        quota_cluster_messages_in_per_day=3,
        # The whole brake open to one free tenant, to see it stop the next one.
        quota_tenant_share_of_cluster=1.0,
        quota_free_share_of_cluster=1.0,
    )
    async with running_app(settings) as app, client_for(app) as client:
        first, second = await signup(client), await signup(client)
        body = {"messages": [{"value": 1}, {"value": 2}]}
        assert (
            await client.post("/topics/events/publish", headers=first.headers, json=body)
        ).status_code == 200
        refused = await client.post("/topics/events/publish", headers=second.headers, json=body)
        assert refused.status_code == 429
        assert "cluster" in refused.json()["detail"].lower()


async def test_rate_limit_headers_on_every_authenticated_response(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    response = await client.get("/topics", headers=account.headers)
    assert int(response.headers["x-ratelimit-limit"]) == 1000
    assert int(response.headers["x-ratelimit-remaining"]) < 1000
    assert "x-ratelimit-reset" in response.headers
    assert "ratelimit-policy" in response.headers


async def test_rate_limit_refusal_is_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, rate_per_minute=3
    )
    async with running_app(settings) as app, client_for(app) as client:
        await early_in_a_minute()
        account = await signup(client)
        statuses = [
            (await client.get("/topics", headers=account.headers)).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        refused = await client.get("/topics", headers=account.headers)
        assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-ratelimit-remaining"] == "0"
