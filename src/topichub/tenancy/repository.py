from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.repository import scoped
from topichub.models import Membership, Project, Tenant


class TenancyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *objects: object) -> None:
        self.session.add_all(objects)
        await self.session.flush()

    async def get_tenant(self, tenant_id: uuid.UUID) -> Tenant | None:
        return await self.session.get(Tenant, tenant_id)

    async def list_projects(
        self, tenant_id: uuid.UUID, project_id: uuid.UUID | None
    ) -> Sequence[Project]:
        statement = scoped(
            select(Project), Project, tenant_id=tenant_id, project_id=project_id
        ).order_by(Project.created_at, Project.id)
        return (await self.session.scalars(statement)).all()

    async def get_project(
        self, tenant_id: uuid.UUID, project_id: uuid.UUID, *, only: uuid.UUID | None = None
    ) -> Project | None:
        statement = scoped(select(Project), Project, tenant_id=tenant_id, project_id=only).where(
            Project.id == project_id
        )
        return await self.session.scalar(statement)

    async def get_project_by_name(self, tenant_id: uuid.UUID, name: str) -> Project | None:
        return await self.session.scalar(
            select(Project).where(Project.tenant_id == tenant_id, Project.name == name)
        )

    async def default_project(self, tenant_id: uuid.UUID) -> Project | None:
        return await self.session.scalar(
            select(Project).where(Project.tenant_id == tenant_id, Project.is_default.is_(True))
        )

    async def count_projects(self, tenant_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Project).where(Project.tenant_id == tenant_id)
        )
        return int(count or 0)

    async def delete(self, obj: object) -> None:
        await self.session.delete(obj)
        await self.session.flush()

    async def list_tenants(self, *, limit: int, offset: int) -> Sequence[Tenant]:
        statement = select(Tenant).order_by(Tenant.created_at, Tenant.id)
        return (await self.session.scalars(statement.limit(limit).offset(offset))).all()

    async def count_tenants(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Tenant)) or 0)

    async def member_count(self, tenant_id: uuid.UUID) -> int:
        statement = select(func.count()).select_from(Membership)
        return int(
            await self.session.scalar(statement.where(Membership.tenant_id == tenant_id)) or 0
        )

    async def all_project_ids(self, tenant_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(select(Project.id).where(Project.tenant_id == tenant_id))
        return list(rows.all())
