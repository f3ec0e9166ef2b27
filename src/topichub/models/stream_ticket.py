from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base


class StreamTicket(Base):
    """A stream ticket that has been used, so it is refused again after a restart too.

    ``stream`` binds a resumable (SSE) ticket to the one stream it opened: the browser's
    ``EventSource`` may re-send the ticket to resume that stream until ``expires_at``,
    which the open stream keeps pushing forward. Rows past ``expires_at`` are deleted."""

    __tablename__ = "stream_tickets"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
