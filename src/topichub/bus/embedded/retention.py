"""Retention of the embedded log: per partition, delete the oldest records beyond the
topic's time and size budgets. Like Kafka, only a prefix of the log is ever removed: age
retention drops everything before the first record newer than the cutoff."""

from __future__ import annotations

import asyncio

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from topichub.bus.embedded.common import db_errors
from topichub.kit.time import now_ms
from topichub.models.bus import BusPartition, BusRecord, BusTopic


async def enforce_retention(engine: AsyncEngine, write_lock: asyncio.Lock) -> int:
    """Apply every topic's retention; the number of records deleted."""
    async with db_errors(), engine.connect() as conn:
        topics = (
            await conn.execute(
                select(
                    BusTopic.name,
                    BusTopic.partitions,
                    BusTopic.retention_ms,
                    BusTopic.retention_bytes,
                ).where(
                    (BusTopic.retention_ms.is_not(None)) | (BusTopic.retention_bytes.is_not(None))
                )
            )
        ).all()
    dropped = 0
    for name, partitions, retention_ms, retention_bytes in topics:
        for partition in range(partitions):
            dropped += await _retain(
                engine, write_lock, name, partition, retention_ms, retention_bytes
            )
    return dropped


async def _retain(
    engine: AsyncEngine,
    write_lock: asyncio.Lock,
    topic: str,
    partition: int,
    retention_ms: int | None,
    retention_bytes: int | None,
) -> int:
    in_partition = and_(BusRecord.topic == topic, BusRecord.partition == partition)
    async with write_lock, db_errors(), engine.begin() as conn:
        boundary: int | None = None
        if retention_ms is not None:
            cutoff = now_ms() - retention_ms
            first_kept = await conn.scalar(
                select(func.min(BusRecord.offset)).where(
                    in_partition, BusRecord.timestamp_ms >= cutoff
                )
            )
            if first_kept is None:  # everything is older than the cutoff
                first_kept = await conn.scalar(
                    select(BusPartition.next_offset).where(
                        BusPartition.topic == topic, BusPartition.partition == partition
                    )
                )
            boundary = first_kept
        if retention_bytes is not None:
            kept = (
                func.sum(BusRecord.size)
                .over(order_by=BusRecord.offset.desc(), rows=(None, 0))
                .label("kept")
            )
            newest_first = select(BusRecord.offset, kept).where(in_partition).subquery()
            overflow = await conn.scalar(
                select(func.max(newest_first.c.offset)).where(newest_first.c.kept > retention_bytes)
            )
            if overflow is not None:
                boundary = max(boundary or 0, overflow + 1)
        if boundary is None:
            return 0
        result = await conn.execute(
            delete(BusRecord).where(in_partition, BusRecord.offset < boundary)
        )
        return max(result.rowcount, 0)
