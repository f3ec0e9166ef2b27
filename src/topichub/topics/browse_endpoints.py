"""Looking inside a topic without a live stream: the message browser and statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.dependencies import ResourcesDep, SessionDep
from topichub.errors import QuotaExceeded, ValidationFailed
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.principal import Permission
from topichub.limits.enforce import plan_for
from topichub.metrics import RATE_LIMITED
from topichub.resources import Resources
from topichub.topics import browse, service, stats
from topichub.topics.browse_schemas import (
    MessagePage,
    PartitionStatsOut,
    TopicStatsOut,
)
from topichub.topics.stream.cursor import CursorError, decode_cursor
from topichub.topics.stream.frames import event_payload, record_size
from topichub.topics.traffic import TRAFFIC

router = APIRouter(tags=["topics"])

ProjectQuery = Annotated[uuid.UUID | None, Query()]
MAX_KEY_LENGTH = 1024


def _invalid(field: str, message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "reason": reason}])


def _ms(field: str, moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise _invalid(
            field, f"{field} needs a timezone, e.g. 2026-01-01T00:00:00Z", "timezone required"
        )
    try:
        return int(moment.timestamp() * 1000)
    except (OverflowError, OSError, ValueError) as exc:
        raise _invalid(field, f"{field} is out of range", "out of range") from exc


def _message(record: Any) -> dict[str, Any]:
    try:
        payload = event_payload(record)
    except (ValueError, OverflowError, OSError):
        # A timestamp no datetime holds: announce the record by its position, as streams do.
        payload = {
            "partition": record.partition,
            "offset": record.offset,
            "timestamp": None,
            "key": None,
            "headers": {},
            "value": None,
            "undecodable": True,
        }
    payload["size"] = record_size(record)
    return payload


@router.get(
    "/topics/{name}/messages", summary="Browse a topic's messages", response_model=MessagePage
)
async def browse_messages(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    partition: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    offset: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="First offset to show (needs partition)")
    ] = None,
    since: Annotated[datetime | None, Query(description="ISO-8601; records at or after")] = None,
    until: Annotated[datetime | None, Query(description="ISO-8601; records at or before")] = None,
    key: Annotated[str | None, Query(max_length=MAX_KEY_LENGTH, description="Exact key")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="desc = newest first")] = "asc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=4096, description="The `next` of the previous page")
    ] = None,
    project_id: ProjectQuery = None,
) -> dict[str, Any]:
    """A page of the topic's log, oldest first (`order=asc`) or newest first (`desc`),
    filtered by partition, starting offset, time range and exact key. Follow `next` (send
    the same parameters plus `cursor=<next>`; the cursor replaces the starting offset)
    to page on; it is null at the end. Messages
    shown count against the daily outbound quota, as a stream's do."""
    principal.require(Permission.read)
    topic = await service.get_topic(session, principal, name, project_id)
    since_ms, until_ms = _ms("since", since), _ms("until", until)
    if since_ms is not None and until_ms is not None and since_ms > until_ms:
        raise _invalid("until", "until is before since", "until before since")
    if partition is not None and partition >= topic.partitions:
        raise _invalid(
            "partition",
            f"Topic '{topic.name}' has {topic.partitions} partition(s)",
            "partition out of range",
        )
    if offset is not None and partition is None:
        raise _invalid("offset", "offset needs a partition", "partition required")
    positions = None
    if cursor is not None:
        try:
            positions = decode_cursor(cursor)
        except CursorError as exc:
            raise _invalid("cursor", f"Invalid cursor: {exc}", str(exc)) from exc
        if any(p >= topic.partitions for p in positions):
            raise _invalid(
                "cursor",
                "Invalid cursor: it names a partition this topic does not have",
                "partition out of range",
            )
    query = browse.Query(
        partitions=[partition] if partition is not None else list(range(topic.partitions)),
        order=order,
        limit=limit,
        key=key.encode() if key is not None else None,
        since_ms=since_ms,
        until_ms=until_ms,
        offset=offset,
        cursor=positions,
    )
    plan = await plan_for(session, resources, principal)
    physical, project = topic.physical_name, str(topic.project_id)
    # No pooled connection is held while the log and the quota counters are asked.
    await session.commit()
    holder, tenant = principal.quota_holder, str(principal.tenant_id)
    remaining = await resources.quotas.remaining_out(holder, project, plan.quotas, tenant_id=tenant)
    if remaining.exhausted:
        RATE_LIMITED.labels("quota").inc()
        raise QuotaExceeded("Daily outbound quota exhausted; browsing resumes tomorrow (UTC)")
    try:
        page = await browse.read_page(resources.bus, physical, query)
    except BusTopicNotFound:
        # Registered but not (yet) in the log: nothing was ever published to it.
        return {"messages": [], "next": None}
    if page.records:
        shown = sum(record_size(r) for r in page.records)
        TRAFFIC.record_out(physical, len(page.records), shown)
        await resources.quotas.consume_out(
            holder,
            project,
            len(page.records),
            shown,
            plan.quotas,
            tenant_id=tenant,
        )
    return {
        "messages": [_message(r) for r in page.records],
        "next": browse.encode_next(page.next),
    }


@router.get("/topics/{name}/stats", summary="A topic's statistics", response_model=TopicStatsOut)
async def topic_stats(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> TopicStatsOut:
    """Offsets per partition, messages retained, the last message's time, messages and
    bytes in and out over the last minute and hour, open streams, and bytes retained
    where the engine can tell cheaply. The log's figures may be up to 2 s old; see
    docs/browse-and-stats.md for how each figure is computed."""
    principal.require(Permission.read)
    topic = await service.get_topic(session, principal, name, project_id)
    physical, topic_name, partitions = topic.physical_name, topic.name, topic.partitions
    # The bus needs connections of its own: hold none of the pool while it answers.
    await session.commit()
    open_streams = sum(1 for s in resources.streams.list() if s.topic == physical)
    figures = await stats.topic_stats(
        resources.bus, physical, partitions, stats_sessions(resources)
    )
    minute, hour = figures.last_minute, figures.last_hour
    return TopicStatsOut(
        topic=topic_name,
        partitions=[
            PartitionStatsOut(
                partition=p.partition,
                earliest_offset=p.earliest_offset,
                next_offset=p.next_offset,
                messages=p.messages,
            )
            for p in figures.log.partitions
        ],
        messages_retained=figures.messages,
        bytes_retained=figures.log.bytes_retained,
        last_message_at=moment(figures.log.last_message_ms),
        messages_last_minute=minute.messages_in,
        messages_last_hour=hour.messages_in,
        bytes_last_minute=minute.bytes_in,
        bytes_last_hour=hour.bytes_in,
        messages_out_last_minute=minute.messages_out,
        messages_out_last_hour=hour.messages_out,
        bytes_out_last_minute=minute.bytes_out,
        bytes_out_last_hour=hour.bytes_out,
        open_streams=open_streams,
    )


def stats_sessions(resources: Resources) -> async_sessionmaker[AsyncSession] | None:
    """Where the embedded log's size is asked (it lives in the app's database)."""
    return resources.sessionmaker if resources.bus.name == "embedded" else None


def moment(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None  # a producer's timestamp no datetime holds
