"""The bus contract: the same tests on every engine (see conftest.ENGINES)."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.bus.conftest import Backend, BusFactory, read_from_beginning, read_until, unique
from topichub.bus import (
    BusUnavailable,
    EventBus,
    InvalidPartition,
    OutBatch,
    OutRecord,
    TopicNotFound,
    TopicSpec,
)
from topichub.bus.partitioner import partition_for_key
from topichub.kit.time import now_ms


async def new_topic(bus: EventBus, partitions: int = 1, **spec: int) -> str:
    name = unique()
    await bus.create_topic(TopicSpec(name, partitions=partitions, **spec))
    return name


def values(n: int, prefix: str = "v") -> list[OutRecord]:
    return [OutRecord(value=f"{prefix}{i}".encode()) for i in range(n)]


async def test_check_passes_on_a_running_bus(bus: EventBus) -> None:
    await bus.check()


async def test_publish_acks_in_input_order_and_reads_back_in_offset_order(
    bus: EventBus, backend: Backend
) -> None:
    topic = await new_topic(bus)
    acked = await bus.publish(topic, values(100))
    for i in range(10):
        acked += await bus.publish(topic, [OutRecord(value=f"w{i}".encode())])

    offsets = [m.offset for m in acked]
    assert offsets == sorted(offsets)
    assert len(set(offsets)) == len(offsets)
    if backend.kind.startswith("embedded"):
        assert offsets == list(range(110))
    assert {(m.topic, m.partition) for m in acked} == {(topic, 0)}

    records = await read_from_beginning(bus, topic, 110)
    expected = [f"v{i}".encode() for i in range(100)] + [f"w{i}".encode() for i in range(10)]
    assert [r.value for r in records] == expected
    assert [r.offset for r in records] == offsets
    assert await bus.end_offsets(topic) == {0: offsets[-1] + 1}


async def test_publish_columns_places_every_record_as_publish_does(bus: EventBus) -> None:
    """The column path (``OutBatch`` in, ``Stored`` out) that the HTTP publish uses: keyed,
    keyless, pinned and header-carrying records interleaved, over more than one Kafka
    producer batch (1.2 MB, 512 KiB a batch); every answer matches what is read back."""
    topic = await new_topic(bus, partitions=3)
    count = 600
    batch = OutBatch(
        values=[f"{i:04d}".encode() * 500 for i in range(count)],
        keys=[f"k{i % 7}".encode() if i % 3 == 0 else None for i in range(count)],
        headers=[(("h", str(i).encode()),) if i % 5 == 0 else () for i in range(count)],
        partitions=[2 if i % 11 == 0 else None for i in range(count)],
    )
    stored = await bus.publish_columns(topic, batch)

    assert len(stored) == count
    for i in range(count):
        if batch.partitions[i] is not None:
            assert stored.partitions[i] == 2
        elif batch.keys[i] is not None:
            assert stored.partitions[i] == partition_for_key(batch.keys[i] or b"", 3)
    keyless = {stored.partitions[i] for i in range(count) if batch.keys[i] is None}
    assert len(keyless - {2}) <= 1  # sticky: one partition besides the pinned ones
    assert [m.offset for m in stored] == stored.offsets
    records = await read_from_beginning(bus, topic, count)
    where = {(r.partition, r.offset): r for r in records}
    for i in range(count):
        record = where[(stored.partitions[i], stored.offsets[i])]
        assert record.value == batch.values[i]
        assert record.key == batch.keys[i]
        assert record.headers == batch.headers[i]
        assert record.timestamp_ms == stored.timestamps[i]


async def test_publish_columns_of_one_partition_is_one_run_of_offsets(bus: EventBus) -> None:
    topic = await new_topic(bus)
    first = await bus.publish_columns(topic, OutBatch.of(values(3)))
    stored = await bus.publish_columns(
        topic, OutBatch([b"a"] * 1000, [None] * 1000, [()] * 1000, [None] * 1000)
    )
    assert stored.partitions == [0] * 1000
    assert stored.offsets == list(range(first.offsets[-1] + 1, first.offsets[-1] + 1001))
    assert len(set(stored.timestamps)) == 1
    assert stored[999].offset == stored.offsets[-1]


async def test_keys_headers_null_key_and_empty_value_round_trip(bus: EventBus) -> None:
    topic = await new_topic(bus)
    sent = [
        OutRecord(
            value=b"\x00\xffbinary",
            key=b"k\x00ey",
            headers=(("trace", b"\x00\x01\xfe\xff"), ("dup", b"1"), ("dup", b"2"), ("e", b"")),
        ),
        OutRecord(value=b"no key"),
        OutRecord(value=b"", key=b"empty-value"),
        OutRecord(value=b"ts", timestamp_ms=1_700_000_000_000),
    ]
    acked = await bus.publish(topic, sent)
    assert acked[3].timestamp_ms == 1_700_000_000_000

    records = await read_from_beginning(bus, topic, len(sent))
    assert [(r.key, r.value, r.headers) for r in records] == [
        (s.key, s.value, s.headers) for s in sent
    ]
    assert [r.timestamp_ms for r in records] == [m.timestamp_ms for m in acked]
    assert records[3].timestamp_ms == 1_700_000_000_000


async def test_same_key_same_partition_as_kafkas_default_partitioner(bus: EventBus) -> None:
    topic = await new_topic(bus, partitions=4)
    keys = [f"user-{i}".encode() for i in range(40)]
    first = await bus.publish(topic, [OutRecord(value=b"1", key=k) for k in keys])
    second = await bus.publish(topic, [OutRecord(value=b"2", key=k) for k in reversed(keys)])

    assert [m.partition for m in first] == [partition_for_key(k, 4) for k in keys]
    assert [m.partition for m in second] == [m.partition for m in reversed(first)]
    assert len({m.partition for m in first}) > 1


async def test_keyless_publishes_rotate_over_partitions(bus: EventBus) -> None:
    topic = await new_topic(bus, partitions=4)
    used = [(await bus.publish(topic, values(3)))[0].partition for _ in range(4)]
    assert sorted(used) == [0, 1, 2, 3]


async def test_explicit_partition_wins_over_key(bus: EventBus) -> None:
    topic = await new_topic(bus, partitions=3)
    key = b"some-key"
    target = (partition_for_key(key, 3) + 1) % 3
    acked = await bus.publish(topic, [OutRecord(value=b"x", key=key, partition=target)])
    assert acked[0].partition == target

    reader = bus.reader(topic, {target: 0})
    records = await read_until(reader, 1)
    await reader.close()
    assert [(r.partition, r.value) for r in records] == [(target, b"x")]


async def test_reader_starts_at_the_given_offset_and_reports_positions(bus: EventBus) -> None:
    topic = await new_topic(bus)
    acked = await bus.publish(topic, values(10))
    reader = bus.reader(topic, {0: acked[5].offset})
    records = await read_until(reader, 5)
    assert [r.value for r in records] == [f"v{i}".encode() for i in range(5, 10)]
    assert reader.positions() == {0: acked[9].offset + 1}
    assert await reader.read(timeout=0.2) == []
    await reader.close()


async def test_offsets_for_time_finds_the_first_record_at_or_after(bus: EventBus) -> None:
    topic = await new_topic(bus)
    base = now_ms() - 60_000
    acked = await bus.publish(
        topic, [OutRecord(value=b"%d" % i, timestamp_ms=base + i * 1000) for i in range(10)]
    )
    end = acked[-1].offset + 1

    assert await bus.offsets_for_time(topic, base + 4500) == {0: acked[5].offset}
    assert await bus.offsets_for_time(topic, base + 5000) == {0: acked[5].offset}
    assert await bus.offsets_for_time(topic, base - 1) == {0: acked[0].offset}
    assert await bus.offsets_for_time(topic, base + 100_000) == {0: end}
    assert await bus.beginning_offsets(topic) == {0: acked[0].offset}

    reader = bus.reader(topic, await bus.offsets_for_time(topic, base + 7000))
    assert [r.value for r in await read_until(reader, 3)] == [b"7", b"8", b"9"]
    await reader.close()


async def test_offsets_of_an_empty_topic(bus: EventBus) -> None:
    topic = await new_topic(bus, partitions=2)
    assert await bus.beginning_offsets(topic) == {0: 0, 1: 0}
    assert await bus.end_offsets(topic) == {0: 0, 1: 0}
    assert await bus.offsets_for_time(topic, 0) == {0: 0, 1: 0}


async def test_group_resumes_after_its_commit_and_redelivers_the_rest(bus: EventBus) -> None:
    topic = await new_topic(bus)
    group = unique("g")
    acked = await bus.publish(topic, values(10))

    first = bus.group_consumer(group, [topic])
    records = await read_until(first, 10)
    assert [r.value for r in records] == [f"v{i}".encode() for i in range(10)]
    await first.commit({(topic, 0): acked[5].offset + 1})
    await first.close()

    second = bus.group_consumer(group, [topic])
    records = await read_until(second, 4)
    # Records 6..9 were read but never committed: they come again, and only they.
    assert [r.value for r in records] == [f"v{i}".encode() for i in range(6, 10)]
    await second.commit({(topic, 0): records[-1].offset + 1})
    await second.close()

    later = await bus.publish(topic, [OutRecord(value=b"later")])
    third = bus.group_consumer(group, [topic])
    records = await read_until(third, 1)
    assert [(r.offset, r.value) for r in records] == [(later[0].offset, b"later")]
    await third.close()


async def test_pattern_subscription_picks_up_topics_created_later(bus: EventBus) -> None:
    prefix = unique("pt")
    pattern = rf"^{re.escape(prefix)}\..*"
    first = f"{prefix}.a"
    await bus.create_topic(TopicSpec(first))
    await bus.create_topic(TopicSpec(unique("other")))
    await bus.publish(first, [OutRecord(value=b"a1")])

    consumer = bus.group_consumer(unique("g"), [], pattern=pattern)
    seen = {r.value for r in await read_until(consumer, 1)}
    assert seen == {b"a1"}

    second = f"{prefix}.b"
    await bus.create_topic(TopicSpec(second, partitions=2))
    await bus.publish(second, [OutRecord(value=b"b1", key=b"k")])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    got = []
    while b"b1" not in {r.value for r in got} and loop.time() < deadline:
        got += await consumer.read(timeout=1.0)
    # A rebalance may deliver a1 again (nothing was committed); b1 must arrive.
    assert {r.topic for r in got if r.value == b"b1"} == {second}
    assert {r.value for r in got} <= {b"a1", b"b1"}
    await consumer.close()


async def test_create_topic_is_idempotent_and_delete_removes_it(bus: EventBus) -> None:
    name = unique()
    await bus.create_topic(TopicSpec(name, partitions=2))
    await bus.create_topic(TopicSpec(name, partitions=5))
    assert await bus.partitions(name) == 2
    await bus.publish(name, values(3))

    await bus.delete_topic(name)
    with pytest.raises(TopicNotFound):
        await bus.partitions(name)
    with pytest.raises(TopicNotFound):
        await bus.publish(name, values(1))
    await bus.delete_topic(name)

    await bus.create_topic(TopicSpec(name, partitions=2))
    assert await bus.end_offsets(name) == {0: 0, 1: 0}


async def test_retention_drops_old_records_but_never_reuses_offsets(
    bus: EventBus, backend: Backend
) -> None:
    topic = await new_topic(bus, retention_ms=60_000)
    if backend.kind == "kafka":
        assert await bus.enforce_retention() == 0
        pytest.skip("tansu accepts retention.ms/retention.bytes but does not enforce them")
    old = now_ms() - 120_000
    acked = await bus.publish(
        topic, [OutRecord(value=b"old%d" % i, timestamp_ms=old + i) for i in range(5)]
    )
    acked += await bus.publish(topic, values(3))

    assert await bus.enforce_retention() >= 5
    assert await bus.beginning_offsets(topic) == {0: acked[5].offset}
    assert await bus.end_offsets(topic) == {0: acked[-1].offset + 1}
    records = await read_from_beginning(bus, topic, 3)
    assert [r.value for r in records] == [b"v0", b"v1", b"v2"]

    # A reader behind the retained range continues at the first record still held.
    reader = bus.reader(topic, {0: 0})
    assert [r.offset for r in await read_until(reader, 3)] == [m.offset for m in acked[5:]]
    await reader.close()

    assert await bus.enforce_retention() == 0
    again = await bus.publish(topic, values(1))
    assert again[0].offset == acked[-1].offset + 1


async def test_retention_by_size_keeps_the_newest_records(bus: EventBus, backend: Backend) -> None:
    topic = await new_topic(bus, retention_bytes=350)
    if backend.kind == "kafka":
        pytest.skip("tansu accepts retention.bytes but does not enforce it")
    acked = await bus.publish(topic, [OutRecord(value=bytes(100)) for _ in range(10)])
    assert await bus.enforce_retention() == 7
    assert await bus.beginning_offsets(topic) == {0: acked[7].offset}


async def test_retention_can_empty_a_partition(bus: EventBus, backend: Backend) -> None:
    topic = await new_topic(bus, retention_ms=1_000)
    if backend.kind == "kafka":
        pytest.skip("tansu accepts retention.ms but does not enforce it")
    acked = await bus.publish(topic, [OutRecord(value=b"x", timestamp_ms=1_000)])
    assert await bus.enforce_retention() == 1
    end = acked[0].offset + 1
    assert await bus.beginning_offsets(topic) == {0: end}
    assert await bus.end_offsets(topic) == {0: end}


async def test_a_waiting_reader_gets_records_published_after_it_started(bus: EventBus) -> None:
    topic = await new_topic(bus)
    reader = bus.reader(topic, await bus.end_offsets(topic))
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.create_task(reader.read(timeout=20.0))
    await bus.publish(topic, [OutRecord(value=b"late")])
    records = await waiting
    # Woken by the publish, not by its timeout.
    assert loop.time() - started < 10
    assert [r.value for r in records] == [b"late"]
    await reader.close()


async def test_concurrent_writers_get_distinct_offsets_and_every_record_once(
    bus: EventBus, backend: Backend
) -> None:
    topic = await new_topic(bus, partitions=3)

    async def writer(w: int) -> list[tuple[int, int]]:
        out = []
        for i in range(50):
            record = OutRecord(value=f"{w}:{i}".encode(), key=b"w%d" % w)
            [meta] = await bus.publish(topic, [record])
            out.append((meta.partition, meta.offset))
        return out

    results = await asyncio.gather(*(writer(w) for w in range(20)))
    acked = [pos for result in results for pos in result]
    assert len(set(acked)) == 1000
    for result in results:
        assert result == sorted(result)  # one key, one partition, in publish order

    reader = bus.reader(topic, await bus.beginning_offsets(topic))
    records = await read_until(reader, 1000)
    await reader.close()
    assert sorted(r.value for r in records) == sorted(
        f"{w}:{i}".encode() for w in range(20) for i in range(50)
    )
    assert {(r.partition, r.offset) for r in records} == set(acked)
    for w in range(20):
        mine = [r.value for r in records if r.key == b"w%d" % w]
        assert mine == [f"{w}:{i}".encode() for i in range(50)]
    if backend.kind.startswith("embedded"):
        ends = await bus.end_offsets(topic)
        for partition, end in ends.items():
            assert sorted(o for p, o in acked if p == partition) == list(range(end))


async def test_a_publish_larger_than_one_batch_keeps_its_order(bus: EventBus) -> None:
    topic = await new_topic(bus)
    sent = [OutRecord(value=b"%06d" % i + bytes(600)) for i in range(2000)]  # ~1.2 MB
    acked = await bus.publish(topic, sent)
    offsets = [m.offset for m in acked]
    assert offsets == sorted(offsets)
    assert len(set(offsets)) == len(offsets)
    records = await read_from_beginning(bus, topic, len(sent))
    assert [r.value for r in records] == [s.value for s in sent]
    assert await bus.end_offsets(topic) == {0: offsets[-1] + 1}


async def test_unknown_topic_and_bad_partition_are_refused(bus: EventBus) -> None:
    missing = unique("missing")
    with pytest.raises(TopicNotFound):
        await bus.publish(missing, values(1))
    with pytest.raises(TopicNotFound):
        await bus.partitions(missing)
    with pytest.raises(TopicNotFound):
        await bus.end_offsets(missing)
    with pytest.raises(TopicNotFound):
        await bus.beginning_offsets(missing)
    with pytest.raises(TopicNotFound):
        await bus.reader(missing, {0: 0}).read(timeout=0.1)
    # Asking must not have created it (brokers that auto-create topics would).
    with pytest.raises(TopicNotFound):
        await bus.partitions(missing)

    topic = await new_topic(bus, partitions=2)
    with pytest.raises(InvalidPartition):
        await bus.publish(topic, [OutRecord(value=b"x"), OutRecord(value=b"y", partition=2)])
    with pytest.raises(InvalidPartition):
        await bus.publish(topic, [OutRecord(value=b"x", partition=-1)])
    reader = bus.reader(topic, {5: 0})
    with pytest.raises(InvalidPartition):
        await reader.read(timeout=0.1)
    await reader.close()
    assert await bus.end_offsets(topic) == {0: 0, 1: 0}


async def test_publish_after_stop_fails_cleanly(new_bus: BusFactory) -> None:
    bus = await new_bus()
    topic = await new_topic(bus)
    await bus.publish(topic, values(1))
    await bus.stop()
    with pytest.raises(BusUnavailable):
        await bus.publish(topic, values(1))
    with pytest.raises(BusUnavailable):
        await bus.check()
    await bus.stop()


async def test_stop_settles_every_pending_publish(new_bus: BusFactory) -> None:
    bus = await new_bus()
    topic = await new_topic(bus)
    tasks = [asyncio.create_task(bus.publish(topic, values(1, f"p{i}-"))) for i in range(50)]
    await asyncio.sleep(0)  # let the publishes start: stop must drain, not preempt them
    await bus.stop()

    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    acked = [o[0] for o in outcomes if isinstance(o, list)]
    assert all(isinstance(o, list | BusUnavailable) for o in outcomes), outcomes

    reader_bus = await new_bus()
    stored = await read_from_beginning(reader_bus, topic, len(acked))
    assert {(m.partition, m.offset) for m in acked} <= {(r.partition, r.offset) for r in stored}
