from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, UUIDPrimaryKey
from topichub.kit.time import utcnow


class TopicSchema(UUIDPrimaryKey, Base):
    """One version of a topic's JSON Schema. Versions are never changed or reused: a
    stored message's ``topichub-schema-version`` header names the row it was checked
    against. The topic's ``schema_version`` says which one is in force (none: null)."""

    __tablename__ = "topic_schemas"
    __table_args__ = (UniqueConstraint("topic_id", "version"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    version: Mapped[int]
    document: Mapped[str] = mapped_column(Text)
    """The schema as compact JSON, exactly as accepted."""
    forced: Mapped[bool] = mapped_column(default=False)
    """Set with ``?force=true`` over a version it could not be shown to accept all of."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
