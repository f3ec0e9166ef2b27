"""The realtime hub: one live reader per topic per process, fanned out to every local
subscriber, with resumable cursors, replay and bounded buffers.

Delivery semantics of a ``Subscription``:

- Each partition is delivered in offset order; partitions are interleaved in the order the
  reader returned them.
- Every ``Event`` carries ``cursor``: the next offset of *every* partition after that
  event. Subscribing again with ``Start.cursor(decode_cursor(event.cursor))`` resumes with
  no gap and no duplicate, for as long as retention keeps the records.
- ``Start.latest()`` delivers exactly the records stored after the subscribe call began;
  ``earliest``, ``since`` and ``cursor`` first replay history — from the topic's recent
  events kept in memory when they reach back far enough (the usual reconnect), else with
  a short-lived bus reader of their own — then hand over to the shared live reader with
  no gap and no duplicate.
- When retention has dropped records a start position asks for (``earliest`` asks for
  offset 0 of every partition), a ``Gap`` item says so before the stream continues from
  what the log still holds. Nothing is skipped silently.
- A subscriber whose buffer is full when the live reader has a new batch is closed with
  ``Closed("slow_consumer")``: it lost continuity and must resume from its last cursor.
  The live reader never waits for a subscriber.
- A stream ends with exactly one ``Closed`` item, whoever ended it.

Everything here runs on one event loop; ``Subscription.close`` may be called from any task
on that loop (a revocation watcher, an admin endpoint), not from another thread.

Known limits: a topic's live reader reads the partitions the topic had when it opened
(partitions added later are read once it reopens, after its last subscriber left); and
``since`` cannot tell whether retention dropped records newer than the requested time, so
it starts at the first record still held at or after it without a ``Gap``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from topichub.bus.port import EventBus, Positions
from topichub.topics.stream.cursor import CursorError, encode_cursor
from topichub.topics.stream.feed import Feed, ReadOptions
from topichub.topics.stream.frames import CloseReason, Gap
from topichub.topics.stream.subscription import Subscription


@dataclass(frozen=True, slots=True)
class Start:
    """Where a subscription starts. Build with the class methods."""

    kind: Literal["latest", "earliest", "since", "cursor"] = "latest"
    timestamp_ms: int | None = None
    positions: tuple[tuple[int, int], ...] = ()

    @classmethod
    def latest(cls) -> Start:
        return cls()

    @classmethod
    def earliest(cls) -> Start:
        return cls("earliest")

    @classmethod
    def since(cls, timestamp_ms: int) -> Start:
        return cls("since", timestamp_ms=timestamp_ms)

    @classmethod
    def cursor(cls, positions: Mapping[int, int]) -> Start:
        return cls("cursor", positions=tuple(sorted(positions.items())))


LATEST: Final = Start()


@dataclass(frozen=True, slots=True)
class HubStats:
    topics: int
    """Topics with a live reader in this process."""
    subscribers: int
    replaying: int
    """Subscribers still catching up with a replay reader of their own."""


class HubClosed(RuntimeError):
    """``subscribe`` on a hub that is not running."""


class StreamHub:
    """Realtime fan-out of topics to local subscribers; see the module docstring for the
    delivery semantics.

    ``buffer_size`` bounds the events buffered per subscriber (and so the memory of a
    handover), ``buffer_bytes`` their record bytes; ``heartbeat_s`` is the interval of
    the one heartbeat timer (an idle stream gets a heartbeat within it);
    ``linger_s`` keeps a topic's live reader open after its last subscriber left, to
    absorb reconnects. ``history_size`` recent events per topic are kept (shared, not
    copied) so that a reconnect with a recent cursor — the common case — replays from
    memory instead of opening a bus reader of its own.
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        buffer_size: int = 1000,
        buffer_bytes: int = 4 * 1024 * 1024,
        heartbeat_s: float = 15.0,
        linger_s: float = 5.0,
        poll_s: float = 1.0,
        batch_size: int = 500,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 5.0,
        history_size: int = 1000,
    ) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be >= 1")
        self.bus = bus
        self.buffer_size = buffer_size
        self.buffer_bytes = buffer_bytes
        self.heartbeat_s = heartbeat_s
        self.linger_s = linger_s
        self.poll_s = poll_s
        # A live batch must fit into an empty buffer, or every subscriber would overflow.
        self.batch_size = max(1, min(batch_size, buffer_size))
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.history_size = max(0, history_size)
        self.read_options = ReadOptions(poll_s, self.batch_size, retry_initial_s, retry_max_s)
        self._running = False
        self._feeds: dict[str, Feed] = {}
        """The live topics; their members are the open subscriptions (the hub keeps no
        second registry: ``topics.stream.registry`` is the one of open streams)."""
        self._background: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        self._running = True
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        # One timer for every stream of the process instead of a timeout per wait: a
        # stream idle for a whole tick gets a heartbeat at the next one, so within
        # ``heartbeat_s`` of its last frame.
        self._ticker = asyncio.get_running_loop().call_later(self.heartbeat_s / 2, self._tick)

    def _tick(self) -> None:
        # Copies: a heartbeat written through to a client that left closes its stream.
        for feed in tuple(self._feeds.values()):
            for member in tuple(feed.members):
                member.heartbeat()
        if self._running:
            self._schedule_tick()

    async def stop(self) -> None:
        """Close every subscription with ``shutdown`` and every reader."""
        self._running = False
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for feed in list(self._feeds.values()):
            for member in list(feed.members):
                member.close(CloseReason.SHUTDOWN)
        for feed in list(self._feeds.values()):
            feed.retire()
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def stats(self) -> HubStats:
        members = [m for feed in self._feeds.values() for m in feed.members]
        return HubStats(
            topics=len(self._feeds),
            subscribers=len(members),
            replaying=sum(1 for m in members if m.replaying),
        )

    def is_live(self, topic: str) -> bool:
        """Whether ``topic`` has a live reader in this process (so it exists in the log)."""
        feed = self._feeds.get(topic)
        return feed is not None and not feed.retired and feed.opened.done()

    async def subscribe(
        self,
        topic: str,
        start: Start = LATEST,
        *,
        labels: Mapping[str, str] | None = None,
    ) -> Subscription:
        """Open a stream of ``topic`` (the bus topic name) from ``start``.

        Raises ``TopicNotFound``, ``BusUnavailable`` (the log cannot resolve the start
        position now), ``CursorError`` (the cursor names partitions the topic does not
        have, or offsets it has not reached) and ``HubClosed``. Once it returns, bus
        outages only delay the stream.
        """
        if not self._running:
            raise HubClosed("the stream hub is not running")
        feed = self._feeds.get(topic)
        created = feed is None
        if feed is None:
            feed = self._feeds[topic] = Feed(
                self.bus,
                topic,
                options=self.read_options,
                linger_s=self.linger_s,
                history_size=self.history_size,
                on_retire=self._retired,
            )
        feed.pending += 1
        feed.hold()
        try:
            await asyncio.shield(feed.opened)
            requested = await self._requested(feed, start, created=created)
            gaps: list[Gap] = []
            # Checked and attached with no await in between: the history cannot move.
            from_history = feed.covers(requested)
            if not from_history:
                gaps = await self._gaps(feed, requested)
        except BaseException:
            feed.pending -= 1
            feed.maybe_linger()
            raise
        feed.pending -= 1
        sub = Subscription(
            feed,
            requested,
            gaps,
            labels or {},
            bus=self.bus,
            options=self.read_options,
            buffer_size=self.buffer_size,
            buffer_bytes=self.buffer_bytes,
            spawn=self._spawn,
        )
        if not self._running or feed.retired:
            sub.close(CloseReason.SHUTDOWN)
            return sub
        feed.join(sub)
        sub.start(feed.recent(requested) if from_history else None)
        return sub

    async def _requested(self, feed: Feed, start: Start, *, created: bool) -> Positions:
        bus, topic = self.bus, feed.topic
        live = dict(feed.positions)
        if start.kind == "latest":
            # The feed's creator may use the end offsets the feed opened at: they were
            # read after this call began. Anyone else asks the log.
            ends = feed.initial if created else await feed.end_offsets()
            return {p: ends.get(p, offset) for p, offset in live.items()}
        if start.kind == "earliest":
            requested = dict.fromkeys(live, 0)
        elif start.kind == "since":
            assert start.timestamp_ms is not None
            found = await bus.offsets_for_time(topic, start.timestamp_ms)
            requested = {p: found.get(p, 0) for p in live}
        else:
            given = dict(start.positions)
            if not set(given) <= set(live):
                raise CursorError("cursor names partitions this topic does not have")
            # A partition missing from the cursor was added after it was written:
            # everything in it is new to the client.
            requested = {p: given.get(p, 0) for p in live}
            if any(requested[p] > live[p] for p in live):
                ends = await bus.end_offsets(topic)
                if any(requested[p] > ends.get(p, 0) for p in live):
                    raise CursorError("cursor is ahead of this topic")
        return requested

    async def _gaps(self, feed: Feed, requested: Positions) -> list[Gap]:
        """Gaps where retention dropped what ``requested`` asks for; moves ``requested``
        past them. Only asks the log when a replay is needed at all."""
        gaps: list[Gap] = []
        if any(requested[p] < offset for p, offset in feed.positions.items()):
            beginning = await self.bus.beginning_offsets(feed.topic)
            for p in sorted(requested):
                available = beginning.get(p, 0)
                if requested[p] < available:
                    wanted, requested[p] = requested[p], available
                    gaps.append(Gap(p, wanted, available, encode_cursor(requested)))
        return gaps

    # -- internals -----------------------------------------------------------------------

    def _retired(self, feed: Feed) -> None:
        if self._feeds.get(feed.topic) is feed:
            del self._feeds[feed.topic]
        self._spawn(feed.aclose())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
