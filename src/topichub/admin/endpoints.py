"""Cross-tenant endpoints for platform administrators (seed 000's active streams, seed
003's tenant administration). Every route requires a platform admin's user token."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from topichub import __version__
from topichub.admin import health as health_page
from topichub.dependencies import ResourcesDep, SessionDep
from topichub.errors import NotFound, Unavailable, ValidationFailed
from topichub.identity import service as identity
from topichub.identity.dependencies import AdminDep
from topichub.identity.schemas import UserOut
from topichub.kit.time import utctoday
from topichub.limits import StoreUnavailable
from topichub.tenancy import admin as tenants
from topichub.topics import service as topics

router = APIRouter(tags=["admin"])
"""Mounted like the other domain routers (``/admin/...`` and ``/api/v1/admin/...``)."""
platform_router = APIRouter(prefix="/api/admin", tags=["admin"])
"""Seed 003's ``/api/admin`` paths, mounted once."""

PageLimit = Annotated[int, Query(ge=1, le=500)]
PageOffset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/admin/active-streams")
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


@router.get("/admin/health", response_model=health_page.HealthOut)
async def admin_health(_admin: AdminDep, resources: ResourcesDep) -> health_page.HealthOut:
    """The platform at a glance: the database, the log engine (brokers and partitions on
    Kafka), Redis, every process with its open streams, and this process's request and
    message rates per minute over the last hour. Always 200: a component that is down
    says so in its ``status`` and ``error``."""
    return await health_page.health(resources, __version__)


class TenantPage(BaseModel):
    total: int
    tenants: list[tenants.TenantOut]


@platform_router.get("/tenants", response_model=TenantPage)
async def list_tenants(
    _admin: AdminDep,
    session: SessionDep,
    resources: ResourcesDep,
    limit: PageLimit = 100,
    offset: PageOffset = 0,
) -> TenantPage:
    rows = await tenants.list_tenants(session, limit=limit, offset=offset)
    return TenantPage(
        total=await tenants.count_tenants(session),
        tenants=[await tenants.to_out(session, resources.settings, t) for t in rows],
    )


@platform_router.post("/tenants", response_model=tenants.TenantOut, status_code=201)
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
    new_topics = await topics.create_default_topics(session, resources.bus, project)
    out = await tenants.to_out(session, resources.settings, tenant)
    await session.commit()
    for topic in new_topics:
        await topics.ensure_log_topic(resources.bus, topic)
    return out


@platform_router.get("/tenants/{tenant_id}", response_model=tenants.TenantOut)
async def get_tenant(
    tenant_id: uuid.UUID, _admin: AdminDep, session: SessionDep, resources: ResourcesDep
) -> tenants.TenantOut:
    return await tenants.to_out(
        session, resources.settings, await tenants.get_tenant(session, tenant_id)
    )


async def _update(
    tenant_id: uuid.UUID,
    data: tenants.TenantUpdate,
    session: SessionDep,
    resources: ResourcesDep,
) -> tenants.TenantOut:
    tenant = await tenants.update_tenant(session, tenant_id, data)
    return await tenants.to_out(session, resources.settings, tenant)


@platform_router.put("/tenants/{tenant_id}", response_model=tenants.TenantOut)
async def replace_tenant(
    tenant_id: uuid.UUID,
    data: tenants.TenantUpdate,
    _admin: AdminDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> tenants.TenantOut:
    """Update a tenant (seed 003); limits take effect on the tenant's next request."""
    return await _update(tenant_id, data, session, resources)


@platform_router.patch("/tenants/{tenant_id}", response_model=tenants.TenantOut)
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


@platform_router.delete("/tenants/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT)
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
    await session.commit()
    for stream in resources.streams.list():
        if stream.tenant_id == tenant_id:
            stream.close("revoked")
    await topics.drop_log_topics(resources.bus, log_topics)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@platform_router.get("/tenants/{tenant_id}/usage")
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
    total: int
    users: list[UserOut]


@platform_router.get("/users", response_model=UserPage)
async def list_users(
    _admin: AdminDep, session: SessionDep, limit: PageLimit = 100, offset: PageOffset = 0
) -> UserPage:
    users = await identity.list_users(session, limit=limit, offset=offset)
    return UserPage(
        total=await identity.count_users(session),
        users=[await identity.user_out(session, u) for u in users],
    )


@platform_router.post("/users/{user_id}/deactivate", response_model=UserOut)
async def deactivate_user(user_id: uuid.UUID, admin: AdminDep, session: SessionDep) -> UserOut:
    """Deactivate a user: tokens and keys stop working, streams close within a second."""
    if user_id == admin.user_id:
        raise ValidationFailed("Use DELETE /auth/me to deactivate your own account")
    user = await identity.find_user(session, user_id)
    if user is None:
        raise NotFound("User not found")
    await identity.deactivate_user(session, user)
    return await identity.user_out(session, user)
