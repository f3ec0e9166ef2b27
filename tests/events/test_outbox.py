"""The transactional outbox and its relay, on SQLite and PostgreSQL, against a test bus
whose failures we control."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.events.conftest import Database
from tests.support.memory_bus import MemoryBus
from topichub.bus.port import BusError, BusTimeout, OutRecord, RecordMetadata, TopicSpec
from topichub.events.outbox import AppEvent, Outbox, OutboxRelay
from topichub.models import OutboxEvent, Topic


class FlakyBus(MemoryBus):
    """A memory bus whose next ``fail`` publishes raise ``error`` (after storing the
    records when ``store_anyway``: a timeout whose write nevertheless happened)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail = 0
        self.error: BusError = BusTimeout("broker paused")
        self.store_anyway = False
        self.calls = 0

    async def publish(self, topic: str, records: Sequence[OutRecord]) -> list[RecordMetadata]:
        self.calls += 1
        if self.fail > 0:
            self.fail -= 1
            if self.store_anyway:
                await super().publish(topic, records)
            raise self.error
        return await super().publish(topic, records)

    async def values(self, topic: str) -> list[dict[str, object]]:
        reader = self.reader(topic, {0: 0})
        records = await reader.read(timeout=0.01, max_records=10_000)
        return [json.loads(r.value) for r in records]


async def write(db: Database, tenant: uuid.UUID, count: int, topic: str = "todos") -> list[str]:
    ids = []
    async with db.sessionmaker() as session:
        for i in range(count):
            row = await Outbox().add(
                session,
                tenant,
                AppEvent(topic=topic, type="thing_happened", key=f"k{i % 3}", payload={"n": i}),
            )
            ids.append(str(row.event_id))
        await session.commit()
    return ids


async def physical(db: Database, tenant: uuid.UUID, name: str = "todos") -> str:
    async with db.sessionmaker() as session:
        found = await session.scalar(
            select(Topic.physical_name).where(Topic.tenant_id == tenant, Topic.name == name)
        )
    assert found is not None
    return found


async def pending(db: Database) -> int:
    async with db.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None))
        )
    return int(count or 0)


def relay(db: Database, bus: MemoryBus, **options: Any) -> OutboxRelay:
    options = {"retry_initial_s": 0.01, "retry_max_s": 0.05, **options}
    return OutboxRelay(db.sessionmaker, bus, **options)


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_an_event_commits_with_its_change_or_not_at_all(database: Database) -> None:
    tenant = await database.tenant()
    async with database.sessionmaker() as session:
        await Outbox().add(session, tenant, AppEvent("todos", "t", None, {"n": 1}))
        await session.rollback()
    assert await pending(database) == 0
    await write(database, tenant, 1)
    assert await pending(database) == 1
    await relay(database, MemoryBus()).relay_once()
    assert await pending(database) == 0


async def test_relay_publishes_in_order_and_creates_the_log_topic(database: Database) -> None:
    tenant = await database.tenant()
    ids = await write(database, tenant, 5)
    bus = FlakyBus()
    done = await relay(database, bus).relay_once()
    assert done.sent == 5
    values = await bus.values(await physical(database, tenant))
    assert [v["event_id"] for v in values] == ids
    assert [v["n"] for v in values] == list(range(5))
    assert values[0]["event"] == "thing_happened"
    reader = bus.reader(await physical(database, tenant), {0: 0})
    first = (await reader.read(timeout=0.01))[0]
    assert first.key == b"k0"
    assert dict(first.headers)["event_id"] == ids[0].encode()
    assert dict(first.headers)["tenant_id"] == str(tenant).encode()
    assert await pending(database) == 0


async def test_bus_outage_delays_events_and_loses_none(database: Database) -> None:
    tenant = await database.tenant()
    bus = FlakyBus()
    bus.fail = 4
    bus.store_anyway = True  # timeouts whose writes landed: duplicates, never losses
    worker = relay(database, bus)
    task = asyncio.create_task(worker.run())
    try:
        ids = await write(database, tenant, 3)
        worker.wake()
        more = await write(database, tenant, 3)
        worker.wake()

        async def drained() -> bool:
            return await pending(database) == 0

        await until(drained)
    finally:
        task.cancel()
    values = await bus.values(await physical(database, tenant))
    delivered = [v["event_id"] for v in values]
    assert set(delivered) == set(ids + more), "every event reaches the log"
    assert bus.calls > 4
    # At-least-once: retried batches repeat, but each copy keeps the original order.
    first_seen = list(dict.fromkeys(delivered))
    assert first_seen == ids + more


async def test_commit_wakes_the_relay_without_waiting_for_a_poll(database: Database) -> None:
    tenant = await database.tenant()
    bus = FlakyBus()
    worker = relay(database, bus, poll_interval_s=30.0)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.1)  # the relay is now waiting, with 30 s to go
        started = time.monotonic()
        async with database.sessionmaker() as session:
            await worker.outbox.add(session, tenant, AppEvent("todos", "t", None, {}))
            await session.commit()

        async def drained() -> bool:
            return await pending(database) == 0

        await until(drained, timeout=5.0)
        assert time.monotonic() - started < 2.0
    finally:
        task.cancel()


async def test_two_relays_publish_each_event_once_and_in_order(database: Database) -> None:
    if not database.postgres:
        pytest.skip("SQLite is embedded mode: one process, one relay")
    tenant = await database.tenant()
    ids = await write(database, tenant, 120)
    bus = FlakyBus()
    workers = [relay(database, bus, batch_size=7) for _ in range(2)]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:

        async def drained() -> bool:
            return await pending(database) == 0

        await until(drained)
    finally:
        for task in tasks:
            task.cancel()
    delivered = [v["event_id"] for v in await bus.values(await physical(database, tenant))]
    assert delivered == ids


async def test_a_refused_event_is_parked_after_its_attempts(database: Database) -> None:
    tenant = await database.tenant()
    await write(database, tenant, 1)
    bus = FlakyBus()
    bus.fail = 100
    bus.error = BusError("record too large")
    worker = relay(database, bus, max_attempts=3)
    for _ in range(3):
        await worker.relay_once()
    assert await pending(database) == 0
    async with database.sessionmaker() as session:
        row = await session.scalar(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant))
    assert row is not None
    assert row.attempts == 3
    assert row.last_error is not None
    assert "too large" in row.last_error


async def test_events_of_a_deleted_topic_are_dropped_not_retried(database: Database) -> None:
    tenant = await database.tenant()
    await write(database, tenant, 2)
    async with database.sessionmaker() as session:
        topic = await session.scalar(select(Topic).where(Topic.tenant_id == tenant))
        await session.delete(topic)
        await session.commit()
    done = await relay(database, FlakyBus()).relay_once()
    assert (done.sent, done.retry) == (2, 0)
    assert await pending(database) == 0


async def test_fanout_copies_go_to_the_platform_topic(database: Database) -> None:
    tenant = await database.tenant()
    spec = TopicSpec(f"th.sys.test-{uuid.uuid4().hex[:8]}")
    async with database.sessionmaker() as session:
        await Outbox().add(session, tenant, AppEvent("chat", "said", "g1", {}, fanout=spec.name))
        await session.commit()
    bus = FlakyBus()
    worker = OutboxRelay(database.sessionmaker, bus, system_topics=[spec])
    assert (await worker.relay_once()).sent == 1
    assert len(await bus.values(spec.name)) == 1
    assert len(await bus.values(await physical(database, tenant, "chat"))) == 1


async def test_first_use_of_an_app_topic_races_safely(database: Database) -> None:
    tenant = await database.tenant()

    async def first_event() -> None:
        async with database.sessionmaker() as session:
            await Outbox().add(session, tenant, AppEvent("logs", "t", None, {}))
            await session.commit()

    await asyncio.gather(*(first_event() for _ in range(5)))
    async with database.sessionmaker() as session:
        topics = (
            await session.scalars(
                select(Topic).where(Topic.tenant_id == tenant, Topic.name == "logs")
            )
        ).all()
    assert len(topics) == 1
    await relay(database, MemoryBus()).relay_once()


async def test_a_down_bus_is_tried_once_per_pass_not_once_per_topic(database: Database) -> None:
    tenants = [await database.tenant() for _ in range(3)]
    for tenant in tenants:
        await write(database, tenant, 1)
    bus = FlakyBus()
    bus.fail = 1
    worker = relay(database, bus)
    down = await worker.relay_once()
    assert (bus.calls, down.retry, down.bus_down) == (1, 3, True)
    assert await pending(database) == 3
    assert (await worker.relay_once()).sent == 3
