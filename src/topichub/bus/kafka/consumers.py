"""Reading Kafka: explicit-position readers (a group-less ``AIOKafkaConsumer``, assign +
seek) and group consumers (normal group membership, never auto-commit, earliest offset
when the group has no commit for a partition)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from topichub.bus.kafka import records as tolerant_records
from topichub.bus.kafka.errors import bounded
from topichub.bus.port import BusError, InvalidPartition, Positions, Record

if TYPE_CHECKING:
    from topichub.bus.kafka.bus import KafkaBus

log = logging.getLogger(__name__)

READER_FETCH_WAIT_MS = 20
"""How long the broker may hold a fetch that finds nothing. A live stream's reader waits
this long for a record that tansu (which answers a waiting fetch only when the wait
expires) already has: it bounds the Kafka engine's low-load latency. Measured against
tansu (bench notes in docs/performance.md): an idle reader costs about 0.35 % of a core
at 50 ms, 0.7 % at 20 ms and 1 % at 10 ms, paid once per topic with streams, not per
stream. Brokers that answer a waiting fetch when data arrives gain nothing from it."""

# A header name that is not UTF-8 must not stall a reader (see records.py).
tolerant_records.install()


def to_record(message: Any) -> Record:
    return Record(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=message.timestamp,
        value=message.value,
        key=message.key,
        headers=tuple(message.headers or ()),
    )


class KafkaReader:
    """Reads one topic from explicit positions with a group-less ``AIOKafkaConsumer``
    (assign + seek). A position the broker no longer holds (retention) or never held
    restarts at the earliest offset (``auto_offset_reset="earliest"``); callers spot a
    gap because the first record's offset is above the position they asked for."""

    def __init__(self, bus: KafkaBus, topic: str, positions: Positions) -> None:
        self._bus = bus
        self._topic = topic
        self._positions = dict(positions)
        self._consumer: Any = None
        self._closed = False

    async def _ensure_consumer(self) -> Any:
        if self._consumer is not None:
            return self._consumer
        partitions = await self._bus._partition_count(self._topic)
        for partition in self._positions:
            if not 0 <= partition < partitions:
                raise InvalidPartition(
                    f"partition {partition} out of range for {self._topic!r} ({partitions})"
                )
        # Readers feed live streams: a short long-poll keeps publish-to-receive latency
        # low on brokers that answer a waiting fetch only when the wait expires (tansu:
        # p50 128 ms at aiokafka's default 500 ms, 27 ms at 100 ms).
        consumer = AIOKafkaConsumer(
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=READER_FETCH_WAIT_MS,
            **self._bus._consumer_config(),
        )
        # Everything up to the hand-over is one unit: a failure or a cancellation at any
        # await (start, seek) must stop the consumer, or its connections leak.
        try:
            await consumer.start()
            consumer.assign([TopicPartition(self._topic, p) for p in self._positions])
            for partition, offset in self._positions.items():
                tp = TopicPartition(self._topic, partition)
                if offset <= 0:
                    await consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, offset)
        except BaseException:
            await asyncio.shield(consumer.stop())
            raise
        self._consumer = consumer
        return consumer

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        if self._closed:
            raise BusError("reader is closed")
        self._bus._ensure_running()
        if not self._positions:
            return []
        async with bounded(f"reading {self._topic!r}", timeout + self._bus._request_timeout_s):
            consumer = await self._ensure_consumer()
            batches = await consumer.getmany(
                timeout_ms=int(timeout * 1000), max_records=max_records
            )
        records: list[Record] = []
        for messages in batches.values():
            records.extend(to_record(m) for m in messages)
            if messages:
                last = messages[-1]
                self._positions[last.partition] = last.offset + 1
        return records

    def positions(self) -> Positions:
        return dict(self._positions)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._bus._consumers.discard(self)
        if self._consumer is not None:
            # aiokafka's NoGroupCoordinator.close() cancels a task of its own and awaits
            # it; a task cancelled before its first step raises CancelledError there, out
            # of stop(), half-way through (its connections left open). A reader closed
            # right after it started hits that, so the task gets its first step here.
            await asyncio.sleep(0)
            try:
                async with asyncio.timeout(self._bus._request_timeout_s):
                    await self._consumer.stop()
            except (KafkaError, TimeoutError, OSError) as exc:
                log.warning("closing a Kafka reader failed: %r", exc)


class KafkaGroupConsumer:
    """A member of a Kafka consumer group over a topic list or a regex ``pattern``
    (aiokafka pattern subscription; new matching topics are found within
    ``topic_scan_interval_s``). Offsets are committed only by ``commit``; a partition
    without a committed offset starts at the earliest record. After a rebalance or a
    reopen, everything after the last commit is delivered again.

    aiokafka asks for the metadata of listed topics without turning auto-creation off,
    so on a broker that auto-creates topics (tansu) listing a missing topic creates it;
    subscribe to topics that exist, or use a pattern."""

    def __init__(
        self,
        bus: KafkaBus,
        group: str,
        topics: Sequence[str],
        pattern: str | None,
    ) -> None:
        if not topics and pattern is None:
            raise ValueError("subscribe to at least one topic or a pattern")
        if topics and pattern is not None:
            # aiokafka subscribes to one or the other; fold the names into the pattern.
            names = "|".join(re.escape(t) for t in topics)
            pattern = f"(?:{pattern})|(?:(?:{names})$)"
        self._bus = bus
        self._group = group
        self._topics = list(topics)
        self._pattern = pattern
        self._consumer: Any = None
        self._closed = False

    async def _ensure_consumer(self) -> Any:
        if self._consumer is not None:
            return self._consumer
        bus = self._bus
        consumer = AIOKafkaConsumer(
            group_id=self._group,
            auto_offset_reset="earliest",
            session_timeout_ms=bus._session_timeout_ms,
            heartbeat_interval_ms=bus._heartbeat_interval_ms,
            metadata_max_age_ms=int(bus._topic_scan_interval_s * 1000)
            if self._pattern is not None
            else 5 * 60 * 1000,
            **bus._consumer_config(),
        )
        if self._pattern is not None:
            consumer.subscribe(pattern=self._pattern)
        else:
            consumer.subscribe(topics=self._topics)
        try:
            await consumer.start()
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer
        return consumer

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        if self._closed:
            raise BusError("consumer is closed")
        self._bus._ensure_running()
        async with bounded(f"group {self._group!r} read", timeout + self._bus._request_timeout_s):
            consumer = await self._ensure_consumer()
            batches = await consumer.getmany(
                timeout_ms=int(timeout * 1000), max_records=max_records
            )
        return [to_record(m) for messages in batches.values() for m in messages]

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        if self._closed:
            raise BusError("consumer is closed")
        if not offsets:
            return
        async with bounded(f"group {self._group!r} commit", self._bus._request_timeout_s):
            consumer = await self._ensure_consumer()
            await consumer.commit(
                {TopicPartition(topic, p): offset for (topic, p), offset in offsets.items()}
            )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._bus._consumers.discard(self)
        if self._consumer is not None:
            try:
                async with asyncio.timeout(self._bus._request_timeout_s):
                    await self._consumer.stop()
            except (KafkaError, TimeoutError, OSError) as exc:
                log.warning("closing Kafka group consumer %r failed: %r", self._group, exc)
