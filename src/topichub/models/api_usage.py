from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, UUIDPrimaryKey


class ApiUsage(UUIDPrimaryKey, Base):
    """Per tenant and UTC day: API calls and what they did (seed 003's usage). Written
    by ``limits.metering`` with additive upserts, so every process can flush its own
    counts without coordination."""

    __tablename__ = "api_usage"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    api_calls: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(BigInteger, default=0)
    """Answers 5xx (the server's fault)."""
    client_errors: Mapped[int] = mapped_column(BigInteger, default=0)
    """Answers 4xx to an identified tenant: refused credentials' scope, limits, bad input."""
    streams: Mapped[int] = mapped_column(BigInteger, default=0)
    """Streams opened (SSE and WebSocket): counted as calls, kept out of the latency."""
    latency_ms_total: Mapped[int] = mapped_column(BigInteger, default=0)
    recommendations: Mapped[int] = mapped_column(BigInteger, default=0)
    items_indexed: Mapped[int] = mapped_column(BigInteger, default=0)
