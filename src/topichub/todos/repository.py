from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.repository import scoped
from topichub.models import Todo


class TodoRepository:
    """Every query is scoped to a tenant and an owner: another owner's todo is not found."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, todo: Todo) -> None:
        self.session.add(todo)
        await self.session.flush()

    async def get(self, tenant_id: uuid.UUID, owner_id: uuid.UUID, todo_id: int) -> Todo | None:
        statement = scoped(select(Todo), Todo, tenant_id=tenant_id)
        return await self.session.scalar(
            statement.where(Todo.owner_id == owner_id, Todo.id == todo_id)
        )

    async def page(
        self,
        tenant_id: uuid.UUID,
        owner_id: uuid.UUID,
        *,
        completed: bool | None,
        limit: int,
        offset: int,
    ) -> Sequence[Todo]:
        statement = scoped(select(Todo), Todo, tenant_id=tenant_id).where(Todo.owner_id == owner_id)
        if completed is not None:
            statement = statement.where(Todo.completed == completed)
        statement = statement.order_by(Todo.id).limit(limit).offset(offset)
        return (await self.session.scalars(statement)).all()

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, todo: Todo) -> None:
        await self.session.delete(todo)
        await self.session.flush()
