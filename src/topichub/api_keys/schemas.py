from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from topichub.identity.principal import Permission

_KEY_EXAMPLE: dict[str, Any] = {
    "id": "9c8b7a6d-5e4f-4a3b-8c1d-0e9f8a7b6c5d",
    "name": "checkout service",
    "prefix": "thk_4f3a9c2d",
    "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
    "permissions": ["read", "write"],
    "created_at": "2026-12-04T09:31:00Z",
    "last_used_at": None,
    "expires_at": "2027-03-04T09:31:00Z",
    "revoked_at": None,
    "is_active": True,
}
_SECRET_EXAMPLE = "thk_4f3a9c2d1b0e8f7a_Zq8Xw2Lk5Nc7Rv1Tb4Yh9Jm3Pd6Gs0Fa"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "checkout service",
                    "permissions": ["read", "write"],
                    "expires_in_days": 90,
                }
            ]
        },
    )

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
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_KEY_EXAMPLE]})

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

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{**_KEY_EXAMPLE, "key": _SECRET_EXAMPLE, "secret": _SECRET_EXAMPLE}]
        },
    )

    key: str = Field(description="The API key itself, shown this once: store it now.")
    secret: str = Field(description="Alias of `key` (seed 000's clients read this).")
