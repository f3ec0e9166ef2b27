"""Reading the embedded log: explicit-position readers and group consumers.

Both poll the database, but only after an in-process wake-up (a commit on their topic)
or once per ``read`` call, never in a busy loop. Group consumers are not coordinated:
two members of one group both get every record (there is only one process, so there is
nothing to balance).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from topichub.bus.embedded.common import db_errors, decode_headers
from topichub.bus.port import BusError, InvalidPartition, Positions, Record
from topichub.models.bus import BusRecord

if TYPE_CHECKING:
    from topichub.bus.embedded.bus import EmbeddedBus

_RECORD_COLUMNS = (
    BusRecord.partition,
    BusRecord.offset,
    BusRecord.timestamp_ms,
    BusRecord.key,
    BusRecord.value,
    BusRecord.headers,
)


class Signal:
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


async def wait(event: asyncio.Event, timeout: float) -> None:
    """Wait for ``event`` at most ``timeout`` seconds; a timeout is not an error."""
    if timeout <= 0:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


async def fetch(
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
            async with db_errors(), self._bus._engine.connect() as conn:
                records = await fetch(conn, self._positions, self._order, max_records)
            if records:
                # Rotate so one busy partition cannot starve the others.
                self._order = self._order[1:] + self._order[:1]
                return records
            if self._bus._state != "running":
                return []
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await wait(event, remaining)

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
        self._matches: dict[str, bool] = {}
        self.signal = Signal()
        """Notified by the bus when it commits to a topic this consumer wants, creates
        or deletes a topic, or stops; nothing else wakes it."""

    def wants(self, topic: str) -> bool:
        """Whether ``topic`` is subscribed (by name or pattern); memoised, since the bus
        asks on every commit."""
        wanted = self._matches.get(topic)
        if wanted is None:
            if len(self._matches) > 10_000:
                self._matches.clear()
            wanted = topic in self._topics or (
                self._pattern is not None and self._pattern.match(topic) is not None
            )
            self._matches[topic] = wanted
        return wanted

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
            if self.wants(name)
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
            event = self.signal.current()
            await self._rescan(loop.time())
            records: list[Record] = []
            if self._order:
                async with db_errors(), self._bus._engine.connect() as conn:
                    records = await fetch(conn, self._positions, self._order, max_records)
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
            await wait(event, min(remaining, self._bus._topic_scan_interval_s))

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        if self._closed:
            raise BusError("consumer is closed")
        await self._bus._commit_offsets(self._group, offsets)

    async def close(self) -> None:
        self._closed = True
