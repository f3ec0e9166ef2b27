"""What only the embedded engine promises: group commit, failure and restart behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bus.conftest import read_until, unique
from topichub.bus import BusError, BusTimeout, BusUnavailable, EmbeddedBus, OutRecord, TopicSpec
from topichub.bus.embedded import decode_headers, encode_headers
from topichub.kit.db import Base, create_engine
from topichub.models.bus import BUS_TABLES, BusRecord


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A private SQLite database: these tests break or lock it on purpose."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=list(BUS_TABLES))
    yield engine
    await engine.dispose()


@pytest.fixture
async def bus(engine: AsyncEngine) -> AsyncIterator[EmbeddedBus]:
    bus = EmbeddedBus(engine)
    await bus.start()
    yield bus
    await bus.stop()


def test_headers_encoding_keeps_order_repeats_and_binary() -> None:
    headers = (("a", b""), ("", b"\x00"), ("a", b"\xff" * 300), ("ü", b"x"))
    assert decode_headers(encode_headers(headers)) == headers
    assert encode_headers(()) is None
    assert decode_headers(None) == ()


async def test_concurrent_publishes_share_one_transaction(bus: EmbeddedBus) -> None:
    topic = unique()
    await bus.create_topic(TopicSpec(topic, partitions=2))
    before = bus.transactions
    acked = await asyncio.gather(
        *(bus.publish(topic, [OutRecord(value=b"%d" % i)]) for i in range(200))
    )
    assert len({(m[0].partition, m[0].offset) for m in acked}) == 200
    assert bus.transactions - before < 20


async def test_a_failed_commit_fails_every_caller_and_assigns_no_offsets(
    bus: EmbeddedBus, engine: AsyncEngine
) -> None:
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    await bus.publish(topic, [OutRecord(value=b"first")])
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE bus_records"))

    outcomes = await asyncio.gather(
        *(bus.publish(topic, [OutRecord(value=b"lost")]) for _ in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(o, BusUnavailable) for o in outcomes), outcomes

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=[BusRecord.__table__])
    [meta] = await bus.publish(topic, [OutRecord(value=b"after")])
    assert meta.offset == 1


async def test_publish_times_out_while_the_database_is_locked(engine: AsyncEngine) -> None:
    bus = EmbeddedBus(engine, publish_timeout_s=0.3)
    await bus.start()
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    async with engine.connect() as locker:
        await locker.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(BusTimeout):
            await bus.publish(topic, [OutRecord(value=b"unknown outcome")])
        await locker.exec_driver_sql("ROLLBACK")
    [meta] = await bus.publish(topic, [OutRecord(value=b"after")])
    # The timed-out record may or may not have been stored; offsets stay dense.
    assert meta.offset in (0, 1)
    await bus.stop()


async def test_stop_commits_what_was_already_queued(engine: AsyncEngine) -> None:
    bus = EmbeddedBus(engine)
    await bus.start()
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    tasks = [asyncio.create_task(bus.publish(topic, [OutRecord(value=b"q")])) for _ in range(50)]
    await asyncio.sleep(0)  # let every publish enqueue
    await bus.stop()
    outcomes = [await task for task in tasks]
    assert all(len(acked) == 1 for acked in outcomes)

    after = EmbeddedBus(engine)
    await after.start()
    assert await after.end_offsets(topic) == {0: 50}
    await after.stop()


async def test_a_restarted_bus_continues_offsets_and_group_positions(engine: AsyncEngine) -> None:
    topic, group = unique(), unique("g")
    first = EmbeddedBus(engine)
    await first.start()
    await first.create_topic(TopicSpec(topic))
    await first.publish(topic, [OutRecord(value=b"%d" % i) for i in range(3)])
    consumer = first.group_consumer(group, [topic])
    assert len(await read_until(consumer, 3)) == 3
    await consumer.commit({(topic, 0): 2})
    await first.stop()

    second = EmbeddedBus(engine)
    await second.start()
    assert await second.end_offsets(topic) == {0: 3}
    assert (await second.publish(topic, [OutRecord(value=b"3")]))[0].offset == 3
    consumer = second.group_consumer(group, [topic])
    assert [r.offset for r in await read_until(consumer, 2)] == [2, 3]
    await second.stop()


async def test_records_from_another_bus_instance_are_seen_by_the_next_read(
    bus: EmbeddedBus, engine: AsyncEngine
) -> None:
    # Misuse (the engine is for one process), but a reader must not miss such records
    # forever: without a wake-up it still looks once per read call.
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    other = EmbeddedBus(engine)
    await other.start()
    reader = bus.reader(topic, {0: 0})
    await other.publish(topic, [OutRecord(value=b"elsewhere")])
    assert [r.value for r in await reader.read(timeout=0.1)] == [b"elsewhere"]
    await other.stop()


async def test_invalid_topic_specs_are_refused(bus: EmbeddedBus) -> None:
    for spec in (TopicSpec("has space"), TopicSpec(""), TopicSpec("x" * 250), TopicSpec("ok", 0)):
        with pytest.raises(BusError):
            await bus.create_topic(spec)


async def test_a_stopped_bus_cannot_be_restarted(engine: AsyncEngine) -> None:
    bus = EmbeddedBus(engine)
    await bus.start()
    await bus.stop()
    with pytest.raises(BusUnavailable):
        await bus.start()
