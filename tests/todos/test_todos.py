"""Seed 001's todo API: the README's flow, CRUD semantics, events, isolation, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.audit.support import wait_for_events
from tests.conftest import client_for, make_settings, running_app
from tests.support.factories import Account, bearer, create_key, signup
from tests.support.server import sse

SEED_TODO = {
    "title": "Learn FastAPI",
    "description": "Master FastAPI and async programming",
    "completed": False,
}


async def create(client: httpx.AsyncClient, account: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post("/todos", json={**SEED_TODO, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_seed_001_curl_flow_with_the_demo_users(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, demo=True)
    async with running_app(settings) as app, client_for(app) as client:
        login = await client.post(
            "/auth/login?username=admin&password=admin123",
            headers={"Content-Type": "application/json"},
        )
        assert login.status_code == 200, login.text
        assert login.json()["token_type"] == "bearer"
        admin = Account("admin", "admin123", login.json()["access_token"], "", login.json()["user"])

        created = await client.post(
            "/todos",
            headers=admin.headers,
            json={"title": "Test Todo", "description": "Testing the API", "completed": False},
        )
        assert created.status_code == 201
        todo = created.json()
        assert set(todo) == {"id", "title", "description", "completed", "created_at", "updated_at"}
        todo_id = todo["id"]

        listed = await client.get("/todos", headers=admin.headers)
        assert listed.status_code == 200
        assert [t["id"] for t in listed.json()] == [todo_id]

        updated = await client.put(
            f"/todos/{todo_id}",
            headers=admin.headers,
            json={
                "title": "Updated Title",
                "description": "Updated description",
                "completed": True,
            },
        )
        assert updated.status_code == 200
        assert updated.json()["completed"] is True

        deleted = await client.delete(f"/todos/{todo_id}", headers=admin.headers)
        assert deleted.status_code == 204
        assert deleted.content == b""
        gone = await client.get(f"/todos/{todo_id}", headers=admin.headers)
        assert gone.status_code == 404
        assert gone.json()["detail"] == f"Todo with ID {todo_id} not found"

        found = await wait_for_events(client, admin, 3, topic="todos")
        by_type = {e["type"]: e["payload"] for e in found}
        assert by_type["todo_created"] == {
            "id": todo_id,
            "title": "Test Todo",
            "description": "Testing the API",
            "completed": False,
            "created_at": by_type["todo_created"]["created_at"],
            "created_by": "admin",
            "event": "todo_created",
            "event_id": by_type["todo_created"]["event_id"],
            "occurred_at": by_type["todo_created"]["occurred_at"],
        }
        assert by_type["todo_updated"]["updated_by"] == "admin"
        assert by_type["todo_updated"]["title"] == "Updated Title"
        assert by_type["todo_deleted"]["deleted_by"] == "admin"
        assert {e["key"] for e in found} == {str(todo_id)}

        # Another demo user sees none of admin's todos (the seed shared them; we don't).
        user = await client.post("/auth/login", params={"username": "user", "password": "user123"})
        assert (
            await client.get("/todos", headers=bearer(user.json()["access_token"]))
        ).json() == []


async def test_the_todos_topic_can_be_watched_with_the_stream_api(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    first = await create(http, account, title="first")
    await wait_for_events(http, account, 1)
    async with sse(
        http, "/topics/todos/stream", params={"from": "earliest"}, headers=account.headers
    ) as stream:
        event = await stream.next()
        assert event.json()["value"]["event"] == "todo_created"
        assert event.json()["value"]["id"] == first["id"]
        assert event.json()["key"] == str(first["id"])
        await http.patch(f"/todos/{first['id']}", json={"completed": True}, headers=account.headers)
        live = await stream.next()
    assert live.json()["value"]["event"] == "todo_updated"
    assert live.json()["value"]["completed"] is True


async def test_put_replaces_and_patch_changes_only_what_is_given(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    todo = await create(client, account)
    path = f"/api/v1/todos/{todo['id']}"
    patched = await client.patch(path, json={"completed": True}, headers=account.headers)
    assert patched.status_code == 200
    assert patched.json()["description"] == SEED_TODO["description"]
    assert patched.json()["completed"] is True
    assert patched.json()["updated_at"] > todo["updated_at"]
    replaced = await client.put(path, json={"title": "Only a title"}, headers=account.headers)
    assert replaced.json()["description"] is None, "PUT is a full replace"
    assert replaced.json()["completed"] is False
    unchanged = await client.patch(path, json={}, headers=account.headers)
    assert unchanged.json() == replaced.json()
    events = await wait_for_events(client, account, 3, topic="todos")
    assert [e["type"] for e in events] == ["todo_updated", "todo_updated", "todo_created"]
    assert events[0]["payload"]["changes"] == ["completed", "description", "title"]


async def test_list_is_paginated_and_filtered(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    ids = [
        (await create(client, account, title=f"t{i}", completed=i % 2 == 0))["id"] for i in range(5)
    ]

    async def listed(**params: Any) -> list[int]:
        response = await client.get("/todos", params=params, headers=account.headers)
        assert response.status_code == 200
        return [t["id"] for t in response.json()]

    assert await listed() == ids
    assert await listed(limit=2, offset=1) == ids[1:3]
    assert await listed(completed="true") == ids[0::2]
    assert await listed(completed="false") == ids[1::2]


async def test_todos_are_isolated_between_users_and_tenants(client: httpx.AsyncClient) -> None:
    owner, stranger = await signup(client), await signup(client)
    todo = await create(client, owner)
    path = f"/todos/{todo['id']}"
    message = f"Todo with ID {todo['id']} not found"
    for method, body in (
        ("GET", None),
        ("PUT", SEED_TODO),
        ("PATCH", {"title": "x"}),
        ("DELETE", None),
    ):
        response = await client.request(method, path, json=body, headers=stranger.headers)
        assert response.status_code == 404, method
        assert response.json()["detail"] == message
    assert (await client.get("/todos", headers=stranger.headers)).json() == []
    assert (await client.get(path, headers=owner.headers)).json()["title"] == SEED_TODO["title"]


async def test_api_keys_act_as_their_creator_within_their_permissions(
    client: httpx.AsyncClient,
) -> None:
    account = await signup(client)
    todo = await create(client, account)
    writer = await create_key(client, account, ["read", "write"])
    reader = await create_key(client, account, ["read"])
    seen = await client.get(f"/todos/{todo['id']}", headers=bearer(reader["key"]))
    assert seen.status_code == 200
    refused = await client.post("/todos", json=SEED_TODO, headers=bearer(reader["key"]))
    assert refused.status_code == 403
    made = await client.post("/todos", json=SEED_TODO, headers={"X-API-Key": writer["key"]})
    assert made.status_code == 201
    assert len((await client.get("/todos", headers=account.headers)).json()) == 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/todos", {}),
        ("POST", "/todos", {"title": ""}),
        ("POST", "/todos", {"title": "   "}),
        ("POST", "/todos", {"title": "x" * 201}),
        ("POST", "/todos", {"title": "ok", "description": "x" * 2001}),
        ("POST", "/todos", {"title": "ok", "completed": "perhaps"}),
        ("POST", "/todos", {"title": "ok", "description": "nul \u0000 inside"}),
        ("POST", "/todos", {"title": "nul \u0000"}),
        ("POST", "/todos", {"title": ["not", "a", "string"]}),
        ("POST", "/todos", [1, 2]),
        ("PUT", "/todos/1", {"description": "no title"}),
        ("PATCH", "/todos/1", {"title": None}),
        ("PATCH", "/todos/1", {"completed": None}),
        ("PATCH", "/todos/1", {"unknown": 1}),
        ("GET", "/todos/abc", None),
        ("GET", "/todos/0", None),
        ("GET", f"/todos/{2**63}", None),
        ("DELETE", "/todos/-1", None),
        ("GET", "/todos?limit=0", None),
        ("GET", "/todos?limit=1001", None),
        ("GET", "/todos?offset=-1", None),
        ("GET", "/todos?completed=maybe", None),
    ],
)
async def test_bad_input_is_422_never_500(
    client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    account = await signup(client)
    await create(client, account)
    response = await client.request(method, path, json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_missing_todo_and_missing_credential(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await client.get(f"/todos/{2**62}", headers=account.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == f"Todo with ID {2**62} not found"
    for method in ("GET", "POST"):
        unauthenticated = await client.request(method, "/todos", json=SEED_TODO)
        assert unauthenticated.status_code == 401


# -- Dapr -------------------------------------------------------------------------------


def cloud_event(data: Any, **attributes: Any) -> dict[str, Any]:
    """A structured CloudEvent as a Dapr sidecar posts it for a pub/sub message."""
    return {
        "specversion": "1.0",
        "type": "com.dapr.event.sent",
        "source": "todo-backend",
        "id": "5929aaac-a5e2-4ca1-859c-edfe73f11565",
        "datacontenttype": "application/json",
        "pubsubname": "kafka-pubsub",
        "topic": "todos",
        "traceparent": "00-113ad9c4e42b27583ae98ba698d54255-e3743e35ff56f219-01",
        "data": data,
        **attributes,
    }


async def test_dapr_programmatic_subscription(client: httpx.AsyncClient) -> None:
    response = await client.get("/dapr/subscribe")
    assert response.status_code == 200
    assert response.json() == [
        {
            "pubsubname": "kafka-pubsub",
            "topic": "todos",
            "route": "/dapr/events/todos",
            "metadata": {},
        }
    ]


async def test_dapr_delivery_is_acknowledged_or_dropped(client: httpx.AsyncClient) -> None:
    event = {"id": 1, "title": "Learn FastAPI", "created_by": "admin", "event": "todo_created"}
    headers = {"Content-Type": "application/cloudevents+json"}
    ok = await client.post("/dapr/events/todos", json=cloud_event(event), headers=headers)
    assert (ok.status_code, ok.json()) == (200, {"status": "SUCCESS"})
    as_text = await client.post(
        "/dapr/events/todos", json=cloud_event(json.dumps(event)), headers=headers
    )
    assert as_text.json() == {"status": "SUCCESS"}
    never_a_todo = json.dumps(cloud_event({"event": "something_else"})).encode()
    dropped = await client.post("/dapr/events/todos", content=never_a_todo, headers=headers)
    assert (dropped.status_code, dropped.json()) == (200, {"status": "DROP"})
    for bad in (
        b"not json",
        b"[]",
        json.dumps(cloud_event(event, specversion="0.3")).encode(),
        json.dumps({k: v for k, v in cloud_event(event).items() if k != "id"}).encode(),
    ):
        refused = await client.post("/dapr/events/todos", content=bad, headers=headers)
        assert refused.status_code == 400, bad
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


def test_dapr_component_file_is_a_kafka_pubsub_component() -> None:
    import yaml  # shipped with uvicorn[standard]

    path = Path(__file__).resolve().parents[2] / "deploy" / "dapr" / "pubsub.yaml"
    component = yaml.safe_load(path.read_text())
    assert component["apiVersion"] == "dapr.io/v1alpha1"
    assert component["kind"] == "Component"
    assert component["metadata"]["name"] == "kafka-pubsub"
    assert component["spec"]["type"] == "pubsub.kafka"
    assert component["spec"]["version"] == "v1"
    metadata = {item["name"]: item["value"] for item in component["spec"]["metadata"]}
    assert {"brokers", "authType", "consumerGroup"} <= set(metadata)


@pytest.mark.parametrize("env", ["development", "production"])
async def test_dapr_routes_take_only_the_sidecars_token(tmp_path: Path, env: str) -> None:
    """With TOPICHUB_DAPR_APP_TOKEN set (Dapr's APP_API_TOKEN), only a caller presenting
    it in ``dapr-api-token`` — the sidecar — reaches the Dapr routes."""
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, env=env, dapr_app_token="s3cr3t"
    )
    event = cloud_event({"id": 1, "title": "t", "created_by": "admin", "event": "todo_created"})
    async with running_app(settings) as app, client_for(app) as client:
        for headers in ({}, {"dapr-api-token": "wrong"}, {"dapr-api-token": ""}):
            for method, path, body in (
                ("GET", "/dapr/subscribe", None),
                ("POST", "/dapr/events/todos", event),
                ("GET", "/api/v1/dapr/subscribe", None),
            ):
                refused = await client.request(method, path, json=body, headers=headers)
                assert refused.status_code == 401, (path, headers)
                assert refused.json()["error"]["code"] == "AUTHENTICATION_FAILED"
        sidecar = {"dapr-api-token": "s3cr3t"}
        assert (await client.get("/dapr/subscribe", headers=sidecar)).status_code == 200
        delivered = await client.post("/dapr/events/todos", json=event, headers=sidecar)
        assert delivered.json() == {"status": "SUCCESS"}


async def test_dapr_routes_are_closed_in_production_without_a_token(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", tmp_path, env="production"
    )
    async with running_app(settings) as app, client_for(app) as client:
        response = await client.get("/dapr/subscribe")
        assert response.status_code == 401
        assert "TOPICHUB_DAPR_APP_TOKEN" in response.json()["error"]["message"]
