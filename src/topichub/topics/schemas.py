from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, with_config
from typing_extensions import TypedDict  # Pydantic's own dependency; it needs this one on 3.11

from topichub.bus.partitioner import KeyHash

TOPIC_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$"
TopicName = Annotated[str, StringConstraints(pattern=TOPIC_NAME_PATTERN)]
HeaderName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
HeaderValue = Annotated[str, Field(max_length=4096)]
Headers = Annotated[dict[HeaderName, HeaderValue], Field(max_length=64)]

_TOPIC_EXAMPLE: dict[str, Any] = {
    "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "name": "orders",
    "kind": "user",
    "partitions": 3,
    "partitioner": "murmur2",
    "kafka_topic_name": "th.t.0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e",
    "retention_hours": 168.0,
    "retention_bytes": None,
    "schema_version": 2,
    "created_at": "2026-12-04T09:32:00Z",
    "stats": {
        "messages_retained": 42,
        "bytes_retained": 1510,
        "last_message_at": "2026-12-04T09:40:00.120Z",
        "messages_last_minute": 3,
        "bytes_last_minute": 108,
    },
}


class TopicCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "orders", "partitions": 3, "retention_hours": 168},
                {"name": "clicks"},
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "orders-v2"}]}
    )

    name: TopicName


class TopicHeadline(BaseModel):
    """A topic's headline figures, for a list (the full set: ``GET /topics/{name}/stats``)."""

    messages_retained: int
    bytes_retained: int | None = Field(description="null on Kafka")
    last_message_at: datetime | None
    messages_last_minute: int = Field(description="Messages published in the last 60 s")
    bytes_last_minute: int


class TopicOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TOPIC_EXAMPLE]})

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
    stats: TopicHeadline | None = Field(
        default=None, description="Headline figures; given by GET /topics (the list)"
    )


class TopicList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"topics": [_TOPIC_EXAMPLE]}]})

    topics: list[TopicOut]


MessageKey = Annotated[str, StringConstraints(max_length=1024)]
MessageHeaders = Annotated[
    dict[HeaderName, Annotated[str, Field(max_length=4096)]], Field(max_length=64)
]
MessagePartition = Annotated[int, Field(ge=0)]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="Any JSON value")
    key: MessageKey | None = None
    headers: MessageHeaders | None = None
    partition: MessagePartition | None = None


@with_config(ConfigDict(extra="forbid"))
class MessageDict(TypedDict):
    """``MessageIn`` as a plain dict: what the publish path works on. Validating a
    1,000-message body into dicts costs half what validating it into models does;
    an absent field is simply missing (read it with ``get``)."""

    value: Any
    key: NotRequired[MessageKey | None]
    headers: NotRequired[MessageHeaders | None]
    partition: NotRequired[MessagePartition | None]


@with_config(ConfigDict(extra="forbid"))
class PublishBody(TypedDict):
    """``PublishIn`` as a plain dict, its messages ``MessageDict`` s: a body accepted by
    one is accepted by the other, with the same values."""

    messages: Annotated[list[MessageDict], Field(min_length=1)]


def message_dicts(messages: list[MessageIn]) -> list[MessageDict]:
    """Validated ``MessageIn`` models as the ``MessageDict`` s the publish path takes
    (a field left out, or null, is left out)."""
    out: list[MessageDict] = []
    for m in messages:
        message: MessageDict = {"value": m.value}
        if m.key is not None:
            message["key"] = m.key
        if m.headers is not None:
            message["headers"] = m.headers
        if m.partition is not None:
            message["partition"] = m.partition
        out.append(message)
    return out


class PublishIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"messages": [{"value": {"order_id": 1042, "total": 25.5}}]},
                {
                    "messages": [
                        {
                            "value": {"order_id": 1043, "status": "paid"},
                            "key": "customer-7",
                            "headers": {"source": "checkout"},
                        },
                        {"value": "plain text is JSON too", "partition": 0},
                    ]
                },
            ]
        },
    )

    messages: Annotated[list[MessageIn], Field(min_length=1)]


class PublishedMessage(BaseModel):
    index: int
    partition: int
    offset: int
    timestamp: datetime


class PublishOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "topic": "orders",
                    "count": 2,
                    "messages": [
                        {
                            "index": 0,
                            "partition": 1,
                            "offset": 41,
                            "timestamp": "2026-12-04T09:40:00.120Z",
                        },
                        {
                            "index": 1,
                            "partition": 0,
                            "offset": 17,
                            "timestamp": "2026-12-04T09:40:00.120Z",
                        },
                    ],
                }
            ]
        }
    )

    topic: str
    count: int
    messages: list[PublishedMessage]


class StreamTicketOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ticket": "tkt_Vb3Nq8Zr1Lx5Wc9Hd2Kf7Mt4", "expires_in": 60}]
        }
    )

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
