"""A migrated database per engine (SQLite, PostgreSQL) with one tenant and its default
project, for testing the outbox and its relay without an app around them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.support.services import create_pg_database, drop_pg_database, unavailable
from topichub.kit import migrations
from topichub.kit.db import create_engine, create_sessionmaker
from topichub.models import Project, Tenant


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def tenant(self) -> uuid.UUID:
        """A new tenant with a default project."""
        async with self.sessionmaker() as session:
            tenant = Tenant(name="t")
            session.add(tenant)
            await session.flush()
            session.add(Project(tenant_id=tenant.id, name="default", is_default=True))
            await session.commit()
            return tenant.id


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    url = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('outbox')}/outbox.db"
    else:
        try:
            url = await create_pg_database()
        except (OSError, Exception) as exc:
            unavailable("PostgreSQL", exc)
            raise
    engine = create_engine(url)
    try:
        await migrations.upgrade(engine)
        yield Database(engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()
        if request.param == "postgres":
            await drop_pg_database(url)
