"""Catch-up of one subscription from the log, until it hands over to the live feed.

A subscription that starts behind the feed (``earliest``, ``since``, an old cursor) reads
history with a short-lived reader of its own. The subscription decides when it has caught
up (it knows where the feed took it over); this class reads, turns records into items
with the subscription's own cursors, and reports retention gaps.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from topichub.bus.port import EventBus, Positions, Reader, Record
from topichub.kit.backoff import Backoff
from topichub.topics.stream.cursor import encode_cursor
from topichub.topics.stream.feed import ReadOptions, close_quietly
from topichub.topics.stream.frames import Event, Gap, Item

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]
"""Runs a clean-up coroutine in the background (the hub keeps track of it)."""


@dataclass(frozen=True, slots=True)
class Fetched:
    records: list[Record]
    reader_positions: Positions
    beginning: Positions | None


class Replay:
    """Reads history from ``next`` (the subscription's own next offsets, updated here as
    records are taken) with a reader of its own; retries while the bus is unavailable."""

    __slots__ = ("_bus", "_fetch", "_options", "_reader", "_spawn", "next", "topic")

    def __init__(
        self,
        bus: EventBus,
        topic: str,
        next_positions: Positions,
        options: ReadOptions,
        spawn: Spawn,
    ) -> None:
        self.topic = topic
        self.next = next_positions
        self._bus = bus
        self._options = options
        self._spawn = spawn
        self._reader: Reader | None = None
        self._fetch: asyncio.Task[Fetched] | None = None

    def fetch(self) -> asyncio.Task[Fetched]:
        """The read in progress, or a new one."""
        if self._fetch is None:
            self._fetch = asyncio.create_task(self._read(), name=f"stream-replay:{self.topic}")
        return self._fetch

    @property
    def fetching(self) -> bool:
        return self._fetch is not None

    def take(self, task: asyncio.Task[Fetched], out: deque[Item]) -> None:
        """Append what a finished read returned to ``out`` as events and gaps."""
        if task is not self._fetch:
            return
        self._fetch = None
        if task.cancelled():
            return
        fetched = task.result()
        nxt = self.next
        for record in fetched.records:
            partition, offset = record.partition, record.offset
            expected = nxt.get(partition)
            if expected is None or offset < expected:
                continue
            if offset > expected:
                self._skipped(partition, expected, offset, fetched.beginning, out)
            nxt[partition] = offset + 1
            out.append(Event(record, encode_cursor(nxt)))
        for partition, position in fetched.reader_positions.items():
            expected = nxt.get(partition)
            if expected is not None and position > expected:
                self._skipped(partition, expected, position, fetched.beginning, out)
                nxt[partition] = position

    def release(self) -> None:
        """Stop reading and close the reader (in the background)."""
        fetch, self._fetch = self._fetch, None
        if fetch is not None:
            fetch.cancel()
        if fetch is not None or self._reader is not None:
            self._spawn(self._close_reader(fetch))

    async def _read(self) -> Fetched:
        options = self._options
        backoff = Backoff(options.retry_initial_s, options.retry_max_s)
        while True:
            try:
                if self._reader is None:
                    self._reader = self._bus.reader(self.topic, dict(self.next))
                records = await self._reader.read(
                    timeout=options.poll_s, max_records=options.batch_size
                )
                reader_positions = self._reader.positions()
                beginning = None
                if _skips(self.next, records, reader_positions):
                    beginning = await self._bus.beginning_offsets(self.topic)
            except Exception:
                log.warning("stream replay failed", extra={"topic": self.topic}, exc_info=True)
                reader, self._reader = self._reader, None
                if reader is not None:
                    await close_quietly(reader)
                await backoff.sleep()
                continue
            return Fetched(records, reader_positions, beginning)

    def _skipped(
        self,
        partition: int,
        expected: int,
        landed: int,
        beginning: Positions | None,
        out: deque[Item],
    ) -> None:
        # Offsets may legitimately be missing (Kafka control records); only a beginning
        # past what we expected means retention dropped records under the replay.
        if beginning is not None and beginning.get(partition, 0) > expected:
            self.next[partition] = landed
            out.append(Gap(partition, expected, landed, encode_cursor(self.next)))

    async def _close_reader(self, fetch: asyncio.Task[Fetched] | None) -> None:
        if fetch is not None:
            await asyncio.wait((fetch,))
            if not fetch.cancelled():
                fetch.exception()  # retrieved so asyncio does not report it
        reader, self._reader = self._reader, None
        if reader is not None:
            await close_quietly(reader)


def _skips(start: Positions, records: Sequence[Record], reader_positions: Positions) -> bool:
    nxt = dict(start)
    for record in records:
        expected = nxt.get(record.partition)
        if expected is not None and record.offset > expected:
            return True
        nxt[record.partition] = record.offset + 1
    return any(pos > nxt.get(p, pos) for p, pos in reader_positions.items())
