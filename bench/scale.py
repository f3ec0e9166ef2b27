"""Scale-out: publish and fan-out throughput with 1, 2 and 4 ``topichub serve`` processes
on this machine, as ratios to one process.

Every configuration runs real ``topichub serve`` processes (one uvicorn worker each, own
loopback port) on the scale-out engines: one PostgreSQL database (migrated once with
``topichub migrate``), one Redis key prefix and one tansu broker, shared by all processes
of the run. Limits stay on, set far above what the run can reach, so every request still
pays for its rate-limit and quota checks in Redis. Four processes are started once; "N
processes" means the load goes to the first N of them (the others stay idle: their
background tasks cost little). The configurations are measured in alternation, ROUNDS
rounds, and the medians are shown, because other work on this machine makes single
measurements noisy.

- **publish**: messages/s of ``POST /api/v1/topics/events/publish`` with BATCH messages
  of about 100 bytes per request, closed loop on CONNECTIONS keep-alive connections in
  all (the same total for every configuration), spread evenly over the processes, each
  process publishing for a tenant of its own (many tenants is what scale-out is for),
  from a separate load process.
- **fan-out**: SUBSCRIBERS SSE subscribers of one topic spread evenly over the processes
  (held by a separate process that counts delivered events), while RATE publish
  requests/s of FANOUT_BATCH messages go out on PUBLISHERS paced connections spread over
  the processes. Figure: deliveries/s over the measured window. Subscribers closed by
  the server as too slow are counted and reported.

Each row's notes give every round's figure and, as medians, the CPU cores the topichub
processes and the broker used during the measurement (connecting, warm-up and window) and
how busy the whole machine was: when it is near 100 %, more processes cannot help here.

The load generators share this machine's CPUs with the servers, the broker, PostgreSQL
and Redis: the ratios say what more processes buy *on this machine*, not on a cluster
of machines.

    uv run python -m bench.scale
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import httpx
from tests.scale.support import ServerProcess, delete_redis_keys, run_cli
from tests.support.services import PG_ADMIN_DSN, REDIS_URL, create_pg_database, drop_pg_database
from tests.support.tansu import TansuBroker

from bench.common import (
    HOST,
    LoadProcess,
    Row,
    fmt_rate,
    http_request,
    log,
    median,
    parse_head,
    print_table,
    raise_nofile,
    ratio,
    run_async,
    spawn_context,
    topichub_env,
)

PROCESSES = (1, 2, 4)
BATCH = 100
CONNECTIONS = 16
"""Publishing connections in all, spread evenly over the processes."""
SUBSCRIBERS = 240
FANOUT_BATCH = 10
PUBLISHERS = 6
RATE = 150.0
"""Publish requests per second offered during fan-out (1,500 messages/s, 360,000
deliveries/s: more than this machine delivers), on PUBLISHERS paced connections."""
ROUNDS = 4
WARMUP_S = 1.0
WINDOW_S = 2.0
PASSWORD = "Correct-horse-42"
VALUE = "x" * 98
PUBLISH_BODY = json.dumps({"messages": [{"value": VALUE}] * BATCH}).encode()


@dataclass
class Target:
    port: int
    headers: dict[str, str]


@dataclass
class LoadOutcome:
    rate: float
    errors: int
    sample_error: str
    cpu: CpuUse | None = None


# -- where the CPU went -----------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class CpuUse:
    topichub: float
    """Cores used by the topichub processes under load."""
    broker: float
    busy: float
    """Fraction of the machine's CPU time that was busy (everything on it)."""

    def describe(self) -> str:
        return (
            f"CPU: topichub {self.topichub:.2f} cores, broker {self.broker:.2f}, "
            f"machine {self.busy:.0%} busy"
        )


class CpuMeter:
    """CPU used by some processes and by the machine between ``__enter__`` and ``__exit__``."""

    def __init__(self, servers: list[int], broker: int) -> None:
        self.servers = servers
        self.broker = broker
        self.use: CpuUse | None = None

    def _sample(self) -> tuple[float, float, float, tuple[int, int]]:
        return (
            time.monotonic(),
            sum(_process_cpu_s(pid) for pid in self.servers),
            _process_cpu_s(self.broker),
            _machine_ticks(),
        )

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        elapsed = end[0] - self._start[0]
        busy = end[3][0] - self._start[3][0]
        total = end[3][1] - self._start[3][1]
        self.use = CpuUse(
            (end[1] - self._start[1]) / elapsed,
            (end[2] - self._start[2]) / elapsed,
            busy / total if total else float("nan"),
        )


# -- closed-loop publishing (runs in the load process) --------------------------------------


class _Tally:
    def __init__(self) -> None:
        self.done = 0
        self.errors = 0
        self.sample = ""
        self.running = True


class _ClosedLoop(asyncio.Protocol):
    """One keep-alive connection: send, read the whole answer, send again (optionally
    no earlier than ``interval_s`` after the previous send)."""

    def __init__(self, request: bytes, tally: _Tally, interval_s: float = 0.0) -> None:
        self.request = request
        self.tally = tally
        self.interval_s = interval_s
        self.buffer = bytearray()
        self.need: int | None = None
        self.status = 0
        self.transport: asyncio.Transport | None = None
        self.next_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self._send()

    def _send(self) -> None:
        if not self.tally.running or self.transport is None:
            return
        loop = asyncio.get_running_loop()
        delay = self.next_at - loop.time()
        if delay > 0:
            loop.call_later(delay, self._send)
            self.next_at = 0.0
            return
        self.next_at = loop.time() + self.interval_s
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.need is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                self.status, length = parse_head(bytes(self.buffer[:end]))
                self.need = end + 4 + (length or 0)
            if len(self.buffer) < self.need:
                return
            if 200 <= self.status < 300:
                self.tally.done += 1
            else:
                self.tally.errors += 1
                if not self.tally.sample:
                    self.tally.sample = bytes(self.buffer[: self.need])[-300:].decode(
                        errors="replace"
                    )
            del self.buffer[: self.need]
            self.need = None
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.tally.running:
            self.tally.errors += 1
        self.transport = None


async def _closed_loop(
    requests: list[tuple[int, bytes]], interval_s: float, warmup_s: float, window_s: float
) -> LoadOutcome:
    loop = asyncio.get_running_loop()
    tally = _Tally()
    transports = []
    try:
        for port, request in requests:
            transport, _ = await loop.create_connection(
                lambda r=request: _ClosedLoop(r, tally, interval_s), HOST, port
            )
            transports.append(transport)
        await asyncio.sleep(warmup_s)
        done, started = tally.done, time.perf_counter()
        await asyncio.sleep(window_s)
        rate = (tally.done - done) / (time.perf_counter() - started)
    finally:
        tally.running = False
        for transport in transports:
            transport.close()
    return LoadOutcome(rate, tally.errors, tally.sample)


def closed_loop(
    requests: list[tuple[int, bytes]], interval_s: float, warmup_s: float, window_s: float
) -> LoadOutcome:
    """Requests/s over ``window_s`` after ``warmup_s``; one connection per entry."""
    return run_async(_closed_loop(requests, interval_s, warmup_s, window_s))


# -- SSE subscribers (run in their own process) ------------------------------------------------


class _Subscriber(asyncio.Protocol):
    """Counts ``id:`` lines (one per delivered event) and server-sent ``event: close``."""

    def __init__(self, request: bytes, counts: dict[str, int], ready: asyncio.Future[None]):
        self.request = request
        self.counts = counts
        self.ready = ready
        self.head = b""
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.ready.done():
            self.head += data
            if not self.head.startswith(b"HTTP/1.1 200"):
                if len(self.head) >= 12:
                    self.ready.set_exception(RuntimeError(self.head[:300].decode(errors="replace")))
                return
            if b": connected" not in self.head:
                return
            self.ready.set_result(None)
            data, self.head = self.head, b""
        # A marker split across two reads is found in tail + data; one wholly inside the
        # tail was counted with the previous read.
        chunk, tail = self.tail + data, self.tail
        self.counts["delivered"] += chunk.count(b"\nid: ") - tail.count(b"\nid: ")
        self.counts["closed"] += chunk.count(b"event: close") - tail.count(b"event: close")
        self.tail = chunk[-11:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.counts["lost"] += 1
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(f"connection lost: {exc!r}"))


async def _open_streams(
    streams: list[tuple[int, bytes]], counts: dict[str, int]
) -> tuple[list[asyncio.BaseTransport], list[str]]:
    """Open every stream (8 at a time) and wait for its first comment."""
    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(8)

    async def open_one(port: int, request: bytes) -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            transport = None
            try:
                transport, _ = await loop.create_connection(
                    lambda: _Subscriber(request, counts, ready), HOST, port
                )
                await asyncio.wait_for(ready, 30)
            except Exception as exc:
                failures.append(repr(exc))
                if transport is not None:
                    transport.close()
            else:
                transports.append(transport)

    await asyncio.gather(*(open_one(port, request) for port, request in streams))
    return transports, failures


async def _subscribers(conn: Connection) -> None:
    """Serve commands from the pipe: ("connect", streams) opens SSE connections and
    answers ("ready", connected, failures); "start" and "stop" delimit the measured window
    and "stop" answers ("counted", deliveries, seconds, closed) and closes them all;
    "exit" ends the process."""
    loop = asyncio.get_running_loop()

    async def recv() -> object:
        return await loop.run_in_executor(None, conn.recv)

    while (command := await recv()) != "exit":
        assert isinstance(command, tuple)
        assert command[0] == "connect"
        streams: list[tuple[int, bytes]] = command[1]
        counts = {"delivered": 0, "closed": 0, "lost": 0}
        transports, failures = await _open_streams(streams, counts)
        conn.send(("ready", len(transports), failures[:1]))
        assert await recv() == "start"
        delivered, started = counts["delivered"], time.perf_counter()
        assert await recv() == "stop"
        elapsed = time.perf_counter() - started
        conn.send(("counted", counts["delivered"] - delivered, elapsed, counts["closed"]))
        for transport in transports:
            transport.close()


def subscribers_main(conn: Connection) -> None:
    try:
        run_async(_subscribers(conn))
    finally:
        conn.close()


class SubscriberProcess:
    """The process holding the SSE subscribers, started once for the run."""

    def __init__(self) -> None:
        context = spawn_context()
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=subscribers_main, args=(theirs,), name="sse")
        self.process.start()
        theirs.close()

    async def ask(self, message: object, timeout: float = 120) -> tuple[object, ...]:
        self.conn.send(message)
        return await self.answer(timeout)

    async def answer(self, timeout: float = 120) -> tuple[object, ...]:
        loop = asyncio.get_running_loop()
        reply: tuple[object, ...] = await asyncio.wait_for(
            loop.run_in_executor(None, self.conn.recv), timeout
        )
        return reply

    def tell(self, message: object) -> None:
        self.conn.send(message)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send("exit")
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 15)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


# -- servers and accounts --------------------------------------------------------------------


async def signup(server: ServerProcess) -> Target:
    """A fresh user (own tenant) with a read+write API key."""
    email = f"scale-{uuid.uuid4().hex[:10]}@example.com"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        response = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        auth = {"Authorization": f"Bearer {response.json()['token']}"}
        response = await client.post(
            "/api/v1/api-keys",
            json={"name": "bench", "permissions": ["read", "write"]},
            headers=auth,
        )
        response.raise_for_status()
        headers = {"X-API-Key": response.json()["key"]}
        # Warm-up: loads the user's quota counters and opens the topic's log partition.
        response = await client.post(
            "/api/v1/topics/events/publish", json={"messages": [{"value": 0}]}, headers=headers
        )
        response.raise_for_status()
    return Target(server.port, headers)


def _publish_request(target: Target) -> bytes:
    return http_request("POST", "/api/v1/topics/events/publish", PUBLISH_BODY, target.headers)


async def measure_publish(load: LoadProcess, targets: list[Target]) -> LoadOutcome:
    """Publish messages/s with CONNECTIONS connections spread over ``targets``."""
    requests = [
        (t.port, _publish_request(t))
        for t in (targets[i % len(targets)] for i in range(CONNECTIONS))
    ]
    outcome = await load.run(closed_loop, requests, 0.0, WARMUP_S, WINDOW_S)
    outcome.rate *= BATCH
    return outcome


@dataclass
class FanoutOutcome:
    deliveries_per_s: float
    subscribers: int
    closed: int
    published_per_s: float
    errors: int
    note: str
    cpu: CpuUse | None = None


async def measure_fanout(
    load: LoadProcess, subscribers: SubscriberProcess, servers: list[ServerProcess], owner: Target
) -> FanoutOutcome:
    """Deliveries/s to SUBSCRIBERS streams of ``owner``'s topic spread over ``servers``."""
    streams = [
        (
            servers[i % len(servers)].port,
            http_request(
                "GET",
                "/api/v1/topics/events/stream",
                headers={**owner.headers, "Accept": "text/event-stream"},
            ),
        )
        for i in range(SUBSCRIBERS)
    ]
    body = json.dumps({"messages": [{"value": VALUE}] * FANOUT_BATCH}).encode()
    publishers = [
        (
            servers[i % len(servers)].port,
            http_request("POST", "/api/v1/topics/events/publish", body, owner.headers),
        )
        for i in range(PUBLISHERS)
    ]
    _, connected, failures = await subscribers.ask(("connect", streams))
    publishing = asyncio.ensure_future(
        load.run(closed_loop, publishers, PUBLISHERS / RATE, WARMUP_S, WINDOW_S)
    )
    await asyncio.sleep(WARMUP_S)
    subscribers.tell("start")
    await asyncio.sleep(WINDOW_S)
    _, delivered, elapsed, closed = await subscribers.ask("stop", 60)
    published = await publishing
    assert isinstance(connected, int)
    assert isinstance(delivered, int)
    assert isinstance(elapsed, float)
    assert isinstance(closed, int)
    note = (
        f"{SUBSCRIBERS - connected} subscribers failed to connect: {failures}" if failures else ""
    )
    return FanoutOutcome(
        delivered / elapsed,
        connected,
        closed,
        published.rate * FANOUT_BATCH,
        published.errors,
        note,
    )


@contextlib.asynccontextmanager
async def processes(
    count: int, env: dict[str, str], workdir: Path
) -> AsyncIterator[list[ServerProcess]]:
    servers = [ServerProcess(f"server-{i}", env, workdir, workers=1) for i in range(count)]
    try:
        await asyncio.gather(*(s.wait_ready() for s in servers))
        yield servers
    finally:
        for server in servers:
            server.stop(grace=5)


def _median_cpu(uses: list[CpuUse | None]) -> str:
    known = [u for u in uses if u is not None]
    if not known:
        return ""
    return CpuUse(
        median([u.topichub for u in known]),
        median([u.broker for u in known]),
        median([u.busy for u in known]),
    ).describe()


def _rows(
    publish: dict[int, list[LoadOutcome]], fanout: dict[int, list[FanoutOutcome]]
) -> list[Row]:
    base_publish = median([o.rate for o in publish[1]])
    base_fanout = median([o.deliveries_per_s for o in fanout[1]])
    rows = []
    for count in PROCESSES:
        rate = median([o.rate for o in publish[count]])
        errors = sum(o.errors for o in publish[count])
        notes = [
            f"rounds: {', '.join(fmt_rate(o.rate) for o in publish[count])}",
            _median_cpu([o.cpu for o in publish[count]]),
        ]
        if errors:
            sample = next(o.sample_error for o in publish[count] if o.sample_error)
            notes.append(f"{errors} failed publishes, e.g. {sample!r}")
        rows.append(
            Row(
                "scale/publish",
                f"{count} proc",
                f"msg/s ({BATCH}/request)",
                fmt_rate(rate),
                fmt_rate(base_publish),
                ratio(rate, base_publish),
                notes=notes,
            )
        )
        outcomes = fanout[count]
        deliveries = median([o.deliveries_per_s for o in outcomes])
        notes = [
            f"rounds: {', '.join(fmt_rate(o.deliveries_per_s) for o in outcomes)}; published "
            f"{', '.join(fmt_rate(o.published_per_s) for o in outcomes)} msg/s to "
            f"{min(o.subscribers for o in outcomes)} subscribers; "
            f"{sum(o.closed for o in outcomes)} closed as too slow",
            _median_cpu([o.cpu for o in outcomes]),
        ]
        if any(o.errors for o in outcomes):
            notes.append(f"{sum(o.errors for o in outcomes)} failed publishes")
        notes.extend(o.note for o in outcomes if o.note)
        rows.append(
            Row(
                "scale/fan-out",
                f"{count} proc",
                "deliveries/s",
                fmt_rate(deliveries),
                fmt_rate(base_fanout),
                ratio(deliveries, base_fanout),
                notes=notes,
            )
        )
    return rows


async def run(workdir: Path) -> list[Row]:
    try:
        database = await create_pg_database()
    except Exception as exc:
        raise SystemExit(f"bench.scale needs PostgreSQL at {PG_ADMIN_DSN}: {exc!r}") from exc
    prefix = f"th-bench-{uuid.uuid4().hex[:8]}"
    broker = await TansuBroker.start()
    try:
        env = topichub_env(
            workdir / "data",
            8000,  # each process gets its own --port
            broker.bootstrap_servers,
            TOPICHUB_DATABASE_URL=database,
            TOPICHUB_REDIS_URL=REDIS_URL,
            TOPICHUB_REDIS_KEY_PREFIX=prefix,
            TOPICHUB_KAFKA_SESSION_TIMEOUT_MS="1000",
            TOPICHUB_KAFKA_HEARTBEAT_INTERVAL_MS="200",
            TOPICHUB_LOGIN_ATTEMPTS_PER_MINUTE="100000",
            TOPICHUB_SIGNUP_PER_ADDRESS_PER_HOUR=str(10**9),
            TOPICHUB_SIGNUP_PER_HOUR=str(10**9),
        )
        log("migrating the database")
        await asyncio.to_thread(run_cli, ["migrate"], env, workdir)
        publish: dict[int, list[LoadOutcome]] = {n: [] for n in PROCESSES}
        fanout: dict[int, list[FanoutOutcome]] = {n: [] for n in PROCESSES}
        log(f"starting {max(PROCESSES)} topichub processes")
        subscribers = SubscriberProcess()
        try:
            async with processes(max(PROCESSES), env, workdir) as servers, LoadProcess() as load:
                tenants = [await signup(server) for server in servers]
                owner = await signup(servers[0])
                log("warm-up")
                await load.run(
                    closed_loop,
                    [(t.port, _publish_request(t)) for t in tenants],
                    0.0,
                    WARMUP_S,
                    WARMUP_S,
                )
                pids = [s.process.pid for s in servers]
                broker_pid = broker.process.pid
                for round_ in range(1, ROUNDS + 1):
                    for count in PROCESSES:
                        log(f"round {round_}/{ROUNDS}: {count} process(es)")
                        with CpuMeter(pids, broker_pid) as meter:
                            outcome = await measure_publish(load, tenants[:count])
                        outcome.cpu = meter.use
                        publish[count].append(outcome)
                        with CpuMeter(pids, broker_pid) as meter:
                            spread = await measure_fanout(load, subscribers, servers[:count], owner)
                        spread.cpu = meter.use
                        fanout[count].append(spread)
        finally:
            await subscribers.close()
        return _rows(publish, fanout)
    finally:
        broker.stop()
        await delete_redis_keys(REDIS_URL, prefix)
        await drop_pg_database(database)


def main() -> None:
    import tempfile

    raise_nofile()
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="topichub-scale-") as tmp:
        rows = asyncio.run(run(Path(tmp)))
    print_table(
        rows,
        "scale-out on PostgreSQL + Redis + tansu; ratio = N processes / 1 process, medians "
        f"of {ROUNDS} rounds (this machine: {os.cpu_count()} CPUs; load average "
        f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at the end)",
    )
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    # Through the package, so that the load processes (spawned) find these functions
    # as ``bench.scale.*`` rather than as the ``__main__`` module's.
    from bench.scale import main as scale_main

    scale_main()
