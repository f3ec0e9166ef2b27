"""How models follow the data: interaction events from the bus, events that arrive
during a build, and catalog changes written by another process."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tests.recommend.support import ids, purchase, recommend, track, upload
from tests.support.factories import signup
from topichub.bus.port import Record
from topichub.kit.time import utcnow
from topichub.models import Topic
from topichub.recommend.consumer import RecommendConsumer
from topichub.recommend.model import InteractionEvent
from topichub.recommend.registry import ModelRegistry
from topichub.recommend.repository import RecommendRepository


def _record(
    topic: str,
    tenant_id: uuid.UUID,
    offset: int,
    value: Any,
    event_type: str = "interaction_tracked",
) -> Record:
    event_id = uuid.uuid4()
    return Record(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp_ms=0,
        value=json.dumps(value).encode(),
        headers=(
            ("event_id", str(event_id).encode()),
            ("event_type", event_type.encode()),
            ("tenant_id", str(tenant_id).encode()),
        ),
    )


def _interaction(user_id: str, item_id: str, kind: str = "purchase", weight: float = 8.0) -> Any:
    return {"user_id": user_id, "item_id": item_id, "interaction_type": kind, "weight": weight}


async def test_interaction_events_reach_the_consumer(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    consumer = app.state.resources.recommend_consumer
    seen = consumer.seen
    account = await signup(client)
    await track(client, account, [purchase(f"u{k}", "x") for k in range(3)])
    deadline = time.monotonic() + 15
    while consumer.seen < seen + 3:
        assert time.monotonic() < deadline, "the events never reached the consumer"
        await asyncio.sleep(0.05)


async def _interactions_topic(app: FastAPI, tenant: uuid.UUID) -> str:
    async with app.state.resources.sessionmaker() as session:
        physical = await session.scalar(
            select(Topic.physical_name).where(
                Topic.tenant_id == tenant, Topic.name == "interactions"
            )
        )
    assert physical is not None
    return physical


async def test_the_consumer_applies_each_event_once_to_loaded_models(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account, other = await signup(client), await signup(client)
    await upload(client, account, [{"item_id": f"i{k}", "title": f"Item {k}"} for k in range(3)])
    await track(client, account, [purchase("someone", "i0")])
    await track(client, other, [purchase("someone", "i0")])
    tenant = uuid.UUID(account.tenant_id)
    topic = await _interactions_topic(app, tenant)
    registry = ModelRegistry(app.state.resources.sessionmaker)
    consumer = RecommendConsumer(app.state.resources.bus, registry)
    model = await registry.model(tenant)
    assert model.interactions == 1
    events = [_record(topic, tenant, k, _interaction(f"fan{k}", "i2")) for k in range(3)]
    noise = [
        _record(topic, tenant, 4, {"id": 1, "title": "a todo"}, event_type="todo_created"),
        _record(topic, tenant, 5, [1, 2]),
        _record(topic, tenant, 6, _interaction("x", "i1", kind="teleport")),
        _record(topic, tenant, 7, {"user_id": "x"}),
        # A header naming another tenant than the topic's owner is not believed.
        _record(topic, uuid.UUID(other.tenant_id), 8, _interaction("x", "i1")),
        _record(await _interactions_topic(app, uuid.UUID(other.tenant_id)), tenant, 0, {}),
    ]
    await consumer.handle([*events, *noise])
    assert (consumer.seen, consumer.applied, consumer.skipped) == (3, 3, 5)
    assert model.interactions == 4
    await consumer.handle(events)
    assert model.interactions == 4
    assert model.recommend("newcomer", 1).items[0].item_id == "i2"


async def test_events_that_arrive_during_a_build_are_applied_after_it(app: FastAPI) -> None:
    registry = ModelRegistry(app.state.resources.sessionmaker)
    tenant = uuid.uuid4()
    building = asyncio.create_task(registry.model(tenant))
    await asyncio.sleep(0)
    assert not registry.loaded(tenant)
    event = InteractionEvent(uuid.uuid4().int, "u", "i", "view", 1.0)
    assert registry.apply_interactions(tenant, [event]) == 0
    model = await building
    assert model.has_event(event.event_id)
    assert model.interactions == 1
    assert registry.apply_interactions(tenant, [event]) == 0


async def test_catalog_changes_of_another_process_are_picked_up(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    account = await signup(client)
    await upload(client, account, [{"item_id": "first", "title": "First"}])
    tenant = uuid.UUID(account.tenant_id)
    registry = ModelRegistry(app.state.resources.sessionmaker, catalog_check_s=0)
    assert (await registry.model(tenant)).catalog_size == 1
    # Written behind the registry's back, as another process would.
    async with app.state.resources.sessionmaker() as session:
        now = utcnow()
        await RecommendRepository(session).upsert_items(
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant,
                    "item_id": "second",
                    "title": "Second",
                    "description": None,
                    "category": None,
                    "tags": [],
                    "metadata": None,
                    "created_at": now,
                    "updated_at": now,
                }
            ]
        )
        await session.commit()
    model = await registry.model(tenant)
    assert model.catalog_size == 2
    assert sorted(s.item_id for s in model.recommend("u", 5).items) == ["first", "second"]
    # And the served model, after its own upload, knows both too.
    assert sorted(ids(await recommend(client, account, "u"))) == ["first", "second"]
