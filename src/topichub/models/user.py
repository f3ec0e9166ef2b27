from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps, UUIDPrimaryKey


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    # "Alice" beside "alice" in a chat is impersonation: the database refuses it, so two
    # registrations racing past the service's check cannot both win.
    __table_args__ = (Index("uq_users_username_lower", func.lower("username"), unique=True),)

    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    """Lower-cased; None for users who registered with a username only (seeds 001, 004)."""
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    default_tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL")
    )
    token_version: Mapped[int] = mapped_column(default=0)
    """Carried in every access token as ``ver``; bumping it (password change,
    deactivation) invalidates every access token issued before."""
    deactivated_at: Mapped[datetime | None] = mapped_column()
