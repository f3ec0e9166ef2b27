"""PATCH /topics/{name}: rename within the project; the log, messages and streams carry over."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.factories import Account, bearer, create_key, signup
from tests.support.server import sse


async def create_topic(
    client: httpx.AsyncClient, account: Account, name: str, **params: str
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/topics", params=params, json={"name": name}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(
    client: httpx.AsyncClient, account: Account, topic: str, values: list[Any]
) -> None:
    response = await client.post(
        f"/topics/{topic}/publish",
        json={"messages": [{"value": v} for v in values]},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text


async def rename(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    new_name: Any,
    **params: str,
) -> httpx.Response:
    return await client.patch(
        f"/api/v1/topics/{name}", params=params, json={"name": new_name}, headers=headers
    )


async def test_rename_answers_the_topic_under_its_new_name(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = await create_topic(client, account, "orders")

    response = await rename(client, account.headers, "orders", "orders.v2")

    assert response.status_code == 200, response.text
    renamed = response.json()
    assert renamed == {**created, "name": "orders.v2"}
    old = await client.get("/api/v1/topics/orders", headers=account.headers)
    assert old.status_code == 404
    assert old.json()["error"]["code"] == "NOT_FOUND"
    got = await client.get("/topics/orders.v2", headers=account.headers)
    assert got.json()["id"] == created["id"]
    listed = (await client.get("/topics", headers=account.headers)).json()["topics"]
    assert sorted(t["name"] for t in listed if t["kind"] == "user") == ["events", "orders.v2"]


async def test_messages_and_replay_survive_a_rename(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    await create_topic(http, account, "before")
    await publish(http, account, "before", ["one", "two"])

    assert (await rename(http, account.headers, "before", "after")).status_code == 200
    await publish(http, account, "after", ["three"])

    async with sse(
        http, "/topics/after/stream", params={"from": "earliest"}, headers=account.headers
    ) as stream:
        events = await stream.events(3)
    assert [e.json()["value"] for e in events] == ["one", "two", "three"]
    assert [e.id for e in events] == ["0:1", "0:2", "0:3"]
    publish_old = await http.post(
        "/topics/before/publish", json={"messages": [{"value": 4}]}, headers=account.headers
    )
    assert publish_old.status_code == 404
    stream_old = await http.get("/topics/before/stream", headers=account.headers)
    assert stream_old.status_code == 404


async def test_an_open_stream_keeps_receiving_after_a_rename(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    await create_topic(http, account, "live")
    async with sse(http, "/topics/live/stream", headers=account.headers) as stream:
        await stream._frame()
        assert (await rename(http, account.headers, "live", "still-live")).status_code == 200
        await publish(http, account, "still-live", ["after rename"])
        event = await stream.next()
    assert event.json()["value"] == "after rename"


async def test_renaming_to_a_taken_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    await create_topic(client, account, "a")

    response = await rename(client, account.headers, "a", "events")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert (await client.get("/topics/a", headers=account.headers)).status_code == 200


async def test_renaming_to_its_own_name_changes_nothing(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await rename(client, account.headers, "events", "events")
    assert response.status_code == 200
    assert response.json()["name"] == "events"


async def test_concurrent_renames_to_one_name_let_one_win(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for name in ("c1", "c2", "c3"):
        await create_topic(client, account, name)

    responses = await asyncio.gather(
        *(rename(client, account.headers, name, "winner") for name in ("c1", "c2", "c3"))
    )

    assert sorted(r.status_code for r in responses) == [200, 409, 409], [r.text for r in responses]
    listed = (await client.get("/topics", headers=account.headers)).json()["topics"]
    assert len([t for t in listed if t["name"] == "winner"]) == 1
    assert len([t for t in listed if t["kind"] == "user"]) == 4  # events, winner, two losers


@pytest.mark.parametrize("name", ["todos", "chat", "logs", "interactions"])
async def test_app_topic_names_cannot_be_taken(client: httpx.AsyncClient, name: str) -> None:
    account = await signup(client)
    response = await rename(client, account.headers, "events", name)
    assert response.status_code == 409
    assert "reserved" in response.json()["detail"]


async def test_app_topics_cannot_be_renamed(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    created = await client.post(
        "/todos", json={"title": "t", "description": "d"}, headers=account.headers
    )
    assert created.status_code == 201

    response = await rename(client, account.headers, "todos", "my-todos")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert (await client.get("/topics/todos", headers=account.headers)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "../etc/passwd"},
        {"name": "has space"},
        {"name": ".hidden"},
        {"name": "x" * 101},
        {"name": None},
        {"name": 5},
        {},
        {"name": "ok", "physical_name": "th.t.stolen"},
        [],
    ],
)
async def test_bad_names_are_422(client: httpx.AsyncClient, body: Any) -> None:
    account = await signup(client)
    response = await client.patch("/api/v1/topics/events", json=body, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert (await client.get("/topics/events", headers=account.headers)).status_code == 200


async def test_unknown_topic_is_not_found(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    response = await rename(client, account.headers, "nope", "still-nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_another_tenant_cannot_rename(client: httpx.AsyncClient) -> None:
    owner, stranger = await signup(client), await signup(client)
    await create_topic(client, owner, "mine")
    project = next(
        p for p in (await client.get("/projects", headers=owner.headers)).json() if p["is_default"]
    )
    admin_key = await create_key(client, stranger, ["read", "write", "admin"])

    for headers, params in [
        (stranger.headers, {}),
        (stranger.headers, {"project_id": project["id"]}),
        (bearer(admin_key["key"]), {}),
    ]:
        response = await rename(client, headers, "mine", "stolen", **params)
        assert response.status_code == 404, response.text
    assert (await client.get("/topics/mine", headers=owner.headers)).status_code == 200
    assert (await client.get("/topics/stolen", headers=owner.headers)).status_code == 404


async def test_renaming_needs_admin_like_deleting(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    writer = await create_key(client, account, ["read", "write"])
    admin = await create_key(client, account, ["read", "write", "admin"])

    refused = await rename(client, bearer(writer["key"]), "events", "renamed")
    assert refused.status_code == 403
    allowed = await rename(client, bearer(admin["key"]), "events", "renamed")
    assert allowed.status_code == 200, allowed.text


async def test_rename_acts_on_the_named_project(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    project = (
        await client.post("/projects", json={"name": "second"}, headers=account.headers)
    ).json()
    scoped = {"project_id": project["id"]}
    await create_topic(client, account, "events", **scoped)

    response = await rename(client, account.headers, "events", "moved", **scoped)

    assert response.status_code == 200, response.text
    assert response.json()["project_id"] == project["id"]
    # The default project's topic of the same name is untouched, and free names are per project.
    assert (await client.get("/topics/events", headers=account.headers)).status_code == 200
    assert (await rename(client, account.headers, "events", "moved")).status_code == 200
