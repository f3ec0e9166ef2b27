from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.repository import scoped
from topichub.models import Topic
from topichub.models.topic import TopicKind


class TopicRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, topic: Topic) -> None:
        self.session.add(topic)
        await self.session.flush()

    async def by_name(self, tenant_id: uuid.UUID, project_id: uuid.UUID, name: str) -> Topic | None:
        if "\x00" in name:
            return None  # no topic name has one, and PostgreSQL refuses it in a query
        statement = scoped(select(Topic), Topic, tenant_id=tenant_id, project_id=project_id)
        return await self.session.scalar(statement.where(Topic.name == name))

    async def in_project(self, tenant_id: uuid.UUID, project_id: uuid.UUID) -> Sequence[Topic]:
        statement = scoped(select(Topic), Topic, tenant_id=tenant_id, project_id=project_id)
        return (await self.session.scalars(statement.order_by(Topic.name))).all()

    async def count_user_topics(self, project_id: uuid.UUID) -> int:
        """The topics a user created: the apps' topics do not take their places."""
        statement = (
            select(func.count())
            .select_from(Topic)
            .where(Topic.project_id == project_id, Topic.kind == TopicKind.user.value)
        )
        return int(await self.session.scalar(statement) or 0)

    async def physical_names_of_project(self, project_id: uuid.UUID) -> list[str]:
        rows = await self.session.scalars(
            select(Topic.physical_name).where(Topic.project_id == project_id)
        )
        return list(rows.all())

    async def rename(self, topic: Topic, name: str) -> bool:
        """False when another topic of the project took ``name`` first (the unique
        constraint decides a race); the transaction is then unusable and must end."""
        topic.name = name
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def delete(self, topic: Topic) -> None:
        await self.session.delete(topic)
        await self.session.flush()
