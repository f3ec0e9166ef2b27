"""The audit consumer and ``GET /api/v1/events``: each event once, per tenant, poison
parked in ``dead_letters``."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from tests.audit.support import events, wait_for_events
from tests.support.factories import Account, signup
from topichub.bus import OutRecord
from topichub.models import DeadLetter, EventLogEntry, Topic, User


async def make_todo(client: httpx.AsyncClient, account: Account, title: str) -> int:
    response = await client.post("/todos", json={"title": title}, headers=account.headers)
    assert response.status_code == 201, response.text
    todo_id: int = response.json()["id"]
    return todo_id


async def test_each_tenant_reads_only_its_own_events(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    await make_todo(client, alice, "alice's")
    await make_todo(client, alice, "alice's second")
    await make_todo(client, bob, "bob's")
    mine = await wait_for_events(client, alice, 2, type="todo_created")
    theirs = await wait_for_events(client, bob, 1, type="todo_created")
    assert {e["payload"]["title"] for e in mine} == {"alice's", "alice's second"}
    assert [e["payload"]["title"] for e in theirs] == ["bob's"]
    assert all(e["topic"] == "todos" for e in mine)
    assert mine[0]["payload"]["title"] == "alice's second", "newest first"
    assert mine[0]["actor_id"] == alice.user["id"]


async def test_events_are_paged_and_filtered(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    for title in ("a", "b", "c"):
        await make_todo(client, account, title)
    await client.get("/math/add", params={"a": 1, "b": 1}, headers=account.headers)
    await wait_for_events(client, account, 4)
    response = await client.get(
        "/api/v1/events", params={"limit": 2, "topic": "todos"}, headers=account.headers
    )
    page = response.json()
    assert (len(page["items"]), page["has_more"]) == (2, True)
    rest = await events(client, account, limit=2, offset=2, topic="todos")
    assert [e["payload"]["title"] for e in page["items"] + rest] == ["c", "b", "a"]
    assert [e["type"] for e in await events(client, account, topic="logs")] == ["math_operation"]
    assert await events(client, account, type="todo_deleted") == []


async def test_platform_admins_may_read_every_tenant(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin, other = await signup(client), await signup(client)
    await make_todo(client, other, "someone else's")
    await wait_for_events(client, other, 1)
    refused = await client.get("/api/v1/events", params={"all": "true"}, headers=admin.headers)
    assert refused.status_code == 403
    async with app.state.resources.sessionmaker() as session:
        await session.execute(
            update(User)
            .where(User.id == uuid.UUID(admin.user["id"]))
            .values(is_platform_admin=True)
        )
        await session.commit()
    assert await events(client, admin) == []
    everything = await events(client, admin, all="true", limit=500)
    assert any(e["payload"].get("title") == "someone else's" for e in everything)


async def test_redelivered_events_are_stored_once_and_poison_is_dead_lettered(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await signup(client)
    await make_todo(client, account, "original")
    [original] = await wait_for_events(client, account, 1)
    # The same event delivered again (as a retried relay publish would), plus records
    # that are not app events at all, written straight to the log: clients cannot
    # publish to app topics, but a broker can hold anything.
    async with app.state.resources.sessionmaker() as session:
        physical = await session.scalar(
            select(Topic.physical_name).where(
                Topic.tenant_id == uuid.UUID(account.tenant_id), Topic.name == "todos"
            )
        )
    assert physical is not None
    copy = json.dumps(original["payload"]).encode()
    values = [
        copy,
        copy,
        json.dumps("not an event").encode(),
        json.dumps({"event": "x", "event_id": "not-a-uuid"}).encode(),
        json.dumps({"no": "type", "event_id": str(uuid.uuid4())}).encode(),
    ]
    await app.state.resources.bus.publish(physical, [OutRecord(value=v) for v in values])
    for _ in range(300):
        async with app.state.resources.sessionmaker() as session:
            dead = (
                await session.scalars(select(DeadLetter).where(DeadLetter.topic == physical))
            ).all()
            stored = (
                await session.scalars(
                    select(EventLogEntry).where(
                        EventLogEntry.event_id == uuid.UUID(original["event_id"])
                    )
                )
            ).all()
        if len(dead) == 3:
            break
        await asyncio.sleep(0.05)
    assert len(stored) == 1
    assert sorted(d.error for d in dead) == [
        "event type missing",
        "event_id is not a UUID",
        "value is not a JSON object",
    ]
    assert json.loads(dead[0].value) is not None, "kept byte for byte"
    assert len(await events(client, account)) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"type": ""},
        {"topic": "x" * 101},
        {"type": "nul\u0000"},
        {"topic": "nul\u0000"},
        {"all": "maybe"},
    ],
)
async def test_bad_query_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.get("/api/v1/events", params=params, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_events_need_a_credential(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/events")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
