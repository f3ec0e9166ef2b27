"""The transactional outbox: domain events written in the same transaction as the change
that causes them, relayed to the bus afterwards (``topichub.events.outbox``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base
from topichub.kit.time import utcnow

SERIAL = BigInteger().with_variant(Integer(), "sqlite")
"""An autoincrementing 64-bit key (SQLite only autoincrements INTEGER PRIMARY KEY)."""


class OutboxEvent(Base):
    """One pending or relayed event. ``seq`` is the relay order; ``event_id`` is the id
    every consumer de-duplicates by. ``fanout_topic`` names a platform topic that gets a
    copy (chat's live delivery across processes)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The relay's scan (pending rows in order) and the clean-up of relayed rows.
        Index("ix_outbox_sent_at_seq", "sent_at", "seq"),
    )

    seq: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    topic: Mapped[str] = mapped_column(String(100))
    """The logical topic name (``todos``, ``chat``, ``logs``)."""
    physical_topic: Mapped[str] = mapped_column(String(249))
    fanout_topic: Mapped[str | None] = mapped_column(String(249))
    event_type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
