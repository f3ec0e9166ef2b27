"""PostgreSQL goes away and comes back: requests that need it answer 503 (never 500,
never a hang) and ``/ready`` is false; once it is back the service recovers by itself.

The database is a private PostgreSQL started for the test (``initdb`` as the
``postgres`` user, on a free loopback port), so it can be stopped without touching the
machine's shared instance. The app uses the embedded event log, which lives in the same
database: publishing depends on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings, running_app
from tests.support.factories import create_key, signup
from tests.support.services import unavailable
from tests.support.tansu import free_port

pytestmark = pytest.mark.postgres

REQUEST_BOUND_S = 8.0


class PrivatePostgres:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = list(args)
        if os.geteuid() == 0:  # initdb refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """An immediate stop: like a crash, connections are dropped at once."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        unavailable("initdb/pg_ctl", FileNotFoundError("initdb"))
    root = Path(tempfile.mkdtemp(prefix="th-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    pg = PrivatePostgres(root)
    try:
        pg.init()
        pg.start()
    except (subprocess.CalledProcessError, OSError, LookupError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        unavailable("a private PostgreSQL", exc)
    try:
        yield pg
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as pg:
        yield pg


async def timed(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    started = time.monotonic()
    async with asyncio.timeout(REQUEST_BOUND_S):
        response = await client.request(method, path, **kwargs)
    assert time.monotonic() - started < REQUEST_BOUND_S
    return response


@pytest.mark.timeout(180)
async def test_postgres_down_means_503_and_not_ready_then_recovery(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    settings = make_settings(postgres.url, tmp_path, publish_timeout_s=2.0)
    async with running_app(settings) as app:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            account = await signup(client)
            key = await create_key(client, account, ["read", "write"])
            headers = {"X-API-Key": key["key"]}
            publish = ("POST", "/api/v1/topics/events/publish")
            body = {"json": {"messages": [{"value": "before"}]}, "headers": headers}
            assert (await timed(client, *publish, **body)).status_code == 200
            assert (await timed(client, "GET", "/ready")).status_code == 200

            postgres.stop()
            ready = await timed(client, "GET", "/ready")
            assert ready.status_code == 503
            assert ready.json()["ready"] is False
            assert ready.json()["checks"]["database"] == "down"
            assert (await timed(client, "GET", "/health")).status_code == 200  # liveness
            during = {
                "publish": await timed(client, *publish, **body),
                "list topics": await timed(client, "GET", "/api/v1/topics", headers=headers),
                "login": await timed(
                    client,
                    "POST",
                    "/auth/login",
                    json={"email": account.email, "password": account.password},
                ),
                "todos": await timed(client, "GET", "/api/v1/todos", headers=account.headers),
            }
            wrong = {
                k: (r.status_code, r.text[:200]) for k, r in during.items() if r.status_code != 503
            }
            assert not wrong, f"answers while PostgreSQL is down: {wrong}"
            for response in during.values():
                assert response.headers.get("retry-after"), response.headers
                assert response.json()["error"]["code"] == "UNAVAILABLE"

            postgres.start()
            # Recovery by itself: no restart, no intervention.
            deadline = time.monotonic() + 30
            while (await timed(client, "GET", "/ready")).status_code != 200:
                assert time.monotonic() < deadline, "not ready 30 s after PostgreSQL came back"
                await asyncio.sleep(0.2)
            after = [await timed(client, *publish, **body) for _ in range(5)]
            assert [r.status_code for r in after] == [200] * 5, [r.text[:200] for r in after]
            topics = await timed(client, "GET", "/api/v1/topics", headers=headers)
            assert topics.status_code == 200
