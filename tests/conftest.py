"""Shared fixtures: the app on SQLite and on PostgreSQL, and an HTTP client through ASGI."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.services import create_pg_database, drop_pg_database, unavailable
from topichub.app import create_app
from topichub.config import Settings

TEST_SECRET = secrets.token_urlsafe(48)


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "jwt_secret": TEST_SECRET,
        "migrate_on_start": True,
        "login_attempts_per_minute": 10_000,
        # The suite signs up hundreds of accounts from one address.
        "signup_per_address_per_hour": None,
        "signup_per_hour": None,
        "refresh_reuse_grace_s": 0,
        "log_json": False,
        # tansu completes a consumer-group join in about half the session timeout.
        "kafka_session_timeout_ms": 1_000,
        "kafka_heartbeat_interval_ms": 200,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh, empty database on each engine the API supports."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "topichub.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    try:
        url = await create_pg_database()
    except (OSError, Exception) as exc:
        unavailable("PostgreSQL", exc)
        raise
    try:
        yield url
    finally:
        await drop_pg_database(url)


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app with its lifespan running (resources built, migrations applied)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=30
    )


@pytest.fixture(scope="session")
async def app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, tmp_path_factory.mktemp("data"))
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


@pytest.fixture(scope="session")
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    """The session app served over real HTTP (uvicorn on a free loopback port)."""
    from tests.support.server import serving

    async with serving(app) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def kafka_bootstrap() -> AsyncIterator[str]:
    """A Kafka-protocol broker (tansu) for the whole session; fails if it cannot start."""
    from tests.support.tansu import running_tansu

    async with running_tansu() as broker:
        yield broker.bootstrap_servers


@pytest.fixture
async def redis_url() -> str:
    """The machine's Redis, or skip (fail in CI) when it is not there."""
    import redis.asyncio as aioredis

    from tests.support.services import REDIS_URL

    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        unavailable("Redis", exc)
    finally:
        await client.aclose()
    return REDIS_URL
