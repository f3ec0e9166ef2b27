from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.models import TopicSchema


class TopicSchemaRepository:
    """Versions of topics' schemas. Callers have found the topic through the
    tenant-scoped topic lookup; every statement also carries its ``topic_id``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version(self, topic_id: uuid.UUID, version: int) -> TopicSchema | None:
        return await self.session.scalar(
            select(TopicSchema).where(
                TopicSchema.topic_id == topic_id, TopicSchema.version == version
            )
        )

    async def versions(self, topic_id: uuid.UUID) -> Sequence[TopicSchema]:
        statement = (
            select(TopicSchema)
            .where(TopicSchema.topic_id == topic_id)
            .order_by(TopicSchema.version.desc())
        )
        return (await self.session.scalars(statement)).all()

    async def latest_version(self, topic_id: uuid.UUID) -> int:
        statement = select(func.max(TopicSchema.version)).where(TopicSchema.topic_id == topic_id)
        return int(await self.session.scalar(statement) or 0)

    async def add(self, row: TopicSchema) -> None:
        self.session.add(row)
        await self.session.flush()
