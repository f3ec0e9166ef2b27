"""Daily usage counters per scope (user, project, tenant, cluster), UTC days.

The live counters are kept in memory or Redis by ``topichub.limits.quota``; this table is
their durable copy, written in batches with absolute values (never per message).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, UUIDPrimaryKey
from topichub.kit.time import utcnow

USAGE_SCOPES = ("user", "project", "tenant", "cluster")
CLUSTER_SCOPE_ID = "*"


class UsageCounter(UUIDPrimaryKey, Base):
    __tablename__ = "usage_counters"
    __table_args__ = (
        UniqueConstraint("scope", "scope_id", "day"),
        CheckConstraint("scope IN ('user', 'project', 'tenant', 'cluster')", name="scope"),
    )

    scope: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    messages_in: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)
    messages_out: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_out: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
