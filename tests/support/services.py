"""Access to the machine's real services for tests.

Locally a missing PostgreSQL or Redis skips the tests that need it; in CI (``CI=true``)
it fails them: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import uuid

import asyncpg
import pytest

PG_ADMIN_DSN = os.environ.get("TOPICHUB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TOPICHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(service: str, error: BaseException) -> None:
    message = f"{service} is not reachable: {error!r}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


async def create_pg_database() -> str:
    """Create a fresh database and return its SQLAlchemy URL."""
    name = f"th_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
