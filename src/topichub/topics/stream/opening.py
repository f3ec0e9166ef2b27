"""Opening a live stream for a request: start position, limits, registration, metering.

Shared by the SSE and WebSocket endpoints. No database session is held while a stream
runs: everything that needs the database happens before ``open_stream`` returns.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.errors import QuotaExceeded, RateLimitExceeded, ValidationFailed
from topichub.identity.principal import Permission, Principal
from topichub.limits import Slot, stream_limit_message
from topichub.limits.enforce import plan_for
from topichub.limits.plans import Plan
from topichub.metrics import MESSAGES_DELIVERED, RATE_LIMITED
from topichub.resources import Resources
from topichub.topics.service import AnyTopic, TopicRef, ensure_log_topic, find_topic, get_topic
from topichub.topics.stream.cursor import CursorError, decode_cursor
from topichub.topics.stream.hub import Start
from topichub.topics.stream.registry import OpenStream
from topichub.topics.stream.subscription import Subscription
from topichub.topics.traffic import TRAFFIC

log = logging.getLogger(__name__)

METER_INTERVAL_S = 5.0
QUOTA_EXHAUSTED = "quota_exceeded"


@cache
def _labels(transport: str) -> Mapping[str, str]:
    """A subscription's labels, one shared read-only mapping per transport."""
    return MappingProxyType({"transport": transport})


async def find_stream_topic(
    session: AsyncSession,
    resources: Resources,
    principal: Principal,
    name: str,
    project_id: uuid.UUID | None,
) -> TopicRef:
    """The topic a stream opens, from the topic cache, and in the log.

    A cached topic may have been deleted since it was cached (by another process: this
    one clears its caches on every write to the registry), and its log topic with it. A
    topic missing from the log is therefore looked up in the registry again before its
    log topic is created: a deleted topic is not found instead of coming back to life in
    the log, and a topic created again under the same name is opened by its new id.
    """
    topic = await find_topic(session, resources.caches.topics, principal, name, project_id)
    if resources.hub.is_live(topic.physical_name):
        return topic  # its live reader is reading it: it is in the log
    try:
        await resources.bus.partitions(topic.physical_name)
    except BusTopicNotFound:
        resources.caches.topics.clear()
        topic = TopicRef.of(await get_topic(session, principal, name, project_id))
        await session.commit()
        # Registered but not in the log: its creation after the commit failed.
        await ensure_log_topic(resources.bus, topic, strict=True)
    return topic


def parse_start(
    topic: AnyTopic,
    *,
    start_from: str | None,
    since: datetime | None,
    cursor: str | None,
    last_event_id: str | None,
) -> Start:
    """Where a stream begins. ``Last-Event-ID`` wins: a reconnecting EventSource sends it
    with the original URL, and resuming must beat the URL's ``from``."""
    if last_event_id:
        return _from_cursor(topic, last_event_id, "Last-Event-ID")
    given = [name for name, v in (("from", start_from), ("since", since), ("cursor", cursor)) if v]
    if len(given) > 1:
        raise ValidationFailed(
            f"Use only one of from, since and cursor (got {', '.join(given)})",
            details=[{"field": f, "reason": "conflicting start position"} for f in given],
        )
    if cursor:
        return _from_cursor(topic, cursor, "cursor")
    if since is not None:
        if since.tzinfo is None:
            raise ValidationFailed(
                "since needs a timezone, e.g. 2026-01-01T00:00:00Z",
                details=[{"field": "since", "reason": "timezone required"}],
            )
        return Start.since(int(since.timestamp() * 1000))
    if start_from in (None, "latest"):
        return Start.latest()
    if start_from == "earliest":
        return Start.earliest()
    raise ValidationFailed(
        "from must be 'earliest' or 'latest'",
        details=[{"field": "from", "reason": "expected earliest or latest"}],
    )


def _from_cursor(topic: AnyTopic, text: str, field: str) -> Start:
    try:
        positions = decode_cursor(text)
    except CursorError as exc:
        raise ValidationFailed(
            f"Invalid {field}: {exc}", details=[{"field": field, "reason": str(exc)}]
        ) from exc
    if any(p >= topic.partitions for p in positions):
        raise ValidationFailed(
            f"Invalid {field}: it names a partition this topic does not have",
            details=[{"field": field, "reason": "partition out of range"}],
        )
    return Start.cursor(positions)


class LiveStream:
    """An open stream: its subscription, its slot and its registry entry. The registry
    meters it (one timer for every stream of the process) through ``record``."""

    __slots__ = (
        "_metered_bytes",
        "_metered_messages",
        "entry",
        "plan",
        "principal",
        "resources",
        "slot",
        "subscription",
    )

    def __init__(
        self,
        resources: Resources,
        subscription: Subscription,
        slot: Slot | None,
        entry: OpenStream,
        principal: Principal,
        plan: Plan,
    ) -> None:
        self.resources = resources
        self.subscription = subscription
        self.slot = slot
        self.entry = entry
        self.principal = principal
        self.plan = plan
        self._metered_messages = 0
        self._metered_bytes = 0

    async def record(self) -> None:
        """Count what was delivered since the last call against the outbound quota
        (in batches, never per message); close the stream once it is exhausted."""
        messages = self.subscription.delivered_messages
        nbytes = self.subscription.delivered_bytes
        new_messages = messages - self._metered_messages
        if new_messages <= 0:
            return
        new_bytes = nbytes - self._metered_bytes
        self._metered_messages, self._metered_bytes = messages, nbytes
        if await meter_delivery(
            self.resources, self.principal, self.plan, self.entry, new_messages, new_bytes
        ):
            self.subscription.close(QUOTA_EXHAUSTED)

    async def finish(self) -> None:
        """Release everything; safe to call more than once."""
        self.subscription.close()
        if self.resources.streams.remove(self.entry):
            try:
                await self.record()
            except Exception:
                log.warning("stream metering failed", exc_info=True)
        if self.slot is not None:
            slot, self.slot = self.slot, None
            with contextlib.suppress(Exception):
                await slot.release()


async def meter_delivery(
    resources: Resources,
    principal: Principal,
    plan: Plan,
    entry: OpenStream,
    messages: int,
    nbytes: int,
) -> bool:
    """Count a stream's delivered messages (the metric, the topic's traffic, the daily
    outbound quota); True when the quota is now exhausted and the stream must close."""
    MESSAGES_DELIVERED.labels(entry.transport).inc(messages)
    TRAFFIC.record_out(entry.topic, messages, nbytes)
    decision = await resources.quotas.consume_out(
        principal.quota_holder,
        str(entry.project_id),
        messages,
        nbytes,
        plan.quotas,
        tenant_id=str(principal.tenant_id),
    )
    return decision.remaining.exhausted


async def admit_stream(
    session: AsyncSession,
    resources: Resources,
    principal: Principal,
    topic: AnyTopic,
    transport: str,
) -> tuple[Plan, Slot]:
    """What every stream passes before it opens, plain or as a group member: read
    permission, the daily outbound quota, and one of the user's stream slots (the caller
    releases it if opening fails). Ends the request's transaction first (see
    ``open_stream``)."""
    principal.require(Permission.read)
    plan = await plan_for(session, resources, principal)
    await session.commit()
    holder = principal.quota_holder
    remaining = await resources.quotas.remaining_out(
        holder, str(topic.project_id), plan.quotas, tenant_id=str(principal.tenant_id)
    )
    if remaining.exhausted:
        RATE_LIMITED.labels("quota").inc()
        raise QuotaExceeded("Daily outbound quota exhausted; streams resume tomorrow (UTC)")
    slot = await take_slot(
        resources,
        principal,
        plan,
        topic=topic.name,
        project_id=topic.project_id,
        transport=transport,
    )
    return plan, slot


async def take_slot(
    resources: Resources,
    principal: Principal,
    plan: Plan,
    *,
    topic: str,
    project_id: uuid.UUID,
    transport: str,
) -> Slot:
    """One of the user's stream slots, for every kind of stream (topic, group member,
    chat); ``RateLimitExceeded`` when all are taken. The caller releases it."""
    info = {
        "user_id": str(principal.user_id) if principal.user_id else None,
        "tenant_id": str(principal.tenant_id),
        "topic": topic,
        "project_id": str(project_id),
        "transport": transport,
    }
    limit = plan.max_streams_per_user
    slot = await resources.connections.acquire(principal.quota_holder, limit, info)
    if slot is None:
        RATE_LIMITED.labels("streams").inc()
        raise RateLimitExceeded(stream_limit_message(limit), headers={"Retry-After": "5"})
    return slot


def register(
    resources: Resources,
    principal: Principal,
    subscription: Subscription,
    *,
    topic: str,
    project_id: uuid.UUID,
    transport: str,
) -> OpenStream:
    """Put an open stream in the registry of open streams (revocation, expiry, the admin
    list); the caller removes it when the stream ends."""
    entry = OpenStream(
        tenant_id=principal.tenant_id,
        project_id=project_id,
        topic=topic,
        transport=transport,
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        token_version=principal.token_version if not principal.is_key else None,
        close=subscription.close,
        expires_at=principal.credential_expires_at,
    )
    resources.streams.add(entry)
    return entry


async def open_stream(
    session: AsyncSession,
    resources: Resources,
    principal: Principal,
    topic: AnyTopic,
    start: Start,
    transport: str,
) -> LiveStream:
    """Check limits, take a stream slot and subscribe. The request's transaction is
    ended here, before anything that needs a connection of its own (quota counters,
    the log's offsets): holding one pooled connection while waiting for another
    deadlocks a busy pool."""
    plan, slot = await admit_stream(session, resources, principal, topic, transport)
    try:
        subscription = await resources.hub.subscribe(
            topic.physical_name, start, labels=_labels(transport)
        )
    except BaseException:
        await slot.release()
        raise
    entry = register(
        resources,
        principal,
        subscription,
        topic=topic.physical_name,
        project_id=topic.project_id,
        transport=transport,
    )
    live = LiveStream(resources, subscription, slot, entry, principal, plan)
    entry.meter = live.record
    return live
