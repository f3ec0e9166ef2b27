"""The one live reader of a topic in this process, fanning each batch out to its listeners.

The feed decodes nothing per subscriber: each record becomes one ``Event`` (its cursor
built here, its encodings computed on first use) shared by every listener, and a batch
is handed to each listener as one tuple. A feed never waits for a listener; deciding
what to do with a listener that cannot take a batch is the listener's job.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from topichub.bus.port import EventBus, Positions, Reader, Record, TopicNotFound
from topichub.kit.backoff import Backoff
from topichub.topics.stream.frames import CloseReason, Event, record_size

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How readers of the log (the feed's and a replay's) read and retry."""

    poll_s: float = 1.0
    batch_size: int = 500
    retry_initial_s: float = 0.1
    retry_max_s: float = 5.0


class Listener(Protocol):
    """What a feed needs of a subscriber."""

    def offer(self, batch: tuple[Event, ...], nbytes: int) -> None:
        """Take a live batch (``nbytes``: its records' value bytes), synchronously,
        without waiting."""
        ...

    def detached(self) -> None:
        """The feed stopped fanning out to this listener (it retired)."""
        ...

    def close(self, reason: str = CloseReason.CLOSED) -> None: ...

    @property
    def replaying(self) -> bool: ...

    def heartbeat(self) -> None:
        """A tick of the hub's heartbeat timer."""
        ...


async def close_quietly(reader: Reader) -> None:
    try:
        await reader.close()
    except Exception:
        log.warning("closing a stream reader failed", exc_info=True)


class Feed:
    """The live reader of one topic and the listeners it fans out to.

    ``members`` are the open subscriptions of the topic (they hold the feed open);
    ``listeners`` the subset currently receiving live batches. When nothing holds the
    feed for ``linger_s`` it retires: ``on_retire`` is called once and the reader closed.
    """

    def __init__(
        self,
        bus: EventBus,
        topic: str,
        *,
        options: ReadOptions,
        linger_s: float,
        history_size: int,
        on_retire: Callable[[Feed], None],
    ) -> None:
        self.topic = topic
        self.positions: Positions = {}
        """Next offset per partition after the last record fanned out."""
        self.initial: Positions = {}
        self.history: deque[Event] = deque()
        """The most recent events fanned out, for replays that need no reader."""
        self.history_from: Positions = {}
        """Per partition, every record from here up to ``positions`` is in ``history``."""
        self.listeners: dict[Listener, None] = {}
        """Listeners receiving live batches (ordered, so fan-out order is stable)."""
        self.members: set[Listener] = set()
        self.pending = 0
        """``subscribe`` calls holding the feed open before their subscription exists."""
        self.retired = False
        self._bus = bus
        self._options = options
        self._linger_s = linger_s
        self._history_size = history_size
        self._on_retire = on_retire
        self._pieces: list[str] = []
        self._index: dict[int, int] = {}
        self._reader: Reader | None = None
        self._task: asyncio.Task[None] | None = None
        self._linger: asyncio.TimerHandle | None = None
        self._ends_next: asyncio.Future[Positions] | None = None
        self._ends_task: asyncio.Task[None] | None = None
        self.opened: asyncio.Task[None] = asyncio.create_task(
            self._open(), name=f"stream-open:{topic}"
        )
        self.opened.add_done_callback(self._on_opened)

    async def _open(self) -> None:
        bus = self._bus
        count = await bus.partitions(self.topic)
        ends = await bus.end_offsets(self.topic)
        self.positions = {p: ends.get(p, 0) for p in range(count)}
        self.initial = dict(self.positions)
        self.history_from = dict(self.positions)
        self._index = {p: i for i, p in enumerate(sorted(self.positions))}
        self._pieces = [f"{p}:{self.positions[p]}" for p in sorted(self.positions)]
        self._reader = bus.reader(self.topic, dict(self.positions))
        self._task = asyncio.create_task(self._run(), name=f"stream-live:{self.topic}")

    async def end_offsets(self) -> Positions:
        """The log's end offsets, read by a request that began after this call did.

        Concurrent callers share requests: while one runs, everyone who asks waits for
        the next one, which starts when it ends. A burst of ``latest`` opens (a
        reconnect storm) costs a request per request's duration, not one per open."""
        waiting = self._ends_next
        if waiting is None:
            waiting = self._ends_next = asyncio.get_running_loop().create_future()
            # Retrieved here too: every caller may have been cancelled meanwhile.
            waiting.add_done_callback(lambda f: f.cancelled() or f.exception())
            if self._ends_task is None or self._ends_task.done():
                self._ends_task = asyncio.create_task(
                    self._read_ends(), name=f"stream-ends:{self.topic}"
                )
        return await asyncio.shield(waiting)

    async def _read_ends(self) -> None:
        while (waiting := self._ends_next) is not None:
            self._ends_next = None
            try:
                ends = await self._bus.end_offsets(self.topic)
            except asyncio.CancelledError:
                waiting.cancel()  # the feed is closing: its callers must not hang
                raise
            except Exception as exc:  # noqa: BLE001 - every waiting caller gets it
                waiting.set_exception(exc)
            else:
                waiting.set_result(ends)

    def _on_opened(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is not None:
            # Waiting subscribe calls see the error; the next one tries a fresh feed.
            self.retire()

    def refs(self) -> int:
        return self.pending + len(self.members)

    def hold(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None

    def join(self, member: Listener) -> None:
        self.members.add(member)

    def leave(self, member: Listener) -> None:
        self.members.discard(member)
        self.listeners.pop(member, None)
        self.maybe_linger()

    def listen(self, listener: Listener) -> Positions:
        """Fan live batches out to ``listener`` from now on; returns the positions the
        next batch starts at (everything before them was fanned out already)."""
        self.listeners[listener] = None
        return dict(self.positions)

    def unlisten(self, listener: Listener) -> None:
        self.listeners.pop(listener, None)

    def maybe_linger(self) -> None:
        if self.refs() == 0 and not self.retired and self._linger is None:
            # Lingering keeps the reader across a quick reconnect (a page reload, an
            # EventSource retry) instead of reopening it each time.
            self._linger = asyncio.get_running_loop().call_later(
                self._linger_s, self._linger_expired
            )

    def _linger_expired(self) -> None:
        self._linger = None
        if self.refs() == 0:
            self.retire()

    def retire(self) -> None:
        """Stop fanning out; the hub forgets the feed and closes its reader."""
        if self.retired:
            return
        self.retired = True
        listeners, self.listeners = self.listeners, {}
        for listener in listeners:
            listener.detached()
        self._on_retire(self)

    async def _run(self) -> None:
        options = self._options
        backoff = Backoff(options.retry_initial_s, options.retry_max_s)
        while True:
            try:
                if self._reader is None:
                    self._reader = self._bus.reader(self.topic, dict(self.positions))
                records = await self._reader.read(
                    timeout=options.poll_s, max_records=options.batch_size
                )
                reader_positions = self._reader.positions()
            except TopicNotFound:
                log.info("stream topic deleted", extra={"topic": self.topic})
                for member in list(self.members):
                    member.close(CloseReason.TOPIC_DELETED)
                self.retire()
                return
            except Exception:
                # The bus is down or the reader broke: subscribers keep waiting and the
                # reader is rebuilt from the last position fanned out, so nothing is lost.
                log.warning("stream reader failed", extra={"topic": self.topic}, exc_info=True)
                reader, self._reader = self._reader, None
                if reader is not None:
                    await close_quietly(reader)
                await backoff.sleep()
                continue
            backoff.reset()
            self.dispatch(records, reader_positions)
            # Let the subscribers woken by this batch run before the next read, so a
            # burst served from memory does not overflow consumers that keep up.
            await asyncio.sleep(0)

    def dispatch(self, records: Sequence[Record], reader_positions: Positions) -> None:
        """Fan a batch read from the log out to every listener."""
        positions, pieces, index = self.positions, self._pieces, self._index
        events: list[Event] = []
        for record in records:
            partition, offset = record.partition, record.offset
            slot = index.get(partition)
            if slot is None or offset < positions[partition]:
                continue
            positions[partition] = offset + 1
            pieces[slot] = f"{partition}:{offset + 1}"
            # The cursor is built here once and shared by every subscriber.
            events.append(Event(record, ",".join(pieces)))
        for partition, position in reader_positions.items():
            # Kafka offsets need not be dense; positions past the last record mean no
            # record exists in between.
            slot = index.get(partition)
            if slot is not None and position > positions[partition]:
                positions[partition] = position
                pieces[slot] = f"{partition}:{position}"
        if not events:
            return
        batch = tuple(events)
        limit = self._history_size
        if limit:
            history = self.history
            history.extend(batch)
            while len(history) > limit:
                dropped = history.popleft()
                self.history_from[dropped.partition] = dropped.offset + 1
        nbytes = sum(record_size(e.record) for e in batch)
        for listener in tuple(self.listeners):
            listener.offer(batch, nbytes)

    def covers(self, requested: Positions) -> bool:
        """Whether ``history`` holds every record from ``requested`` to the live position."""
        if not self._history_size:
            return False
        return all(requested.get(p, 0) >= first for p, first in self.history_from.items())

    def recent(self, requested: Positions) -> list[Event]:
        """The events of ``history`` at or after ``requested`` (see ``covers``)."""
        return [e for e in self.history if e.offset >= requested[e.partition]]

    async def aclose(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self._ends_next is not None:
            self._ends_next.cancel()
            self._ends_next = None
        tasks = [task for task in (self.opened, self._task, self._ends_task) if task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            # wait() rather than await: the tasks' cancellation is not ours to re-raise.
            await asyncio.wait(tasks)
        if self._task is not None and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                log.error("stream reader task crashed", exc_info=error)
        reader, self._reader = self._reader, None
        if reader is not None:
            await close_quietly(reader)
