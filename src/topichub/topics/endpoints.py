"""Topics: registry, publish, and live streams over SSE and WebSocket (seed 000)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from topichub.dependencies import ResourcesDep, SessionDep
from topichub.errors import QuotaExceeded
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.principal import Permission
from topichub.limits.enforce import plan_for
from topichub.metrics import MESSAGES_PUBLISHED, RATE_LIMITED
from topichub.topics import service
from topichub.topics.schemas import PublishIn, PublishOut, TopicCreate, TopicList, TopicOut

router = APIRouter(tags=["topics"])

ProjectQuery = Annotated[
    uuid.UUID | None,
    Query(description="Project to act on; defaults to the key's project or the default one"),
]


@router.get("/topics", response_model=TopicList)
async def list_topics(
    principal: PrincipalDep, session: SessionDep, project_id: ProjectQuery = None
) -> TopicList:
    topics = await service.list_topics(session, principal, project_id)
    return TopicList(topics=[service.to_out(t) for t in topics])


@router.post("/topics", response_model=TopicOut, status_code=status.HTTP_201_CREATED)
async def create_topic(
    data: TopicCreate,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> TopicOut:
    plan = await plan_for(session, resources, principal)
    topic = await service.create_topic(session, resources.bus, principal, plan, data, project_id)
    await session.commit()
    await service.ensure_log_topic(resources.bus, topic, strict=True)
    return service.to_out(topic)


@router.get("/topics/{name}", response_model=TopicOut)
async def get_topic(
    name: str, principal: PrincipalDep, session: SessionDep, project_id: ProjectQuery = None
) -> TopicOut:
    return service.to_out(await service.get_topic(session, principal, name, project_id))


@router.delete("/topics/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_topic(
    name: str,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> None:
    topic = await service.delete_topic(session, principal, name, project_id)
    await session.commit()
    for stream in resources.streams.list():
        if stream.topic == topic.physical_name:
            stream.close("topic_deleted")
    await service.drop_log_topics(resources.bus, [topic.physical_name])


@router.post("/topics/{name}/publish", response_model=PublishOut)
async def publish(
    name: str,
    data: Annotated[PublishIn, Body()],
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    project_id: ProjectQuery = None,
) -> PublishOut:
    """Publish a batch. A 200 means every message is stored (embedded: committed;
    Kafka: acknowledged by all in-sync replicas), with its partition and offset."""
    principal.require(Permission.write)
    topic = await service.get_topic(session, principal, name, project_id)
    settings = resources.settings
    batch = service.encode_messages(
        data.messages,
        topic=topic,
        max_batch=settings.max_batch_messages,
        max_message_bytes=settings.max_message_bytes,
    )
    plan = await plan_for(session, resources, principal)
    decision = await resources.quotas.consume_in(
        principal.quota_holder,
        str(topic.project_id),
        len(batch.records),
        batch.total_bytes,
        plan.quotas,
        tenant_id=str(principal.tenant_id),
    )
    if not decision.allowed:
        RATE_LIMITED.labels("quota").inc()
        raise QuotaExceeded(
            decision.message or "Daily quota exceeded",
            headers={"Retry-After": str(decision.retry_after)},
            details=decision.details(),
        )
    # The database session is not needed while waiting on the log.
    await session.commit()
    result = await service.publish(resources.bus, topic, batch)
    MESSAGES_PUBLISHED.labels(resources.bus.name).inc(result.count)
    return result
