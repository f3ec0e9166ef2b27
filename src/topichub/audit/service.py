"""Reading the event log. Services never commit: the request does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.audit.repository import AuditRepository
from topichub.audit.schemas import EventOut, EventPage
from topichub.identity.principal import Permission, Principal
from topichub.models import EventLogEntry


def to_out(entry: EventLogEntry) -> EventOut:
    return EventOut(
        event_id=entry.event_id,
        type=entry.event_type,
        topic=entry.topic,
        key=entry.key,
        project_id=entry.project_id,
        actor_id=entry.actor_id,
        payload=entry.payload,
        occurred_at=entry.occurred_at,
        stored_at=entry.stored_at,
    )


async def list_events(
    session: AsyncSession,
    principal: Principal,
    *,
    topic: str | None,
    event_type: str | None,
    limit: int,
    offset: int,
    everything: bool,
) -> EventPage:
    """The caller's tenant's events, newest first (an API key: its project's only).
    ``everything`` (platform admins only) reads every tenant's."""
    principal.require(Permission.read)
    if everything:
        principal.require_platform_admin()
    rows = await AuditRepository(session).page(
        tenant_id=None if everything else principal.tenant_id,
        project_id=None if everything else principal.project_id,
        topic=topic,
        event_type=event_type,
        limit=limit + 1,
        offset=offset,
    )
    return EventPage(
        items=[to_out(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        has_more=len(rows) > limit,
    )
