"""The embedded engine: a durable log in the application's SQL database.

``EmbeddedBus`` stores topics, records and consumer-group offsets in the ``bus_*`` tables
(``topichub.models.bus``) of the SQLite or PostgreSQL database the rest of topichub uses,
so one process needs no broker. It is for exactly one process: offsets are assigned by a
single in-process writer and live readers are woken by in-process events, so a second
process writing the same tables would neither be woken for nor serialised with.

Delivery semantics (the port's, made concrete):

- ``publish`` returns once the records are committed to the database. Offsets are dense
  per partition and start at 0; ``bus_partitions.next_offset`` survives retention, so
  an offset is never handed out twice.
- Publishes are *group-committed* (``writer``); readers poll only after a wake-up
  (``readers``); retention removes a prefix of each partition (``retention``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from topichub.bus.deadlines import Deadlines
from topichub.bus.embedded.common import db_errors, validate_topic_spec
from topichub.bus.embedded.readers import EmbeddedGroupConsumer, EmbeddedReader, Signal
from topichub.bus.embedded.retention import enforce_retention
from topichub.bus.embedded.writer import GroupWriter
from topichub.bus.partitioner import Partitioner
from topichub.bus.port import (
    BusError,
    BusTimeout,
    BusUnavailable,
    OutBatch,
    OutRecord,
    Positions,
    RecordMetadata,
    Stored,
    TopicNotFound,
    TopicSpec,
)
from topichub.kit.db import upsert
from topichub.models.bus import (
    BusGroupOffset,
    BusPartition,
    BusRecord,
    BusTopic,
)


class EmbeddedBus:
    """The event bus on the SQL database, for one process. See the module docstring for
    its delivery semantics; the engine passed in is borrowed, never disposed."""

    name = "embedded"

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        publish_timeout_s: float = 10.0,
        topic_scan_interval_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._publish_timeout_s = publish_timeout_s
        self._topic_scan_interval_s = topic_scan_interval_s
        self._partitioner = Partitioner()
        self._partition_counts: dict[str, int] = {}
        # Serialises every write this process makes to the bus tables: group commits,
        # topic admin, retention and offset commits. SQLite has one writer anyway, and
        # on PostgreSQL it keeps topic deletion from racing a commit into that topic.
        self._write_lock = asyncio.Lock()
        self._writer = GroupWriter(
            engine,
            self._write_lock,
            on_written=self._written,
            on_missing=self._forget_partitions,
        )
        self._deadlines = Deadlines(self._timed_out)
        self._signals: dict[str, Signal] = {}
        # Group consumers are woken only by commits to topics they want: otherwise
        # every publish would cost each of them (audit, recommender, ...) a query.
        self._groups: weakref.WeakSet[EmbeddedGroupConsumer] = weakref.WeakSet()
        self._topics_version = 0
        self._state = "new"
        self._stopped = asyncio.Event()

    @property
    def transactions(self) -> int:
        """Group commits so far (observability and tests)."""
        return self._writer.transactions

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if self._state == "running":
            return
        if self._state != "new":
            raise BusUnavailable("a stopped EmbeddedBus cannot be restarted; create a new one")
        self._writer.start()
        self._state = "running"

    async def stop(self) -> None:
        """Stop accepting publishes, let the writer commit what is queued (bounded by
        ``publish_timeout_s``), fail whatever is left with ``BusUnavailable``."""
        if self._state in {"stopping", "stopped"}:
            await self._stopped.wait()
            return
        if self._state == "new":
            self._state = "stopped"
            self._stopped.set()
            return
        self._state = "stopping"
        await self._writer.drain(self._publish_timeout_s)
        self._state = "stopped"
        self._stopped.set()
        # Readers waiting for records return now instead of at their timeout.
        for signal in self._signals.values():
            signal.notify()
        self._wake_groups()

    def _ensure_running(self) -> None:
        if self._state != "running":
            raise BusUnavailable(f"the embedded bus is {self._state}")

    async def check(self) -> None:
        self._ensure_running()
        if not self._writer.running:
            raise BusUnavailable("the embedded bus writer is not running")
        try:
            async with asyncio.timeout(5), self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            raise BusUnavailable(f"database unreachable: {exc}") from exc

    # -- topics ----------------------------------------------------------------------

    async def create_topic(self, spec: TopicSpec) -> None:
        validate_topic_spec(spec)
        self._ensure_running()
        async with self._write_lock, db_errors():
            try:
                async with self._engine.begin() as conn:
                    exists = await conn.scalar(
                        select(BusTopic.name).where(BusTopic.name == spec.name)
                    )
                    if exists is not None:
                        return
                    await conn.execute(
                        insert(BusTopic).values(
                            name=spec.name,
                            partitions=spec.partitions,
                            retention_ms=spec.retention_ms,
                            retention_bytes=spec.retention_bytes,
                        )
                    )
                    await conn.execute(
                        insert(BusPartition),
                        [
                            {"topic": spec.name, "partition": p, "next_offset": 0}
                            for p in range(spec.partitions)
                        ],
                    )
            except IntegrityError:
                # Another process created it in between: creating is idempotent.
                return
        self._partition_counts[spec.name] = spec.partitions
        self._topics_changed()

    async def delete_topic(self, name: str) -> None:
        self._ensure_running()
        async with self._write_lock, db_errors(), self._engine.begin() as conn:
            await conn.execute(delete(BusRecord).where(BusRecord.topic == name))
            await conn.execute(delete(BusGroupOffset).where(BusGroupOffset.topic == name))
            await conn.execute(delete(BusPartition).where(BusPartition.topic == name))
            await conn.execute(delete(BusTopic).where(BusTopic.name == name))
        self._partition_counts.pop(name, None)
        self._partitioner.forget(name)
        signal = self._signals.pop(name, None)
        if signal is not None:
            signal.notify()
        self._topics_changed()

    async def partitions(self, topic: str) -> int:
        self._ensure_running()
        count = self._partition_counts.get(topic)
        if count is not None:
            return count
        async with db_errors(), self._engine.connect() as conn:
            count = await conn.scalar(select(BusTopic.partitions).where(BusTopic.name == topic))
        if count is None:
            raise TopicNotFound(topic)
        self._partition_counts[topic] = count
        return count

    def _topics_changed(self) -> None:
        self._topics_version += 1
        self._wake_groups()

    def _wake_groups(self) -> None:
        for group in list(self._groups):
            group.signal.notify()

    def _forget_partitions(self, topic: str) -> None:
        self._partition_counts.pop(topic, None)

    def _written(self, topics: set[str]) -> None:
        for topic in topics:
            signal = self._signals.get(topic)
            if signal is not None:
                signal.notify()
        for group in list(self._groups):
            if any(group.wants(topic) for topic in topics):
                group.signal.notify()

    # -- publish ---------------------------------------------------------------------

    async def publish(self, topic: str, records: Sequence[OutRecord]) -> list[RecordMetadata]:
        return list(await self.publish_columns(topic, OutBatch.of(records)))

    async def publish_columns(self, topic: str, batch: OutBatch) -> Stored:
        partitions = self._partitioner.assign(topic, batch, await self.partitions(topic))
        if not batch:
            return Stored(topic, [], [], [])
        future = self._writer.submit(topic, batch, partitions)
        # The timeout settles the future; the writer skips it if it has not taken it
        # yet, otherwise the records may still be committed (outcome unknown).
        self._deadlines.watch(
            future, asyncio.get_running_loop().time() + self._publish_timeout_s, topic
        )
        return await future

    def _timed_out(self, topic: str) -> BusTimeout:
        return BusTimeout(f"publish to {topic!r} not confirmed within {self._publish_timeout_s}s")

    # -- offsets ---------------------------------------------------------------------

    async def end_offsets(self, topic: str) -> Positions:
        await self.partitions(topic)  # TopicNotFound
        async with db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(
                select(BusPartition.partition, BusPartition.next_offset).where(
                    BusPartition.topic == topic
                )
            )
            return dict(rows.all())

    async def beginning_offsets(self, topic: str) -> Positions:
        first = (
            select(func.min(BusRecord.offset))
            .where(
                BusRecord.topic == BusPartition.topic,
                BusRecord.partition == BusPartition.partition,
            )
            .scalar_subquery()
        )
        return await self._offsets_per_partition(topic, first)

    async def offsets_for_time(self, topic: str, timestamp_ms: int) -> Positions:
        first = (
            select(func.min(BusRecord.offset))
            .where(
                BusRecord.topic == BusPartition.topic,
                BusRecord.partition == BusPartition.partition,
                BusRecord.timestamp_ms >= timestamp_ms,
            )
            .scalar_subquery()
        )
        return await self._offsets_per_partition(topic, first)

    async def _offsets_per_partition(self, topic: str, first: Any) -> Positions:
        """Per partition, ``first`` (a correlated scalar subquery over bus_records), or
        the end offset when it finds nothing; each subquery is one index probe."""
        await self.partitions(topic)  # TopicNotFound
        stmt = select(BusPartition.partition, func.coalesce(first, BusPartition.next_offset)).where(
            BusPartition.topic == topic
        )
        async with db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(stmt)
            return dict(rows.all())

    # -- reading ---------------------------------------------------------------------

    def reader(self, topic: str, positions: Positions) -> EmbeddedReader:
        return EmbeddedReader(self, topic, positions)

    def group_consumer(
        self, group: str, topics: Sequence[str], *, pattern: str | None = None
    ) -> EmbeddedGroupConsumer:
        consumer = EmbeddedGroupConsumer(self, group, topics, pattern)
        self._groups.add(consumer)
        return consumer

    def _signal(self, topic: str) -> Signal:
        signal = self._signals.get(topic)
        if signal is None:
            signal = self._signals[topic] = Signal()
        return signal

    # -- retention -------------------------------------------------------------------

    async def enforce_retention(self) -> int:
        """Delete, per partition, the oldest records beyond the topic's time and size
        budgets (see ``topichub.bus.embedded.retention``)."""
        self._ensure_running()
        return await enforce_retention(self._engine, self._write_lock)

    # -- helpers ---------------------------------------------------------------------

    def _upsert_offsets(self, conn: AsyncConnection) -> Any:
        stmt = upsert(conn, BusGroupOffset)
        return stmt.on_conflict_do_update(
            index_elements=["group_id", "topic", "partition"],
            set_={"offset": stmt.excluded.offset},
        )

    async def _commit_offsets(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        self._ensure_running()
        rows: list[dict[str, Any]] = [
            {"group_id": group, "topic": topic, "partition": partition, "offset": offset}
            for (topic, partition), offset in offsets.items()
        ]
        if not rows:
            return
        for row in rows:
            if row["offset"] < 0:
                raise BusError(f"cannot commit a negative offset: {row}")
        async with self._write_lock, db_errors(), self._engine.begin() as conn:
            await conn.execute(self._upsert_offsets(conn), rows)

    async def _committed(self, group: str, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        async with db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(
                select(BusGroupOffset.topic, BusGroupOffset.partition, BusGroupOffset.offset).where(
                    BusGroupOffset.group_id == group, BusGroupOffset.topic.in_(list(topics))
                )
            )
            return {(topic, partition): offset for topic, partition, offset in rows}

    async def _list_topics(self) -> dict[str, int]:
        async with db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(select(BusTopic.name, BusTopic.partitions))
            return dict(rows.all())
