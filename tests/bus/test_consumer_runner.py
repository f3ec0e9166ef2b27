"""bus.consumer.run_group on every engine: offsets are committed only after the handler
returned, a handler failure redelivers the batch after a reopen, and nothing handled is
delivered to the group again."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

from tests.bus.conftest import read_until, unique
from topichub.bus import EventBus, OutRecord, Record, TopicSpec
from topichub.bus.consumer import ConsumerOptions, next_offsets, run_group
from topichub.bus.port import GroupConsumer

FAST = ConsumerOptions(poll_s=0.2, retry_initial_s=0.05, retry_max_s=0.2)


class _CommitsSeen:
    """``bus`` with the offsets its group consumers commit recorded in ``committed``."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.committed: dict[tuple[str, int], int] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    def group_consumer(self, *args: Any, **kwargs: Any) -> GroupConsumer:
        return cast(
            GroupConsumer, _WatchedConsumer(self._bus.group_consumer(*args, **kwargs), self)
        )


class _WatchedConsumer:
    def __init__(self, inner: GroupConsumer, seen: _CommitsSeen) -> None:
        self._inner = inner
        self._seen = seen

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        return await self._inner.read(timeout=timeout, max_records=max_records)

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        await self._inner.commit(offsets)
        self._seen.committed.update(offsets)

    async def close(self) -> None:
        await self._inner.close()


def test_next_offsets_are_one_past_the_last_record_of_each_partition() -> None:
    records = [
        Record("t", 0, 4, 0, b""),
        Record("t", 1, 9, 0, b""),
        Record("t", 0, 7, 0, b""),
    ]
    assert next_offsets(records) == {("t", 0): 8, ("t", 1): 10}


async def test_a_failed_batch_comes_again_and_handled_records_are_committed(
    bus: EventBus,
) -> None:
    topic, group = unique(), unique("g")
    await bus.create_topic(TopicSpec(topic))
    await bus.publish(topic, [OutRecord(value=f"v{i}".encode()) for i in range(5)])
    handled: list[bytes | None] = []
    failures = 0

    async def handle(records: Sequence[Record]) -> None:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise RuntimeError("the database is down")
        handled.extend(r.value for r in records)

    watched = _CommitsSeen(bus)
    runner = asyncio.create_task(
        run_group(cast(EventBus, watched), group, handle, topics=[topic], name="t", options=FAST)
    )
    try:
        async with asyncio.timeout(30):
            # The runner commits after `handle` returns: wait for the commit, not the call.
            while sum(watched.committed.values()) < 5:
                await asyncio.sleep(0.05)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert failures == 1
    assert handled == [f"v{i}".encode() for i in range(5)]

    later = await bus.publish(topic, [OutRecord(value=b"later")])
    again = bus.group_consumer(group, [topic])
    try:
        records = await read_until(again, 1)
    finally:
        await again.close()
    assert [(r.offset, r.value) for r in records] == [(later[0].offset, b"later")]
