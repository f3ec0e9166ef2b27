from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps, UUIDPrimaryKey


class TopicKind(StrEnum):
    user = "user"
    """Created by a user (or at signup): ``events`` and anything from the topics API."""
    app = "app"
    """Fed by a built-in app through the outbox (todos, chat, logs, interactions)."""


class Topic(UUIDPrimaryKey, Timestamps, Base):
    """A logical topic of a project. Its log name (``physical_name``) is derived from its
    id, never from user text, so equal names in two tenants never meet."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    physical_name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default=TopicKind.user.value)
    partitions: Mapped[int] = mapped_column(default=1)
    partitioner: Mapped[str] = mapped_column(
        String(24), default="murmur2", server_default="murmur2"
    )
    """A ``topichub.bus.partitioner.KeyHash``: where keys published over HTTP land."""
    retention_ms: Mapped[int | None] = mapped_column(BigInteger)
    retention_bytes: Mapped[int | None] = mapped_column(BigInteger)
    schema_version: Mapped[int | None]
    """The ``TopicSchema`` version publishes are checked against; null: no schema."""
