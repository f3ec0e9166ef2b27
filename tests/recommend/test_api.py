"""Seed 003's recommender API: the README's flow, validation, permissions, events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.audit.support import wait_for_events
from tests.recommend.support import catalog, ids, recommend, track, upload
from tests.support.factories import Account, bearer, create_key, signup


async def test_seed_003_items_interactions_recommendations_flow(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    key = (await create_key(client, account, ["read", "write"]))["key"]
    uploaded = await client.post(
        "/api/v1/items",
        headers=bearer(key),
        json={
            "items": [
                {"item_id": "item123", "title": "Test Item", "description": "Test description"},
                {"item_id": "item456", "title": "Other Item", "category": "books"},
            ]
        },
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json() == {
        "accepted": 2,
        "rejected": 0,
        "validation_errors": None,
        "created": 2,
        "updated": 0,
    }
    tracked = await client.post(
        "/api/v1/interactions",
        headers=bearer(key),
        json={"user_id": "user123", "item_id": "item456", "interaction_type": "view"},
    )
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["status"] == "accepted"
    assert tracked.json()["interaction_ids"] == [tracked.json()["interaction_id"]]

    answer = await client.post(
        "/api/v1/recommendations",
        headers=bearer(key),
        json={"user_id": "user123", "count": 10},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"recommendations", "metadata"}
    assert body["metadata"]["model_version"].startswith("hybrid-v1.")
    assert body["metadata"]["latency_ms"] >= 0
    assert body["metadata"]["strategy"] == "personalized"
    assert body["metadata"]["catalog_size"] == 2
    assert {r["item_id"] for r in body["recommendations"]} == {"item123", "item456"}
    first = body["recommendations"][0]
    assert set(first) == {"item_id", "score", "title", "category", "tags"}
    assert 0 <= first["score"] <= 1


async def test_recommender_paths_are_served_once_under_api_v1(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for path in ("/api/v1/items", "/api/v1/interactions", "/api/v1/recommendations"):
        assert "post" in paths[path]
    assert not any(p.startswith("/api/v1/api/v1") for p in paths)
    assert "/items" not in paths


async def test_uploading_an_existing_item_id_replaces_the_item(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await upload(client, account, [{"item_id": "a", "title": "Old", "category": "books"}])
    again = await upload(
        client,
        account,
        [
            {"item_id": "a", "title": "New title", "category": "garden"},
            {"item_id": "b", "title": "Second"},
            {"item_id": "b", "title": "Second, last copy wins"},
        ],
    )
    assert (again["accepted"], again["created"], again["updated"]) == (3, 1, 1)
    body = await recommend(client, account, "someone")
    titles = {r["item_id"]: (r["title"], r["category"]) for r in body["recommendations"]}
    assert titles == {"a": ("New title", "garden"), "b": ("Second, last copy wins", None)}


def _item(**fields: Any) -> dict[str, Any]:
    return {"item_id": "i-1", "title": "A title", **fields}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [_item(item_id=f"i-{n}") for n in range(1001)]}, "items"),
        ({}, "items"),
        ({"items": [{"title": "no id"}]}, "items.0.item_id"),
        ({"items": [{"item_id": "no-title"}]}, "items.0.title"),
        ({"items": [_item(title=123)]}, "items.0.title"),
        ({"items": [_item(title="")]}, "items.0.title"),
        ({"items": [_item(title="x" * 513)]}, "items.0.title"),
        ({"items": [_item(item_id="x" * 129)]}, "items.0.item_id"),
        ({"items": [_item(item_id="nul\u0000")]}, "items.0.item_id"),
        ({"items": [_item(description="x" * 2049)]}, "items.0.description"),
        ({"items": [_item(category="Books")]}, "items.0.category"),
        ({"items": [_item(category="x" * 65)]}, "items.0.category"),
        ({"items": [_item(tags="books")]}, "items.0.tags"),
        ({"items": [_item(tags=["t"] * 21)]}, "items.0.tags"),
        ({"items": [_item(tags=["x" * 33])]}, "items.0.tags.0"),
        ({"items": [_item(metadata=[1, 2])]}, "items.0.metadata"),
        ({"items": "all of them"}, "items"),
        ([_item()], "body"),
    ],
)
async def test_invalid_items_are_refused_with_422(
    client: httpx.AsyncClient, shared_account: Account, body: Any, field: str
) -> None:
    account = shared_account
    response = await client.post("/api/v1/items", json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}, error["details"]


async def test_a_body_that_is_not_json_is_refused_with_422(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for path in ("/api/v1/items", "/api/v1/interactions", "/api/v1/recommendations"):
        response = await client.post(
            path,
            content=b"{not json",
            headers={**account.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def _interaction(**fields: Any) -> dict[str, Any]:
    return {"user_id": "u-1", "item_id": "i-1", "interaction_type": "view", **fields}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "interactions.0.user_id"),
        ({"item_id": "i", "interaction_type": "view"}, "interactions.0.user_id"),
        (_interaction(interaction_type="teleport"), "interactions.0.interaction_type"),
        ({"user_id": "u", "item_id": "i"}, "interactions.0.interaction_type"),
        (_interaction(user_id=""), "interactions.0.user_id"),
        (_interaction(user_id=17), "interactions.0.user_id"),
        (_interaction(item_id="x" * 129), "interactions.0.item_id"),
        (_interaction(timestamp="yesterday"), "interactions.0.timestamp"),
        (_interaction(weight=1000), "interactions.0.weight"),
        (_interaction(weight="heavy"), "interactions.0.weight"),
        (_interaction(interaction_type="rating"), "interactions.0"),
        (_interaction(interaction_type="rating", value=6), "interactions.0"),
        ({"interactions": []}, "interactions"),
        ({"interactions": [_interaction()] * 1001}, "interactions"),
        ({"interactions": [_interaction(), {"user_id": "u"}]}, "interactions.1.item_id"),
        ({"interactions": "many"}, "interactions"),
        ([_interaction()], "body"),
    ],
)
async def test_invalid_interactions_are_refused_with_422(
    client: httpx.AsyncClient, shared_account: Account, body: Any, field: str
) -> None:
    account = shared_account
    response = await client.post("/api/v1/interactions", json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}, error["details"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_id": "u", "count": 0}, "count"),
        ({"user_id": "u", "count": 101}, "count"),
        ({"user_id": "u", "count": "ten"}, "count"),
        ({"count": 10}, "user_id"),
        ({"user_id": "", "count": 10}, "user_id"),
        ({"user_id": "x" * 129}, "user_id"),
        ({"user_id": "u", "filters": "books"}, "filters"),
        ({"user_id": "u", "filters": {"colour": "red"}}, "filters.colour"),
        ({"user_id": "u", "filters": {"category": "Books"}}, "filters.category.0"),
        ({"user_id": "u", "filters": {"exclude_items": "i-1"}}, "filters.exclude_items"),
        ({"user_id": "u", "filters": {"min_score": 2}}, "filters.min_score"),
        ({"user_id": "u", "filters": {"tags": [""]}}, "filters.tags.0"),
    ],
)
async def test_invalid_recommendation_requests_are_refused_with_422(
    client: httpx.AsyncClient, shared_account: Account, body: Any, field: str
) -> None:
    account = shared_account
    response = await client.post("/api/v1/recommendations", json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}, error["details"]


async def test_count_bounds_are_inclusive(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await upload(client, account, catalog())
    assert len(ids(await recommend(client, account, "u", count=1))) == 1
    assert len(ids(await recommend(client, account, "u", count=100))) == len(catalog())


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/items", {"items": [_item()]}),
        ("/api/v1/interactions", _interaction()),
        ("/api/v1/interactions", {"interactions": [_interaction()]}),
        ("/api/v1/interactions", {"user_id": "not valid but refused first"}),
    ],
)
async def test_a_read_only_key_is_refused_on_every_write(
    client: httpx.AsyncClient, path: str, body: Any
) -> None:
    account = await signup(client)
    reader = (await create_key(client, account, ["read"]))["key"]
    for headers in (bearer(reader), {"X-API-Key": reader}, {"Authorization": f"ApiKey {reader}"}):
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "FORBIDDEN"
    # Nothing was written.
    answer = await recommend(client, account, "u-1")
    assert answer["recommendations"] == []
    assert answer["metadata"]["catalog_size"] == 0


async def test_a_read_only_key_may_ask_for_recommendations(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await upload(client, account, catalog()[:3])
    reader = (await create_key(client, account, ["read"]))["key"]
    response = await client.post(
        "/api/v1/recommendations", json={"user_id": "u", "count": 2}, headers=bearer(reader)
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["recommendations"]) == 2


@pytest.mark.parametrize(
    "path", ["/api/v1/items", "/api/v1/interactions", "/api/v1/recommendations"]
)
async def test_without_credentials_the_answer_is_401(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"


async def test_interactions_are_stored_and_published_on_the_interactions_topic(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    tracked = await track(
        client,
        account,
        [
            _interaction(interaction_type="purchase"),
            _interaction(interaction_type="rating", value=4.5, timestamp="2025-01-07T10:30:45"),
            {"user_id": "u-1", "item_id": "i-1", "type": "like", "weight": 0.5},
        ],
    )
    assert tracked["accepted"] == 3
    assert "interaction_id" not in tracked
    found = await wait_for_events(client, account, 3, topic="interactions")
    payloads = sorted((e["payload"] for e in found), key=lambda p: p["interaction_id"])
    expected = sorted(tracked["interaction_ids"])
    assert [p["interaction_id"] for p in payloads] == expected
    assert {e["type"] for e in found} == {"interaction_tracked"}
    by_type = {p["interaction_type"]: p for p in payloads}
    assert by_type["purchase"]["weight"] == 8.0
    assert by_type["rating"]["weight"] == 4.0
    assert by_type["rating"]["value"] == 4.5
    assert by_type["rating"]["timestamp"] == "2025-01-07T10:30:45Z"
    assert by_type["like"]["weight"] == 0.5
    assert all(p["user_id"] == "u-1" and p["item_id"] == "i-1" for p in payloads)


async def test_usage_counts_items_indexed_and_recommendations_served(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    items = [{"item_id": f"meter-{i}", "title": f"Item {i}", "category": "books"} for i in range(3)]
    uploaded = await client.post("/api/v1/items", json={"items": items}, headers=account.headers)
    assert uploaded.status_code == 200, uploaded.text
    served = await client.post(
        "/api/v1/recommendations", json={"user_id": "u1", "count": 2}, headers=account.headers
    )
    assert served.status_code == 200, served.text
    await app.state.resources.meter.flush()
    usage = (await client.get("/api/v1/usage", headers=account.headers)).json()["api"]
    assert usage["items_indexed"] == 3
    assert usage["recommendations_served"] == len(served.json()["recommendations"])
