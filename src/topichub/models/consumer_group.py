"""Consumer groups over HTTP (``topichub.groups``): their settings, leases, committed
offsets and nack attempts, shared by every process through the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps, UUIDPrimaryKey


class ConsumerGroup(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "consumer_groups"
    __table_args__ = (UniqueConstraint("topic_id", "name"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    topic_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    lease_ms: Mapped[int] = mapped_column(Integer, default=30_000)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    retry_delay_ms: Mapped[int] = mapped_column(Integer, default=1_000)


class ConsumerGroupPartition(Base):
    """A partition's position in a group and who holds it. ``generation`` grows with
    every change of holder (or reset): a read made under an older generation is dropped."""

    __tablename__ = "consumer_group_partitions"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consumer_groups.id", ondelete="CASCADE"), primary_key=True
    )
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    committed: Mapped[int] = mapped_column(BigInteger, default=0)
    """The next offset the group has not handled."""
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    """The next offset to hand out under the current lease."""
    member: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    paused_until: Mapped[datetime | None] = mapped_column()


class ConsumerGroupMember(Base):
    __tablename__ = "consumer_group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consumer_groups.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column()


class ConsumerGroupAttempt(Base):
    """Nacks of one record; ``dead`` once it went to the dead-letter topic."""

    __tablename__ = "consumer_group_attempts"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consumer_groups.id", ondelete="CASCADE"), primary_key=True
    )
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    dead: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(1024))
