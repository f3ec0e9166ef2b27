"""Helpers shared by the limits tests: service URLs, the skip-or-fail rule, fake clocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import asyncpg  # type: ignore[import-untyped]
import pytest
from redis.asyncio import Redis

from topichub.limits.store import STORE_ERRORS, RedisStore

REDIS_URL = os.environ.get("TOPICHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get(
    "TOPICHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# Nothing listens on port 1: connections are refused at once.
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"


def unavailable(what: str) -> NoReturn:
    """Skip locally, fail in CI: a missing service must never turn CI green."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not reachable and CI=true requires it")
    pytest.skip(f"{what} is not reachable")


async def redis_reachable() -> bool:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(await client.ping())
    except STORE_ERRORS:
        return False
    finally:
        await client.aclose()


def random_prefix() -> str:
    return f"test-limits-{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def redis_store(prefix: str | None = None) -> AsyncIterator[RedisStore]:
    """A store on the shared test Redis under a random prefix, whose keys are deleted
    afterwards."""
    store = RedisStore(REDIS_URL, key_prefix=prefix or random_prefix())
    try:
        yield store
    finally:
        await store.delete_all_keys()
        await store.aclose()


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (SQLAlchemy asyncpg URL), dropped afterwards."""
    try:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        unavailable("PostgreSQL")
    name = f"topichub_limits_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=3)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class EpochClock:
    """Injected ``time.time`` replacement: epoch seconds that move only when told."""

    def __init__(self, start: float = 1_900_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:  # lets it stand in for the ``time`` module
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class UTCClock:
    """Injected ``utcnow`` replacement."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2031, 3, 14, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
