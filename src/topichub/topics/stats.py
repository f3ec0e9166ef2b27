"""Topic statistics (``GET /topics/{name}/stats``), from the bus port's offset queries.

What each figure costs is in ``docs/browse-and-stats.md``. In short: the offset figures
are a handful of indexed queries (embedded) or ListOffsets requests (Kafka); the last
message's time reads the last record of each partition; bytes retained is one SQL
aggregate on the embedded log and unknown (``None``) on Kafka, whose protocol has no
cheap per-topic size short of the admin DescribeLogDirs call on every broker.

Messages and bytes of the last minute and hour come from this process's counters
(``topics.traffic``), not from the log. The log's figures are kept per process for
``CACHE_TTL_S``: a console polling many topics every few seconds costs the log at most
one computation per topic per ``CACHE_TTL_S``, and concurrent askers share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.bus.port import EventBus, Positions
from topichub.kit.cache import StaleCache
from topichub.models.bus import BusRecord
from topichub.topics.traffic import TRAFFIC, Figures

LAST_READ_TIMEOUT_S = 1.0
CACHE_TTL_S = 2.0
"""How old the log's figures (offsets, last message time, bytes retained) may be when
another process or a Kafka client wrote the topic."""
LIST_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class PartitionStats:
    partition: int
    earliest_offset: int
    next_offset: int

    @property
    def messages(self) -> int:
        return max(0, self.next_offset - self.earliest_offset)


@dataclass(frozen=True, slots=True)
class LogFigures:
    """What the log says about a topic (cached for ``CACHE_TTL_S``)."""

    partitions: list[PartitionStats]
    last_message_ms: int | None
    bytes_retained: int | None

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.partitions)


@dataclass(frozen=True, slots=True)
class TopicStats:
    log: LogFigures
    last_minute: Figures
    last_hour: Figures

    @property
    def messages(self) -> int:
        return self.log.messages


_LAST_SEEN: dict[tuple[str, int, int], int] = {}
"""Timestamp of the record at ``(topic, partition, offset)``. A stored record never changes
and a re-created topic gets a new physical name, so an entry is never stale: a polled
topic that received nothing since the last poll costs no read at all (on Kafka a read is
a consumer start, which dominates the figures' cost)."""
_LAST_SEEN_MAX = 10_000


def _remember(topic: str, partition: int, offset: int, timestamp_ms: int) -> None:
    if len(_LAST_SEEN) >= _LAST_SEEN_MAX:
        del _LAST_SEEN[next(iter(_LAST_SEEN))]  # oldest first: dicts keep insertion order
    _LAST_SEEN[(topic, partition, offset)] = timestamp_ms


async def _last_message_ms(
    bus: EventBus, topic: str, beginning: Positions, end: Positions
) -> int | None:
    last = {p: end[p] - 1 for p in end if end[p] > beginning.get(p, 0)}
    known = [_LAST_SEEN.get((topic, p, offset)) for p, offset in last.items()]
    unknown = {p: offset for p, offset in last.items() if (topic, p, offset) not in _LAST_SEEN}
    newest = max((ms for ms in known if ms is not None), default=None)
    if not unknown:
        return newest
    reader = bus.reader(topic, unknown)
    try:
        while unknown:
            records = await reader.read(timeout=LAST_READ_TIMEOUT_S, max_records=len(last))
            if not records:
                break
            for record in records:
                if unknown.pop(record.partition, None) == record.offset:
                    _remember(topic, record.partition, record.offset, record.timestamp_ms)
                if newest is None or record.timestamp_ms > newest:
                    newest = record.timestamp_ms
    finally:
        await reader.close()
    return newest


async def embedded_bytes(session: AsyncSession, topic: str) -> int:
    """Bytes the embedded log holds for ``topic`` (the ``size`` that ``retention_bytes``
    budgets): one aggregate over the topic's index range, so it grows with what the
    topic retains."""
    stmt = select(func.coalesce(func.sum(BusRecord.size), 0)).where(BusRecord.topic == topic)
    return int((await session.execute(stmt)).scalar_one())


async def log_figures(
    bus: EventBus, topic: str, sessions: async_sessionmaker[AsyncSession] | None
) -> LogFigures:
    """``sessions`` is given on the embedded engine only (the log lives in that
    database); ``TopicNotFound`` when the log has no such topic."""
    beginning = await bus.beginning_offsets(topic)
    end = await bus.end_offsets(topic)
    last_ms = await _last_message_ms(bus, topic, beginning, end)
    size = None
    if sessions is not None:
        async with sessions() as session:
            size = await embedded_bytes(session, topic)
    return LogFigures(
        partitions=[
            PartitionStats(p, min(beginning.get(p, end[p]), end[p]), end[p]) for p in sorted(end)
        ],
        last_message_ms=last_ms,
        bytes_retained=size,
    )


_CACHE: StaleCache[tuple[str, int], LogFigures] = StaleCache(CACHE_TTL_S, max_entries=20_000)
"""By physical topic name (never reused: a re-created topic has a new one) and how many
messages this process had published to it: a publish through this process makes the
next answer fresh at once; other writers show within ``CACHE_TTL_S``."""


async def topic_stats(
    bus: EventBus,
    topic: str,
    partitions: int,
    sessions: async_sessionmaker[AsyncSession] | None,
) -> TopicStats:
    """The log's figures (at most ``CACHE_TTL_S`` old; zeros for a topic the log does
    not have yet) and this process's traffic counters of the last minute and hour."""

    async def fill() -> tuple[LogFigures, float | None]:
        try:
            return await log_figures(bus, topic, sessions), None
        except BusTopicNotFound:
            # Registered but never written: nothing in the log yet.
            empty = LogFigures(
                partitions=[PartitionStats(p, 0, 0) for p in range(partitions)],
                last_message_ms=None,
                bytes_retained=0 if sessions is not None else None,
            )
            return empty, None

    figures = await _CACHE.get_or_fill((topic, TRAFFIC.published(topic)), fill)
    return TopicStats(
        log=figures,
        last_minute=TRAFFIC.window(topic, 60),
        last_hour=TRAFFIC.window(topic, 3600),
    )


async def many(
    bus: EventBus,
    topics: Sequence[tuple[str, int]],
    sessions: async_sessionmaker[AsyncSession] | None,
) -> list[TopicStats]:
    """``topic_stats`` of (physical name, partitions) pairs, ``LIST_CONCURRENCY`` at a
    time, in the given order."""
    gate = asyncio.Semaphore(LIST_CONCURRENCY)

    async def one(topic: str, partitions: int) -> TopicStats:
        async with gate:
            return await topic_stats(bus, topic, partitions, sessions)

    return list(await asyncio.gather(*(one(t, p) for t, p in topics)))
