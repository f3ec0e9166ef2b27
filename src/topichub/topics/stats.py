"""Topic statistics (``GET /topics/{name}/stats``), from the bus port's offset queries.

What each figure costs is in ``docs/browse-and-stats.md``. In short: the offset figures
are a handful of indexed queries (embedded) or ListOffsets requests (Kafka); the last
message's time reads the last record of each partition; bytes retained is one SQL
aggregate on the embedded log and unknown (``None``) on Kafka, whose protocol has no
cheap per-topic size short of the admin DescribeLogDirs call on every broker.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus.port import EventBus, Positions
from topichub.models.bus import BusRecord

LAST_READ_TIMEOUT_S = 1.0


@dataclass(frozen=True, slots=True)
class PartitionStats:
    partition: int
    earliest_offset: int
    next_offset: int

    @property
    def messages(self) -> int:
        return max(0, self.next_offset - self.earliest_offset)


@dataclass(frozen=True, slots=True)
class TopicStats:
    partitions: list[PartitionStats]
    last_message_ms: int | None
    messages_last_minute: int
    messages_last_hour: int
    bytes_retained: int | None

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.partitions)


def _since(end: Positions, found: Positions) -> int:
    return sum(max(0, end[p] - found.get(p, end[p])) for p in end)


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


async def topic_stats(
    bus: EventBus, topic: str, now_ms: int, session: AsyncSession | None
) -> TopicStats:
    """``session`` is given on the embedded engine only (the log lives in that database);
    ``TopicNotFound`` when the log has no such topic."""
    beginning = await bus.beginning_offsets(topic)
    end = await bus.end_offsets(topic)
    minute = await bus.offsets_for_time(topic, now_ms - 60_000)
    hour = await bus.offsets_for_time(topic, now_ms - 3_600_000)
    last_ms = await _last_message_ms(bus, topic, beginning, end)
    size = await embedded_bytes(session, topic) if session is not None else None
    return TopicStats(
        partitions=[
            PartitionStats(p, min(beginning.get(p, end[p]), end[p]), end[p]) for p in sorted(end)
        ],
        last_message_ms=last_ms,
        messages_last_minute=_since(end, minute),
        messages_last_hour=_since(end, hour),
        bytes_retained=size,
    )
