"""Platform administration of tenants: the operator's view across every tenant.

Only ``admin/endpoints.py`` calls this, behind the platform-admin dependency.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import NotFound
from topichub.models import Membership, Project, Role, Tenant, User
from topichub.tenancy.repository import TenancyRepository
from topichub.tenancy.service import DEFAULT_PROJECT_NAME

Limit = Annotated[int, Field(ge=0, le=10**12)]


class RateLimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_minute: Limit | None = None
    per_hour: Limit | None = None
    per_day: Limit | None = None


class QuotasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages_per_day: Limit | None = None
    bytes_per_day: Limit | None = None
    project_messages_per_day: Limit | None = None
    project_bytes_per_day: Limit | None = None
    tenant_messages_per_day: Limit | None = None
    tenant_bytes_per_day: Limit | None = None
    max_streams_per_user: Annotated[int, Field(ge=0, le=100_000)] | None = None


TenantName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00]+$"),
]
PlanName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_\-]{1,32}$")]


TENANT_EXAMPLE: dict[str, Any] = {
    "id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
    "name": "Acme",
    "plan": "pro",
    "is_active": True,
    "rate_limits": {"per_minute": 600},
    "quotas": None,
    "effective": {
        "rate_limits": {"per_minute": 600, "per_hour": None, "per_day": None},
        "quotas": {
            "messages_per_day": 100000,
            "bytes_per_day": 1073741824,
            "project_messages_per_day": None,
            "project_bytes_per_day": None,
            "tenant_messages_per_day": None,
            "tenant_bytes_per_day": None,
        },
        "max_streams_per_user": 2,
    },
    "members": 3,
    "created_at": "2026-12-01T08:00:00Z",
    "updated_at": "2026-12-04T09:00:00Z",
}


class TenantCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Acme",
                    "plan": "pro",
                    "owner_email": "ops@acme.example",
                    "rate_limits": {"per_minute": 600},
                }
            ]
        },
    )

    name: TenantName
    plan: PlanName = "free"
    owner_email: Annotated[str, Field(max_length=320, pattern=r"^[^\x00]*$")] | None = None
    rate_limits: RateLimitsIn | None = None
    quotas: QuotasIn | None = None


class TenantUpdate(BaseModel):
    """PUT and PATCH: fields left out are unchanged; ``rate_limits``/``quotas`` set to
    ``null`` go back to the plan's defaults."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"plan": "pro", "quotas": {"messages_per_day": 100000}},
                {"is_active": False},
                {"rate_limits": None},
            ]
        },
    )

    name: TenantName | None = None
    plan: PlanName | None = None
    is_active: bool | None = None
    rate_limits: RateLimitsIn | None = None
    quotas: QuotasIn | None = None


class EffectiveLimits(BaseModel):
    rate_limits: dict[str, int | None]
    quotas: dict[str, int | None]
    max_streams_per_user: int


class TenantOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TENANT_EXAMPLE]})

    id: uuid.UUID
    name: str
    plan: str
    is_active: bool
    rate_limits: dict[str, Any] | None
    quotas: dict[str, Any] | None
    effective: EffectiveLimits
    members: int
    created_at: Any
    updated_at: Any


def _compact(model: BaseModel | None) -> dict[str, Any] | None:
    if model is None:
        return None
    values = model.model_dump(exclude_none=True)
    return values or None


async def to_out(session: AsyncSession, tenant: Tenant, effective: EffectiveLimits) -> TenantOut:
    """``effective``: the limits the tenant's plan and overrides add up to (the caller
    computes them with ``limits.plans``, which sits above tenancy)."""
    return TenantOut(
        id=tenant.id,
        name=tenant.name,
        plan=tenant.plan,
        is_active=tenant.is_active,
        rate_limits=tenant.rate_limits,
        quotas=tenant.quotas,
        effective=effective,
        members=await TenancyRepository(session).member_count(tenant.id),
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
    )


async def list_tenants(session: AsyncSession, *, limit: int, offset: int) -> Sequence[Tenant]:
    return await TenancyRepository(session).list_tenants(limit=limit, offset=offset)


async def count_tenants(session: AsyncSession) -> int:
    return await TenancyRepository(session).count_tenants()


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await TenancyRepository(session).get_tenant(tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found")
    return tenant


async def create_tenant(
    session: AsyncSession, data: TenantCreate, owner: User | None
) -> tuple[Tenant, Project]:
    repo = TenancyRepository(session)
    tenant = Tenant(
        name=data.name,
        plan=data.plan,
        rate_limits=_compact(data.rate_limits),
        quotas=_compact(data.quotas),
    )
    await repo.add(tenant)
    project = Project(tenant_id=tenant.id, name=DEFAULT_PROJECT_NAME, is_default=True)
    await repo.add(project)
    if owner is not None:
        await repo.add(Membership(tenant_id=tenant.id, user_id=owner.id, role=Role.owner))
    return tenant, project


async def update_tenant(session: AsyncSession, tenant_id: uuid.UUID, data: TenantUpdate) -> Tenant:
    tenant = await get_tenant(session, tenant_id)
    fields = data.model_fields_set
    if data.name is not None:
        tenant.name = data.name
    if data.plan is not None:
        tenant.plan = data.plan
    if data.is_active is not None:
        tenant.is_active = data.is_active
    if "rate_limits" in fields:
        tenant.rate_limits = _compact(data.rate_limits)
    if "quotas" in fields:
        tenant.quotas = _compact(data.quotas)
    await session.flush()
    return tenant


async def delete_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await get_tenant(session, tenant_id)
    await TenancyRepository(session).delete(tenant)
    return tenant


async def project_ids(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    return await TenancyRepository(session).all_project_ids(tenant_id)
