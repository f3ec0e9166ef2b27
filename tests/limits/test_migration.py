from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, MetaData, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.limits import fresh_postgres_database
from topichub.kit.db import NAMING_CONVENTION, Base, create_engine
from topichub.models.usage import UsageCounter

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0003_usage.py"


def load_migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0003_usage", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path}/migration.db")
        yield db
        await db.dispose()
        return
    async with fresh_postgres_database() as url:
        db = create_engine(url)
        yield db
        await db.dispose()


def run(connection: Connection, step: str) -> list[Any]:
    migration = load_migration()
    context = MigrationContext.configure(connection)
    with Operations.context(context):
        getattr(migration, step)()
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    Base.metadata.tables[UsageCounter.__tablename__].to_metadata(metadata)
    diff_context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(diff_context, metadata))


def constraint_names(connection: Connection) -> set[str | None]:
    inspector = inspect(connection)
    names = {c["name"] for c in inspector.get_unique_constraints("usage_counters")}
    names |= {c["name"] for c in inspector.get_check_constraints("usage_counters")}
    names.add(inspector.get_pk_constraint("usage_counters")["name"])
    return names


async def test_migration_matches_the_model_and_downgrades(engine: AsyncEngine) -> None:
    migration = load_migration()
    assert (migration.revision, migration.down_revision) == ("0003_usage", "0002_bus_log")

    async with engine.begin() as conn:
        diff = await conn.run_sync(run, "upgrade")
        names = await conn.run_sync(constraint_names)
    assert diff == []
    expected = {"uq_usage_counters_scope_scope_id_day", "ck_usage_counters_scope"}
    assert expected <= names
    if engine.dialect.name == "postgresql":  # SQLite does not name primary keys
        assert "pk_usage_counters" in names

    async with engine.begin() as conn:
        await conn.run_sync(run, "downgrade")
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert "usage_counters" not in tables
