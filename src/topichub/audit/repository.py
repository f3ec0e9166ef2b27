from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.kit.db import upsert
from topichub.kit.repository import scoped
from topichub.models import DeadLetter, EventLogEntry, Topic


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert, ignoring events already stored (redelivery is normal: at-least-once)."""
        if rows:
            statement = upsert(self.session, EventLogEntry).on_conflict_do_nothing(
                index_elements=["event_id"]
            )
            await self.session.execute(statement, list(rows))

    async def add_dead_letters(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            statement = upsert(self.session, DeadLetter).on_conflict_do_nothing(
                index_elements=["topic", "partition", "offset"]
            )
            await self.session.execute(statement, list(rows))

    async def topic_owner(self, physical: str) -> tuple[uuid.UUID, uuid.UUID, str] | None:
        row = (
            await self.session.execute(
                select(Topic.tenant_id, Topic.project_id, Topic.name).where(
                    Topic.physical_name == physical
                )
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def page(
        self,
        *,
        tenant_id: uuid.UUID | None,
        project_id: uuid.UUID | None,
        topic: str | None,
        event_type: str | None,
        limit: int,
        offset: int,
    ) -> Sequence[EventLogEntry]:
        statement = select(EventLogEntry)
        if tenant_id is not None:
            statement = scoped(statement, EventLogEntry, tenant_id=tenant_id, project_id=project_id)
        if topic is not None:
            statement = statement.where(EventLogEntry.topic == topic)
        if event_type is not None:
            statement = statement.where(EventLogEntry.event_type == event_type)
        statement = (
            statement.order_by(EventLogEntry.occurred_at.desc(), EventLogEntry.event_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return (await self.session.scalars(statement)).all()

    async def dead_letters(self, limit: int) -> Sequence[DeadLetter]:
        statement = select(DeadLetter).order_by(DeadLetter.created_at.desc()).limit(limit)
        return (await self.session.scalars(statement)).all()
