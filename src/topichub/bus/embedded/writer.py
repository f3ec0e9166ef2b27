"""The embedded engine's group commit: one task drains every pending publish and writes
them all in one transaction, then answers each caller.

Offset assignment is therefore serialised without locks between callers, and many small
concurrent publishes cost one transaction. If that transaction fails, every caller in it
gets ``BusUnavailable``: nothing is acknowledged that was not committed.

The transactions run on one connection the writer holds, through its driver
(``driver``): every microsecond a transaction spends on the event loop is taken from
request handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from topichub.bus.embedded.common import encode_headers
from topichub.bus.embedded.driver import LogConnection, Row
from topichub.bus.port import (
    BusError,
    BusUnavailable,
    Headers,
    InvalidPartition,
    OutBatch,
    Stored,
    TopicNotFound,
)
from topichub.kit.time import now_ms

log = logging.getLogger(__name__)

MAX_RECORDS_PER_TRANSACTION = 10_000
"""Upper bound on one group commit; a single larger publish call still goes in whole."""


@dataclass(slots=True)
class PendingPublish:
    topic: str
    records: OutBatch
    partitions: list[int]
    future: asyncio.Future[Stored]


class GroupWriter:
    """Owns the queue of pending publishes and the task that commits them.

    ``on_written(topics)`` runs after each successful commit with the topics it wrote
    (the bus wakes their readers); ``on_missing(topic)`` when a topic was not found."""

    def __init__(
        self,
        engine: AsyncEngine,
        write_lock: asyncio.Lock,
        *,
        on_written: Callable[[set[str]], None],
        on_missing: Callable[[str], None],
    ) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._on_written = on_written
        self._on_missing = on_missing
        self._queue: deque[PendingPublish] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: LogConnection | None = None
        """The connection the group commits run on, opened by the first one."""
        self._draining = False
        self.transactions = 0
        """Group commits so far (observability and tests)."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="embedded-bus-writer")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def submit(
        self, topic: str, records: OutBatch, partitions: list[int]
    ) -> asyncio.Future[Stored]:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._queue.append(PendingPublish(topic, records, partitions, future))
        self._wakeup.set()
        return future

    async def drain(self, timeout: float) -> None:
        """Commit what is queued (bounded by ``timeout``), then fail whatever is left
        with ``BusUnavailable``; the writer does not take new work afterwards."""
        self._draining = True
        self._wakeup.set()
        task = self._task
        if task is not None:
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(task)
            except TimeoutError:
                log.warning("embedded bus writer did not drain in time; cancelling it")
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        while self._queue:
            pending = self._queue.popleft()
            if not pending.future.done():
                pending.future.set_exception(BusUnavailable("the bus stopped"))

    async def _run(self) -> None:
        try:
            while True:
                if not self._queue:
                    if self._draining:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                group = self._take_group()
                if group:
                    await self._commit_group(group)
        finally:
            conn, self._conn = self._conn, None
            if conn is not None:
                # Closed for good, not pooled: a connection held for the bus's life may
                # have been dropped under it since its last commit, and the pool (no
                # pre-ping on SQLite) would hand it, dead, to the next user.
                await conn.discard()

    def _take_group(self) -> list[PendingPublish]:
        group: list[PendingPublish] = []
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

    async def _commit_group(self, group: list[PendingPublish]) -> None:
        try:
            async with self._write_lock:
                outcomes = await self._write_group(group)
        except asyncio.CancelledError:
            for pending in group:
                if not pending.future.done():
                    pending.future.set_exception(BusUnavailable("the bus stopped mid-commit"))
            raise
        except Exception as exc:  # noqa: BLE001  (any failure must reach every caller)
            log.warning("embedded bus group commit of %d call(s) failed: %r", len(group), exc)
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
                    self._on_missing(pending.topic)
                if not pending.future.done():
                    pending.future.set_exception(outcome)
                continue
            written.add(pending.topic)
            if not pending.future.done():
                pending.future.set_result(outcome)
        if written:
            self._on_written(written)

    @staticmethod
    def _rows(
        pending: PendingPublish,
        next_offsets: dict[tuple[str, int], int],
        timestamp: int,
        inserts: list[tuple[Any, ...]],
    ) -> Stored:
        """The rows of one call (appended to ``inserts``) and where they go: offsets
        taken from ``next_offsets``, a run of offsets per partition."""
        topic = pending.topic
        batch = pending.records
        partitions = pending.partitions
        count = len(partitions)
        stamps = batch.timestamps
        timestamps = (
            [timestamp] * count
            if stamps is None
            else [ts if ts is not None else timestamp for ts in stamps]
        )
        if partitions.count(partitions[0]) == count:
            # One partition (a keyless batch): its offsets are one range.
            first = next_offsets[(topic, partitions[0])]
            next_offsets[(topic, partitions[0])] = first + count
            offsets = list(range(first, first + count))
        else:
            offsets = []
            for partition in partitions:
                offset = next_offsets[(topic, partition)]
                next_offsets[(topic, partition)] = offset + 1
                offsets.append(offset)
        last_tuple: Headers | None = None
        encoded: bytes | None = None
        for partition, offset, ts, key, value, headers in zip(
            partitions, offsets, timestamps, batch.keys, batch.values, batch.headers, strict=True
        ):
            if headers is not last_tuple:  # a publish's records mostly share one tuple
                last_tuple, encoded = headers, encode_headers(headers) if headers else None
            size = len(value)
            if key:
                size += len(key)
            if encoded:
                size += len(encoded)
            inserts.append((topic, partition, offset, ts, key, value, encoded, size))
        return Stored(topic, partitions, offsets, timestamps)

    async def _write_group(self, group: list[PendingPublish]) -> list[Stored | BusError]:
        conn, rows = await self._begin({pending.topic for pending in group})
        try:
            next_offsets: dict[tuple[str, int], int] = {}
            partition_counts: dict[str, int] = {}
            for topic, partition, next_offset in rows:
                next_offsets[(topic, partition)] = next_offset
                partition_counts[topic] = partition_counts.get(topic, 0) + 1
            start = dict(next_offsets)
            timestamp = now_ms()
            inserts: list[Row] = []
            outcomes: list[Stored | BusError] = []
            for pending in group:
                count = partition_counts.get(pending.topic)
                if count is None:
                    outcomes.append(TopicNotFound(pending.topic))
                    continue
                if max(pending.partitions) >= count:
                    outcomes.append(InvalidPartition(f"{pending.topic!r} has {count} partitions"))
                    continue
                outcomes.append(self._rows(pending, next_offsets, timestamp, inserts))
            await conn.write(
                inserts,
                [(n, t, p) for (t, p), n in next_offsets.items() if n != start[(t, p)]],
            )
        except BaseException:
            self._conn = None
            await conn.discard()
            raise
        return outcomes

    async def _begin(self, topics: Collection[str]) -> tuple[LogConnection, Sequence[Row]]:
        """The held connection (opened when there is none) with a transaction begun
        and ``(topic, partition, next_offset)`` of the topics' partitions read.

        A held connection that fails here is replaced once, as nothing was written
        yet: one the database dropped since the last commit (a restart, an idle
        timeout) is only found out by using it, which the pool's pre-ping used to do
        on every checkout."""
        if self._conn is not None:
            try:
                return self._conn, await self._read(self._conn, topics)
            except Exception as exc:  # noqa: BLE001  (retried once on a new connection)
                log.info("embedded bus writer's connection failed (%r); opening another", exc)
        self._conn = await LogConnection.open(self._engine)
        return self._conn, await self._read(self._conn, topics)

    async def _read(self, conn: LogConnection, topics: Collection[str]) -> Sequence[Row]:
        try:
            return await conn.read(topics)
        except BaseException:
            self._conn = None
            await conn.discard()
            raise
