"""Consumer groups over HTTP: poll, commit, nack, describe, reset, delete
(docs/groups.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.errors import QuotaExceeded, ValidationFailed
from topichub.groups import service
from topichub.groups.schemas import (
    CommitIn,
    Committed,
    GroupList,
    GroupOut,
    GroupRecord,
    GroupSettingsIn,
    MemberOut,
    Nacked,
    NackIn,
    PartitionOut,
    PollIn,
    PollOut,
    ResetIn,
)
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.principal import Permission, Principal
from topichub.limits.enforce import plan_for
from topichub.metrics import RATE_LIMITED
from topichub.resources import Resources
from topichub.topics import service as topics
from topichub.topics.stream.cursor import CursorError, decode_cursor
from topichub.topics.stream.frames import event_payload, record_size
from topichub.topics.stream.group_hook import GROUP_NAME_PATTERN

router = APIRouter(tags=["groups"])

ProjectQuery = Annotated[uuid.UUID | None, Query()]
GroupName = Annotated[
    str, Path(pattern=GROUP_NAME_PATTERN, max_length=100, description="The group's name")
]


def _cursor(text: str, field: str = "cursor") -> dict[int, int]:
    try:
        return decode_cursor(text)
    except CursorError as exc:
        raise ValidationFailed(
            f"Invalid {field}: {exc}", details=[{"field": field, "reason": str(exc)}]
        ) from exc


def _record(item: service.Delivered) -> GroupRecord:
    record = item.record
    try:
        payload: dict[str, Any] = event_payload(record)
    except (ValueError, OverflowError, OSError):
        payload = {"timestamp": None, "key": None, "headers": {}, "value": None}
        payload["undecodable"] = True
    payload.update(
        partition=record.partition,
        offset=record.offset,
        cursor=f"{record.partition}:{record.offset + 1}",
        attempt=item.attempt,
    )
    return GroupRecord.model_validate(payload)


def _group_out(view: service.GroupView, topic_name: str) -> GroupOut:
    group = view.group
    return GroupOut(
        name=group.name,
        topic=topic_name,
        lease_s=group.lease_ms / 1000,
        max_attempts=group.max_attempts,
        retry_delay_ms=group.retry_delay_ms,
        lag=view.lag,
        members=[
            MemberOut(member=m.member, last_seen_at=m.last_seen_at, partitions=m.partitions)
            for m in view.members
        ],
        partitions=[
            PartitionOut(
                partition=p.partition,
                member=p.member,
                lease_expires_at=p.lease_expires_at,
                committed_offset=p.committed,
                end_offset=p.end,
                lag=p.lag,
                paused_until=p.paused_until,
            )
            for p in view.partitions
        ],
        created_at=group.created_at,
    )


async def _topic(
    session: SessionDep, principal: Principal, name: str, project_id: uuid.UUID | None
) -> topics.TopicRef:
    principal.require(Permission.read)
    return topics.TopicRef.of(await topics.get_topic(session, principal, name, project_id))


async def _hot_topic(
    session: SessionDep,
    resources: Resources,
    principal: Principal,
    name: str,
    project_id: uuid.UUID | None,
) -> topics.TopicRef:
    """The topic for poll, commit and nack (the per-message paths), from the topic cache
    (``topichub.resources.Caches``: a deleted topic may answer until the cache's TTL in
    other processes; its groups went with it, so such a poll finds no group to join)."""
    return await topics.find_topic(session, resources.caches.topics, principal, name, project_id)


@router.post(
    "/topics/{name}/groups/{group}/poll",
    summary="Poll records as a group member",
    response_model=PollOut,
)
async def poll(
    name: str,
    group: GroupName,
    data: PollIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> PollOut:
    """Up to `max` records from the partitions leased to `member`, waiting up to
    `wait_ms` for one. Creates the group (earliest start, default settings) on first
    use. Delivered records count against the daily outbound quota, as a stream's do."""
    topic = await _hot_topic(session, resources, principal, name, project_id)
    plan = await plan_for(session, resources, principal)
    await session.commit()  # no pooled connection held across a long-poll
    holder, tenant, project = (
        principal.quota_holder,
        str(principal.tenant_id),
        str(topic.project_id),
    )
    remaining = await resources.quotas.remaining_out(holder, project, plan.quotas, tenant_id=tenant)
    if remaining.exhausted:
        RATE_LIMITED.labels("quota").inc()
        raise QuotaExceeded("Daily outbound quota exhausted; polling resumes tomorrow (UTC)")
    ref, _ = await service.ensure_group(resources.sessionmaker, resources.bus, topic, group)
    member = data.member or uuid.uuid4().hex
    result = await service.poll(
        resources.sessionmaker,
        resources.bus,
        topic,
        ref,
        member,
        max_records=data.max,
        wait_ms=data.wait_ms,
    )
    if result.records:
        await resources.quotas.consume_out(
            holder,
            project,
            len(result.records),
            sum(record_size(item.record) for item in result.records),
            plan.quotas,
            tenant_id=tenant,
        )
    return PollOut(
        member=member,
        records=[_record(item) for item in result.records],
        cursor=result.cursor,
        partitions=result.partitions,
        lease_expires_at=result.lease_expires_at,
    )


@router.post(
    "/topics/{name}/groups/{group}/commit",
    summary="Commit a group's progress",
    response_model=Committed,
)
async def commit(
    name: str,
    group: GroupName,
    data: CommitIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> Committed:
    """Mark everything before the cursor's positions handled by the group."""
    topic = await _hot_topic(session, resources, principal, name, project_id)
    positions = _cursor(data.cursor)
    ref = await service.find_group(session, topic, group)
    committed = await service.commit(session, resources.bus, topic, ref, positions)
    return Committed(committed={str(p): o for p, o in sorted(committed.items())})


@router.post(
    "/topics/{name}/groups/{group}/nack",
    summary="Nack a record (redeliver it)",
    response_model=Nacked,
)
async def nack(
    name: str,
    group: GroupName,
    data: NackIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> Nacked:
    """Redeliver the record (its partition goes back to it after a delay); after the
    group's `max_attempts` the record goes to `{name}.dlq` and the group moves on."""
    topic = await _hot_topic(session, resources, principal, name, project_id)
    partition, offset = service.single_record(topic, _cursor(data.cursor))
    ref = await service.find_group(session, topic, group)
    await session.commit()
    result = await service.nack(
        resources.sessionmaker, resources.bus, topic, ref, partition, offset, data.reason
    )
    return Nacked(
        partition=result.partition,
        offset=result.offset,
        attempts=result.attempts,
        dead_lettered=result.dead_lettered,
        redeliver_after=result.redeliver_after,
        dead_letter_topic=result.dead_letter_topic,
    )


@router.get(
    "/topics/{name}/groups", summary="List a topic's consumer groups", response_model=GroupList
)
async def list_groups(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> GroupList:
    """The topic's groups: members, leases, committed and end offsets, lag."""
    topic = await _topic(session, principal, name, project_id)
    refs = await service.groups_of(session, topic)
    views = await service.describe(session, resources.bus, topic, refs)
    return GroupList(groups=[_group_out(v, topic.name) for v in views])


@router.get(
    "/topics/{name}/groups/{group}", summary="Get a consumer group", response_model=GroupOut
)
async def get_group(
    name: str,
    group: GroupName,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> GroupOut:
    """One group: its settings, members with their leased partitions, and per partition
    the committed and end offsets and the lag."""
    topic = await _topic(session, principal, name, project_id)
    ref = await service.find_group(session, topic, group)
    (view,) = await service.describe(session, resources.bus, topic, [ref])
    return _group_out(view, topic.name)


@router.put(
    "/topics/{name}/groups/{group}",
    summary="Create or configure a consumer group",
    response_model=GroupOut,
)
async def put_group(
    name: str,
    group: GroupName,
    data: GroupSettingsIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    response: Response,
    project_id: ProjectQuery = None,
) -> GroupOut:
    """Create the group or change its settings (201 when created)."""
    principal.require(Permission.write)
    topic = await _topic(session, principal, name, project_id)
    await session.commit()
    ref, created = await service.ensure_group(
        resources.sessionmaker,
        resources.bus,
        topic,
        group,
        lease_ms=round(data.lease_s * 1000) if data.lease_s is not None else None,
        max_attempts=data.max_attempts,
        retry_delay_ms=data.retry_delay_ms,
        start=data.start,
    )
    if created:
        response.status_code = 201
    (view,) = await service.describe(session, resources.bus, topic, [ref])
    return _group_out(view, topic.name)


@router.post(
    "/topics/{name}/groups/{group}/reset",
    summary="Reset a group's position",
    response_model=GroupOut,
)
async def reset_group(
    name: str,
    group: GroupName,
    data: ResetIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> GroupOut:
    """Move the group to the earliest or latest record, a time or a cursor; leases are
    dropped (members pick their partitions up again on their next poll)."""
    principal.require(Permission.write)
    topic = await _topic(session, principal, name, project_id)
    ref = await service.find_group(session, topic, group)
    time_ms = _time_ms(data.time) if data.to == "time" else None
    cursor = None
    if data.to == "cursor":
        if data.cursor is None:
            raise ValidationFailed(
                "to=cursor needs a cursor", details=[{"field": "cursor", "reason": "required"}]
            )
        cursor = _cursor(data.cursor)
    await session.commit()
    positions = await service.reset_positions(resources.bus, topic, data.to, time_ms, cursor)
    await service.reset(session, ref, positions)
    await session.commit()
    (view,) = await service.describe(session, resources.bus, topic, [ref])
    return _group_out(view, topic.name)


@router.delete("/topics/{name}/groups/{group}", summary="Delete a consumer group", status_code=204)
async def delete_group(
    name: str,
    group: GroupName,
    principal: PrincipalDep,
    session: SessionDep,
    project_id: ProjectQuery = None,
) -> Response:
    """Delete the group with its offsets and leases (write permission); the topic and
    its records stay."""
    principal.require(Permission.write)
    topic = await _topic(session, principal, name, project_id)
    await service.delete_group(session, topic, group)
    return Response(status_code=204)


def _time_ms(moment: datetime | None) -> int:
    if moment is None:
        raise ValidationFailed(
            "to=time needs a time", details=[{"field": "time", "reason": "required"}]
        )
    if moment.tzinfo is None:
        raise ValidationFailed(
            "time needs a timezone, e.g. 2026-01-01T00:00:00Z",
            details=[{"field": "time", "reason": "timezone required"}],
        )
    try:
        return int(moment.timestamp() * 1000)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValidationFailed(
            "time is out of range", details=[{"field": "time", "reason": "out of range"}]
        ) from exc
