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
- Publishes are *group-committed*: one writer task drains every pending call and writes
  them all in one transaction, then answers each caller. Offset assignment is therefore
  serialised without locks between callers, and many small concurrent publishes cost
  one transaction. If that transaction fails, every caller in it gets
  ``BusUnavailable``: nothing is acknowledged that was not committed.
- Readers and group consumers poll the database, but only after an in-process wake-up
  (a commit on their topic) or once per ``read`` call, never in a busy loop.
- Group consumers are not coordinated: two members of one group both get every record
  (there is only one process, so there is nothing to balance).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import struct
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from topichub.bus.partitioner import Partitioner
from topichub.bus.port import (
    BusError,
    BusTimeout,
    BusUnavailable,
    Headers,
    InvalidPartition,
    OutRecord,
    Positions,
    Record,
    RecordMetadata,
    TopicNotFound,
    TopicSpec,
)
from topichub.kit.time import now_ms
from topichub.models.bus import (
    TOPIC_NAME_LENGTH,
    BusGroupOffset,
    BusPartition,
    BusRecord,
    BusTopic,
)

logger = logging.getLogger(__name__)

MAX_RECORDS_PER_TRANSACTION = 10_000
"""Upper bound on one group commit; a single larger publish call still goes in whole."""

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_LENGTH = struct.Struct(">I")
_HEADERS_V1 = b"\x01"


def validate_topic_spec(spec: TopicSpec) -> None:
    """Reject what Kafka would reject, so a topic valid here is valid on both engines."""
    if not (0 < len(spec.name) <= TOPIC_NAME_LENGTH) or not _TOPIC_NAME.match(spec.name):
        raise BusError(f"invalid topic name {spec.name!r}: use 1-249 of [A-Za-z0-9._-]")
    if spec.name in {".", ".."}:
        raise BusError(f"invalid topic name {spec.name!r}")
    if spec.partitions < 1:
        raise BusError(f"a topic needs at least one partition, got {spec.partitions}")
    if spec.retention_ms is not None and spec.retention_ms < 0:
        raise BusError("retention_ms must be >= 0 or None")
    if spec.retention_bytes is not None and spec.retention_bytes < 0:
        raise BusError("retention_bytes must be >= 0 or None")


def encode_headers(headers: Headers) -> bytes | None:
    """Length-prefixed (name, value) pairs, order and repeated names preserved."""
    if not headers:
        return None
    out = bytearray(_HEADERS_V1)
    for name, value in headers:
        raw = name.encode()
        out += _LENGTH.pack(len(raw))
        out += raw
        out += _LENGTH.pack(len(value))
        out += value
    return bytes(out)


def decode_headers(data: bytes | None) -> Headers:
    if not data:
        return ()
    if data[:1] != _HEADERS_V1:
        raise BusError("unknown header encoding in bus_records")
    headers: list[tuple[str, bytes]] = []
    pos = 1
    while pos < len(data):
        (length,) = _LENGTH.unpack_from(data, pos)
        pos += _LENGTH.size
        name = data[pos : pos + length].decode()
        pos += length
        (length,) = _LENGTH.unpack_from(data, pos)
        pos += _LENGTH.size
        headers.append((name, data[pos : pos + length]))
        pos += length
    return tuple(headers)


class _Signal:
    """A broadcast wake-up without lost notifications: a waiter takes ``current()``
    *before* it looks at the database, so a commit that lands in between has already
    set the event it then waits on."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()


async def _wait(event: asyncio.Event, timeout: float) -> None:
    """Wait for ``event`` at most ``timeout`` seconds; a timeout is not an error."""
    if timeout <= 0:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


@dataclass(slots=True)
class _PendingPublish:
    topic: str
    records: Sequence[OutRecord]
    partitions: list[int]
    future: asyncio.Future[list[RecordMetadata]]


_RECORD_COLUMNS = (
    BusRecord.partition,
    BusRecord.offset,
    BusRecord.timestamp_ms,
    BusRecord.key,
    BusRecord.value,
    BusRecord.headers,
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
        self._queue: deque[_PendingPublish] = deque()
        self._writer_wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        # Serialises every write this process makes to the bus tables: group commits,
        # topic admin, retention and offset commits. SQLite has one writer anyway, and
        # on PostgreSQL it keeps topic deletion from racing a commit into that topic.
        self._write_lock = asyncio.Lock()
        self._signals: dict[str, _Signal] = {}
        self._any_signal = _Signal()
        self._topics_version = 0
        self._state = "new"
        self._stopped = asyncio.Event()
        self.transactions = 0
        """Group commits so far (observability and tests)."""

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if self._state == "running":
            return
        if self._state != "new":
            raise BusUnavailable("a stopped EmbeddedBus cannot be restarted; create a new one")
        self._writer = asyncio.create_task(self._run_writer(), name="embedded-bus-writer")
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
        self._writer_wakeup.set()
        writer = self._writer
        if writer is not None:
            try:
                async with asyncio.timeout(self._publish_timeout_s):
                    await asyncio.shield(writer)
            except TimeoutError:
                logger.warning("embedded bus writer did not drain in time; cancelling it")
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
        while self._queue:
            pending = self._queue.popleft()
            if not pending.future.done():
                pending.future.set_exception(BusUnavailable("the bus stopped"))
        self._state = "stopped"
        self._stopped.set()
        # Readers waiting for records return now instead of at their timeout.
        for signal in self._signals.values():
            signal.notify()
        self._any_signal.notify()

    def _ensure_running(self) -> None:
        if self._state != "running":
            raise BusUnavailable(f"the embedded bus is {self._state}")

    async def check(self) -> None:
        self._ensure_running()
        if self._writer is None or self._writer.done():
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
        async with self._write_lock, self._db_errors():
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
        async with self._write_lock, self._db_errors(), self._engine.begin() as conn:
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
        async with self._db_errors(), self._engine.connect() as conn:
            count = await conn.scalar(select(BusTopic.partitions).where(BusTopic.name == topic))
        if count is None:
            raise TopicNotFound(topic)
        self._partition_counts[topic] = count
        return count

    def _topics_changed(self) -> None:
        self._topics_version += 1
        self._any_signal.notify()

    # -- publish ---------------------------------------------------------------------

    async def publish(self, topic: str, records: Sequence[OutRecord]) -> list[RecordMetadata]:
        partitions = self._partitioner.assign(topic, records, await self.partitions(topic))
        if not records:
            return []
        future: asyncio.Future[list[RecordMetadata]] = asyncio.get_running_loop().create_future()
        self._queue.append(_PendingPublish(topic, records, partitions, future))
        self._writer_wakeup.set()
        try:
            async with asyncio.timeout(self._publish_timeout_s):
                # A timeout cancels the future; the writer skips it if it has not taken
                # it yet, otherwise the records may still be committed (outcome unknown).
                return await future
        except TimeoutError:
            raise BusTimeout(
                f"publish to {topic!r} not confirmed within {self._publish_timeout_s}s"
            ) from None

    async def _run_writer(self) -> None:
        while True:
            if not self._queue:
                if self._state != "running":
                    return
                self._writer_wakeup.clear()
                await self._writer_wakeup.wait()
                continue
            group = self._take_group()
            if group:
                await self._commit_group(group)

    def _take_group(self) -> list[_PendingPublish]:
        group: list[_PendingPublish] = []
        size = 0
        while self._queue:
            pending = self._queue[0]
            if pending.future.done():  # its caller gave up before we started
                self._queue.popleft()
                continue
            if group and size + len(pending.records) > MAX_RECORDS_PER_TRANSACTION:
                break
            self._queue.popleft()
            group.append(pending)
            size += len(pending.records)
        return group

    async def _commit_group(self, group: list[_PendingPublish]) -> None:
        try:
            async with self._write_lock:
                outcomes = await self._write_group(group)
        except asyncio.CancelledError:
            for pending in group:
                if not pending.future.done():
                    pending.future.set_exception(BusUnavailable("the bus stopped mid-commit"))
            raise
        except Exception as exc:  # noqa: BLE001  (any failure must reach every caller)
            logger.warning("embedded bus group commit of %d call(s) failed: %r", len(group), exc)
            for pending in group:
                if not pending.future.done():
                    error = BusUnavailable(f"the log could not commit: {exc}")
                    error.__cause__ = exc
                    pending.future.set_exception(error)
            return
        self.transactions += 1
        written: set[str] = set()
        for pending, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BusError):
                if isinstance(outcome, TopicNotFound):
                    self._partition_counts.pop(pending.topic, None)
                if not pending.future.done():
                    pending.future.set_exception(outcome)
                continue
            written.add(pending.topic)
            if not pending.future.done():
                pending.future.set_result(outcome)
        for topic in written:
            signal = self._signals.get(topic)
            if signal is not None:
                signal.notify()
        if written:
            self._any_signal.notify()

    async def _write_group(
        self, group: list[_PendingPublish]
    ) -> list[list[RecordMetadata] | BusError]:
        topics = {pending.topic for pending in group}
        async with self._engine.begin() as conn:
            rows = await conn.execute(
                select(BusPartition.topic, BusPartition.partition, BusPartition.next_offset)
                .where(BusPartition.topic.in_(topics))
                # Harmless in one process; makes a misconfigured second writer wait
                # instead of colliding on the primary key (PostgreSQL only).
                .with_for_update()
            )
            next_offsets: dict[tuple[str, int], int] = {}
            partition_counts: dict[str, int] = {}
            for topic, partition, next_offset in rows:
                next_offsets[(topic, partition)] = next_offset
                partition_counts[topic] = partition_counts.get(topic, 0) + 1
            start = dict(next_offsets)
            timestamp = now_ms()
            inserts: list[dict[str, Any]] = []
            outcomes: list[list[RecordMetadata] | BusError] = []
            for pending in group:
                count = partition_counts.get(pending.topic)
                if count is None:
                    outcomes.append(TopicNotFound(pending.topic))
                    continue
                if any(p >= count for p in pending.partitions):
                    outcomes.append(InvalidPartition(f"{pending.topic!r} has {count} partitions"))
                    continue
                metadata: list[RecordMetadata] = []
                for record, partition in zip(pending.records, pending.partitions, strict=True):
                    offset = next_offsets[(pending.topic, partition)]
                    next_offsets[(pending.topic, partition)] = offset + 1
                    ts = record.timestamp_ms if record.timestamp_ms is not None else timestamp
                    headers = encode_headers(record.headers)
                    inserts.append(
                        {
                            "topic": pending.topic,
                            "partition": partition,
                            "offset": offset,
                            "timestamp_ms": ts,
                            "key": record.key,
                            "value": record.value,
                            "headers": headers,
                            "size": len(record.value)
                            + len(record.key or b"")
                            + len(headers or b""),
                        }
                    )
                    metadata.append(RecordMetadata(pending.topic, partition, offset, ts))
                outcomes.append(metadata)
            if inserts:
                await conn.execute(insert(BusRecord), inserts)
                await conn.execute(
                    update(BusPartition)
                    .where(
                        BusPartition.topic == bindparam("b_topic"),
                        BusPartition.partition == bindparam("b_partition"),
                    )
                    .values(next_offset=bindparam("b_next")),
                    [
                        {"b_topic": t, "b_partition": p, "b_next": n}
                        for (t, p), n in next_offsets.items()
                        if n != start[(t, p)]
                    ],
                )
        return outcomes

    # -- offsets ---------------------------------------------------------------------

    async def end_offsets(self, topic: str) -> Positions:
        await self.partitions(topic)  # TopicNotFound
        async with self._db_errors(), self._engine.connect() as conn:
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
        async with self._db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(stmt)
            return dict(rows.all())

    # -- reading ---------------------------------------------------------------------

    def reader(self, topic: str, positions: Positions) -> EmbeddedReader:
        return EmbeddedReader(self, topic, positions)

    def group_consumer(
        self, group: str, topics: Sequence[str], *, pattern: str | None = None
    ) -> EmbeddedGroupConsumer:
        return EmbeddedGroupConsumer(self, group, topics, pattern)

    def _signal(self, topic: str) -> _Signal:
        signal = self._signals.get(topic)
        if signal is None:
            signal = self._signals[topic] = _Signal()
        return signal

    async def _fetch(
        self,
        conn: AsyncConnection,
        positions: dict[tuple[str, int], int],
        order: Sequence[tuple[str, int]],
        max_records: int,
    ) -> list[Record]:
        """Read up to ``max_records`` from the partitions in ``order``, advancing
        ``positions``. One indexed range query per partition, each bounded by what the
        budget still allows."""
        out: list[Record] = []
        for topic, partition in order:
            budget = max_records - len(out)
            if budget <= 0:
                break
            position = positions[(topic, partition)]
            stmt = (
                select(*_RECORD_COLUMNS)
                .where(
                    BusRecord.topic == topic,
                    BusRecord.partition == partition,
                    BusRecord.offset >= position,
                )
                .order_by(BusRecord.offset)
                .limit(budget)
            )
            rows = (await conn.execute(stmt)).all()
            for p, offset, ts, key, value, headers in rows:
                out.append(
                    Record(
                        topic=topic,
                        partition=p,
                        offset=offset,
                        timestamp_ms=ts,
                        value=value,
                        key=key,
                        headers=decode_headers(headers),
                    )
                )
            if rows:
                positions[(topic, partition)] = rows[-1][1] + 1
        return out

    # -- retention -------------------------------------------------------------------

    async def enforce_retention(self) -> int:
        """Delete, per partition, the oldest records beyond the topic's time and size
        budgets. Like Kafka, only a prefix of the log is ever removed: age retention
        drops everything before the first record newer than the cutoff."""
        self._ensure_running()
        async with self._db_errors(), self._engine.connect() as conn:
            topics = (
                await conn.execute(
                    select(
                        BusTopic.name,
                        BusTopic.partitions,
                        BusTopic.retention_ms,
                        BusTopic.retention_bytes,
                    ).where(
                        (BusTopic.retention_ms.is_not(None))
                        | (BusTopic.retention_bytes.is_not(None))
                    )
                )
            ).all()
        dropped = 0
        for name, partitions, retention_ms, retention_bytes in topics:
            for partition in range(partitions):
                dropped += await self._retain(name, partition, retention_ms, retention_bytes)
        return dropped

    async def _retain(
        self,
        topic: str,
        partition: int,
        retention_ms: int | None,
        retention_bytes: int | None,
    ) -> int:
        in_partition = and_(BusRecord.topic == topic, BusRecord.partition == partition)
        async with self._write_lock, self._db_errors(), self._engine.begin() as conn:
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
                    select(func.max(newest_first.c.offset)).where(
                        newest_first.c.kept > retention_bytes
                    )
                )
                if overflow is not None:
                    boundary = max(boundary or 0, overflow + 1)
            if boundary is None:
                return 0
            result = await conn.execute(
                delete(BusRecord).where(in_partition, BusRecord.offset < boundary)
            )
            return max(result.rowcount, 0)

    # -- helpers ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _db_errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (SQLAlchemyError, OSError) as exc:
            raise BusUnavailable(f"database error: {exc}") from exc

    def _upsert_offsets(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> Any:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            pg_stmt = postgresql.insert(BusGroupOffset)
            return pg_stmt.on_conflict_do_update(
                index_elements=["group_id", "topic", "partition"],
                set_={"offset": pg_stmt.excluded.offset},
            )
        if dialect == "sqlite":
            lite_stmt = sqlite.insert(BusGroupOffset)
            return lite_stmt.on_conflict_do_update(
                index_elements=["group_id", "topic", "partition"],
                set_={"offset": lite_stmt.excluded.offset},
            )
        raise BusError(f"the embedded bus does not support the {dialect} dialect")

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
        async with self._write_lock, self._db_errors(), self._engine.begin() as conn:
            await conn.execute(self._upsert_offsets(conn, rows), rows)

    async def _committed(self, group: str, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        async with self._db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(
                select(BusGroupOffset.topic, BusGroupOffset.partition, BusGroupOffset.offset).where(
                    BusGroupOffset.group_id == group, BusGroupOffset.topic.in_(list(topics))
                )
            )
            return {(topic, partition): offset for topic, partition, offset in rows}

    async def _list_topics(self) -> dict[str, int]:
        async with self._db_errors(), self._engine.connect() as conn:
            rows = await conn.execute(select(BusTopic.name, BusTopic.partitions))
            return dict(rows.all())


class EmbeddedReader:
    """Reads one topic from explicit positions (see ``topichub.bus.port.Reader``).

    A position before the first record still held (retention) continues at that record
    and a position past the end starts over at the earliest record, as a Kafka consumer
    with ``auto.offset.reset=earliest`` does; callers spot a gap because the first
    record's offset is above the position they asked for.
    """

    def __init__(self, bus: EmbeddedBus, topic: str, positions: Positions) -> None:
        self._bus = bus
        self._topic = topic
        self._positions = {(topic, p): offset for p, offset in positions.items()}
        self._order = sorted(self._positions)
        self._checked = False
        self._closed = False

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        if self._closed:
            raise BusError("reader is closed")
        self._bus._ensure_running()
        if not self._checked:
            await self._check_positions()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        signal = self._bus._signal(self._topic)
        while True:
            event = signal.current()
            async with self._bus._db_errors(), self._bus._engine.connect() as conn:
                records = await self._bus._fetch(conn, self._positions, self._order, max_records)
            if records:
                # Rotate so one busy partition cannot starve the others.
                self._order = self._order[1:] + self._order[:1]
                return records
            if self._bus._state != "running":
                return []
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await _wait(event, remaining)

    async def _check_positions(self) -> None:
        partitions = await self._bus.partitions(self._topic)
        for _, partition in self._order:
            if not 0 <= partition < partitions:
                raise InvalidPartition(
                    f"partition {partition} out of range for {self._topic!r} ({partitions})"
                )
        ends = await self._bus.end_offsets(self._topic)
        for key, position in self._positions.items():
            if position < 0 or position > ends[key[1]]:
                self._positions[key] = 0
        self._checked = True

    def positions(self) -> Positions:
        return {partition: offset for (_, partition), offset in self._positions.items()}

    async def close(self) -> None:
        self._closed = True


class EmbeddedGroupConsumer:
    """A consumer group member over a topic list or a regex ``pattern`` (matched with
    ``re.match``, as Kafka clients do), resuming from the group's committed offsets or
    the earliest record. Topics created later are picked up within
    ``topic_scan_interval_s`` (at once when created by this bus). Commits are explicit;
    anything read but not committed is delivered again to the next member that opens
    the group. There is no rebalancing: every member of a group reads every partition.
    """

    def __init__(
        self,
        bus: EmbeddedBus,
        group: str,
        topics: Sequence[str],
        pattern: str | None,
    ) -> None:
        if not topics and pattern is None:
            raise ValueError("subscribe to at least one topic or a pattern")
        self._bus = bus
        self._group = group
        self._topics = frozenset(topics)
        self._pattern = re.compile(pattern) if pattern is not None else None
        self._positions: dict[tuple[str, int], int] = {}
        self._order: list[tuple[str, int]] = []
        self._scanned_at: float | None = None
        self._scanned_version = -1
        self._closed = False

    def _wanted(self, topic: str) -> bool:
        if topic in self._topics:
            return True
        return self._pattern is not None and self._pattern.match(topic) is not None

    async def _rescan(self, now: float) -> None:
        fresh = self._scanned_at is not None and (
            now - self._scanned_at < self._bus._topic_scan_interval_s
            and self._scanned_version == self._bus._topics_version
        )
        if fresh:
            return
        version = self._bus._topics_version
        topics = {
            name: partitions
            for name, partitions in (await self._bus._list_topics()).items()
            if self._wanted(name)
        }
        wanted = {(name, p) for name, partitions in topics.items() for p in range(partitions)}
        new = wanted - self._positions.keys()
        for key in self._positions.keys() - wanted:
            del self._positions[key]
        if new:
            committed = await self._bus._committed(self._group, {t for t, _ in new})
            for key in new:
                self._positions[key] = committed.get(key, 0)
        self._order = sorted(self._positions)
        self._scanned_at = now
        self._scanned_version = version

    async def read(self, *, timeout: float, max_records: int = 500) -> list[Record]:
        if self._closed:
            raise BusError("consumer is closed")
        self._bus._ensure_running()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._bus._any_signal.current()
            await self._rescan(loop.time())
            records: list[Record] = []
            if self._order:
                async with self._bus._db_errors(), self._bus._engine.connect() as conn:
                    records = await self._bus._fetch(
                        conn, self._positions, self._order, max_records
                    )
            if records:
                self._order = self._order[1:] + self._order[:1]
                return records
            if self._bus._state != "running":
                return []
            now = loop.time()
            remaining = deadline - now
            if remaining <= 0:
                return []
            # Wake for the next topic scan too: another process may create a topic.
            await _wait(event, min(remaining, self._bus._topic_scan_interval_s))

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        if self._closed:
            raise BusError("consumer is closed")
        await self._bus._commit_offsets(self._group, offsets)

    async def close(self) -> None:
        self._closed = True
