"""SQL of the recommender: every statement is scoped to one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from topichub.kit.db import upsert
from topichub.kit.repository import scoped
from topichub.models import RecommendInteraction, RecommendItem, Topic

ItemRow = Row[str, str, str | None, str | None, list[str]]
"""``item_id, title, description, category, tags``."""
InteractionRow = Row[uuid.UUID, str, str, str, float]
"""``event_id, user_id, item_id, type, weight``."""
CatalogStamp = tuple[int, datetime | None]
"""How many items a tenant has and when the last one changed."""

_ITEM_COLUMNS = (
    RecommendItem.item_id,
    RecommendItem.title,
    RecommendItem.description,
    RecommendItem.category,
    RecommendItem.tags,
)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed (never on
    rollback). It runs inside ``commit()``, so it must be quick and must not raise."""

    def fire(_session: Session) -> None:
        callback()

    sa_event.listen(session.sync_session, "after_commit", fire, once=True)


class RecommendRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def existing_item_ids(self, tenant_id: uuid.UUID, item_ids: Sequence[str]) -> set[str]:
        statement = scoped(select(RecommendItem.item_id), RecommendItem, tenant_id=tenant_id)
        rows = await self.session.scalars(statement.where(RecommendItem.item_id.in_(item_ids)))
        return set(rows.all())

    async def upsert_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert the items, or replace those whose ``(tenant_id, item_id)`` exists
        (``created_at`` and ``id`` of a replaced item stay)."""
        if not rows:
            return
        statement = upsert(self.session, RecommendItem).values(list(rows))
        replaced = ("title", "description", "category", "tags", "metadata", "updated_at")
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", "item_id"],
            set_={name: statement.excluded[name] for name in replaced},
        )
        await self.session.execute(statement)

    async def add_interactions(self, rows: Sequence[RecommendInteraction]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def catalog(self, tenant_id: uuid.UUID) -> Sequence[ItemRow]:
        statement = scoped(select(*_ITEM_COLUMNS), RecommendItem, tenant_id=tenant_id)
        result = await self.session.execute(statement.order_by(RecommendItem.item_id))
        return result.all()

    async def items_changed_since(
        self, tenant_id: uuid.UUID, moment: datetime
    ) -> Sequence[ItemRow]:
        statement = scoped(select(*_ITEM_COLUMNS), RecommendItem, tenant_id=tenant_id)
        result = await self.session.execute(
            statement.where(RecommendItem.updated_at >= moment).order_by(RecommendItem.item_id)
        )
        return result.all()

    async def catalog_stamp(self, tenant_id: uuid.UUID) -> CatalogStamp:
        statement = scoped(
            select(func.count(), func.max(RecommendItem.updated_at)),
            RecommendItem,
            tenant_id=tenant_id,
        )
        count, latest = (await self.session.execute(statement)).one()
        return int(count), latest

    async def interactions(self, tenant_id: uuid.UUID) -> Sequence[InteractionRow]:
        """Every interaction of the tenant, oldest first: what a cold model is built from."""
        statement = scoped(
            select(
                RecommendInteraction.event_id,
                RecommendInteraction.user_id,
                RecommendInteraction.item_id,
                RecommendInteraction.type,
                RecommendInteraction.weight,
            ),
            RecommendInteraction,
            tenant_id=tenant_id,
        )
        result = await self.session.execute(
            statement.order_by(RecommendInteraction.occurred_at, RecommendInteraction.id)
        )
        return result.all()

    async def topic_tenant(self, physical_name: str) -> uuid.UUID | None:
        """The tenant owning a log topic, from the registry (None once deleted)."""
        return await self.session.scalar(
            select(Topic.tenant_id).where(Topic.physical_name == physical_name)
        )
