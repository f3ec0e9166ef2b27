"""The Kafka engine's batch producer (``topichub.bus.kafka.producer``) against a fake
aiokafka producer whose deliveries the test settles: calls sharing a batch are each
answered, one that gives up (timeout, cancellation) leaves the others' batch alone,
and a call spanning batches reports a partial failure as such."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from topichub.bus.kafka.producer import BatchProducer
from topichub.bus.port import BusUnavailable, OutBatch, OutRecord


@dataclass
class Delivered:
    offset: int
    timestamp: int = -1


@dataclass
class FakeBatch:
    capacity: int
    records: list[bytes] = field(default_factory=list)
    closed: bool = False

    def append(self, *, timestamp: int, key: bytes | None, value: bytes, headers: Any) -> Any:
        if len(self.records) == self.capacity:
            return None
        self.records.append(value)
        return object()

    def close(self) -> None:
        self.closed = True


class FakeProducer:
    """Hands out batches of ``capacity`` records; ``sent`` holds (batch, future) in
    send order, settled by the test."""

    def __init__(self, capacity: int = 100) -> None:
        self.capacity = capacity
        self.sent: list[tuple[FakeBatch, asyncio.Future[Delivered]]] = []

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.capacity)

    async def send_batch(
        self, batch: FakeBatch, topic: str, *, partition: int
    ) -> asyncio.Future[Delivered]:
        future: asyncio.Future[Delivered] = asyncio.get_running_loop().create_future()
        self.sent.append((batch, future))
        return future


def records(*values: bytes) -> OutBatch:
    return OutBatch.of([OutRecord(value=v) for v in values])


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0)


def later(seconds: float) -> float:
    return asyncio.get_running_loop().time() + seconds


async def test_calls_sharing_a_batch_get_their_own_offsets() -> None:
    fake = FakeProducer()
    producer = BatchProducer(fake)
    calls = [
        asyncio.create_task(producer.produce("t", records(b"a", b"b"), [0, 0], later(5))),
        asyncio.create_task(producer.produce("t", records(b"c"), [0], later(5))),
    ]
    await until(lambda: fake.sent)
    [(batch, future)] = fake.sent
    assert batch.closed
    assert batch.records == [b"a", b"b", b"c"]
    future.set_result(Delivered(offset=40, timestamp=777))
    first, second = [await call for call in calls]
    assert (first.offsets, second.offsets) == ([40, 41], [42])
    assert (first.timestamps, second.timestamps) == ([777, 777], [777])


async def test_a_caller_that_gives_up_leaves_the_shared_batch_to_the_others() -> None:
    fake = FakeProducer()
    producer = BatchProducer(fake)
    timed_out = asyncio.create_task(producer.produce("t", records(b"a"), [0], later(0.05)))
    cancelled = asyncio.create_task(producer.produce("t", records(b"b"), [0], later(5)))
    waiting = asyncio.create_task(producer.produce("t", records(b"c"), [0], later(5)))
    await until(lambda: fake.sent)
    with pytest.raises(TimeoutError):
        await timed_out
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert not waiting.done()

    [(_, future)] = fake.sent
    assert not future.cancelled()
    future.set_result(Delivered(offset=0))
    assert (await waiting).offsets == [2]


async def test_a_call_over_two_batches_reports_a_partial_failure() -> None:
    fake = FakeProducer(capacity=2)
    producer = BatchProducer(fake)
    call = asyncio.create_task(producer.produce("t", records(b"a", b"b", b"c"), [0] * 3, later(5)))
    await until(lambda: fake.sent)
    fake.sent[0][1].set_result(Delivered(offset=10))
    await until(lambda: len(fake.sent) == 2)
    assert [batch.records for batch, _ in fake.sent] == [[b"a", b"b"], [b"c"]]
    fake.sent[1][1].set_exception(OSError("connection reset"))
    with pytest.raises(BusUnavailable, match="partly failed"):
        await call


async def test_a_failed_batch_fails_every_call_in_it_with_its_error() -> None:
    fake = FakeProducer()
    producer = BatchProducer(fake)
    calls = [
        asyncio.create_task(producer.produce("t", records(b"%d" % i), [0], later(5)))
        for i in range(3)
    ]
    await until(lambda: fake.sent)
    error = OSError("connection reset")
    fake.sent[0][1].set_exception(error)
    for call in calls:
        with pytest.raises(OSError, match="connection reset") as raised:
            await call
        assert raised.value is error


async def test_records_over_partitions_get_offsets_in_input_order() -> None:
    fake = FakeProducer()
    producer = BatchProducer(fake)
    call = asyncio.create_task(
        producer.produce("t", records(b"a", b"b", b"c", b"d"), [1, 0, 1, 0], later(5))
    )
    await until(lambda: len(fake.sent) == 2)
    by_first = {batch.records[0]: future for batch, future in fake.sent}
    by_first[b"a"].set_result(Delivered(offset=100))
    by_first[b"b"].set_result(Delivered(offset=7))
    assert (await call).offsets == [100, 7, 101, 8]
