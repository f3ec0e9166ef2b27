"""The embedded writer's held connection (``topichub.bus.embedded.driver``), on SQLite
and PostgreSQL: the rows it writes are what SQLAlchemy reads back, a connection lost
between commits is replaced without failing a publish, and on PostgreSQL the partition
rows stay locked (``FOR UPDATE``) for the length of a group commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bus.conftest import unique
from topichub.bus import BusTimeout, EmbeddedBus, OutRecord, TopicSpec
from topichub.bus.embedded import encode_headers
from topichub.models.bus import BusPartition, BusRecord

DATABASES = ["sqlite_engine", pytest.param("postgres_engine", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest) -> AsyncEngine:
    fixture: AsyncEngine = request.getfixturevalue(request.param)
    return fixture


@pytest.fixture
async def bus(engine: AsyncEngine) -> AsyncIterator[EmbeddedBus]:
    bus = EmbeddedBus(engine, publish_timeout_s=5.0)
    await bus.start()
    yield bus
    await bus.stop()


async def test_stored_rows_are_exactly_what_was_published(
    bus: EmbeddedBus, engine: AsyncEngine
) -> None:
    topic = unique()
    await bus.create_topic(TopicSpec(topic, partitions=3))
    records = [
        OutRecord(value=b"plain"),
        OutRecord(value=b"\x00\xff", key=b"k1", headers=(("a", b"1"), ("a", b"\x00"))),
        OutRecord(value=b"", partition=2, timestamp_ms=1234),
        OutRecord(value=b"v" * 5000, key=b"", headers=(("h", b""),)),
    ]
    stored = [m for r in records for m in await bus.publish(topic, [r])]
    stored += await bus.publish(topic, records)  # the same again, as one call

    async with engine.connect() as conn:
        rows = (await conn.execute(select(BusRecord).where(BusRecord.topic == topic))).all()
        ends = dict(
            (
                await conn.execute(
                    select(BusPartition.partition, BusPartition.next_offset).where(
                        BusPartition.topic == topic
                    )
                )
            ).all()
        )
    found = {(r.partition, r.offset): r for r in rows}
    assert len(found) == len(stored) == 8
    for meta, record in zip(stored, records * 2, strict=True):
        row = found[(meta.partition, meta.offset)]
        headers = encode_headers(record.headers)
        assert (row.key, row.value, row.headers) == (record.key, record.value, headers)
        assert row.timestamp_ms == meta.timestamp_ms == (record.timestamp_ms or meta.timestamp_ms)
        assert row.size == len(record.value) + len(record.key or b"") + len(headers or b"")
    per_partition = {p: sum(1 for m in stored if m.partition == p) for p in range(3)}
    assert ends == per_partition


def _writer_driver(bus: EmbeddedBus) -> Any:
    return bus._writer._conn._driver  # type: ignore[union-attr]


async def _drop_writer_connection(bus: EmbeddedBus, engine: AsyncEngine) -> None:
    """What a database restart or an idle timeout does to the held connection."""
    driver = _writer_driver(bus)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": driver.get_server_pid()}
            )
        while not driver.is_closed():
            await asyncio.sleep(0.01)
    else:
        await driver.close()


async def test_a_connection_lost_between_commits_is_replaced_without_an_error(
    bus: EmbeddedBus, engine: AsyncEngine
) -> None:
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    await bus.publish(topic, [OutRecord(value=b"first")])
    dropped = _writer_driver(bus)
    await _drop_writer_connection(bus, engine)

    [meta] = await bus.publish(topic, [OutRecord(value=b"second")])
    assert meta.offset == 1
    assert _writer_driver(bus) is not dropped
    assert await bus.end_offsets(topic) == {0: 2}


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres_engine"], indirect=True)
async def test_a_group_commit_waits_for_a_lock_on_its_partitions(
    engine: AsyncEngine,
) -> None:
    bus = EmbeddedBus(engine, publish_timeout_s=0.3)
    await bus.start()
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    async with engine.connect() as locker:
        await locker.execute(
            select(BusPartition.next_offset).where(BusPartition.topic == topic).with_for_update()
        )
        with pytest.raises(BusTimeout):
            await bus.publish(topic, [OutRecord(value=b"unknown outcome")])
        await locker.rollback()
    [meta] = await bus.publish(topic, [OutRecord(value=b"after")])
    # The writer went on once the lock was released: the timed-out record is stored.
    assert meta.offset == 1
    await bus.stop()


async def test_stopping_with_a_lost_connection_is_clean(engine: AsyncEngine) -> None:
    bus = EmbeddedBus(engine)
    await bus.start()
    topic = unique()
    await bus.create_topic(TopicSpec(topic))
    await bus.publish(topic, [OutRecord(value=b"x")])
    await _drop_writer_connection(bus, engine)
    await bus.stop()
    assert bus._writer._conn is None
    # The dropped connection did not go back to the pool: every next user of the
    # engine gets a live one.
    for _ in range(3):
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
