from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ProjectName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$"
    ),
]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "checkout", "description": "Order events of the checkout service"}
            ]
        },
    )

    name: ProjectName
    description: Annotated[str, Field(max_length=1000, pattern=r"^[^\x00]*$")] | None = None


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"description": "Orders and refunds"}]}
    )

    name: ProjectName | None = None
    description: Annotated[str, Field(max_length=1000, pattern=r"^[^\x00]*$")] | None = None


class ProjectOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
                    "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
                    "name": "checkout",
                    "description": "Order events of the checkout service",
                    "is_default": False,
                    "created_at": "2026-12-04T09:30:00Z",
                    "updated_at": "2026-12-04T09:30:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime
