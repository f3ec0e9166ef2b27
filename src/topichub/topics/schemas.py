from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from topichub.bus.partitioner import KeyHash

TOPIC_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$"
TopicName = Annotated[str, StringConstraints(pattern=TOPIC_NAME_PATTERN)]
HeaderName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
HeaderValue = Annotated[str, Field(max_length=4096)]
Headers = Annotated[dict[HeaderName, HeaderValue], Field(max_length=64)]


class TopicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TopicName
    partitions: Annotated[int, Field(ge=1)] = 1
    partitioner: KeyHash | None = Field(
        default=None,
        description="Where keyed messages go: `murmur2` (the default) agrees with Kafka's "
        "Java client, `consistent_random` (CRC32) with librdkafka producers' default",
    )
    retention_hours: Annotated[int, Field(ge=1, le=24 * 365 * 10)] | None = None
    retention_bytes: Annotated[int, Field(ge=1024)] | None = None


class TopicRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TopicName


class TopicOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    kind: str
    partitions: int
    partitioner: KeyHash
    kafka_topic_name: str | None = Field(
        description="The topic's name in Kafka, for Kafka clients (null on the embedded log)"
    )
    retention_hours: float | None
    retention_bytes: int | None
    schema_version: int | None = Field(
        default=None, description="The JSON Schema version publishes are checked against"
    )
    created_at: datetime


class TopicList(BaseModel):
    topics: list[TopicOut]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="Any JSON value")
    key: Annotated[str, StringConstraints(max_length=1024)] | None = None
    headers: (
        Annotated[dict[HeaderName, Annotated[str, Field(max_length=4096)]], Field(max_length=64)]
        | None
    ) = None
    partition: Annotated[int, Field(ge=0)] | None = None


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: Annotated[list[MessageIn], Field(min_length=1)]


class PublishedMessage(BaseModel):
    index: int
    partition: int
    offset: int
    timestamp: datetime


class PublishOut(BaseModel):
    topic: str
    count: int
    messages: list[PublishedMessage]


class StreamTicketOut(BaseModel):
    ticket: str
    expires_in: int


class EventOut(BaseModel):
    """The shape of one event on a stream (SSE ``data:`` / WebSocket frame)."""

    value: Any
    key: str | None
    headers: dict[str, str]
    partition: int
    offset: int
    timestamp: str
