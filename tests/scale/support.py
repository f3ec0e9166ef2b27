"""Real ``topichub serve`` processes for scale-out tests (and ``bench/scale.py``).

Each server is a separate OS process group (``start_new_session``), started through the
virtualenv's ``topichub`` entry point on its own free loopback port, with settings passed
only through ``TOPICHUB_*`` environment variables, as an operator would. ``kill()`` sends
SIGKILL to the whole group, so the workers of a ``--workers N`` server die with it; an
``atexit`` hook does the same for anything a crashed test left behind.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg
import httpx
import redis.asyncio as aioredis

from tests.support.services import (
    REDIS_URL,
    create_pg_database,
    drop_pg_database,
    unavailable,
)
from tests.support.tansu import TansuBroker, free_port
from topichub.config import Settings

TOPICHUB = str(Path(sys.executable).with_name("topichub"))
"""The console script of this virtualenv: what ``uv run topichub`` runs."""

ADMIN_EMAIL = "ops@example.com"
ADMIN_PASSWORD = "Scale-out-admin-42"
READY_TIMEOUT_S = 90.0
_PR_SET_PDEATHSIG = 1
_live: set[ServerProcess] = set()


def env_name(field_name: str) -> str:
    return f"TOPICHUB_{field_name.upper()}"


SETTINGS_ENV = frozenset(env_name(name) for name in Settings.model_fields)
"""Every environment variable ``Settings`` reads."""


def clean_environ() -> dict[str, str]:
    """This process's environment without any ``TOPICHUB_*`` variable (ours only)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TOPICHUB_")}


def server_env(
    *,
    database_url: str | None,
    kafka: str | None,
    redis_url: str | None,
    redis_prefix: str,
    data_dir: Path,
    **extra: str,
) -> dict[str, str]:
    """The environment of a server process; ``None`` leaves that engine embedded."""
    values = {
        "TOPICHUB_JWT_SECRET": secrets.token_urlsafe(48),
        "TOPICHUB_DATA_DIR": str(data_dir),
        "TOPICHUB_REDIS_KEY_PREFIX": redis_prefix,
        "TOPICHUB_KAFKA_SESSION_TIMEOUT_MS": "1000",
        "TOPICHUB_KAFKA_HEARTBEAT_INTERVAL_MS": "200",
        # Every test client comes from 127.0.0.1: the per-address login throttle would
        # otherwise refuse the sign-ups of a busy test.
        "TOPICHUB_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
        "TOPICHUB_SIGNUP_PER_ADDRESS_PER_HOUR": "1000000",
        "TOPICHUB_SIGNUP_PER_HOUR": "1000000",
        **{env_name(k): v for k, v in extra.items()},
    }
    if database_url:
        values["TOPICHUB_DATABASE_URL"] = database_url
    if kafka:
        values["TOPICHUB_KAFKA_BOOTSTRAP_SERVERS"] = kafka
    if redis_url:
        values["TOPICHUB_REDIS_URL"] = redis_url
    unknown = set(values) - SETTINGS_ENV
    assert not unknown, f"not settings: {unknown}"
    return {**clean_environ(), **values}


def _die_with_parent() -> None:
    # In the child between fork and exec: the kernel kills the server if the test
    # process dies, however it dies.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 60.0) -> str:
    """Run ``topichub <args>`` to completion; returns its output, fails on non-zero exit."""
    done = subprocess.run(
        [TOPICHUB, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"topichub {' '.join(args)} failed: {done.stderr[-3000:]}"
    return done.stdout + done.stderr


class ServerProcess:
    """One ``topichub serve`` process group on ``127.0.0.1:<port>``."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        workdir: Path,
        *,
        workers: int = 1,
        port: int | None = None,
    ) -> None:
        self.name = name
        self.workers = workers
        self.port = port or free_port()
        self.log_path = workdir / f"{name}.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self._log: IO[bytes] = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                TOPICHUB,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=dict(env),
            cwd=workdir,  # no developer .env is picked up
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        _live.add(self)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self, tail: int = 4000) -> str:
        self._log.flush()
        return self.log_path.read_bytes()[-tail:].decode(errors="replace")

    def started_workers(self) -> int:
        self._log.flush()
        return self.log_path.read_bytes().count(b"Application startup complete.")

    async def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Poll ``/ready`` until it answers 200 (database and bus reachable)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            while True:
                if not self.alive():
                    raise AssertionError(
                        f"server {self.name} exited with {self.process.returncode}:\n"
                        f"{self.output()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    # One worker answering is not all of them: each logs its start-up.
                    if (
                        await client.get("/ready")
                    ).status_code == 200 and self.started_workers() >= self.workers:
                        return
                if time.monotonic() > deadline:
                    raise AssertionError(f"server {self.name} not ready after {timeout}s")
                # Polling another process: there is no event to wait on.
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash). Idempotent."""
        _live.discard(self)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if not self._log.closed:
            self._log.close()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group (a graceful shutdown), SIGKILL after ``grace`` seconds."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        self.kill()


@atexit.register
def _kill_all() -> None:
    for server in list(_live):
        with contextlib.suppress(Exception):
            server.kill()


async def redis_available() -> str:
    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        unavailable("Redis", exc)
    finally:
        await client.aclose()
    return REDIS_URL


async def postgres_database() -> str:
    try:
        return await create_pg_database()
    except Exception as exc:
        unavailable("PostgreSQL", exc)
        raise


async def delete_redis_keys(redis_url: str, prefix: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def sql_value(database_url: str, query: str) -> object:
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=5)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


@dataclass
class Cluster:
    """Server processes sharing one PostgreSQL database, one Redis prefix and one broker."""

    env: dict[str, str]
    workdir: Path
    database_url: str
    redis_url: str
    redis_prefix: str
    broker: TansuBroker
    servers: dict[str, ServerProcess] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ServerProcess:
        return self.servers[name]

    async def start(self, workers: Mapping[str, int]) -> None:
        """Start servers (name → worker count) at once and wait until all are ready."""
        for name, count in workers.items():
            self.servers[name] = ServerProcess(name, self.env, self.workdir, workers=count)
        await asyncio.gather(*(self.servers[name].wait_ready() for name in workers))

    def kill_all(self) -> None:
        for server in self.servers.values():
            server.kill()


@contextlib.asynccontextmanager
async def cluster(
    workdir: Path, workers: Mapping[str, int], **extra: str
) -> AsyncIterator[Cluster]:
    """A fresh database (migrated with ``topichub migrate``), a private tansu broker, a
    unique Redis prefix and ``workers`` servers; everything is removed on exit."""
    redis_url = await redis_available()
    database_url = await postgres_database()
    prefix = f"th-scale-{uuid.uuid4().hex[:8]}"
    broker: TansuBroker | None = None
    group: Cluster | None = None
    try:
        broker = await TansuBroker.start()
        env = server_env(
            database_url=database_url,
            kafka=broker.bootstrap_servers,
            redis_url=redis_url,
            redis_prefix=prefix,
            data_dir=workdir / "data",
            **extra,
        )
        workdir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(run_cli, ["migrate"], env, workdir)
        group = Cluster(env, workdir, database_url, redis_url, prefix, broker)
        await group.start(workers)
        yield group
    finally:
        if group is not None:
            group.kill_all()
        if broker is not None:
            broker.stop()
        await delete_redis_keys(redis_url, prefix)
        await drop_pg_database(database_url)
