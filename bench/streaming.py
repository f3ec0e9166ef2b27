"""Publish -> SSE receive measurements, shared by ``fanout`` and ``latency``.

Three processes: the server under test; a subscriber process holding N SSE connections
(raw asyncio protocols on uvloop, one per connection, that only look for the send
timestamp the publisher embeds in each message); and this process, which publishes at a
steady rate over a few keep-alive connections and reads the server's RSS.

Clocks: both sides use ``time.monotonic_ns()``, which on Linux is CLOCK_MONOTONIC, one
clock for every process of the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, cast

from bench.common import (
    HOST,
    HttpConnection,
    http_request,
    percentile,
    read_rss_kib,
    run_async,
    spawn_context,
)

STAMP = re.compile(rb'"bench_t": ?(\d+)')
"""The send time in a delivered event's data (topichub's compact JSON or the naive
broadcaster's ``json.dumps`` with spaces)."""
CLOSE_EVENT = b"event: close"
CONNECT_CONCURRENCY = 4
"""Stream opens in flight at once. More would not be faster (opening a topichub stream is
CPU-bound) and, on the embedded engine, 8 or more concurrent opens exhaust SQLite's
connection pool (5 + 10 overflow): each open holds its request's pooled connection while
``EmbeddedBus.end_offsets`` waits for a second one, so the server stalls until the pool's
30 s timeout. See the benchmark notes."""
PAD = "x" * 48
"""Makes each message value about 100 bytes of JSON."""


@dataclass(frozen=True)
class StreamTarget:
    """Where to subscribe and where to publish, on one server."""

    label: str
    port: int
    pid: int
    stream_path: str
    publish_path: str
    headers: dict[str, str]


@dataclass
class StreamResult:
    subscribers: int
    wanted: int
    connect_s: float
    connect_failures: int
    sample_failure: str
    rss_before_kib: int
    rss_after_kib: int
    connect_cpu_s: float
    """The server's CPU time (user + system) from before the first open to the last."""
    fds_after: int
    """The server's open file descriptors once every subscriber connected."""
    published: int
    """Stamped messages sent."""
    rejected: int
    """Publishes answered with something other than 200 (not stored)."""
    unanswered: int
    """Publishes not answered by the deadline (probably stored: counted as expected)."""
    publish_s: float
    """From the first send to the last answer (or the deadline)."""
    expected: int
    delivered: int
    deliveries_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    closed_by_server: int
    lost: int

    @property
    def rss_per_subscriber_kib(self) -> float:
        if not self.subscribers:
            return float("nan")
        return (self.rss_after_kib - self.rss_before_kib) / self.subscribers

    @property
    def cpu_ms_per_open(self) -> float:
        if not self.subscribers:
            return float("nan")
        return self.connect_cpu_s * 1000 / self.subscribers

    @property
    def delivered_fraction(self) -> float:
        return self.delivered / self.expected if self.expected else float("nan")


# -- the subscriber process --------------------------------------------------------------


class _Stats:
    __slots__ = ("closed", "delivered", "first_ns", "last_ns", "latencies_us", "lost", "running")

    def __init__(self) -> None:
        self.delivered = 0
        self.latencies_us: list[int] = []
        self.first_ns = 0
        self.last_ns = 0
        self.closed = 0
        self.lost = 0
        self.running = True


class SSEClient(asyncio.Protocol):
    """One raw SSE connection: sends the request, checks the response head, buffers up
    to the last blank line and hands each run of complete events to ``on_events``. Its
    ``stats`` need ``closed``, ``lost`` and ``running``."""

    def __init__(self, request: bytes, stats: Any, ready: asyncio.Future[None]) -> None:
        self.request = request
        self.stats = stats
        self.ready = ready
        self.buffer = b""
        self.head_done = False
        self.transport: asyncio.Transport | None = None

    def on_events(self, complete: bytes, now_ns: int) -> None:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buffer = self.buffer + data if self.buffer else data
        if not self.head_done:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            if buffer[9:12] != b"200":
                if not self.ready.done():
                    self.ready.set_exception(RuntimeError(buffer[:600].decode(errors="replace")))
                if self.transport is not None:
                    self.transport.close()
                return
            self.head_done = True
            if not self.ready.done():
                self.ready.set_result(None)
            buffer = buffer[end + 4 :]
        cut = buffer.rfind(b"\n\n")
        if cut < 0:
            self.buffer = buffer
            return
        complete = buffer[:cut]
        self.on_events(complete, now)
        if CLOSE_EVENT in complete:
            self.stats.closed += 1
        self.buffer = buffer[cut + 2 :]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"connection lost: {exc}"))
        elif self.stats.running:
            self.stats.lost += 1
        self.transport = None


class _Subscriber(SSEClient):
    """Every send stamp found in a complete event is one delivery, with its latency."""

    stats: _Stats

    def on_events(self, complete: bytes, now_ns: int) -> None:
        stats = self.stats
        for match in STAMP.finditer(complete):
            stats.latencies_us.append((now_ns - int(match.group(1))) // 1000)
            stats.delivered += 1
            if not stats.first_ns:
                stats.first_ns = now_ns
            stats.last_ns = now_ns


async def _recv(conn: Connection, timeout: float) -> Any:
    """The next message from the other process, or ``TimeoutError``. Polls instead of
    blocking a thread, so that a cancellation (Ctrl-C) is never held up by it."""
    deadline = time.monotonic() + timeout
    while not conn.poll():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no message from the other process in {timeout}s")
        await asyncio.sleep(0.05)
    return conn.recv()


async def _subscribers(
    conn: Connection, port: int, request: bytes, count: int, concurrency: int
) -> None:
    loop = asyncio.get_running_loop()
    stats = _Stats()
    transports: list[asyncio.BaseTransport] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def connect() -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            try:
                transport, _ = await loop.create_connection(
                    lambda: _Subscriber(request, stats, ready), HOST, port
                )
                transports.append(transport)
                async with asyncio.timeout(60):
                    await ready
            except Exception as exc:
                failures.append(str(exc))

    started = time.perf_counter()
    await asyncio.gather(*(connect() for _ in range(count)))
    connected = count - len(failures)
    conn.send(("ready", connected, time.perf_counter() - started, len(failures), failures[:1]))
    try:
        _, published, deadline = await _recv(conn, 900)
        expected = published * connected
        while stats.delivered < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stats.running = False
        latencies = sorted(stats.latencies_us)
        conn.send(
            (
                "result",
                stats.delivered,
                stats.first_ns,
                stats.last_ns,
                percentile(latencies, 50) / 1000,
                percentile(latencies, 99) / 1000,
                (latencies[-1] / 1000) if latencies else float("nan"),
                stats.closed,
                stats.lost,
            )
        )
    finally:
        stats.running = False
        for transport in transports:
            transport.close()
        await asyncio.sleep(0.2)  # let the closes go out before the process exits


def subscriber_main(conn: Connection, port: int, request: bytes, count: int, conc: int) -> None:
    """Entry of the subscriber process."""
    try:
        run_async(_subscribers(conn, port, request, count, conc))
    finally:
        conn.close()


# -- the publisher -------------------------------------------------------------------------


def _publish_body(seq: int, stamped: bool) -> bytes:
    value: dict[str, Any] = {"seq": seq, "pad": PAD}
    if stamped:
        value["bench_t"] = time.monotonic_ns()
    return json.dumps({"messages": [{"value": value}]}).encode()


async def publish_steady(
    target: StreamTarget,
    rate: float,
    count: int,
    *,
    stamped: bool = True,
    deadline: float | None = None,
    max_connections: int = 256,
) -> tuple[int, int]:
    """Publish ``count`` one-message requests at ``rate`` per second on a fixed schedule:
    a send never waits for an earlier answer (a new keep-alive connection is opened when
    none is free), so a slow server sees the offered rate rather than a rate it sets
    itself. Answers are awaited until ``deadline`` (``loop.time()``); returns (accepted,
    rejected: answered with another status than 200)."""
    free: list[HttpConnection] = []
    opened: list[HttpConnection] = []
    gate = asyncio.Semaphore(max_connections)
    outcome = {"ok": 0, "rejected": 0}

    async def one(seq: int) -> None:
        async with gate:
            if free:
                connection = free.pop()
            else:
                connection = await HttpConnection.open(target.port)
                opened.append(connection)
            body = _publish_body(seq, stamped)
            request = http_request("POST", target.publish_path, body, target.headers)
            status, _ = await connection.request(request)
            outcome["ok" if status == 200 else "rejected"] += 1
            free.append(connection)

    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    try:
        for seq in range(count):
            delay = started + seq / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(seq)))
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connection in opened:
            await connection.close()
    return outcome["ok"], outcome["rejected"]


def read_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may hold spaces: count fields after its ")".
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


# -- one measurement ---------------------------------------------------------------------------


async def measure(
    target: StreamTarget,
    *,
    subscribers: int,
    rate: float,
    count: int,
    warmup: int = 5,
    drain_s: float = 5.0,
    connect_concurrency: int = CONNECT_CONCURRENCY,
) -> StreamResult:
    """Connect ``subscribers`` SSE clients (in their own process), measure the server's
    RSS before and after, publish ``warmup`` unstamped then ``count`` stamped messages at
    ``rate``/s, and collect deliveries until every subscriber has every stamped message or
    ``drain_s`` after the last publish."""
    context = spawn_context()
    ours, theirs = context.Pipe()
    request = http_request(
        "GET", target.stream_path, headers={**target.headers, "Accept": "text/event-stream"}
    )
    rss_before = read_rss_kib(target.pid)
    cpu_before = read_cpu_s(target.pid)
    process = context.Process(
        target=subscriber_main,
        args=(theirs, target.port, request, subscribers, connect_concurrency),
        name=f"subscribers-{target.label}",
    )
    process.start()
    theirs.close()
    try:
        _, connected, connect_s, failures, sample = await _recv(ours, 900)
        connect_cpu_s = read_cpu_s(target.pid) - cpu_before
        await asyncio.sleep(1.0)  # let the server settle before reading its RSS
        rss_after = read_rss_kib(target.pid)
        fds_after = count_fds(target.pid)
        if warmup:
            await publish_steady(target, rate, warmup, stamped=False)
            await asyncio.sleep(1.0)
        # Subscribers and publisher stop at the same moment: the end of the schedule plus
        # ``drain_s``. Deliveries (and publish answers) later than that are not waited for.
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + count / rate + drain_s
        ours.send(("publishing", count, time.monotonic() + count / rate + drain_s))
        first_send = time.monotonic_ns()
        accepted, rejected = await publish_steady(target, rate, count, deadline=deadline)
        publish_s = loop.time() - started
        (_, delivered, _first_recv, last_recv, p50, p99, worst, closed, lost) = await _recv(
            ours, drain_s + 120
        )
    except BaseException:
        process.kill()  # failed or cancelled (Ctrl-C): no need to let it finish
        raise
    finally:
        with contextlib.suppress(Exception):
            ours.close()
        # It exits on its own once it has sent its result and closed its connections.
        for _ in range(300):
            if not process.is_alive():
                break
            await asyncio.sleep(0.1)
        if process.is_alive():
            process.kill()
        process.join()
    span_s = (last_recv - first_send) / 1e9 if delivered else float("nan")
    return StreamResult(
        subscribers=connected,
        wanted=subscribers,
        connect_s=connect_s,
        connect_failures=failures,
        sample_failure=sample[0] if sample else "",
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
        connect_cpu_s=connect_cpu_s,
        fds_after=fds_after,
        published=count,
        rejected=rejected,
        unanswered=count - accepted - rejected,
        publish_s=publish_s,
        expected=(count - rejected) * connected,
        delivered=delivered,
        deliveries_per_s=delivered / span_s if delivered else 0.0,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=worst,
        closed_by_server=closed,
        lost=lost,
    )
