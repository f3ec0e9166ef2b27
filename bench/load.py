"""Throughput load generators, each run in its own process (``common.in_process``).

- ``http_load``: a closed-loop HTTP/1.1 client on raw asyncio protocols (uvloop): N
  keep-alive connections, each sending its next request as soon as the previous response
  is complete (no pipelining). Counts 2xx responses per fixed-length window after a
  warm-up; any other status is tallied as an error.
- ``kafka_baseline``: aiokafka ``create_batch``/``send_batch`` straight to a broker
  (acks=all, idempotence off), same windows.
- ``embedded_baseline``: ``EmbeddedBus.publish`` in-process on a fresh SQLite file set up
  exactly as topichub sets up its own, same windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from bench.common import HOST, parse_head, run_async


@dataclass
class LoadResult:
    """Operations per second in each measured window (an operation is one request, or one
    message for the baselines), plus what went wrong."""

    rates: list[float]
    done: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    disconnects: int = 0
    sample_error: str = ""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.disconnects


class _Tally:
    __slots__ = ("disconnects", "done", "errors", "running", "sample_error")

    def __init__(self) -> None:
        self.done = 0
        self.errors: Counter[int] = Counter()
        self.disconnects = 0
        self.running = True
        self.sample_error = ""


async def _windows(
    tally: _Tally, warmup_s: float, windows: int, window_s: float, scale: int = 1
) -> list[float]:
    await asyncio.sleep(warmup_s)
    rates = []
    for _ in range(windows):
        done, started = tally.done, time.perf_counter()
        await asyncio.sleep(window_s)
        rates.append((tally.done - done) * scale / (time.perf_counter() - started))
    tally.running = False
    return rates


class _ClosedLoop(asyncio.Protocol):
    """One connection: send, read one whole response, send again."""

    def __init__(self, request: bytes, tally: _Tally) -> None:
        self.request = request
        self.tally = tally
        self.buffer = bytearray()
        self.need: int | None = None
        self.status = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while True:
            if self.need is None:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                status, length = parse_head(bytes(buffer[:end]))
                if length is None:
                    raise RuntimeError("closed-loop load needs Content-Length responses")
                self.status = status
                self.need = end + 4 + length
            if len(buffer) < self.need:
                return
            tally = self.tally
            if 200 <= self.status < 300:
                tally.done += 1
            else:
                tally.errors[self.status] += 1
                if not tally.sample_error:
                    tally.sample_error = bytes(buffer[: self.need])[-400:].decode(errors="replace")
            del buffer[: self.need]
            self.need = None
            if tally.running and self.transport is not None:
                self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.tally.running:
            self.tally.disconnects += 1
        self.transport = None


async def _http_load(
    port: int, request: bytes, connections: int, warmup_s: float, windows: int, window_s: float
) -> LoadResult:
    loop = asyncio.get_running_loop()
    tally = _Tally()
    transports = []
    try:
        for _ in range(connections):
            transport, _ = await loop.create_connection(
                lambda: _ClosedLoop(request, tally), HOST, port
            )
            transports.append(transport)
        rates = await _windows(tally, warmup_s, windows, window_s)
    finally:
        tally.running = False
        for transport in transports:
            transport.close()
    return LoadResult(rates, tally.done, dict(tally.errors), tally.disconnects, tally.sample_error)


def http_load(
    port: int, request: bytes, connections: int, warmup_s: float, windows: int, window_s: float
) -> LoadResult:
    """Closed-loop requests/s of ``request`` on ``connections`` keep-alive connections."""
    return run_async(_http_load(port, request, connections, warmup_s, windows, window_s))


async def _message_load(
    publish: Callable[[int, Callable[[], None]], Awaitable[None]],
    concurrency: int,
    batch: int,
    warmup_s: float,
    windows: int,
    window_s: float,
) -> LoadResult:
    """``concurrency`` tasks each calling ``publish(worker, done)`` in a loop; ``done()``
    is called once per batch stored (by the call itself, or later by a callback)."""
    tally = _Tally()

    def done() -> None:
        tally.done += 1

    async def worker(index: int) -> None:
        while tally.running:
            await publish(index, done)

    tasks = [asyncio.create_task(worker(i)) for i in range(concurrency)]
    try:
        rates = await _windows(tally, warmup_s, windows, window_s, scale=batch)
        # Let the calls in flight finish: a cancelled publish would only add noise.
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    finally:
        for task in tasks:
            task.cancel()
    return LoadResult(rates, tally.done * batch)


async def _kafka_baseline(
    bootstrap_servers: str,
    partitions: int,
    value_bytes: int,
    batch: int,
    warmup_s: float,
    windows: int,
    window_s: float,
) -> LoadResult:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from topichub.bus.kafka import MAX_BATCH_BYTES

    topic = f"bench-baseline-{time.monotonic_ns()}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    # The producer settings of topichub's KafkaBus: acks=all, no idempotence, no linger,
    # the same batch size limit.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=False,
        linger_ms=0,
        max_batch_size=MAX_BATCH_BYTES,
    )
    await producer.start()
    value = b"x" * value_bytes

    async def publish(worker: int, done: Callable[[], None]) -> None:
        # One sender per partition, as KafkaBus does: aiokafka holds one batch per
        # partition in its queue, and ``send_batch`` returns once the batch is queued, so
        # the next batch is built while this one is in flight. Several senders on one
        # partition only contend for that slot (and can hit aiokafka's queue timeout).
        builder = producer.create_batch()
        appended = 0
        while appended < batch:
            if builder.append(key=None, value=value, timestamp=None) is None:
                builder.close()
                await producer.send_batch(builder, topic, partition=worker)
                builder = producer.create_batch()
                continue
            appended += 1
        builder.close()
        future = await producer.send_batch(builder, topic, partition=worker)
        future.add_done_callback(lambda f: f.cancelled() or f.exception() or done())

    try:
        await publish(0, lambda: None)  # metadata and connection before the clock starts
        await producer.flush()
        return await _message_load(publish, partitions, batch, warmup_s, windows, window_s)
    finally:
        await producer.stop()


def kafka_baseline(
    bootstrap_servers: str,
    partitions: int,
    value_bytes: int,
    batch: int,
    warmup_s: float,
    windows: int,
    window_s: float,
) -> LoadResult:
    """Messages/s of aiokafka ``send_batch`` straight to the broker, one sender per
    partition."""
    return run_async(
        _kafka_baseline(
            bootstrap_servers,
            partitions,
            value_bytes,
            batch,
            warmup_s,
            windows,
            window_s,
        )
    )


async def _embedded_baseline(
    partitions: int,
    value_bytes: int,
    batch: int,
    concurrency: int,
    warmup_s: float,
    windows: int,
    window_s: float,
) -> LoadResult:
    from topichub.bus import EmbeddedBus, OutRecord, TopicSpec
    from topichub.kit import migrations
    from topichub.kit.db import create_engine

    with tempfile.TemporaryDirectory(prefix="topichub-bench-") as tmp:
        # The database topichub itself would use: a SQLite file with its pragmas and
        # schema, in a temp data dir.
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'topichub.db'}")
        bus = EmbeddedBus(engine)
        try:
            await migrations.upgrade(engine)
            await bus.start()
            await bus.create_topic(TopicSpec("bench-baseline", partitions))
            records = [OutRecord(value=b"x" * value_bytes) for _ in range(batch)]

            async def publish(_worker: int, done: Callable[[], None]) -> None:
                await bus.publish("bench-baseline", records)
                done()

            await publish(0, lambda: None)
            return await _message_load(publish, concurrency, batch, warmup_s, windows, window_s)
        finally:
            with contextlib.suppress(Exception):
                await bus.stop()
            await engine.dispose()


def embedded_baseline(
    partitions: int,
    value_bytes: int,
    batch: int,
    concurrency: int,
    warmup_s: float,
    windows: int,
    window_s: float,
) -> LoadResult:
    """Messages/s of ``EmbeddedBus.publish`` in-process on a SQLite file."""
    return run_async(
        _embedded_baseline(partitions, value_bytes, batch, concurrency, warmup_s, windows, window_s)
    )
