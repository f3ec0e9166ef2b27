from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.repository import scoped
from topichub.models import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def by_lookup(self, lookup: str) -> ApiKey | None:
        return await self.session.scalar(select(ApiKey).where(ApiKey.lookup == lookup))

    async def list(self, tenant_id: uuid.UUID, project_id: uuid.UUID | None) -> Sequence[ApiKey]:
        statement = scoped(select(ApiKey), ApiKey, tenant_id=tenant_id, project_id=project_id)
        return (await self.session.scalars(statement.order_by(ApiKey.created_at, ApiKey.id))).all()

    async def get(
        self, tenant_id: uuid.UUID, key_id: uuid.UUID, project_id: uuid.UUID | None
    ) -> ApiKey | None:
        statement = scoped(select(ApiKey), ApiKey, tenant_id=tenant_id, project_id=project_id)
        return await self.session.scalar(statement.where(ApiKey.id == key_id))

    async def revoke_created_by(self, user_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(
            update(ApiKey)
            .where(ApiKey.created_by == user_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=when)
        )

    async def touch(self, key_id: uuid.UUID, when: datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when)
        )

    async def active_ids(self, key_ids: Sequence[uuid.UUID], now: datetime) -> set[uuid.UUID]:
        rows = await self.session.scalars(
            select(ApiKey.id).where(
                ApiKey.id.in_(key_ids),
                ApiKey.revoked_at.is_(None),
            )
        )
        return set(rows.all())
