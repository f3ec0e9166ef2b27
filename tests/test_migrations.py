"""The migrations are the schema: applying them must give exactly what the models declare."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.engine import Connection

import topichub.models  # noqa: F401
from topichub.kit.db import Base


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


# SQLite's reflection cannot read an index on an expression (users' lower(username)); it
# says so and leaves it out of the comparison. PostgreSQL compares it.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
async def test_migrations_match_the_models(app: FastAPI) -> None:
    async with app.state.resources.engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []
