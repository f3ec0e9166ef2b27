"""``make soak``: a long run at half the maximum publish rate with 1,000 SSE streams open.

    uv run python -m bench.soak [--minutes 10] [--streams 1000] [--topics 20]

Three processes: the server under test (``topichub serve``'s app and uvicorn settings on
the embedded engine, plus one read-only ``/_soak/stats`` route reporting its asyncio task
count), a subscriber process holding the SSE connections (raw asyncio protocols that
count events), and this process, which publishes and samples.

1. Open the streams (``--streams`` over ``--topics`` topics, four opens at a time).
2. Measure the maximum publish rate with the streams open: closed-loop one-message
   publishes on 32 keep-alive connections, round-robin over the topics.
3. Publish at half that rate, open-loop on a fixed schedule, for ``--minutes``; every
   10 s sample the server's RSS, open file descriptors, threads and asyncio tasks, the
   publishes answered and refused, and the events delivered, closed and lost.
4. Stop publishing, close every stream, wait, and sample again.

Pass when: no publish refused or unanswered, no stream closed or lost; RSS grew by less
than 10 % from the end of the warm-up (a fifth of the run, at least 10 s) to the end;
tasks and file descriptors after closing are back to what they were before the streams
opened (within a small allowance for the server's own background work). Exit status 1
otherwise. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from fastapi import Request
from tests.support.tansu import free_port

from bench.common import (
    HOST,
    PASSWORD,
    HttpConnection,
    http_request,
    raise_nofile,
    read_rss_kib,
    run_async,
    serving,
    spawn_context,
    topichub_env,
)
from bench.streaming import SSEClient

CONNECT_CONCURRENCY = 4
"""Stream opens in flight at once (more stall the embedded engine's SQLite pool: see
``bench.streaming``)."""
CALIBRATION_CONNECTIONS = 32
SAMPLE_EVERY_S = 10.0
RSS_GROWTH_LIMIT = 0.10
TASK_ALLOWANCE = 10
FD_ALLOWANCE = 10
IDLE_REUSE_S = 3.0
"""A keep-alive connection idle longer than this is not reused: uvicorn closes idle
connections after 5 s, and a request sent as it does so is lost in between."""


# -- the server: topichub's app with a stats route --------------------------------------


def serve_with_stats(port: int) -> None:
    """Entry of the server process: ``topichub serve``'s app and uvicorn settings, plus
    ``GET /_soak/stats``."""
    import uvicorn

    from topichub.app import create_app
    from topichub.config import Settings
    from topichub.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, json=settings.logs_as_json())
    app = create_app(settings)

    @app.get("/_soak/stats", include_in_schema=False)
    async def stats(request: Request) -> dict[str, int]:
        resources = request.app.state.resources
        return {"tasks": len(asyncio.all_tasks()), "streams": len(resources.streams.list())}

    uvicorn.run(
        app,
        host=HOST,
        port=port,
        log_config=None,
        proxy_headers=True,
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=10,
    )


# -- the subscriber process -------------------------------------------------------------


class _Counts:
    __slots__ = ("closed", "events", "lost", "running")

    def __init__(self) -> None:
        self.events = 0
        self.closed = 0
        self.lost = 0
        self.running = True


class _Stream(SSEClient):
    """Counts complete events (every event has an ``id:`` line)."""

    stats: _Counts

    def on_events(self, complete: bytes, now_ns: int) -> None:
        self.stats.events += complete.count(b"\nid: ") + complete.startswith(b"id: ")


async def _hold_streams(conn: Connection, port: int, requests: list[bytes]) -> None:
    loop = asyncio.get_running_loop()
    counts = _Counts()
    transports: list[asyncio.BaseTransport] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(request: bytes) -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            try:
                transport, _ = await loop.create_connection(
                    lambda: _Stream(request, counts, ready), HOST, port
                )
                transports.append(transport)
                async with asyncio.timeout(60):
                    await ready
            except Exception as exc:
                failures.append(str(exc))

    started = time.monotonic()
    await asyncio.gather(*(connect(r) for r in requests))
    conn.send(("ready", len(requests) - len(failures), time.monotonic() - started, failures[:3]))
    try:
        while True:
            while not conn.poll():
                await asyncio.sleep(0.05)
            command = conn.recv()
            if command == "stats":
                conn.send((counts.events, counts.closed, counts.lost))
            elif command == "close":
                counts.running = False
                for transport in transports:
                    transport.close()
                await asyncio.sleep(0.5)
                conn.send("closed")
                return
    finally:
        counts.running = False
        for transport in transports:
            transport.close()


def subscriber_main(conn: Connection, port: int, requests: list[bytes]) -> None:
    try:
        run_async(_hold_streams(conn, port, requests))
    finally:
        conn.close()


# -- publishing -------------------------------------------------------------------------


@dataclass
class PublishCounts:
    ok: int = 0
    refused: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.samples) < 5:
            self.samples.append(text)


def _publish_request(path: str, headers: dict[str, str], seq: int) -> bytes:
    body = json.dumps({"messages": [{"value": {"seq": seq, "pad": "x" * 48}}]}).encode()
    return http_request("POST", path, body, headers)


async def max_rate(
    port: int, paths: list[str], headers: dict[str, str], seconds: float
) -> tuple[float, PublishCounts]:
    """Closed loop: each connection publishes as fast as it is answered."""
    counts = PublishCounts()
    stop = time.monotonic() + seconds
    seqs = iter(range(10**12))

    async def worker() -> None:
        connection = await HttpConnection.open(port)
        try:
            while time.monotonic() < stop:
                seq = next(seqs)
                status, body = await connection.request(
                    _publish_request(paths[seq % len(paths)], headers, seq)
                )
                if status == 200:
                    counts.ok += 1
                else:
                    counts.refused += 1
                    counts.note(f"{status} {body[:200]!r}")
        finally:
            await connection.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CALIBRATION_CONNECTIONS)))
    return counts.ok / (time.monotonic() - started), counts


class SteadyPublisher:
    """Open loop on a fixed schedule: a send never waits for an earlier answer (a new
    keep-alive connection is opened when none is free)."""

    def __init__(self, port: int, paths: list[str], headers: dict[str, str], rate: float):
        self.port, self.paths, self.headers, self.rate = port, paths, headers, rate
        self.counts = PublishCounts()
        self.sent = 0
        self._free: list[tuple[float, HttpConnection]] = []
        self._opened: list[HttpConnection] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def _one(self, seq: int) -> None:
        connection = None
        while self._free and connection is None:
            idle_since, candidate = self._free.pop()
            if time.monotonic() - idle_since < IDLE_REUSE_S:
                connection = candidate
            else:
                await candidate.close()
        try:
            if connection is None:
                connection = await HttpConnection.open(self.port)
                self._opened.append(connection)
            path = self.paths[seq % len(self.paths)]
            async with asyncio.timeout(30):
                status, body = await connection.request(_publish_request(path, self.headers, seq))
        except Exception as exc:
            self.counts.errors += 1
            self.counts.note(repr(exc))
            return
        if status == 200:
            self.counts.ok += 1
        else:
            self.counts.refused += 1
            self.counts.note(f"{status} {body[:200]!r}")
        self._free.append((time.monotonic(), connection))

    async def run(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        count = int(seconds * self.rate)
        for seq in range(count):
            delay = started + seq / self.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._one(seq))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self.sent += 1

    async def finish(self, timeout: float = 30.0) -> int:
        """Wait for the answers still due; returns how many never came."""
        pending = set(self._tasks)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=timeout)
        for task in pending:
            task.cancel()
        for connection in self._opened:
            await connection.close()
        return len(pending)


# -- sampling ---------------------------------------------------------------------------


@dataclass
class Sample:
    t: float
    rss_kib: int
    fds: int
    sockets: int
    threads: int
    tasks: int
    streams: int
    published: int
    events: int
    closed: int
    lost: int

    def line(self) -> str:
        return (
            f"t={self.t:6.0f}s rss={self.rss_kib / 1024:7.1f} MiB fds={self.fds:5d} "
            f"(sockets {self.sockets:5d}) "
            f"threads={self.threads:3d} tasks={self.tasks:5d} streams={self.streams:5d} "
            f"published={self.published:8d} delivered={self.events:10d} "
            f"closed={self.closed} lost={self.lost}"
        )


def _fds(pid: int) -> tuple[int, int]:
    """(all open file descriptors, sockets among them) of a process."""
    total = sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            total += 1
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return total, sockets


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


async def sample(
    pid: int, client: httpx.AsyncClient, conn: Connection | None, t0: float, published: int
) -> Sample:
    response = await client.get("/_soak/stats")
    assert response.status_code == 200, response.text
    stats = response.json()
    events = closed = lost = 0
    if conn is not None:
        conn.send("stats")
        while not conn.poll():
            await asyncio.sleep(0.01)
        events, closed, lost = conn.recv()
    fds, sockets = _fds(pid)
    return Sample(
        t=time.monotonic() - t0,
        rss_kib=read_rss_kib(pid),
        fds=fds,
        sockets=sockets,
        threads=_threads(pid),
        tasks=stats["tasks"],
        streams=stats["streams"],
        published=published,
        events=events,
        closed=closed,
        lost=lost,
    )


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the run ----------------------------------------------------------------------------


async def provision(base_url: str, topics: int) -> tuple[dict[str, str], list[str]]:
    """An account, an API key, and ``topics`` topics (the default one included)."""
    email = f"soak-{secrets.token_hex(5)}@example.com"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        auth = {"Authorization": f"Bearer {response.json()['token']}"}
        names = ["events"] + [f"soak-{i}" for i in range(1, topics)]
        for name in names[1:]:
            (
                await client.post("/api/v1/topics", json={"name": name}, headers=auth)
            ).raise_for_status()
        response = await client.post(
            "/api/v1/api-keys",
            json={"name": "soak", "permissions": ["read", "write"]},
            headers=auth,
        )
        response.raise_for_status()
        headers = {"X-API-Key": response.json()["key"]}
        for name in names:  # warm up: counters loaded, log partitions open
            (
                await client.post(
                    f"/api/v1/topics/{name}/publish",
                    json={"messages": [{"value": "warm-up"}]},
                    headers=headers,
                )
            ).raise_for_status()
    return headers, names


async def soak(minutes: float, streams: int, topics: int) -> bool:
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="topichub-soak-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = topichub_env(workdir / "data", port, None, TOPICHUB_LOG_LEVEL="WARNING")
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH")])
        )
        argv = [sys.executable, "-m", "bench.soak", "--serve", str(port)]
        async with serving("topichub[soak]", argv, env, port, workdir) as server:
            return await _run(server.pid, server.base_url, port, minutes, streams, topics)


async def _run(
    pid: int, base_url: str, port: int, minutes: float, streams: int, topics: int
) -> bool:
    headers, names = await provision(base_url, topics)
    publish_paths = [f"/api/v1/topics/{n}/publish" for n in names]
    stream_requests = [
        http_request(
            "GET",
            f"/api/v1/topics/{names[i % len(names)]}/stream",
            headers={**headers, "Accept": "text/event-stream"},
        )
        for i in range(streams)
    ]
    t0 = time.monotonic()
    context = spawn_context()
    ours, theirs = context.Pipe()
    process = context.Process(
        target=subscriber_main, args=(theirs, port, stream_requests), name="soak-subscribers"
    )
    ok = True
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        # A burst first, so that pools (database connections) are as warm at the baseline
        # as they will be at the end.
        await max_rate(port, publish_paths, headers, 5.0)
        await asyncio.sleep(6.0)  # idle keep-alive connections closed by the server
        before = await sample(pid, client, None, t0, 0)
        log(f"before the streams: {before.line()}")
        process.start()
        theirs.close()
        try:
            while not ours.poll():
                await asyncio.sleep(0.1)
            _, connected, connect_s, failures = ours.recv()
            log(f"{connected}/{streams} streams open in {connect_s:.1f}s {failures or ''}")
            ok &= connected == streams
            opened = await sample(pid, client, ours, t0, 0)
            log(f"streams open: {opened.line()}")

            calibrate_s = min(30.0, max(10.0, minutes * 60 * 0.05))
            rate, calibration = await max_rate(port, publish_paths, headers, calibrate_s)
            log(
                f"maximum publish rate with {connected} streams open: {rate:,.0f}/s "
                f"over {calibrate_s:.0f}s (refused {calibration.refused}) {calibration.samples}"
            )
            target = rate / 2
            duration = minutes * 60
            warmup_s = max(10.0, duration / 5)
            publisher = SteadyPublisher(port, publish_paths, headers, target)
            log(f"soak: {target:,.0f} publishes/s for {duration:.0f}s over {len(names)} topics")
            run = asyncio.create_task(publisher.run(duration))
            samples: list[Sample] = []
            started = time.monotonic()
            warm: Sample | None = None
            while not run.done():
                await asyncio.wait({run}, timeout=SAMPLE_EVERY_S)
                s = await sample(pid, client, ours, t0, publisher.counts.ok)
                samples.append(s)
                log(s.line())
                if warm is None and time.monotonic() - started >= warmup_s:
                    warm = s
            await run
            unanswered = await publisher.finish()
            end = await sample(pid, client, ours, t0, publisher.counts.ok)
            ours.send("close")
            while not ours.poll():
                await asyncio.sleep(0.05)
            ours.recv()
        finally:
            with contextlib.suppress(Exception):
                ours.close()
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        # Streams closed, publishing stopped: give the server time to let go.
        await asyncio.sleep(5.0)
        after = await sample(pid, client, None, t0, publisher.counts.ok)
        log(f"after closing: {after.line()}")

    warm = warm or (samples[0] if samples else opened)
    growth = (end.rss_kib - warm.rss_kib) / warm.rss_kib
    achieved = publisher.counts.ok / duration
    checks = {
        "no publish refused": publisher.counts.refused == 0,
        "no publish failed or unanswered": publisher.counts.errors == 0 and unanswered == 0,
        "no stream closed or lost": end.closed == 0 and end.lost == 0,
        f"RSS growth under {RSS_GROWTH_LIMIT:.0%}": growth < RSS_GROWTH_LIMIT,
        "no leaked tasks": after.tasks <= before.tasks + TASK_ALLOWANCE,
        "no leaked file descriptors": after.fds <= before.fds + FD_ALLOWANCE,
        "streams all gone": after.streams == 0,
    }
    print()
    print(f"soak: {minutes:g} min, {connected} SSE streams over {len(names)} topics")
    print(f"  maximum publish rate (streams open)  {rate:,.0f}/s")
    print(f"  target / achieved                    {target:,.0f}/s / {achieved:,.0f}/s")
    print(
        f"  publishes ok / refused / failed / unanswered  {publisher.counts.ok} / "
        f"{publisher.counts.refused} / {publisher.counts.errors} / {unanswered} "
        f"{publisher.counts.samples}"
    )
    print(
        f"  events delivered                     {end.events:,} "
        f"(closed {end.closed}, lost {end.lost})"
    )
    print(
        f"  RSS  before streams {before.rss_kib / 1024:.1f} MiB, streams open "
        f"{opened.rss_kib / 1024:.1f} MiB, after warm-up {warm.rss_kib / 1024:.1f} MiB, "
        f"end {end.rss_kib / 1024:.1f} MiB ({growth:+.1%}), after closing "
        f"{after.rss_kib / 1024:.1f} MiB"
    )
    print(
        f"  tasks before {before.tasks}, open {opened.tasks}, end {end.tasks}, after {after.tasks}"
    )
    print(
        f"  fds   before {before.fds} ({before.sockets} sockets), open {opened.fds}, "
        f"end {end.fds}, after {after.fds} ({after.sockets} sockets)"
    )
    print(f"  threads before {before.threads}, end {end.threads}, after {after.threads}")
    for name, passed in checks.items():
        print(f"  [{'pass' if passed else 'FAIL'}] {name}")
        ok &= passed
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="soak duration (default 10)")
    parser.add_argument("--streams", type=int, default=1000, help="SSE streams held open")
    parser.add_argument("--topics", type=int, default=20, help="topics the load is spread over")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_with_stats(args.serve)
        return
    try:
        passed = asyncio.run(soak(args.minutes, args.streams, args.topics))
    except KeyboardInterrupt:
        print("interrupted; the server and the subscriber process were stopped", file=sys.stderr)
        raise SystemExit(130) from None
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
