"""``GET /api/v1/events``: the stored app events (seed 004's event log, made general)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from topichub.audit import service
from topichub.audit.schemas import EventPage
from topichub.dependencies import SessionDep
from topichub.identity.dependencies import PrincipalDep

router = APIRouter(tags=["events"])

_PRINTABLE = r"^[^\x00-\x1f]+$"


@router.get("/events", summary="List my tenant's app events", response_model=EventPage)
async def list_events(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    topic: Annotated[str | None, Query(min_length=1, max_length=100, pattern=_PRINTABLE)] = None,
    event_type: Annotated[
        str | None,
        Query(
            alias="type",
            min_length=1,
            max_length=64,
            pattern=_PRINTABLE,
            description="e.g. todo_created",
        ),
    ] = None,
    all_tenants: Annotated[
        bool, Query(alias="all", description="Every tenant's events (platform admins only)")
    ] = False,
) -> EventPage:
    """App events (todos, chat, math …) of your tenant, newest first, as the audit consumer
    stored them: each event once, whatever the number of deliveries."""
    return await service.list_events(
        session,
        principal,
        topic=topic,
        event_type=event_type,
        limit=limit,
        offset=offset,
        everything=all_tenants,
    )
