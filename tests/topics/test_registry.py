"""The topic registry: default topic, create/list/delete, validation, isolation."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.support.factories import bearer, create_key, signup
from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.models import Topic


async def test_signup_creates_the_events_topic_and_the_apps_topics(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    response = await client.get("/topics", headers=account.headers)
    assert response.status_code == 200
    names = [t["name"] for t in response.json()["topics"]]
    assert names == ["chat", "events", "interactions", "logs", "todos"]


async def test_topic_lifecycle(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = await client.post(
        "/api/v1/topics",
        json={"name": "orders.v1", "partitions": 3, "retention_hours": 24},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["partitions"] == 3
    assert created.json()["retention_hours"] == 24
    got = await client.get("/api/v1/topics/orders.v1", headers=account.headers)
    assert got.status_code == 200
    deleted = await client.delete("/api/v1/topics/orders.v1", headers=account.headers)
    assert deleted.status_code == 204
    assert (
        await client.get("/api/v1/topics/orders.v1", headers=account.headers)
    ).status_code == 404


async def test_duplicate_topic_is_a_conflict(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.post("/api/v1/topics", json={"name": "events"}, headers=account.headers)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "payload",
    [
        {"name": ""},
        {"name": "../etc/passwd"},
        {"name": "has space"},
        {"name": ".hidden"},
        {"name": "x" * 101},
        {"name": "ok", "partitions": 0},
        {"name": "ok", "partitions": 10_000},
        {"name": "ok", "retention_hours": 0},
        {"name": "ok", "retention_bytes": 1},
        {"name": "ok", "physical_name": "th.t.stolen"},
    ],
)
async def test_bad_topic_payloads_are_422(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.post("/api/v1/topics", json=payload, headers=account.headers)
    assert response.status_code == 422, response.text


async def test_same_topic_name_in_two_tenants_never_meets(client: httpx.AsyncClient) -> None:
    first, second = await signup(client), await signup(client)
    a = (await client.get("/api/v1/topics/events", headers=first.headers)).json()
    b = (await client.get("/api/v1/topics/events", headers=second.headers)).json()
    assert a["id"] != b["id"]


async def test_another_tenants_topic_is_not_found(client: httpx.AsyncClient) -> None:
    owner, stranger = await signup(client), await signup(client)
    await client.post("/api/v1/topics", json={"name": "secret"}, headers=owner.headers)
    for method, url in [
        ("GET", "/api/v1/topics/secret"),
        ("DELETE", "/api/v1/topics/secret"),
        ("POST", "/api/v1/topics/secret/publish"),
    ]:
        response = await client.request(
            method, url, headers=stranger.headers, json={"messages": [{"value": 1}]}
        )
        assert response.status_code == 404, (method, url, response.text)
    # Naming the owner's project explicitly does not help either.
    projects = (await client.get("/projects", headers=owner.headers)).json()
    response = await client.get(
        "/api/v1/topics/secret",
        params={"project_id": projects[0]["id"]},
        headers=stranger.headers,
    )
    assert response.status_code == 404


async def test_keys_need_admin_to_create_or_delete_topics(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    writer = await create_key(client, account, ["read", "write"])
    response = await client.post(
        "/api/v1/topics", json={"name": "new"}, headers=bearer(writer["key"])
    )
    assert response.status_code == 403
    response = await client.delete("/api/v1/topics/events", headers=bearer(writer["key"]))
    assert response.status_code == 403


async def test_deleting_a_project_deletes_its_topics_from_the_log(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    project = (
        await client.post("/projects", json={"name": "doomed"}, headers=account.headers)
    ).json()
    scoped = {"project_id": project["id"]}
    created = await client.post(
        "/api/v1/topics", params=scoped, json={"name": "t"}, headers=account.headers
    )
    assert created.status_code == 201
    published = await client.post(
        "/api/v1/topics/t/publish",
        params=scoped,
        json={"messages": [{"value": 1}]},
        headers=account.headers,
    )
    assert published.status_code == 200
    resources = app.state.resources
    async with resources.sessionmaker() as session:
        topic = await session.get(Topic, uuid.UUID(created.json()["id"]))
        assert topic is not None
        physical = topic.physical_name
    assert await resources.bus.partitions(physical) == 1
    deleted = await client.delete(f"/projects/{project['id']}", headers=account.headers)
    assert deleted.status_code == 204
    with pytest.raises(BusTopicNotFound):
        await resources.bus.partitions(physical)
    # The tenant's other project and its topic are untouched.
    assert (await client.get("/api/v1/topics/events", headers=account.headers)).status_code == 200


@pytest.mark.parametrize("name", ["todos", "chat", "logs", "interactions"])
async def test_app_topic_names_are_reserved(client: httpx.AsyncClient, name: str) -> None:
    account = await signup(client)
    response = await client.post("/api/v1/topics", json={"name": name}, headers=account.headers)
    assert response.status_code == 409
    assert "reserved" in response.json()["detail"]


async def test_app_topics_can_be_read_but_not_published_to(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = await client.post(
        "/todos",
        json={"title": "t", "description": "d", "completed": False},
        headers=account.headers,
    )
    assert created.status_code == 201
    assert (await client.get("/api/v1/topics/todos", headers=account.headers)).status_code == 200
    response = await client.post(
        "/api/v1/topics/todos/publish",
        json={"messages": [{"value": {"event": "todo_deleted"}}]},
        headers=account.headers,
    )
    assert response.status_code == 403
