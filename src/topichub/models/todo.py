"""Seed 001's todos, per owner."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps
from topichub.models.outbox import SERIAL


class Todo(Timestamps, Base):
    """Integer ids as the seed has; every lookup is scoped to tenant and owner, so another
    owner's id is simply not found."""

    __tablename__ = "todos"
    __table_args__ = (Index("ix_todos_tenant_id_owner_id_id", "tenant_id", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    completed: Mapped[bool] = mapped_column(default=False)
