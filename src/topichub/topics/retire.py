"""Retiring topics: what deleting a topic, a project or a tenant does once the registry
rows are deleted in the request's session. One sequence for the three endpoints: commit
first (a failure afterwards must not bring the rows back), then close the streams open
on those topics, then drop the logs (best effort: a log name is never reused)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus import EventBus
from topichub.topics.service import drop_log_topics
from topichub.topics.stream.frames import CloseReason
from topichub.topics.stream.registry import StreamRegistry


async def retire_topics(
    session: AsyncSession,
    streams: StreamRegistry,
    bus: EventBus,
    log_topics: Collection[str],
    *,
    tenant_id: uuid.UUID | None = None,
) -> None:
    """Commit ``session``, close the streams on ``log_topics`` (``topic_deleted``) — or,
    when a whole tenant goes, every stream of ``tenant_id`` (``revoked``: its credentials
    are gone too) — and drop the log topics."""
    await session.commit()
    for stream in streams.list():
        if tenant_id is not None and stream.tenant_id == tenant_id:
            stream.close(CloseReason.REVOKED)
        elif stream.topic in log_topics:
            stream.close(CloseReason.TOPIC_DELETED)
    await drop_log_topics(bus, list(log_topics))
