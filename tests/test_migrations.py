"""The migrations are the schema: applying them must give exactly what the models declare."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.engine import Connection

import topichub.models  # noqa: F401
from topichub.kit.db import Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(app: FastAPI) -> None:
    async with app.state.resources.engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []
