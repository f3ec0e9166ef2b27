"""Cross-tenant endpoints for platform administrators (seed 000's active streams, seed
003's tenant administration). Every route requires a platform admin's user token."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from topichub import __version__
from topichub.accounts.service import create_log_topics
from topichub.admin import health as health_page
from topichub.config import Settings
from topichub.dependencies import ResourcesDep, SessionDep
from topichub.errors import NotFound, Unavailable, ValidationFailed
from topichub.identity import service as identity
from topichub.identity.dependencies import AdminDep
from topichub.identity.schemas import USER_EXAMPLE, UserOut
from topichub.kit.time import utctoday
from topichub.limits import StoreUnavailable
from topichub.limits.plans import effective_plan
from topichub.models import Tenant
from topichub.tenancy import admin as tenants
from topichub.topics import service as topics
from topichub.topics.retire import retire_topics

router = APIRouter(tags=["admin"])
"""Mounted like the other domain routers (``/admin/...`` and ``/api/v1/admin/...``)."""
platform_router = APIRouter(prefix="/api/admin", tags=["admin"])
"""Seed 003's ``/api/admin`` paths, mounted once."""

PageLimit = Annotated[int, Query(ge=1, le=500)]
PageOffset = Annotated[int, Query(ge=0, le=1_000_000)]


_ACTIVE_STREAMS_EXAMPLE = {
    "count": 1,
    "streams": [
        {
            "slot_id": "3c0f9a7e2b1d",
            "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
            "process_id": "web-1:4121",
            "started_at": "2026-12-04T09:40:00+00:00",
            "expires_at": "2026-12-04T09:41:30+00:00",
        }
    ],
    "this_process": [
        {
            "id": "3c0f9a7e2b1d",
            "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
            "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
            "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
            "api_key_id": None,
            "topic": "th.t.0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e",
            "transport": "sse",
            "started_at": "2026-12-04T09:40:00+00:00",
        }
    ],
}
_TENANT_USAGE_EXAMPLE = {
    "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
    "date": "2026-12-04",
    "projects": {
        "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d": {
            "messages_in": 8200,
            "bytes_in": 1048576,
            "messages_out": 120,
            "bytes_out": 40960,
        }
    },
}


def _json_example(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": example}}}}


@router.get(
    "/admin/active-streams",
    summary="List every open stream",
    responses=_json_example(_ACTIVE_STREAMS_EXAMPLE),
)
async def active_streams(_admin: AdminDep, resources: ResourcesDep) -> dict[str, Any]:
    """Every open stream: across all processes (from the shared slot registry) and, for
    this process, with the topic and transport it serves."""
    try:
        everywhere = await resources.connections.list_active()
    except StoreUnavailable as exc:
        raise Unavailable(
            "The shared stream registry (Redis) is unreachable", headers={"Retry-After": "5"}
        ) from exc
    local = [s.describe() for s in resources.streams.list()]
    return {"count": len(everywhere), "streams": everywhere, "this_process": local}


@router.get("/admin/health", summary="Platform health", response_model=health_page.HealthOut)
async def admin_health(_admin: AdminDep, resources: ResourcesDep) -> health_page.HealthOut:
    """The platform at a glance: the database, the log engine (brokers and partitions on
    Kafka), Redis, every process with its open streams, and this process's request and
    message rates per minute over the last hour. Always 200: a component that is down
    says so in its ``status`` and ``error``."""
    return await health_page.health(resources, __version__)


async def _tenant_out(
    session: AsyncSession, settings: Settings, tenant: Tenant
) -> tenants.TenantOut:
    plan = effective_plan(settings, tenant)
    effective = tenants.EffectiveLimits(
        rate_limits={
            "per_minute": plan.rate.per_minute,
            "per_hour": plan.rate.per_hour,
            "per_day": plan.rate.per_day,
        },
        quotas={
            "messages_per_day": plan.quotas.user_messages_per_day,
            "bytes_per_day": plan.quotas.user_bytes_per_day,
            "project_messages_per_day": plan.quotas.project_messages_per_day,
            "project_bytes_per_day": plan.quotas.project_bytes_per_day,
            "tenant_messages_per_day": plan.quotas.tenant_messages_per_day,
            "tenant_bytes_per_day": plan.quotas.tenant_bytes_per_day,
        },
        max_streams_per_user=plan.max_streams_per_user,
    )
    return await tenants.to_out(session, tenant, effective)


class TenantPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"total": 1, "tenants": [tenants.TENANT_EXAMPLE]}]}
    )

    total: int
    tenants: list[tenants.TenantOut]


@platform_router.get("/tenants", summary="List tenants", response_model=TenantPage)
async def list_tenants(
    _admin: AdminDep,
    session: SessionDep,
    resources: ResourcesDep,
    limit: PageLimit = 100,
    offset: PageOffset = 0,
) -> TenantPage:
    """Every tenant with its limits and member count, a page at a time (`limit`,
    `offset`), and how many there are in all."""
    rows = await tenants.list_tenants(session, limit=limit, offset=offset)
    return TenantPage(
        total=await tenants.count_tenants(session),
        tenants=[await _tenant_out(session, resources.settings, t) for t in rows],
    )


@platform_router.post(
    "/tenants", summary="Create a tenant", response_model=tenants.TenantOut, status_code=201
)
async def create_tenant(
    data: tenants.TenantCreate, _admin: AdminDep, session: SessionDep, resources: ResourcesDep
) -> tenants.TenantOut:
    """Create a tenant with a default project (and its `events` topic); `owner_email`
    makes an existing user its owner."""
    owner = None
    if data.owner_email:
        owner = await identity.find_by_login(session, data.owner_email)
        if owner is None:
            raise ValidationFailed(
                f"No user with email {data.owner_email}",
                details=[{"field": "owner_email", "reason": "unknown user"}],
            )
    tenant, project = await tenants.create_tenant(session, data, owner)
    new_topics = await topics.create_default_topics(session, project)
    out = await _tenant_out(session, resources.settings, tenant)
    await session.commit()
    await create_log_topics(resources.bus, new_topics)
    return out


@platform_router.get(
    "/tenants/{tenant_id}", summary="Get a tenant", response_model=tenants.TenantOut
)
async def get_tenant(
    tenant_id: uuid.UUID, _admin: AdminDep, session: SessionDep, resources: ResourcesDep
) -> tenants.TenantOut:
    """One tenant with its own limits and the effective ones (its plan's, overridden)."""
    tenant = await tenants.get_tenant(session, tenant_id)
    return await _tenant_out(session, resources.settings, tenant)


async def _update(
    tenant_id: uuid.UUID,
    data: tenants.TenantUpdate,
    session: SessionDep,
    resources: ResourcesDep,
) -> tenants.TenantOut:
    tenant = await tenants.update_tenant(session, tenant_id, data)
    return await _tenant_out(session, resources.settings, tenant)


@platform_router.put(
    "/tenants/{tenant_id}", summary="Update a tenant (seed 003)", response_model=tenants.TenantOut
)
async def replace_tenant(
    tenant_id: uuid.UUID,
    data: tenants.TenantUpdate,
    _admin: AdminDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> tenants.TenantOut:
    """Update a tenant (seed 003); limits take effect on the tenant's next request."""
    return await _update(tenant_id, data, session, resources)


@platform_router.patch(
    "/tenants/{tenant_id}", summary="Update a tenant", response_model=tenants.TenantOut
)
async def update_tenant(
    tenant_id: uuid.UUID,
    data: tenants.TenantUpdate,
    _admin: AdminDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> tenants.TenantOut:
    """Change a tenant's name, plan, status or limits (`rate_limits`: per_minute,
    per_hour, per_day; `quotas`: messages_per_day, bytes_per_day, …)."""
    return await _update(tenant_id, data, session, resources)


@platform_router.delete(
    "/tenants/{tenant_id}", summary="Delete a tenant", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_tenant(
    tenant_id: uuid.UUID, admin: AdminDep, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Delete a tenant with its projects, topics, messages and keys."""
    if tenant_id == admin.tenant_id:
        raise ValidationFailed("A platform admin cannot delete the tenant they act in")
    log_topics: list[str] = []
    for project_id in await tenants.project_ids(session, tenant_id):
        log_topics += await topics.project_log_topics(session, project_id)
    await tenants.delete_tenant(session, tenant_id)
    await retire_topics(
        session, resources.streams, resources.bus, set(log_topics), tenant_id=tenant_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@platform_router.get(
    "/tenants/{tenant_id}/usage",
    summary="A tenant's usage today",
    responses=_json_example(_TENANT_USAGE_EXAMPLE),
)
async def tenant_usage(
    tenant_id: uuid.UUID, _admin: AdminDep, session: SessionDep, resources: ResourcesDep
) -> dict[str, Any]:
    """Today's (UTC) messages and bytes of every project of the tenant."""
    await tenants.get_tenant(session, tenant_id)
    day = utctoday()
    projects = {}
    for project_id in await tenants.project_ids(session, tenant_id):
        usage = await resources.quotas.usage("project", str(project_id), day)
        projects[str(project_id)] = dataclasses.asdict(usage)
    return {"tenant_id": str(tenant_id), "date": day.isoformat(), "projects": projects}


class UserPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 1,
                    "users": [USER_EXAMPLE],
                }
            ]
        }
    )

    total: int
    users: list[UserOut]


@platform_router.get("/users", summary="List users", response_model=UserPage)
async def list_users(
    _admin: AdminDep, session: SessionDep, limit: PageLimit = 100, offset: PageOffset = 0
) -> UserPage:
    """Every user of the platform, oldest first, a page at a time (`limit`, `offset`)."""
    users = await identity.list_users(session, limit=limit, offset=offset)
    return UserPage(
        total=await identity.count_users(session),
        users=[await identity.user_out(session, u) for u in users],
    )


@platform_router.post(
    "/users/{user_id}/deactivate", summary="Deactivate a user", response_model=UserOut
)
async def deactivate_user(user_id: uuid.UUID, admin: AdminDep, session: SessionDep) -> UserOut:
    """Deactivate a user: tokens and keys stop working, streams close within a second."""
    if user_id == admin.user_id:
        raise ValidationFailed("Use DELETE /auth/me to deactivate your own account")
    user = await identity.find_user(session, user_id)
    if user is None:
        raise NotFound("User not found")
    await identity.deactivate_user(session, user)
    return await identity.user_out(session, user)
