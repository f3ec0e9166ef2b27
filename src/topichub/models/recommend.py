"""Seed 003's recommender data: each tenant's item catalog and its end users'
interactions with those items (the tenant's own user ids, not topichub accounts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps, UUIDPrimaryKey
from topichub.kit.time import utcnow


class RecommendItem(UUIDPrimaryKey, Timestamps, Base):
    """A catalog item, upserted by its ``item_id`` (unique per tenant)."""

    __tablename__ = "recommend_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "item_id"),
        # The catalog freshness check: what changed since a moment, per tenant.
        Index("ix_recommend_items_tenant_id_updated_at", "tenant_id", "updated_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(String(2048))
    category: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    attributes: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    """The client's free-form ``metadata`` (``metadata`` is taken on declarative models)."""


class RecommendInteraction(UUIDPrimaryKey, Base):
    """One interaction; ``id`` is the ``interaction_id`` returned to the client and
    ``event_id`` the id of its event on the tenant's ``interactions`` topic."""

    __tablename__ = "recommend_interactions"
    __table_args__ = (Index("ix_recommend_interactions_tenant_id_user_id", "tenant_id", "user_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(128))
    item_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Double)
    value: Mapped[float | None] = mapped_column(Double)
    occurred_at: Mapped[datetime] = mapped_column()
    """When it happened: the client's ``timestamp``, else the time it was received."""
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
