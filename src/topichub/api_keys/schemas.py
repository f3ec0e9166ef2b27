from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from topichub.identity.principal import Permission


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00]+$"
        ),
    ] = "API key"
    permissions: Annotated[list[Permission], Field(min_length=1, max_length=3)] = [
        Permission.read,
        Permission.write,
    ]
    project_id: uuid.UUID | None = None
    """Defaults to the caller's default project (or the calling key's project)."""
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    project_id: uuid.UUID
    tenant_id: uuid.UUID
    permissions: list[Permission]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class ApiKeyCreated(ApiKeyOut):
    """Returned once, at creation: the only time the secret is ever shown."""

    key: str = Field(description="The API key itself, shown this once: store it now.")
    secret: str = Field(description="Alias of `key` (seed 000's clients read this).")
