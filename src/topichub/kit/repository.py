"""The one place that turns "who is asking" into a WHERE clause.

Every tenant-owned table has ``tenant_id``; project-owned ones also ``project_id``. A
lookup through ``scoped`` can only ever return rows of the caller's tenant (and project,
for API keys), so a wrong id is indistinguishable from a missing one: 404, never 403.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVarTuple

from sqlalchemy import Select

Ts = TypeVarTuple("Ts")


def scoped(
    statement: Select[*Ts],
    model: Any,
    *,
    tenant_id: uuid.UUID,
    project_id: uuid.UUID | None = None,
) -> Select[*Ts]:
    statement = statement.where(model.tenant_id == tenant_id)
    if project_id is not None:
        column = model.project_id if hasattr(model, "project_id") else model.id
        statement = statement.where(column == project_id)
    return statement
