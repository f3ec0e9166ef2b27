"""Shared pieces of the benchmarks: servers under test, engines, accounts, a raw HTTP/1.1
client, load processes, statistics and the result table.

Every server runs as its own subprocess (one uvicorn worker on a free loopback port, its
own environment and working directory); every load generator runs in a separate process
from the server (a ``spawn`` child), so neither steals the other's event loop. Subprocesses
are always stopped in ``finally`` blocks, and the kernel kills them if this process dies
(``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
from tests.support.tansu import TansuBroker, free_port

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
ENGINES = ("embedded", "kafka")
PASSWORD = "Correct-horse-42"
HUGE = 10**12
"""A limit that never refuses during a benchmark (the limits stay on and are checked)."""

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1


# -- process plumbing -----------------------------------------------------------------


def raise_nofile(wanted: int | None = None) -> int:
    """Raise this process's soft RLIMIT_NOFILE to ``wanted`` (default: as high as the
    hard limit allows); returns the soft limit now in force. Children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    target = ceiling if wanted is None else min(wanted, ceiling)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def hard_nofile() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 30 if hard == resource.RLIM_INFINITY else hard


def _die_with_parent() -> None:
    # Between fork and exec: the kernel kills the server when the bench process goes away.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when available (it is, with uvicorn[standard]): the load side must be fast."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh (uv)loop: the entry of a load process."""
    raise_nofile()
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coro)


def spawn_context() -> Any:
    return multiprocessing.get_context("spawn")


class LoadProcess:
    """One long-lived ``spawn`` process that runs load generators (picklable functions
    returning picklable results) one after the other, away from every server."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def __aenter__(self) -> LoadProcess:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=spawn_context())
        await self.run(raise_nofile)  # start it now, not inside a measurement
        return self

    async def __aexit__(self, *exc: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if exc and exc[0] is not None:
            # Failing or cancelled (Ctrl-C): stop the worker now rather than let it finish
            # its measurement.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        assert self._pool is not None, "use `async with LoadProcess()`"
        return await asyncio.get_running_loop().run_in_executor(self._pool, func, *args)


# -- servers under test ---------------------------------------------------------------


@dataclass
class Server:
    """A server subprocess on ``127.0.0.1:port``."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    workdir: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self, tail: int = 3000) -> str:
        if self.log.closed:
            return ""
        self.log.flush()
        self.log.seek(0)
        data = self.log.read()
        self.log.seek(0, os.SEEK_END)
        return data.decode(errors="replace")[-tail:]

    def rss_kib(self) -> int:
        return read_rss_kib(self.pid)

    async def wait_ready(self, path: str = "/health", timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(path)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.output()}")
                await asyncio.sleep(0.1)

    def stop(self, grace: float = 5.0) -> None:
        """SIGINT (uvicorn's graceful shutdown), a second SIGINT (uvicorn's forced exit:
        open streams would otherwise hold a graceful shutdown), then SIGKILL."""
        for sig in (signal.SIGINT, signal.SIGINT, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            self.process.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        if not self.log.closed:
            self.log.close()


@contextlib.asynccontextmanager
async def serving(
    name: str, argv: Sequence[str], env: dict[str, str], port: int, workdir: Path
) -> AsyncIterator[Server]:
    """Start ``argv`` (a server listening on ``port``), wait for ``/health``, always stop."""
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by Server.stop)
    process = subprocess.Popen(
        list(argv),
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    server = Server(name, port, process, log, workdir)
    try:
        await server.wait_ready()
        yield server
    finally:
        server.stop()


def _clean_env() -> dict[str, str]:
    # No TOPICHUB_* leaks in from the caller's shell: each server gets exactly its own.
    return {k: v for k, v in os.environ.items() if not k.startswith("TOPICHUB_")}


def topichub_env(
    data_dir: Path, port: int, bootstrap_servers: str | None, **extra: str
) -> dict[str, str]:
    """The environment of a topichub under test: its own data dir and port, the engine,
    and every limit raised far enough that it never refuses (the limits stay enabled)."""
    env = _clean_env()
    env.update(
        {
            "TOPICHUB_HOST": HOST,
            "TOPICHUB_PORT": str(port),
            "TOPICHUB_WORKERS": "1",
            "TOPICHUB_DATA_DIR": str(data_dir),
            "TOPICHUB_JWT_SECRET": secrets.token_urlsafe(48),
            "TOPICHUB_RATE_LIMIT_ENABLED": "true",
            "TOPICHUB_RATE_PER_MINUTE": str(HUGE),
            "TOPICHUB_RATE_PER_HOUR": str(HUGE),
            "TOPICHUB_RATE_PER_DAY": str(HUGE),
            "TOPICHUB_QUOTA_USER_MESSAGES_PER_DAY": str(HUGE),
            "TOPICHUB_QUOTA_USER_BYTES_PER_DAY": str(HUGE),
            "TOPICHUB_QUOTA_CLUSTER_MESSAGES_IN_PER_DAY": str(HUGE),
            "TOPICHUB_QUOTA_CLUSTER_BYTES_IN_PER_DAY": str(HUGE),
            "TOPICHUB_MAX_STREAMS_PER_USER": "100000",
            "TOPICHUB_SIGNUP_PER_ADDRESS_PER_HOUR": str(HUGE),
            "TOPICHUB_SIGNUP_PER_HOUR": str(HUGE),
        }
    )
    if bootstrap_servers:
        env["TOPICHUB_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap_servers
    env.update(extra)
    return env


def topichub_argv() -> list[str]:
    """The installed ``topichub`` console script, run as ``topichub serve`` (its pid is
    the server's own: no ``uv run`` wrapper between us and it)."""
    script = Path(sys.executable).parent / "topichub"
    found = str(script) if script.exists() else shutil.which("topichub")
    if not found:
        raise RuntimeError("the topichub console script is not installed (run `make install`)")
    return [found, "serve"]


@dataclass
class Engine:
    """One event-log engine for a benchmark: ``embedded`` or ``kafka`` (with its broker)."""

    name: str
    broker: TansuBroker | None = None

    @property
    def bootstrap_servers(self) -> str | None:
        return self.broker.bootstrap_servers if self.broker else None


@contextlib.asynccontextmanager
async def engine(name: str) -> AsyncIterator[Engine]:
    """The engine for a run; for ``kafka`` a private tansu broker, stopped afterwards."""
    if name == "embedded":
        yield Engine(name)
        return
    if name != "kafka":
        raise ValueError(f"unknown engine {name!r}")
    broker = await TansuBroker.start()
    try:
        yield Engine(name, broker)
    finally:
        broker.stop()


@contextlib.asynccontextmanager
async def topichub(eng: Engine, **extra: str) -> AsyncIterator[Server]:
    """A real ``topichub serve`` (one worker) on a fresh SQLite file in a temp DATA_DIR."""
    with tempfile.TemporaryDirectory(prefix="topichub-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = topichub_env(workdir / "data", port, eng.bootstrap_servers, **extra)
        async with serving(f"topichub[{eng.name}]", topichub_argv(), env, port, workdir) as s:
            yield s


@contextlib.asynccontextmanager
async def baseline_app(app: str) -> AsyncIterator[Server]:
    """One of ``bench.apps`` (``noop`` or ``naive``) under the same uvicorn setup."""
    with tempfile.TemporaryDirectory(prefix="topichub-bench-") as tmp:
        port = free_port()
        env = _clean_env()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        argv = [sys.executable, "-m", "bench.apps", app, "--port", str(port)]
        async with serving(f"baseline[{app}]", argv, env, port, Path(tmp)) as server:
            yield server


class Bench:
    """What the benchmarks of one run share: the load process, the baseline servers (each
    started once), at most one engine with its topichub server at a time (so that an idle
    server or broker never competes for the CPU with the one being measured), and
    baseline results measured once per run. Everything is stopped on exit, Ctrl-C included.
    """

    def __init__(self) -> None:
        self.load = LoadProcess()
        self._stack = contextlib.AsyncExitStack()
        self._engine_stack: contextlib.AsyncExitStack | None = None
        self._current: tuple[Engine, Server] | None = None
        self._baselines: dict[str, Server] = {}
        self._results: dict[str, Any] = {}

    async def __aenter__(self) -> Bench:
        await self._stack.enter_async_context(self.load)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        failed = exc and exc[0] is not None and not issubclass(exc[0], asyncio.CancelledError)
        if failed and self._current is not None:
            server = self._current[1]
            state = server.process.poll()
            log(
                f"{server.name} ({'running' if state is None else f'exited with {state}'}) "
                f"said last:\n{server.output(4000)}"
            )
        try:
            await self._close_engine()
        finally:
            await self._stack.__aexit__(*exc)

    async def _close_engine(self) -> None:
        stack, self._engine_stack, self._current = self._engine_stack, None, None
        if stack is not None:
            await stack.aclose()

    async def topichub(self, name: str) -> tuple[Engine, Server]:
        """The engine ``name`` and a topichub server on it (started on first use; the
        previous engine and its server are stopped first)."""
        if self._current is not None and self._current[0].name == name:
            return self._current
        await self._close_engine()
        stack = contextlib.AsyncExitStack()
        try:
            log(f"starting engine {name} and topichub")
            eng = await stack.enter_async_context(engine(name))
            server = await stack.enter_async_context(topichub(eng))
        except BaseException:
            await stack.aclose()
            raise
        self._engine_stack, self._current = stack, (eng, server)
        return eng, server

    async def baseline(self, app: str) -> Server:
        """A baseline server of ``bench.apps`` (started on first use, kept for the run)."""
        if app not in self._baselines:
            self._baselines[app] = await self._stack.enter_async_context(baseline_app(app))
        return self._baselines[app]

    async def once(self, key: str, measure: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """``await measure()`` the first time ``key`` is asked for, the same result after."""
        if key not in self._results:
            self._results[key] = await measure()
        result: T = self._results[key]
        return result


# -- accounts ---------------------------------------------------------------------------


@dataclass
class Account:
    email: str
    token: str
    api_key: str
    topic: str = "events"
    partitions: int = 1


async def provision(server: Server, topic: str = "events", *, stream: bool = False) -> Account:
    """Sign up through the public API, make a read+write API key, look up the topic, and
    warm up: one publish, and with ``stream`` one short stream."""
    email = f"bench-{secrets.token_hex(5)}@example.com"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:
        response = await client.post("/auth/signup", json={"email": email, "password": PASSWORD})
        response.raise_for_status()
        token = response.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        response = await client.post(
            "/api/v1/api-keys",
            json={"name": "bench", "permissions": ["read", "write"]},
            headers=auth,
        )
        response.raise_for_status()
        key = response.json()["key"]
        headers = {"X-API-Key": key}
        response = await client.get(f"/api/v1/topics/{topic}", headers=headers)
        response.raise_for_status()
        account = Account(email, token, key, topic, int(response.json()["partitions"]))
        # Warm-up: the first publish of a user loads its quota counters and opens the
        # topic's log partition. (Many concurrent first requests would also find that
        # the counter load waits for a pooled database connection held by the very
        # requests waiting on it: see the benchmarks' notes.)
        response = await client.post(
            f"/api/v1/topics/{topic}/publish",
            json={"messages": [{"value": {"warmup": True}}]},
            headers=headers,
        )
        response.raise_for_status()
        if not stream:
            return account
        # Without subscribers the topic's live reader stops after a few seconds' linger;
        # the publish benchmarks skip this so that no reader runs while they measure.
        async with client.stream("GET", f"/api/v1/topics/{topic}/stream", headers=headers) as sse:
            sse.raise_for_status()
            async for _ in sse.aiter_bytes():
                break
        return account


# -- raw HTTP/1.1 -----------------------------------------------------------------------


def http_request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    """One HTTP/1.1 keep-alive request, pre-encoded."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_head(head: bytes) -> tuple[int, int | None]:
    """(status, content-length or None) from a response head (without the blank line)."""
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        return status, None
    end = lower.find(b"\r\n", at + 2)
    return status, int(lower[at + 17 : end if end >= 0 else None])


class HttpConnection:
    """A keep-alive HTTP/1.1 connection on asyncio streams (no pipelining), for the
    publisher side of the streaming benchmarks."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, length = parse_head(head[:-4])
        if length is None:
            raise RuntimeError(f"response without Content-Length: {head!r}")
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


# -- measuring --------------------------------------------------------------------------


def read_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


# -- output -----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the result table. ``ratio`` is topichub / baseline."""

    bench: str
    engine: str
    metric: str
    value: str
    baseline: str
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def fmt_rate(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def ratio(value: float, base: float) -> float | None:
    if base <= 0 or value != value or base != base:
        return None
    return value / base


def print_table(rows: Sequence[Row], title: str = "") -> None:
    headers = ["benchmark", "engine", "metric", "topichub", "baseline", "ratio", "target", "met"]
    body = [
        [
            r.bench,
            r.engine,
            r.metric,
            r.value,
            r.baseline,
            "n/a" if r.ratio is None else f"{r.ratio:.2f}",
            r.target,
            "" if r.met is None else ("yes" if r.met else "NO"),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
    right = {3, 4, 5}

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    if title:
        print(f"\n{title}")
    print(render(headers))
    print(render(["-" * w for w in widths]))
    for line in body:
        print(render(line))
    # A note shared by several engines (about a baseline measured once) is printed once.
    notes: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        for note in r.notes:
            engines = notes.setdefault((r.bench, note), [])
            if r.engine not in engines:
                engines.append(r.engine)
    for (bench, note), engines in notes.items():
        print(f"  * {bench} [{', '.join(engines)}]: {note}")
    sys.stdout.flush()


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


RunEngine = Callable[[Bench, str], Coroutine[Any, Any, list[Row]]]
"""A benchmark: its rows for one engine."""


def parse_engines(description: str) -> list[str]:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--engine",
        action="append",
        choices=ENGINES,
        help="engine to run (repeatable; default: both)",
    )
    return list(parser.parse_args().engine or ENGINES)


async def run_all(
    engines: Sequence[str],
    benchmarks: Sequence[RunEngine],
    order: Sequence[RunEngine] | None = None,
) -> list[Row]:
    """Every benchmark on one engine, then on the next (one engine up at a time), in
    ``order`` (default: as listed); the rows come back grouped as ``benchmarks`` lists
    them."""
    rows: dict[RunEngine, list[Row]] = {b: [] for b in benchmarks}
    async with Bench() as bench:
        for name in engines:
            for run_engine in order or benchmarks:
                rows[run_engine].extend(await run_engine(bench, name))
    return [row for b in benchmarks for row in rows[b]]


def cli(
    description: str, run: Callable[[Sequence[str]], Coroutine[Any, Any, list[Row]]], title: str
) -> None:
    """Entry point of a benchmark module run alone, for ``run(engines) -> rows``:
    ``--engine`` picks engines (both by default)."""
    engines = parse_engines(description)
    raise_nofile()
    started = time.monotonic()
    try:
        rows = asyncio.run(run(engines))
    except KeyboardInterrupt:
        print("interrupted; every server and load process was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    print_table(rows, title)
    print(f"({time.monotonic() - started:.0f} s)")


def cli_per_engine(description: str, run_engine: RunEngine, title: str) -> None:
    """``cli`` for a benchmark written as ``run_engine(bench, engine) -> rows``."""

    async def run(engines: Sequence[str]) -> list[Row]:
        return await run_all(engines, [run_engine])

    cli(description, run, title)
