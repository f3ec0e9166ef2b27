"""One client's stream: live buffering, handover from a replay, and the close.

Delivery semantics are the hub's (see ``hub.py``); this class keeps them for one
subscriber: a bounded buffer of the live batches it was offered (shared tuples, never
copied), the replay it catches up with first, and the one ``Closed`` it ends with.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TypeAlias

from topichub.bus.port import EventBus, Positions
from topichub.topics.stream.cursor import decode_cursor, encode_cursor
from topichub.topics.stream.feed import Feed, ReadOptions
from topichub.topics.stream.frames import Closed, CloseReason, Event, Gap, Item, record_size
from topichub.topics.stream.replay import Replay, Spawn

Sink: TypeAlias = Callable[[Sequence[Event]], bool]
"""Writes live events (an empty sequence: a heartbeat) to a client synchronously, from
the feed's fan-out; False when the transport made the write wait (the consumer's task
finishes it)."""


_SETTLED: Positions = {}
"""Stands for ``_next`` and ``_target`` once they are no longer read (caught up, shared
cursors): one empty dict for every settled stream instead of two of its own. Never
written to: ``_next`` is only written while diverged, ``_target`` only replaced."""


class Subscription:
    """One client's stream: an async iterator of ``Event``, ``Gap`` and a final ``Closed``.

    Iterate it (or call ``get`` or ``pull``) from one task. ``close`` may be called from any task on
    the same loop and ends the iteration promptly with ``Closed(reason)``; items still
    buffered are discarded (a revoked client must not receive more). Always close a
    subscription (the SSE and WebSocket writers do), or use it as an async context
    manager: it holds a share of the topic's live reader until closed.

    The live buffer is bounded both in events (``buffer_size``) and in record bytes
    (``buffer_bytes``; a single batch larger than it is still taken into an empty
    buffer). Ten thousand of these live in one process, so the state is small: slots, one
    waiter future made only while the consumer waits, and the live buffer as a list of
    the feed's shared batch tuples.
    """

    __slots__ = (
        "_attached",
        "_backlog",
        "_beat",
        "_buffer_bytes",
        "_buffer_size",
        "_bus",
        "_closed",
        "_closed_waiter",
        "_diverged",
        "_feed",
        "_finished",
        "_live",
        "_live_bytes_in",
        "_live_bytes_out",
        "_live_head",
        "_live_index",
        "_next",
        "_on_close",
        "_options",
        "_out",
        "_pending",
        "_replay",
        "_replaying",
        "_sink",
        "_spawn",
        "_stalled",
        "_target",
        "_waiter",
        "delivered_bytes",
        "delivered_messages",
        "idle",
        "labels",
        "topic",
    )

    def __init__(
        self,
        feed: Feed,
        next_positions: Positions,
        gaps: Iterable[Gap],
        labels: Mapping[str, str],
        *,
        bus: EventBus,
        options: ReadOptions,
        buffer_size: int,
        buffer_bytes: int,
        spawn: Spawn,
    ) -> None:
        self.topic = feed.topic
        self.labels = labels
        """Free-form tags from the caller (tenant, key id, ...) for admin and revocation
        (not copied: a caller passes a mapping it does not change, often a shared one)."""
        self.delivered_messages = 0
        """Events handed to the consumer so far (for metering)."""
        self.delivered_bytes = 0
        """Sum of the record value sizes of those events."""
        self._feed: Feed | None = feed
        self._bus = bus
        self._options = options
        self._buffer_size = buffer_size
        self._buffer_bytes = buffer_bytes
        self._spawn = spawn
        self._on_close: Callable[[Subscription], None] | None = None
        self._next = next_positions
        gaps = list(gaps)
        self._out: deque[Item] | None = deque(gaps) if gaps else None
        """Gaps and replayed items, delivered before anything live (made when needed)."""
        self._backlog: deque[Event] | None = None
        """Shared events from the feed's history, delivered before the live buffer."""
        self._live: list[tuple[Event, ...]] = []
        """Live batches; ``_live[_live_head][_live_index]`` is the next event."""
        self._live_head = 0
        self._live_index = 0
        self._pending = 0
        self._live_bytes_in = 0
        self._live_bytes_out = 0
        self._waiter: asyncio.Future[None] | None = None
        self._closed_waiter: asyncio.Future[None] | None = None
        self._beat = False
        self._sink: Sink | None = None
        self._stalled = False
        self.idle = False
        """Set by the hub's heartbeat timer, cleared by every pull: the stream sent nothing
        for a whole heartbeat interval when the timer finds it still set."""
        self._closed: Closed | None = None
        self._finished = False
        self._attached = False
        self._replaying = False
        self._replay: Replay | None = None
        self._target: Positions = {}
        # Until a live event's shared cursor covers everything this subscriber already
        # delivered (replay read ahead of the live reader, or the start was ahead of it),
        # cursors are rebuilt for this subscriber so a resume never repeats a record.
        self._diverged = True

    def start(self, recent: Iterable[Event] | None) -> None:
        """Join the live fan-out; ``recent`` are the feed's history events to deliver
        first, or None when the start lies before the history and a replay catches up."""
        if recent is not None:
            # No empty deque kept for the stream's life (a deque is 600 bytes).
            backlog = deque(recent)
            if backlog:
                self._backlog = backlog
        self._attach()
        self._replaying = recent is None and not self._caught_up()
        if not self._replaying:
            self._target = _SETTLED

    # -- public ------------------------------------------------------------------------

    @property
    def closed_reason(self) -> str | None:
        return None if self._closed is None else self._closed.reason

    @property
    def replaying(self) -> bool:
        return self._replaying

    def close(self, reason: str = CloseReason.CLOSED) -> None:
        """End the stream: the consumer gets ``Closed(reason)`` next. Idempotent."""
        if self._closed is not None:
            return
        self._closed = Closed(str(reason))
        self._attached = False
        self._clear_live()
        self._out = None
        self._backlog = None
        self._release_replay()
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.leave(self)
        if self._on_close is not None:
            self._on_close(self)
        self._wake()
        waiter = self._closed_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def client_gone(self) -> None:
        """``close(CloseReason.CLIENT_GONE)``, as a callback with no argument."""
        self.close(CloseReason.CLIENT_GONE)

    def on_close(self, callback: Callable[[Subscription], None]) -> None:
        """Call ``callback`` once the subscription closes (at once if it has)."""
        if self._closed is not None:
            callback(self)
        else:
            self._on_close = callback

    def write_through(self, sink: Sink | None) -> None:
        """Let the feed write to the client itself while the consumer waits in ``pull``
        with nothing buffered and no replay in progress: each live batch goes to
        ``sink`` in the fan-out's own pass, and an idle stream's heartbeat as an empty
        batch, instead of waking the consumer's task once per batch. When ``sink``
        returns False (the transport made the write wait), ``pull`` returns an empty
        batch at once so that the consumer can finish that write, and later batches are
        buffered as usual until it waits again. Delivery order and the slow-consumer
        rule are unchanged."""
        self._sink = sink

    async def wait_closed(self) -> None:
        if self._closed is not None:
            return
        if self._closed_waiter is None:
            self._closed_waiter = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._closed_waiter)

    def heartbeat(self) -> None:
        """Called by the hub's one heartbeat timer: a consumer waiting in ``pull`` that
        has had nothing since the previous tick gets an empty batch (send a heartbeat)."""
        if self.idle:
            if self._write_through(()):
                self.idle = False
                return
            self._beat = True
            self._wake()
        self.idle = True

    async def pull(self, limit: int) -> Sequence[Item]:
        """Up to ``limit`` items, waiting until at least one is ready; an empty sequence
        when a heartbeat is due instead. Ends with ``Closed`` (returned again if pulled
        after it)."""
        while True:
            if self._stalled:
                self._stalled = False
                return ()
            items = self.ready(limit)
            if items:
                self.idle = False
                self._beat = False
                return items
            if self._beat:
                self._beat = False
                self.idle = False
                return ()
            if self._replaying:
                await self._advance_replay(None)
                continue
            # ``_wait(None)`` inline: a stream parked here for hours holds one coroutine
            # frame less.
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    async def get(self, timeout: float | None = None) -> Item | None:
        """The next item, or None when nothing came within ``timeout`` seconds.

        Safe to cancel and to time out: no item is lost either way. After ``Closed`` it
        returns the same ``Closed`` again.
        """
        # Fast path without a deadline or an await: on a busy topic most calls find an
        # item ready, and this runs once per subscriber per event.
        item = self._next_ready()
        if item is None:
            item = await self._get(timeout)
        if type(item) is Event:
            self.delivered_messages += 1
            self.delivered_bytes += record_size(item.record)
        return item

    def ready(self, limit: int) -> Sequence[Item]:
        """Up to ``limit`` items available right now, without waiting; ends at ``Closed``.

        Lets a transport write many pre-encoded events at once after ``get`` returned one.
        """
        if not self._diverged and self._closed is None and not self._out and not self._backlog:
            # Steady state: hand out slices of the shared live batches as they are.
            events: list[Event] = []
            live = self._live
            while self._live_head < len(live) and len(events) < limit:
                batch, start = live[self._live_head], self._live_index
                end = min(len(batch), start + limit - len(events))
                events.extend(batch[start:end])
                if end == len(batch):
                    self._live_head += 1
                    self._live_index = 0
                else:
                    self._live_index = end
            nbytes = sum(record_size(e.record) for e in events)
            if live and self._live_head == len(live):
                self._clear_live()
            else:
                self._pending -= len(events)
                self._live_bytes_out += nbytes
            self.delivered_messages += len(events)
            self.delivered_bytes += nbytes
            return events
        items: list[Item] = []
        while len(items) < limit:
            item = self._next_ready()
            if item is None:
                break
            items.append(item)
            if type(item) is Event:
                self.delivered_messages += 1
                self.delivered_bytes += record_size(item.record)
            elif isinstance(item, Closed):
                break
        return items

    async def _get(self, timeout: float | None) -> Item | None:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            item = self._next_ready()
            if item is not None:
                return item
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            if self._replaying:
                await self._advance_replay(remaining)
            else:
                await self._wait(remaining)

    async def _wait(self, timeout: float | None) -> None:
        """Until the feed offers a batch, the stream closes, a heartbeat is due, or
        ``timeout`` seconds passed."""
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            if timeout is None:
                await waiter
            else:
                await asyncio.wait((waiter,), timeout=timeout)
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _advance_replay(self, timeout: float | None) -> None:
        replay = self._replay_step()
        if replay is None:
            return
        fetch = replay.fetch()
        if not fetch.done():
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                # Woken by the read, a close or a heartbeat, whichever comes first.
                await asyncio.wait((fetch, waiter), timeout=timeout, return_when="FIRST_COMPLETED")
            finally:
                self._waiter = None
            if not fetch.done():
                return
        if self._out is None:
            self._out = deque()
        replay.take(fetch, self._out)
        if self._attached and self._caught_up():
            # Hand over now rather than on the next get(): the reader is released at
            # once, and the replayed items still queued in _out go out first.
            self._replaying = False
            self._target = _SETTLED
            self._release_replay()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Item:
        if self._finished:
            raise StopAsyncIteration
        item = await self.get()
        if isinstance(item, Closed):
            self._finished = True
        assert item is not None  # no timeout was given
        return item

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = self.closed_reason or ("replaying" if self._replaying else "live")
        return f"<Subscription {self.topic!r} {state}>"

    # -- the feed's side (called synchronously while it fans out) ----------------------

    def offer(self, batch: tuple[Event, ...], nbytes: int) -> None:
        buffered = self._live_bytes_in - self._live_bytes_out
        if self._pending + len(batch) > self._buffer_size or (
            self._pending and buffered + nbytes > self._buffer_bytes
        ):
            if self._replaying:
                # Catch-up is slower than the topic: forget the buffered live records
                # (the replay reader will read them from the log) and re-attach later,
                # so handover never holds more than one buffer.
                self._detach()
                self._clear_live()
            else:
                self.close(CloseReason.SLOW_CONSUMER)
            return
        if self._write_through(batch):
            self.delivered_messages += len(batch)
            self.delivered_bytes += nbytes
            self.idle = False
            return
        self._live.append(batch)
        self._pending += len(batch)
        self._live_bytes_in += nbytes
        if not self._replaying:
            self._wake()

    def detached(self) -> None:
        self._attached = False

    def _write_through(self, events: tuple[Event, ...]) -> bool:
        """Hand ``events`` to the sink when the consumer is parked with nothing before
        them (see ``write_through``); False when they must be buffered instead."""
        sink, waiter = self._sink, self._waiter
        if (
            sink is None
            or waiter is None
            or waiter.done()
            or self._pending
            or (self._diverged and events)
            or self._replaying
            or self._out
            or self._backlog
            or self._closed is not None
        ):
            return False
        if not sink(events):
            self._stalled = True
            waiter.set_result(None)
        return True

    # -- internals -----------------------------------------------------------------------

    def _attach(self) -> None:
        """Join the live fan-out. Everything the live reader fans out from now on is
        buffered, so replaying up to its current positions leaves no gap."""
        assert self._feed is not None
        self._target = self._feed.listen(self)
        self._attached = True

    def _detach(self) -> None:
        if self._attached and self._feed is not None:
            self._feed.unlisten(self)
        self._attached = False

    def _caught_up(self) -> bool:
        return all(self._next.get(p, 0) >= offset for p, offset in self._target.items())

    def _clear_live(self) -> None:
        self._live = []
        self._live_head = 0
        self._live_index = 0
        self._pending = 0
        self._live_bytes_in = 0
        self._live_bytes_out = 0

    def _next_ready(self) -> Item | None:
        if self._closed is not None:
            return self._closed
        out = self._out
        if out:
            item = out.popleft()
            if not out:
                self._out = None  # drained: no empty deque kept for the stream's life
            return item
        if self._replaying:
            return None
        live, backlog, nxt = self._live, self._backlog, self._next
        while True:
            if backlog:
                event = backlog.popleft()
                if not backlog:
                    self._backlog = backlog = None
            elif self._live_head < len(live):
                batch = live[self._live_head]
                event = batch[self._live_index]
                self._live_index += 1
                self._pending -= 1
                self._live_bytes_out += record_size(event.record)
                if self._live_index == len(batch):
                    self._live_head += 1
                    self._live_index = 0
                    if self._live_head == len(live):
                        self._clear_live()
                        live = self._live
            else:
                return None
            if not self._diverged:
                return event
            record = event.record
            if record.offset < nxt.get(record.partition, 0):
                continue  # already delivered by the replay
            nxt[record.partition] = record.offset + 1
            return self._rebase(event)

    def _rebase(self, event: Event) -> Event:
        shared = decode_cursor(event.cursor)
        if all(shared.get(p, 0) >= offset for p, offset in self._next.items()):
            # From here on the shared cursors are this subscriber's own, and every later
            # live event lies at or past the feed's positions after this one, so none can
            # be a duplicate: filtering and tracking ``_next`` stop for good.
            self._diverged = False
            self._next = _SETTLED
            return event
        merged = dict(shared)
        for p, offset in self._next.items():
            merged[p] = max(offset, merged.get(p, 0))
        return Event(event.record, encode_cursor(merged))

    def _replay_step(self) -> Replay | None:
        """Advance the catch-up state machine; the replay to wait for, or None after
        handing over to the live feed."""
        replay = self._replay
        if replay is not None and replay.fetching:
            return replay
        if not self._attached:
            self._attach()
        if self._caught_up():
            self._replaying = False
            self._target = _SETTLED
            self._release_replay()
            return None
        if replay is None:
            replay = self._replay = Replay(
                self._bus, self.topic, self._next, self._options, self._spawn
            )
        return replay

    def _release_replay(self) -> None:
        replay, self._replay = self._replay, None
        if replay is not None:
            replay.release()
