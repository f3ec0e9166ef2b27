"""Seed 004's per-user history of math operations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, ExactJSON, UUIDPrimaryKey
from topichub.kit.time import utcnow


class Calculation(UUIDPrimaryKey, Base):
    """One call of ``/math/{operation}``, written with its ``logs`` event. ``inputs`` and
    ``result`` are JSON so exact integers keep every digit (``result`` may be a bare
    integer, which SQLite would turn into a float: ``ExactJSON``)."""

    __tablename__ = "math_calculations"
    __table_args__ = (
        Index(
            "ix_math_calculations_tenant_id_user_id_created_at",
            "tenant_id",
            "user_id",
            "created_at",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    operation: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[Any] = mapped_column(ExactJSON)
    event_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
