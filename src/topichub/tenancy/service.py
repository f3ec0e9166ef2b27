"""Tenancy rules. Services never commit: the request owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.errors import Conflict, NotFound
from topichub.identity.principal import Permission, Principal
from topichub.models import Membership, Project, Role, Tenant, User
from topichub.tenancy.repository import TenancyRepository
from topichub.tenancy.schemas import ProjectCreate, ProjectUpdate

DEFAULT_PROJECT_NAME = "default"
MAX_PROJECTS_PER_TENANT = 100


async def create_personal_tenant(session: AsyncSession, user: User, label: str) -> Project:
    """A new user's own tenant, with them as owner and a default project."""
    repo = TenancyRepository(session)
    tenant = Tenant(name=label)
    await repo.add(tenant)
    project = Project(tenant_id=tenant.id, name=DEFAULT_PROJECT_NAME, is_default=True)
    await repo.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role.owner), project)
    user.default_tenant_id = tenant.id
    return project


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await TenancyRepository(session).get_tenant(tenant_id)


async def default_project(session: AsyncSession, tenant_id: uuid.UUID) -> Project:
    project = await TenancyRepository(session).default_project(tenant_id)
    if project is None:
        raise NotFound("The tenant has no default project")
    return project


async def list_projects(session: AsyncSession, principal: Principal) -> Sequence[Project]:
    principal.require(Permission.read)
    return await TenancyRepository(session).list_projects(principal.tenant_id, principal.project_id)


async def get_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> Project:
    principal.require(Permission.read)
    project = await TenancyRepository(session).get_project(
        principal.tenant_id, project_id, only=principal.project_id
    )
    if project is None:
        raise NotFound("Project not found")
    return project


async def resolve_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID | None
) -> Project:
    """The project a request acts on: the given one, the API key's own, or the default."""
    if project_id is not None:
        return await get_project(session, principal, project_id)
    if principal.project_id is not None:
        return await get_project(session, principal, principal.project_id)
    return await default_project(session, principal.tenant_id)


async def create_project(
    session: AsyncSession, principal: Principal, data: ProjectCreate
) -> Project:
    principal.require(Permission.admin)
    if principal.is_key:
        # A key is confined to its project; it cannot widen its own reach.
        principal.require_user()
    repo = TenancyRepository(session)
    if await repo.get_project_by_name(principal.tenant_id, data.name) is not None:
        raise Conflict(f"A project named '{data.name}' already exists")
    if await repo.count_projects(principal.tenant_id) >= MAX_PROJECTS_PER_TENANT:
        raise Conflict(f"A tenant can have at most {MAX_PROJECTS_PER_TENANT} projects")
    project = Project(tenant_id=principal.tenant_id, name=data.name, description=data.description)
    await repo.add(project)
    return project


async def update_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, data: ProjectUpdate
) -> Project:
    project = await get_project(session, principal, project_id)
    principal.require(Permission.admin)
    repo = TenancyRepository(session)
    if data.name is not None and data.name != project.name:
        if await repo.get_project_by_name(principal.tenant_id, data.name) is not None:
            raise Conflict(f"A project named '{data.name}' already exists")
        project.name = data.name
    if "description" in data.model_fields_set:
        project.description = data.description
    await session.flush()
    return project


async def delete_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> Project:
    project = await get_project(session, principal, project_id)
    principal.require(Permission.admin)
    principal.require_user()
    if project.is_default:
        raise Conflict("The default project cannot be deleted")
    await TenancyRepository(session).delete(project)
    return project
