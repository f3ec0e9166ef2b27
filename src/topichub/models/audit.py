"""What the audit consumer stores: every app event once, and what it could not parse.

No foreign keys: an audit record outlives the rows it mentions, and a consumer must never
be stuck on a constraint a message cannot satisfy.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, UUIDPrimaryKey
from topichub.kit.time import utcnow


class EventLogEntry(UUIDPrimaryKey, Base):
    __tablename__ = "event_log"
    __table_args__ = (
        # GET /events: a tenant's events, newest first.
        Index("ix_event_log_tenant_id_occurred_at", "tenant_id", "occurred_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column()
    project_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    topic: Mapped[str] = mapped_column(String(100))
    physical_topic: Mapped[str] = mapped_column(String(249))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column()
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadLetter(UUIDPrimaryKey, Base):
    """A record the audit consumer could not store, kept byte for byte with the reason."""

    __tablename__ = "dead_letters"
    __table_args__ = (UniqueConstraint("topic", "partition", "offset"),)

    consumer: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(249))
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
