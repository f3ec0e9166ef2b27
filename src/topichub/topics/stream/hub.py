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
import base64
import enum
import json
import logging
import random
from collections import deque
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal

from topichub.bus.port import EventBus, Positions, Reader, ReadHeaders, Record, TopicNotFound
from topichub.topics.stream.cursor import CursorError, decode_cursor, encode_cursor
from topichub.topics.stream.sse import format_event

log = logging.getLogger(__name__)


class CloseReason(enum.StrEnum):
    """Why a stream ended; sent to SSE clients in ``event: close`` and mapped to a
    WebSocket close code by ``ws_close_code``."""

    SLOW_CONSUMER = "slow_consumer"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    REVOKED = "revoked"
    STREAM_LIMIT = "stream_limit"
    QUOTA_EXCEEDED = "quota_exceeded"
    TOPIC_DELETED = "topic_deleted"
    SHUTDOWN = "shutdown"
    CLOSED = "closed"
    """Ended by the server for no more specific reason."""
    CLIENT_GONE = "client_gone"
    """The client left; nothing is sent to it."""


WS_CLOSE_CODES: Final[Mapping[str, int]] = {
    CloseReason.SLOW_CONSUMER: 4008,
    CloseReason.UNAUTHENTICATED: 4001,
    CloseReason.FORBIDDEN: 4003,
    CloseReason.REVOKED: 4003,
    CloseReason.STREAM_LIMIT: 4029,
    CloseReason.QUOTA_EXCEEDED: 4029,
    CloseReason.TOPIC_DELETED: 4004,
    CloseReason.SHUTDOWN: 1001,
    CloseReason.CLOSED: 1000,
    CloseReason.CLIENT_GONE: 1000,
}
"""The one table of WebSocket close codes. 4xxx mirror the HTTP status a request would get
(4001 ~ 401, 4003 ~ 403, 4029 ~ 429); 4008 is the slow-consumer code; 1001 is "going away"."""


def ws_close_code(reason: str) -> int:
    return WS_CLOSE_CODES.get(reason, 1000)


def _json(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; re-encoding them would emit invalid JSON.
    raise ValueError(name)


def _text(raw: bytes) -> str | None:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


def _base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _header_value(raw: bytes | None) -> str | dict[str, str] | None:
    if raw is None:
        return None
    text = _text(raw)
    return {"base64": _base64(raw)} if text is None else text


def _headers(headers: ReadHeaders) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in headers:
        value = _header_value(raw)
        if name not in out:
            out[name] = value
        elif isinstance(seen := out[name], list):
            seen.append(value)
        else:
            out[name] = [seen, value]
    return out


def event_payload(record: Record) -> dict[str, Any]:
    """The JSON body of a delivered event (SSE ``data:``; WebSocket adds ``"id"``).

    Whatever a producer wrote is delivered, losslessly (documented in
    ``docs/streaming.md``): topichub's own records are UTF-8 JSON and arrive as
    ``"value": <that JSON>``; a foreign Kafka producer's value that is not JSON arrives as
    text with ``"value_encoding": "text"``, or as base64 with ``"value_encoding":
    "base64"`` when it is not UTF-8; a tombstone (null value) is ``"value": null`` with
    ``"tombstone": true``. A key that is not UTF-8 is base64 with ``"key_encoding":
    "base64"``. A header value is a string, ``null`` (Kafka allows a header with no value)
    or ``{"base64": ...}``; a header name written more than once maps to the list of its
    values in order.
    """
    payload: dict[str, Any] = {}
    raw = record.value
    if raw is None:
        payload["value"] = None
        payload["tombstone"] = True
    else:
        try:
            payload["value"] = json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            text = _text(raw)
            if text is None:
                payload["value"] = _base64(raw)
                payload["value_encoding"] = "base64"
            else:
                payload["value"] = text
                payload["value_encoding"] = "text"
    key = record.key
    if key is None:
        payload["key"] = None
    elif (text := _text(key)) is not None:
        payload["key"] = text
    else:
        payload["key"] = _base64(key)
        payload["key_encoding"] = "base64"
    payload["headers"] = _headers(record.headers)
    payload["partition"] = record.partition
    payload["offset"] = record.offset
    moment = datetime.fromtimestamp(record.timestamp_ms / 1000, tz=UTC)
    payload["timestamp"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return payload


def _payload_json(record: Record) -> str:
    try:
        payload = event_payload(record)
        text = _json(payload)
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:
                # A JSON value may hold a lone surrogate (``"\\ud800"``), which UTF-8
                # cannot carry; escaped, it is valid JSON and round-trips exactly.
                text = json.dumps(payload, separators=(",", ":"))
        return text
    except Exception:
        # Nothing a producer writes may end a stream: a record that still cannot be
        # encoded (a timestamp out of range) is announced by its position so the client
        # knows what it did not get.
        log.warning(
            "stream record not encodable",
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
            exc_info=True,
        )
        return _json(
            {
                "value": None,
                "undecodable": True,
                "partition": record.partition,
                "offset": record.offset,
            }
        )


class Event:
    """A delivered record and the cursor after it.

    On the live path one ``Event`` is shared by every subscriber of the topic, so its
    encodings are computed at most once per record, on first use, whatever the number of
    subscribers.
    """

    __slots__ = ("_payload", "_sse", "_ws", "cursor", "record")

    def __init__(self, record: Record, cursor: str) -> None:
        self.record = record
        self.cursor = cursor
        self._payload: str | None = None
        self._sse: bytes | None = None
        self._ws: str | None = None

    @property
    def partition(self) -> int:
        return self.record.partition

    @property
    def offset(self) -> int:
        return self.record.offset

    def payload_json(self) -> str:
        if self._payload is None:
            self._payload = _payload_json(self.record)
        return self._payload

    def sse_frame(self) -> bytes:
        if self._sse is None:
            self._sse = format_event(self.cursor, self.payload_json().encode())
        return self._sse

    def ws_text(self) -> str:
        if self._ws is None:
            # Splicing instead of a second json.dumps: the cursor alphabet (digits, ":"
            # and ",") needs no escaping and the payload is always a non-empty object.
            self._ws = '{"id":"' + self.cursor + '",' + self.payload_json()[1:]
        return self._ws

    def __repr__(self) -> str:
        return f"Event({self.record.partition}:{self.record.offset}, cursor={self.cursor!r})"


@dataclass(frozen=True, slots=True)
class Gap:
    """Retention dropped offsets ``[requested, available)`` of ``partition`` before they
    could be delivered; the stream continues at ``available``. ``cursor`` resumes after
    the gap."""

    partition: int
    requested: int
    available: int
    cursor: str

    def _body(self) -> dict[str, int]:
        return {
            "partition": self.partition,
            "requested": self.requested,
            "available": self.available,
        }

    def sse_frame(self) -> bytes:
        return format_event(self.cursor, _json(self._body()).encode(), "gap")

    def ws_text(self) -> str:
        return _json({"type": "gap", "id": self.cursor, **self._body()})


@dataclass(frozen=True, slots=True)
class Closed:
    """The last item of every stream."""

    reason: str

    def sse_frame(self) -> bytes:
        return format_event(None, _json({"reason": self.reason}).encode(), "close")

    def ws_text(self) -> str:
        return _json({"type": "close", "reason": self.reason})


Item = Event | Gap | Closed


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


class _Backoff:
    def __init__(self, first_s: float, max_s: float) -> None:
        self._first = first_s
        self._max = max_s
        self._attempt = 0

    def reset(self) -> None:
        self._attempt = 0

    async def sleep(self) -> None:
        delay = min(self._max, self._first * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        # Jitter spreads the retries of many processes after a shared outage;
        # it is not security-sensitive.
        await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311


class _Feed:
    """The live reader of one topic and the subscribers it fans out to."""

    def __init__(self, hub: StreamHub, topic: str) -> None:
        self.hub = hub
        self.topic = topic
        self.positions: Positions = {}
        """Next offset per partition after the last record fanned out."""
        self.initial: Positions = {}
        self.history: deque[Event] = deque()
        """The most recent events fanned out, for replays that need no reader."""
        self.history_from: Positions = {}
        """Per partition, every record from here up to ``positions`` is in ``history``."""
        self.listeners: dict[Subscription, None] = {}
        """Subscriptions receiving live batches (ordered, so fan-out order is stable)."""
        self.members: set[Subscription] = set()
        self.pending = 0
        """``subscribe`` calls holding the feed open before their subscription exists."""
        self.retired = False
        self._pieces: list[str] = []
        self._index: dict[int, int] = {}
        self._reader: Reader | None = None
        self._task: asyncio.Task[None] | None = None
        self._linger: asyncio.TimerHandle | None = None
        self.opened: asyncio.Task[None] = asyncio.create_task(
            self._open(), name=f"stream-open:{topic}"
        )
        self.opened.add_done_callback(self._on_opened)

    async def _open(self) -> None:
        bus = self.hub.bus
        count = await bus.partitions(self.topic)
        ends = await bus.end_offsets(self.topic)
        self.positions = {p: ends.get(p, 0) for p in range(count)}
        self.initial = dict(self.positions)
        self.history_from = dict(self.positions)
        self._index = {p: i for i, p in enumerate(sorted(self.positions))}
        self._pieces = [f"{p}:{self.positions[p]}" for p in sorted(self.positions)]
        self._reader = bus.reader(self.topic, dict(self.positions))
        self._task = asyncio.create_task(self._run(), name=f"stream-live:{self.topic}")

    def _on_opened(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is not None:
            # Waiting subscribe calls see the error; the next one tries a fresh feed.
            self.hub._retire(self)

    def refs(self) -> int:
        return self.pending + len(self.members)

    def hold(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None

    def maybe_linger(self) -> None:
        if self.refs() == 0 and not self.retired and self._linger is None:
            # Lingering keeps the reader across a quick reconnect (a page reload, an
            # EventSource retry) instead of reopening it each time.
            self._linger = asyncio.get_running_loop().call_later(
                self.hub.linger_s, self._linger_expired
            )

    def _linger_expired(self) -> None:
        self._linger = None
        if self.refs() == 0:
            self.hub._retire(self)

    async def _run(self) -> None:
        hub = self.hub
        backoff = _Backoff(hub.retry_initial_s, hub.retry_max_s)
        while True:
            try:
                if self._reader is None:
                    self._reader = hub.bus.reader(self.topic, dict(self.positions))
                records = await self._reader.read(timeout=hub.poll_s, max_records=hub.batch_size)
                reader_positions = self._reader.positions()
            except TopicNotFound:
                log.info("stream topic deleted", extra={"topic": self.topic})
                for sub in list(self.members):
                    sub.close(CloseReason.TOPIC_DELETED)
                hub._retire(self)
                return
            except Exception:
                # The bus is down or the reader broke: subscribers keep waiting and the
                # reader is rebuilt from the last position fanned out, so nothing is lost.
                log.warning("stream reader failed", extra={"topic": self.topic}, exc_info=True)
                reader, self._reader = self._reader, None
                if reader is not None:
                    await _close_quietly(reader)
                await backoff.sleep()
                continue
            backoff.reset()
            self._dispatch(records, reader_positions)
            # Let the subscribers woken by this batch run before the next read, so a
            # burst served from memory does not overflow consumers that keep up.
            await asyncio.sleep(0)

    def _dispatch(self, records: Sequence[Record], reader_positions: Positions) -> None:
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
        limit = self.hub.history_size
        if limit:
            history = self.history
            history.extend(batch)
            while len(history) > limit:
                dropped = history.popleft()
                self.history_from[dropped.partition] = dropped.offset + 1
        for sub in tuple(self.listeners):
            sub._offer(batch)

    def covers(self, requested: Positions) -> bool:
        """Whether ``history`` holds every record from ``requested`` to the live position."""
        if not self.hub.history_size:
            return False
        return all(requested.get(p, 0) >= first for p, first in self.history_from.items())

    async def aclose(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        tasks = [task for task in (self.opened, self._task) if task is not None]
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
            await _close_quietly(reader)


def _size(record: Record) -> int:
    return 0 if record.value is None else len(record.value)


async def _close_quietly(reader: Reader) -> None:
    try:
        await reader.close()
    except Exception:
        log.warning("closing a stream reader failed", exc_info=True)


class Subscription:
    """One client's stream: an async iterator of ``Event``, ``Gap`` and a final ``Closed``.

    Iterate it (or call ``get``) from one task. ``close`` may be called from any task on
    the same loop and ends the iteration promptly with ``Closed(reason)``; items still
    buffered are discarded (a revoked client must not receive more). Always close a
    subscription (``sse_body`` and ``pump`` do), or use it as an async context manager:
    it holds a share of the topic's live reader until closed.
    """

    def __init__(
        self,
        hub: StreamHub,
        feed: _Feed,
        next_positions: Positions,
        gaps: Iterable[Gap],
        labels: Mapping[str, str],
    ) -> None:
        self.topic = feed.topic
        self.labels = dict(labels)
        """Free-form tags from the caller (tenant, key id, ...) for admin and revocation."""
        self.delivered_messages = 0
        """Events handed to the consumer so far (for metering)."""
        self.delivered_bytes = 0
        """Sum of the record value sizes of those events."""
        self._hub = hub
        self._feed: _Feed | None = feed
        self._next = next_positions
        self._out: deque[Item] = deque(gaps)
        self._backlog: deque[Event] = deque()
        """Shared events from the feed's history, delivered before the live buffer."""
        self._live: deque[tuple[Event, ...]] = deque()
        self._live_index = 0
        self._pending = 0
        self._wake = asyncio.Event()
        self._closed_event = asyncio.Event()
        self._closed: Closed | None = None
        self._finished = False
        self._attached = False
        self._replaying = False
        self._target: Positions = {}
        # Until a live event's shared cursor covers everything this subscriber already
        # delivered (replay read ahead of the live reader, or the start was ahead of it),
        # cursors are rebuilt for this subscriber so a resume never repeats a record.
        self._diverged = True
        self._reader: Reader | None = None
        self._fetch: asyncio.Task[_Fetched] | None = None

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
        self._detach()
        self._live.clear()
        self._out.clear()
        self._backlog.clear()
        self._pending = 0
        self._release_reader()
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.members.discard(self)
            feed.maybe_linger()
        self._hub._subscriptions.discard(self)
        self._wake.set()
        self._closed_event.set()

    async def wait_closed(self) -> None:
        await self._closed_event.wait()

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
            self.delivered_bytes += _size(item.record)
        return item

    def ready(self, limit: int) -> Sequence[Item]:
        """Up to ``limit`` items available right now, without waiting; ends at ``Closed``.

        Lets a transport write many pre-encoded events at once after ``get`` returned one.
        """
        if not self._diverged and self._closed is None and not self._out and not self._backlog:
            # Steady state: hand out slices of the shared live batches as they are.
            events: list[Event] = []
            live = self._live
            while live and len(events) < limit:
                batch, start = live[0], self._live_index
                end = min(len(batch), start + limit - len(events))
                events.extend(batch[start:end])
                if end == len(batch):
                    live.popleft()
                    self._live_index = 0
                else:
                    self._live_index = end
            self._pending -= len(events)
            self.delivered_messages += len(events)
            self.delivered_bytes += sum(_size(e.record) for e in events)
            return events
        items: list[Item] = []
        while len(items) < limit:
            item = self._next_ready()
            if item is None:
                break
            items.append(item)
            if type(item) is Event:
                self.delivered_messages += 1
                self.delivered_bytes += _size(item.record)
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
            if self._replaying:
                fetch = self._replay_step()
                if fetch is None:
                    continue
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return None
                done, _ = await asyncio.wait((fetch,), timeout=remaining)
                if not done:
                    return None
                if fetch is self._fetch:
                    self._fetch = None
                    if not fetch.cancelled():
                        self._take(fetch.result())
                continue
            self._wake.clear()
            try:
                async with asyncio.timeout_at(deadline):
                    await self._wake.wait()
            except TimeoutError:
                return None

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

    # -- fan-out side (called by the feed, synchronously) --------------------------------

    def _offer(self, batch: tuple[Event, ...]) -> None:
        if self._pending + len(batch) > self._hub.buffer_size:
            if self._replaying:
                # Catch-up is slower than the topic: forget the buffered live records
                # (the replay reader will read them from the log) and re-attach later,
                # so handover never holds more than one buffer.
                self._detach()
                self._live.clear()
                self._live_index = 0
                self._pending = 0
            else:
                self.close(CloseReason.SLOW_CONSUMER)
            return
        self._live.append(batch)
        self._pending += len(batch)
        if not self._replaying:
            self._wake.set()

    # -- internals -----------------------------------------------------------------------

    def _attach(self) -> None:
        """Join the live fan-out. Everything the live reader fans out from now on is
        buffered, so replaying up to its current positions leaves no gap."""
        feed = self._feed
        assert feed is not None
        feed.listeners[self] = None
        self._attached = True
        self._target = dict(feed.positions)

    def _detach(self) -> None:
        if self._attached and self._feed is not None:
            self._feed.listeners.pop(self, None)
        self._attached = False

    def _caught_up(self) -> bool:
        return all(self._next.get(p, 0) >= offset for p, offset in self._target.items())

    def _next_ready(self) -> Item | None:
        if self._closed is not None:
            return self._closed
        if self._out:
            return self._out.popleft()
        if self._replaying:
            return None
        live, backlog, nxt = self._live, self._backlog, self._next
        while True:
            if backlog:
                event = backlog.popleft()
            elif live:
                batch = live[0]
                event = batch[self._live_index]
                self._live_index += 1
                if self._live_index == len(batch):
                    live.popleft()
                    self._live_index = 0
                self._pending -= 1
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
            return event
        merged = dict(shared)
        for p, offset in self._next.items():
            merged[p] = max(offset, merged.get(p, 0))
        return Event(event.record, encode_cursor(merged))

    def _replay_step(self) -> asyncio.Task[_Fetched] | None:
        """Advance the catch-up state machine; the fetch to wait for, or None after
        handing over to the live feed."""
        if self._fetch is not None:
            return self._fetch
        if not self._attached:
            self._attach()
        if self._caught_up():
            self._replaying = False
            self._release_reader()
            return None
        self._fetch = asyncio.create_task(self._replay_fetch(), name=f"stream-replay:{self.topic}")
        return self._fetch

    async def _replay_fetch(self) -> _Fetched:
        """Read the next batch of history; retries while the bus is unavailable."""
        hub = self._hub
        backoff = _Backoff(hub.retry_initial_s, hub.retry_max_s)
        while True:
            try:
                if self._reader is None:
                    self._reader = hub.bus.reader(self.topic, dict(self._next))
                records = await self._reader.read(timeout=hub.poll_s, max_records=hub.batch_size)
                reader_positions = self._reader.positions()
                beginning = None
                if _skips(self._next, records, reader_positions):
                    beginning = await hub.bus.beginning_offsets(self.topic)
            except Exception:
                log.warning("stream replay failed", extra={"topic": self.topic}, exc_info=True)
                reader, self._reader = self._reader, None
                if reader is not None:
                    await _close_quietly(reader)
                await backoff.sleep()
                continue
            return _Fetched(records, reader_positions, beginning)

    def _take(self, fetched: _Fetched) -> None:
        nxt = self._next
        for record in fetched.records:
            partition, offset = record.partition, record.offset
            expected = nxt.get(partition)
            if expected is None or offset < expected:
                continue
            if offset > expected:
                self._skipped(partition, expected, offset, fetched.beginning)
            nxt[partition] = offset + 1
            self._out.append(Event(record, encode_cursor(nxt)))
        for partition, position in fetched.reader_positions.items():
            expected = nxt.get(partition)
            if expected is not None and position > expected:
                self._skipped(partition, expected, position, fetched.beginning)
                nxt[partition] = position
        if self._attached and self._caught_up():
            # Hand over now rather than on the next get(): the reader is released at
            # once, and the replayed items still queued in _out go out before the live ones.
            self._replaying = False
            self._release_reader()

    def _skipped(
        self, partition: int, expected: int, landed: int, beginning: Positions | None
    ) -> None:
        # Offsets may legitimately be missing (Kafka control records); only a beginning
        # past what we expected means retention dropped records under the replay.
        if beginning is not None and beginning.get(partition, 0) > expected:
            self._next[partition] = landed
            self._out.append(Gap(partition, expected, landed, encode_cursor(self._next)))

    def _release_reader(self) -> None:
        fetch, self._fetch = self._fetch, None
        if fetch is not None:
            fetch.cancel()
        if fetch is not None or self._reader is not None:
            self._hub._spawn(self._close_reader(fetch))

    async def _close_reader(self, fetch: asyncio.Task[_Fetched] | None) -> None:
        if fetch is not None:
            await asyncio.wait((fetch,))
            if not fetch.cancelled():
                fetch.exception()  # retrieved so asyncio does not report it
        reader, self._reader = self._reader, None
        if reader is not None:
            await _close_quietly(reader)


@dataclass(frozen=True, slots=True)
class _Fetched:
    records: list[Record]
    reader_positions: Positions
    beginning: Positions | None


def _skips(start: Positions, records: Sequence[Record], reader_positions: Positions) -> bool:
    nxt = dict(start)
    for record in records:
        expected = nxt.get(record.partition)
        if expected is not None and record.offset > expected:
            return True
        nxt[record.partition] = record.offset + 1
    return any(pos > nxt.get(p, pos) for p, pos in reader_positions.items())


class StreamHub:
    """Realtime fan-out of topics to local subscribers; see the module docstring for the
    delivery semantics.

    ``buffer_size`` bounds the events buffered per subscriber (and so the memory of a
    handover); ``heartbeat_s`` is the idle interval the SSE and WebSocket layers use;
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
        self.heartbeat_s = heartbeat_s
        self.linger_s = linger_s
        self.poll_s = poll_s
        # A live batch must fit into an empty buffer, or every subscriber would overflow.
        self.batch_size = max(1, min(batch_size, buffer_size))
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.history_size = max(0, history_size)
        self._running = False
        self._feeds: dict[str, _Feed] = {}
        self._subscriptions: set[Subscription] = set()
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._running = True

    async def stop(self) -> None:
        """Close every subscription with ``shutdown`` and every reader."""
        self._running = False
        for sub in list(self._subscriptions):
            sub.close(CloseReason.SHUTDOWN)
        for feed in list(self._feeds.values()):
            self._retire(feed)
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def stats(self) -> HubStats:
        return HubStats(
            topics=len(self._feeds),
            subscribers=len(self._subscriptions),
            replaying=sum(1 for sub in self._subscriptions if sub.replaying),
        )

    def subscriptions(self, topic: str | None = None) -> list[Subscription]:
        """Open subscriptions (of one topic), e.g. to close those of a revoked key."""
        return [s for s in self._subscriptions if topic is None or s.topic == topic]

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
            feed = self._feeds[topic] = _Feed(self, topic)
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
        sub = Subscription(self, feed, requested, gaps, labels or {})
        if not self._running or feed.retired:
            sub.close(CloseReason.SHUTDOWN)
            return sub
        feed.members.add(sub)
        self._subscriptions.add(sub)
        if from_history:
            sub._backlog.extend(e for e in feed.history if e.offset >= requested[e.partition])
        sub._attach()
        sub._replaying = not from_history and not sub._caught_up()
        return sub

    async def _requested(self, feed: _Feed, start: Start, *, created: bool) -> Positions:
        bus, topic = self.bus, feed.topic
        live = dict(feed.positions)
        if start.kind == "latest":
            # The feed's creator may use the end offsets the feed opened at: they were
            # read after this call began. Anyone else asks the log.
            ends = feed.initial if created else await bus.end_offsets(topic)
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

    async def _gaps(self, feed: _Feed, requested: Positions) -> list[Gap]:
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

    def _retire(self, feed: _Feed) -> None:
        if feed.retired:
            return
        feed.retired = True
        if self._feeds.get(feed.topic) is feed:
            del self._feeds[feed.topic]
        for sub in list(feed.listeners):
            sub._detach()
        self._spawn(feed.aclose())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
