"""The topic registry and publishing. Services never commit: the request does."""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus import (
    BusError,
    BusUnavailable,
    EventBus,
    Headers,
    OutBatch,
    OutRecord,
    Stored,
    TopicSpec,
)
from topichub.bus import TopicNotFound as BusTopicNotFound
from topichub.bus.partitioner import KeyHash, key_partition
from topichub.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    ValidationFailed,
)
from topichub.identity.principal import Permission, Principal
from topichub.kit.cache import StaleCache
from topichub.kit.time import from_ms
from topichub.limits.plans import Plan
from topichub.models import Project, Topic, TopicKind
from topichub.tenancy import service as tenancy
from topichub.topics.repository import TopicRepository
from topichub.topics.schemas import (
    MessageDict,
    TopicCreate,
    TopicOut,
)

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "events"
RESERVED_TOPICS = frozenset({"todos", "chat", "logs", "interactions"})
"""Written only by the built-in apps (through the outbox), in every project."""
HOUR_MS = 3_600_000


def physical_name(topic_id: uuid.UUID, kind: str) -> str:
    """The log's name for a topic: from ids only. ``th.app.*`` is what the audit
    consumer subscribes to; user topics are ``th.t.*``."""
    return f"th.{'app' if kind == TopicKind.app else 't'}.{topic_id.hex}"


def to_out(topic: Topic, *, on_kafka: bool) -> TopicOut:
    return TopicOut(
        id=topic.id,
        project_id=topic.project_id,
        name=topic.name,
        kind=topic.kind,
        partitions=topic.partitions,
        partitioner=KeyHash(topic.partitioner),
        kafka_topic_name=topic.physical_name if on_kafka else None,
        retention_hours=topic.retention_ms / HOUR_MS if topic.retention_ms else None,
        retention_bytes=topic.retention_bytes,
        schema_version=topic.schema_version,
        created_at=topic.created_at,
    )


async def _create(
    session: AsyncSession,
    project: Project,
    name: str,
    *,
    kind: TopicKind = TopicKind.user,
    partitions: int = 1,
    partitioner: KeyHash = KeyHash.murmur2,
    retention_ms: int | None = None,
    retention_bytes: int | None = None,
) -> Topic:
    topic_id = uuid.uuid4()
    topic = Topic(
        id=topic_id,
        tenant_id=project.tenant_id,
        project_id=project.id,
        name=name,
        physical_name=physical_name(topic_id, kind),
        kind=kind.value,
        partitions=partitions,
        partitioner=partitioner.value,
        retention_ms=retention_ms,
        retention_bytes=retention_bytes,
    )
    await TopicRepository(session).add(topic)
    return topic


def topic_spec(topic: AnyTopic) -> TopicSpec:
    return TopicSpec(
        name=topic.physical_name,
        partitions=topic.partitions,
        retention_ms=topic.retention_ms,
        retention_bytes=topic.retention_bytes,
    )


async def ensure_log_topic(bus: EventBus, topic: AnyTopic, *, strict: bool = False) -> None:
    """Create the topic in the log. Called after the registry row is committed (the
    embedded log shares the database, and SQLite has one writer); idempotent, and
    repeated lazily by publish and streams, so a failure here only delays creation."""
    try:
        await bus.create_topic(topic_spec(topic))
    except BusError as exc:
        if strict:
            raise Unavailable(
                "The event log is unavailable; try again shortly", headers={"Retry-After": "5"}
            ) from exc
        log.warning("could not create log topic %s yet", topic.physical_name, exc_info=True)


async def create_default_topics(session: AsyncSession, project: Project) -> list[Topic]:
    """A default project's topics: ``events`` and the apps' topics. The apps' topics
    exist from the start so that a stream opened before an app's first event (watch,
    then act) finds its topic instead of a 404. The caller commits, then calls
    ``ensure_log_topic`` for each."""
    topics = [await _create(session, project, DEFAULT_TOPIC)]
    for name in sorted(RESERVED_TOPICS):
        topics.append(await _create(session, project, name, kind=TopicKind.app))
    return topics


async def ensure_topic(
    session: AsyncSession, project: Project, name: str, kind: TopicKind
) -> Topic:
    """The named topic of a project, created on first use (a group's dead-letter topic)."""
    existing = await TopicRepository(session).by_name(project.tenant_id, project.id, name)
    if existing is not None:
        return existing
    return await _create(session, project, name, kind=kind)


async def list_topics(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID | None
) -> Sequence[Topic]:
    project = await tenancy.resolve_project(session, principal, project_id)
    return await TopicRepository(session).in_project(principal.tenant_id, project.id)


@dataclass(frozen=True, slots=True)
class TopicRef:
    """What publishing needs of a topic, detached from any session: safe to cache and to
    share between requests (an ORM ``Topic`` is neither)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    project_id: uuid.UUID
    name: str
    physical_name: str
    kind: str
    partitions: int
    partitioner: str
    retention_ms: int | None
    retention_bytes: int | None
    schema_version: int | None = None
    project_key: str = field(init=False, repr=False, compare=False)
    """``str(project_id)``, made once (quotas key by it on every publish)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "project_key", str(self.project_id))

    @classmethod
    def of(cls, topic: Topic) -> TopicRef:
        return cls(
            id=topic.id,
            tenant_id=topic.tenant_id,
            project_id=topic.project_id,
            name=topic.name,
            physical_name=topic.physical_name,
            kind=topic.kind,
            partitions=topic.partitions,
            partitioner=topic.partitioner,
            retention_ms=topic.retention_ms,
            retention_bytes=topic.retention_bytes,
            schema_version=topic.schema_version,
        )


AnyTopic = Topic | TopicRef


async def find_topic(
    session: AsyncSession,
    cache: StaleCache[tuple[Any, ...], TopicRef],
    principal: Principal,
    name: str,
    project_id: uuid.UUID | None = None,
) -> TopicRef:
    """``get_topic`` for the hot paths (publish, stream opens), answered from ``cache``
    when it is fresh enough (see ``topichub.resources.Caches``). The key holds everything
    the answer depends on: the tenant, the key's own project, the project asked for."""
    principal.require(Permission.read)
    key = (principal.tenant_id, principal.project_id, project_id, name)
    cached = cache.fresh(key)
    if cached is not None:
        return cached

    async def read() -> tuple[TopicRef, float | None]:
        return TopicRef.of(await get_topic(session, principal, name, project_id)), None

    return await cache.get_or_fill(key, read)


async def get_topic(
    session: AsyncSession, principal: Principal, name: str, project_id: uuid.UUID | None = None
) -> Topic:
    """Look a topic up by name in the caller's project; another tenant's topic of the
    same name is simply not found."""
    principal.require(Permission.read)
    project = await tenancy.resolve_project(session, principal, project_id)
    topic = await TopicRepository(session).by_name(principal.tenant_id, project.id, name)
    if topic is None:
        raise NotFound(f"Topic '{name}' not found")
    return topic


async def create_topic(
    session: AsyncSession,
    principal: Principal,
    plan: Plan,
    data: TopicCreate,
    project_id: uuid.UUID | None,
) -> Topic:
    principal.require(Permission.admin)
    project = await tenancy.resolve_project(session, principal, project_id)
    repo = TopicRepository(session)
    if data.partitions > plan.max_partitions:
        raise ValidationFailed(
            f"A topic can have at most {plan.max_partitions} partitions",
            details=[{"field": "partitions", "reason": f"at most {plan.max_partitions}"}],
        )
    if data.name in RESERVED_TOPICS:
        raise Conflict(f"Topic name '{data.name}' is reserved for the built-in apps")
    if await repo.by_name(principal.tenant_id, project.id, data.name) is not None:
        raise Conflict(f"Topic '{data.name}' already exists")
    if await repo.count_user_topics(project.id) >= plan.max_topics_per_project:
        raise Conflict(f"A project can have at most {plan.max_topics_per_project} topics")
    return await _create(
        session,
        project,
        data.name,
        partitions=data.partitions,
        partitioner=data.partitioner or KeyHash.murmur2,
        retention_ms=data.retention_hours * HOUR_MS if data.retention_hours else None,
        retention_bytes=data.retention_bytes,
    )


async def delete_topic(
    session: AsyncSession, principal: Principal, name: str, project_id: uuid.UUID | None
) -> Topic:
    topic = await get_topic(session, principal, name, project_id)
    principal.require(Permission.admin)
    await TopicRepository(session).delete(topic)
    return topic


async def rename_topic(
    session: AsyncSession,
    principal: Principal,
    name: str,
    new_name: str,
    project_id: uuid.UUID | None,
) -> Topic:
    """Rename a topic within its project. The log's name comes from the topic's id, so
    its messages, cursors and open streams are untouched."""
    topic = await get_topic(session, principal, name, project_id)
    principal.require(Permission.admin)
    if topic.kind == TopicKind.app:
        raise Forbidden(f"Topic '{topic.name}' belongs to the built-in app; it cannot be renamed")
    if new_name == topic.name:
        return topic
    if new_name in RESERVED_TOPICS:
        raise Conflict(f"Topic name '{new_name}' is reserved for the built-in apps")
    repo = TopicRepository(session)
    taken = Conflict(f"Topic '{new_name}' already exists")
    if await repo.by_name(principal.tenant_id, topic.project_id, new_name) is not None:
        raise taken
    if not await repo.rename(topic, new_name):
        raise taken
    return topic


async def drop_log_topics(bus: EventBus, names: Sequence[str]) -> None:
    """Delete log topics after their registry rows are gone; failures are logged, the
    names are never reused."""
    for name in names:
        try:
            await bus.delete_topic(name)
        except BusError:
            log.warning("could not delete log topic %s", name, exc_info=True)


async def project_log_topics(session: AsyncSession, project_id: uuid.UUID) -> list[str]:
    return await TopicRepository(session).physical_names_of_project(project_id)


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    records: Sequence[OutRecord]
    """An ``OutBatch`` (columns) as ``encode_messages`` makes it."""
    total_bytes: int


def check_publishable(topic: AnyTopic) -> None:
    """App topics carry events the apps wrote with their changes; a client may read
    them, never write them (consumers trust their shape and their event ids)."""
    if topic.kind == TopicKind.app:
        raise Forbidden(
            f"Topic '{topic.name}' is written by the built-in app; it can be streamed, "
            "not published to"
        )


# In pydantic_core's output, these mark what json.dumps writes differently (NaN,
# Infinity, "1e-07" for 1e-7, "1e-05" where it writes "0.00001") — or merely a string
# containing them.
_RECHECK = re.compile(rb"NaN|Infinity|e-|e\+|0\.0000")


def encode_value(value: Any) -> bytes:
    """A message value as compact JSON, byte for byte what ``json.dumps(value,
    separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` writes (ValueError on
    NaN or Infinity). pydantic_core's encoder writes it six times faster; the rare value
    whose bytes could differ, and anything it refuses, is encoded by json.dumps."""
    try:
        out = to_json(value, inf_nan_mode="constants")
    except (ValueError, TypeError):  # PydanticSerializationError is a ValueError
        out = b"NaN"
    if _RECHECK.search(out) is None:
        return out
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


_VALUE = itemgetter("value")


def _encode_values(messages: Sequence[MessageDict]) -> list[bytes] | None:
    """Every value as ``encode_value`` writes it, in one pass: None when a value is one
    ``encode_value`` would write differently or refuse (the caller then takes the exact
    path, message by message). Strings are written alike by both encoders; any other
    values are checked by one search over all the outputs instead of one per value (the
    marks it looks for never span the separator)."""
    values = list(map(_VALUE, messages))
    try:
        encoded = [to_json(v, inf_nan_mode="constants") for v in values]
    except (ValueError, TypeError):
        return None
    if set(map(type, values)) != {str} and _RECHECK.search(b"\0".join(encoded)) is not None:
        return None
    return encoded


def encode_messages(
    messages: Sequence[MessageDict],
    *,
    topic: AnyTopic,
    max_batch: int,
    max_message_bytes: int,
    extra_headers: tuple[tuple[str, bytes], ...] = (),
) -> EncodedBatch:
    """Validate and encode a batch into columns (``OutBatch``). Every message is checked
    before any is stored."""
    count = len(messages)
    if count > max_batch:
        raise ValidationFailed(
            f"A batch can hold at most {max_batch} messages (got {count})",
            details=[{"field": "messages", "reason": f"at most {max_batch} messages"}],
        )
    encoded = _encode_values(messages)
    if encoded is not None and count and list(map(len, messages)).count(1) == count:
        # The common batch: values only (no other field given; the value is required).
        # Its checks are over whole columns, no loop.
        if max(map(len, encoded)) > max_message_bytes:
            index = next(i for i, v in enumerate(encoded) if len(v) > max_message_bytes)
            raise _too_large(index, len(encoded[index]), max_message_bytes)
        return EncodedBatch(
            records=OutBatch(encoded, [None] * count, [extra_headers] * count, [None] * count),
            total_bytes=sum(map(len, encoded)),
        )
    values: list[bytes] = []
    keys: list[bytes | None] = []
    headers_column: list[Headers] = []
    partitions: list[int | None] = []
    total = 0
    # murmur2 is what the bus does for keyed records; another scheme pins the partition.
    key_hash = KeyHash(topic.partitioner)
    pinned = key_hash is not KeyHash.murmur2
    # Per message only what each needs (most have no key and no headers): no generator,
    # no keyword arguments.
    for index, message in enumerate(messages):
        if encoded is not None:
            value = encoded[index]
        else:
            try:
                # Python's parser accepts NaN and Infinity; no consumer's JSON parser does.
                value = encode_value(message["value"])
            except ValueError as exc:
                raise ValidationFailed(
                    f"Message at index {index} is not standard JSON (NaN or Infinity)",
                    details=[{"field": f"messages.{index}.value", "reason": "NaN or Infinity"}],
                ) from exc
        given_key = message.get("key")
        key = given_key.encode() if given_key is not None else None
        size = len(value) if key is None else len(value) + len(key)
        given_headers = message.get("headers")
        if given_headers:
            headers = tuple((k, v.encode()) for k, v in given_headers.items())
            for k, v in headers:
                size += len(k) + len(v)
            headers += extra_headers
        else:
            headers = extra_headers
        if size > max_message_bytes:
            raise _too_large(index, size, max_message_bytes)
        partition = message.get("partition")
        if partition is not None and partition >= topic.partitions:
            raise ValidationFailed(
                f"Message at index {index} names partition {partition}, but the "
                f"topic has {topic.partitions}",
                details=[{"field": f"messages.{index}.partition", "reason": "out of range"}],
            )
        if partition is None and key is not None and pinned:
            partition = key_partition(key, topic.partitions, key_hash)
        values.append(value)
        keys.append(key)
        headers_column.append(headers)
        partitions.append(partition)
        total += size
    return EncodedBatch(
        records=OutBatch(values, keys, headers_column, partitions), total_bytes=total
    )


def _too_large(index: int, size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Message at index {index} is {size} bytes; the limit is {limit} bytes",
        details={"index": index, "size": size, "limit": limit},
    )


class Published:
    """A publish's answer, shaped as ``PublishOut`` (the OpenAPI schema of the answer),
    kept as the log's columns and written as JSON in one pass: no model, no dict per
    message, each distinct timestamp formatted once. ``json()`` is byte for byte what
    ``to_json`` writes for the ``PublishOut`` of the same figures."""

    __slots__ = ("stored", "topic")

    def __init__(self, topic: str, stored: Stored) -> None:
        self.topic = topic
        self.stored = stored

    @property
    def count(self) -> int:
        return len(self.stored)

    def json(self) -> bytes:
        stored = self.stored
        count = len(stored)
        partitions, offsets, timestamps = stored.partitions, stored.offsets, stored.timestamps
        if count and timestamps.count(timestamps[0]) == count:
            stamp = _stamp(timestamps[0])
            if partitions.count(partitions[0]) == count:
                partition = partitions[0]
                items = [
                    f'{{"index":{i},"partition":{partition},"offset":{o},"timestamp":{stamp}}}'
                    for i, o in enumerate(offsets)
                ]
            else:
                items = [
                    f'{{"index":{i},"partition":{p},"offset":{o},"timestamp":{stamp}}}'
                    for i, (p, o) in enumerate(zip(partitions, offsets, strict=True))
                ]
        else:
            stamps = {ms: _stamp(ms) for ms in set(timestamps)}
            items = [
                f'{{"index":{i},"partition":{p},"offset":{o},"timestamp":{stamps[t]}}}'
                for i, (p, o, t) in enumerate(zip(partitions, offsets, timestamps, strict=True))
            ]
        topic = to_json(self.topic).decode()
        messages = ",".join(items)
        return f'{{"topic":{topic},"count":{count},"messages":[{messages}]}}'.encode()

    def jsonable(self) -> Any:
        return json.loads(self.json())


@functools.lru_cache(maxsize=256)
def _stamp(ms: int) -> str:
    """A timestamp as the answer writes it (a JSON string, as pydantic writes a datetime).
    Remembered: the publishes of one group commit share their millisecond."""
    return to_json(from_ms(ms)).decode()


async def publish(
    bus: EventBus,
    topic: AnyTopic,
    batch: EncodedBatch,
    *,
    still_registered: Callable[[], Awaitable[bool]] | None = None,
) -> Published:
    """Hand the batch to the log; answer only once it is durable. A failure here leaves
    the outcome unknown, and the answer says so rather than claiming "not stored".
    ``still_registered`` re-checks a cached topic against the registry before a missing
    log topic is created again: it may have been deleted since it was cached."""
    records = OutBatch.of(batch.records)
    try:
        try:
            stored = await bus.publish_columns(topic.physical_name, records)
        except BusTopicNotFound:
            if still_registered is not None and not await still_registered():
                raise NotFound(f"Topic '{topic.name}' not found") from None
            # Registered but not yet in the log (its creation after commit failed).
            await ensure_log_topic(bus, topic, strict=True)
            stored = await bus.publish_columns(topic.physical_name, records)
    except BusUnavailable as exc:
        raise Unavailable(
            "The event log did not confirm the write in time; the messages may or may not "
            "have been stored. Retry with the same Idempotency-Key to be safe.",
            headers={"Retry-After": "2"},
            details={"outcome": "unknown"},
        ) from exc
    return Published(topic.name, stored)
