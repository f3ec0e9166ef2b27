from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.repository import scoped
from topichub.models import Calculation


class CalculationRepository:
    """Scoped to tenant and user: another user's calculation is not found."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, calculation: Calculation) -> None:
        self.session.add(calculation)
        await self.session.flush()

    async def page(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, *, limit: int, offset: int
    ) -> Sequence[Calculation]:
        statement = (
            scoped(select(Calculation), Calculation, tenant_id=tenant_id)
            .where(Calculation.user_id == user_id)
            .order_by(Calculation.created_at.desc(), Calculation.id)
            .limit(limit)
            .offset(offset)
        )
        return (await self.session.scalars(statement)).all()

    async def get(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, calculation_id: uuid.UUID
    ) -> Calculation | None:
        statement = scoped(select(Calculation), Calculation, tenant_id=tenant_id)
        return await self.session.scalar(
            statement.where(Calculation.user_id == user_id, Calculation.id == calculation_id)
        )

    async def delete(self, calculation: Calculation) -> None:
        await self.session.delete(calculation)
        await self.session.flush()
