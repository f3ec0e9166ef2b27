from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.repository import scoped
from topichub.models import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def list(self, tenant_id: uuid.UUID, project_id: uuid.UUID | None) -> Sequence[ApiKey]:
        statement = scoped(select(ApiKey), ApiKey, tenant_id=tenant_id, project_id=project_id)
        return (await self.session.scalars(statement.order_by(ApiKey.created_at, ApiKey.id))).all()

    async def get(
        self, tenant_id: uuid.UUID, key_id: uuid.UUID, project_id: uuid.UUID | None
    ) -> ApiKey | None:
        statement = scoped(select(ApiKey), ApiKey, tenant_id=tenant_id, project_id=project_id)
        return await self.session.scalar(statement.where(ApiKey.id == key_id))
