"""A real ``topichub serve`` for client tests (the CLI's and the SDK's), and the CLI run
as a user runs it: the virtualenv's ``topichub`` in its own process."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx

from tests.scale.support import TOPICHUB, ServerProcess, clean_environ, server_env
from tests.support.factories import Account, create_key, signup
from tests.support.services import create_pg_database, drop_pg_database, unavailable


@contextlib.asynccontextmanager
async def topichub_server(engine: str, workdir: Path, **extra: str) -> AsyncIterator[ServerProcess]:
    """``topichub serve`` on SQLite or on a fresh PostgreSQL database, embedded log."""
    database_url = None
    if engine == "postgres":
        try:
            database_url = await create_pg_database()
        except Exception as exc:
            unavailable("PostgreSQL", exc)
            raise
        extra.setdefault("migrate_on_start", "true")
    env = server_env(
        database_url=database_url,
        kafka=None,
        redis_url=None,
        redis_prefix="th-cli",
        data_dir=workdir / "data",
        **extra,
    )
    server = ServerProcess("serve", env, workdir)
    try:
        await server.wait_ready()
        yield server
    finally:
        server.stop()
        if database_url:
            await drop_pg_database(database_url)


async def account_with_key(server: ServerProcess) -> tuple[Account, str]:
    """A new account and an API key of it that may read, write and manage topics."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        account = await signup(client)
        key = await create_key(client, account, ["read", "write", "admin"])
    return account, str(key["key"])


def cli_env(**values: str) -> dict[str, str]:
    """An environment without any TOPICHUB_* variable of ours, plus ``values``."""
    return {**clean_environ(), **values}


def run_topichub(
    args: list[str],
    env: Mapping[str, str],
    *,
    cwd: Path,
    stdin: str | None = None,
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TOPICHUB, *args],
        env=dict(env),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
