"""A database of its own per test, on each engine: tests here change limits that are
counted per database (the cluster's daily brake), so they must not share one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.services import create_pg_database, drop_pg_database, unavailable


@pytest.fixture(params=["sqlite", "postgres"])
async def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/own.db"
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
