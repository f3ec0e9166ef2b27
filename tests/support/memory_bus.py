"""An in-memory ``EventBus`` — a TEST DOUBLE, never used by the application.

It follows the port's contract closely enough to test code that consumes the bus (the
stream hub) without a database or a broker, and adds hooks the real engines cannot offer
deterministically:

- ``truncate(topic, partition, before)`` drops records as retention would;
- ``fail_reads`` makes the next N reader reads raise ``BusUnavailable``;
- ``pause_reads()`` / ``resume_reads()`` hold every reader read in flight;
- ``readers_created`` / ``open_readers`` count readers.

It is not durable, not shared between processes, keeps everything in memory forever
(except what ``truncate`` or ``enforce_retention`` drops) and has no consumer groups.
Readers behave like Kafka consumers with ``auto_offset_reset=earliest``: a position that
retention dropped jumps to the first record still held.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from topichub.bus.port import (
    BusUnavailable,
    GroupConsumer,
    InvalidPartition,
    OutRecord,
    Positions,
    Record,
    RecordMetadata,
    TopicNotFound,
    TopicSpec,
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class _Partition:
    base: int = 0
    """Offset of ``records[0]``: the first offset still held."""
    records: list[Record] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.base + len(self.records)

    def drop_before(self, offset: int) -> int:
        count = max(0, min(offset, self.end) - self.base)
        del self.records[:count]
        self.base += count
        return count


@dataclass
class _Topic:
    spec: TopicSpec
    partitions: list[_Partition]
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    spread: itertools.count[int] = field(default_factory=itertools.count)

    def notify(self) -> None:
        # Wake every waiting reader; later waiters get a fresh event.
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class MemoryBus:
    """Test double of ``topichub.bus.port.EventBus``; see the module docstring."""

    name = "memory"

    def __init__(self) -> None:
        self.topics: dict[str, _Topic] = {}
        self.readers_created = 0
        self.open_readers: set[MemoryReader] = set()
        self.fail_reads = 0
        self._reads_open = asyncio.Event()
        self._reads_open.set()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def check(self) -> None:
        pass

    def _topic(self, name: str) -> _Topic:
        try:
            return self.topics[name]
        except KeyError:
            raise TopicNotFound(name) from None

    async def create_topic(self, spec: TopicSpec) -> None:
        if spec.name not in self.topics:
            self.topics[spec.name] = _Topic(spec, [_Partition() for _ in range(spec.partitions)])

    async def delete_topic(self, name: str) -> None:
        topic = self.topics.pop(name, None)
        if topic is not None:
            topic.notify()

    async def partitions(self, topic: str) -> int:
        return len(self._topic(topic).partitions)

    async def publish(self, topic: str, records: Sequence[OutRecord]) -> list[RecordMetadata]:
        t = self._topic(topic)
        count = len(t.partitions)
        result = []
        for out in records:
            if out.partition is not None:
                if not 0 <= out.partition < count:
                    raise InvalidPartition(f"{topic}[{out.partition}]")
                partition = out.partition
            elif out.key is not None:
                partition = zlib.crc32(out.key) % count
            else:
                partition = next(t.spread) % count
            log = t.partitions[partition]
            timestamp = out.timestamp_ms if out.timestamp_ms is not None else _now_ms()
            record = Record(topic, partition, log.end, timestamp, out.value, out.key, out.headers)
            log.records.append(record)
            result.append(RecordMetadata(topic, partition, record.offset, timestamp))
        t.notify()
        return result

    async def beginning_offsets(self, topic: str) -> Positions:
        return {p: log.base for p, log in enumerate(self._topic(topic).partitions)}

    async def end_offsets(self, topic: str) -> Positions:
        return {p: log.end for p, log in enumerate(self._topic(topic).partitions)}

    async def offsets_for_time(self, topic: str, timestamp_ms: int) -> Positions:
        found = {}
        for p, log in enumerate(self._topic(topic).partitions):
            found[p] = next(
                (r.offset for r in log.records if r.timestamp_ms >= timestamp_ms), log.end
            )
        return found

    def reader(self, topic: str, positions: Positions) -> MemoryReader:
        self.readers_created += 1
        reader = MemoryReader(self, topic, positions)
        self.open_readers.add(reader)
        return reader

    def group_consumer(self, group: str, topics: Sequence[str]) -> GroupConsumer:
        raise NotImplementedError("the memory test double has no consumer groups")

    async def enforce_retention(self) -> int:
        now = _now_ms()
        dropped = 0
        for topic in self.topics.values():
            if topic.spec.retention_ms is None:
                continue
            horizon = now - topic.spec.retention_ms
            for log in topic.partitions:
                keep = next((r.offset for r in log.records if r.timestamp_ms >= horizon), log.end)
                dropped += log.drop_before(keep)
        return dropped

    # -- test hooks ------------------------------------------------------------------

    def truncate(self, topic: str, partition: int, before: int) -> int:
        """Drop the records of ``partition`` below offset ``before``, as retention would."""
        return self._topic(topic).partitions[partition].drop_before(before)

    def pause_reads(self) -> None:
        self._reads_open.clear()

    def resume_reads(self) -> None:
        self._reads_open.set()


class MemoryReader:
    def __init__(self, bus: MemoryBus, topic: str, positions: Positions) -> None:
        self._bus = bus
        self._topic = topic
        self._positions = dict(positions)
        self.closed = False

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        bus = self._bus
        if self.closed:
            raise RuntimeError("reader is closed")
        await bus._reads_open.wait()
        if bus.fail_reads > 0:
            bus.fail_reads -= 1
            raise BusUnavailable("injected read failure")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            topic = bus._topic(self._topic)
            records = self._collect(topic, max_records)
            if records:
                return records
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            try:
                async with asyncio.timeout(remaining):
                    await topic.changed.wait()
            except TimeoutError:
                return []

    def _collect(self, topic: _Topic, max_records: int) -> list[Record]:
        records: list[Record] = []
        for partition in sorted(self._positions):
            log = topic.partitions[partition]
            position = max(self._positions[partition], log.base)
            start = position - log.base
            taken = log.records[start : start + max_records - len(records)]
            records.extend(taken)
            self._positions[partition] = position + len(taken)
            if len(records) >= max_records:
                break
        return records

    def positions(self) -> Positions:
        return dict(self._positions)

    async def close(self) -> None:
        self.closed = True
        self._bus.open_readers.discard(self)
