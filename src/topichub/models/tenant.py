from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps, UUIDPrimaryKey


class Tenant(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(32), default="free")
    is_active: Mapped[bool] = mapped_column(default=True)
    rate_limits: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Per-tenant overrides of the plan's rate limits; None uses the plan."""
    quotas: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Per-tenant overrides of the plan's quotas; None uses the plan."""
