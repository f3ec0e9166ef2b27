"""Response shapes of the message browser and the topic statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class BrowsedMessage(BaseModel):
    """A record in the lossless form streams deliver (docs/streaming.md), plus its size."""

    partition: int
    offset: int
    timestamp: str | None = Field(description="ISO-8601 UTC, millisecond precision")
    key: str | None
    key_encoding: Literal["base64"] | None = None
    headers: dict[str, Any]
    value: Any = Field(description="The JSON value, or text/base64 per value_encoding")
    value_encoding: Literal["text", "base64"] | None = None
    tombstone: bool = False
    undecodable: bool = Field(
        default=False, description="The record could not be encoded (only its position is given)"
    )
    size: int = Field(description="Bytes of the value (what outbound usage counts)")


class MessagePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "messages": [
                        {
                            "partition": 0,
                            "offset": 41,
                            "timestamp": "2026-12-04T09:40:00.120Z",
                            "key": "customer-7",
                            "headers": {"source": "checkout"},
                            "value": {"order_id": 1043, "status": "paid"},
                            "size": 36,
                        }
                    ],
                    "next": "0:42",
                }
            ]
        }
    )

    messages: list[BrowsedMessage]
    next: str | None = Field(
        description="A cursor for the next page (same format as stream cursors), or null "
        "at the end. For order=asc it is a stream cursor: /stream?cursor=<next> continues "
        "live from there."
    )


class PartitionStatsOut(BaseModel):
    partition: int
    earliest_offset: int
    next_offset: int
    messages: int = Field(description="next_offset - earliest_offset")


class TopicStatsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "topic": "orders",
                    "partitions": [
                        {"partition": 0, "earliest_offset": 0, "next_offset": 42, "messages": 42}
                    ],
                    "messages_retained": 42,
                    "bytes_retained": 1510,
                    "last_message_at": "2026-12-04T09:40:00.120Z",
                    "messages_last_minute": 3,
                    "messages_last_hour": 42,
                    "bytes_last_minute": 108,
                    "bytes_last_hour": 1510,
                    "messages_out_last_minute": 6,
                    "messages_out_last_hour": 84,
                    "bytes_out_last_minute": 216,
                    "bytes_out_last_hour": 3020,
                    "open_streams": 1,
                }
            ]
        }
    )

    topic: str
    partitions: list[PartitionStatsOut]
    messages_retained: int
    bytes_retained: int | None = Field(
        description="Bytes the log holds for the topic; null on Kafka (no cheap way to ask)"
    )
    last_message_at: datetime | None
    messages_last_minute: int = Field(description="Messages published in the last 60 s")
    messages_last_hour: int = Field(description="Messages published in the last hour")
    bytes_last_minute: int = Field(description="Bytes published in the last 60 s")
    bytes_last_hour: int = Field(description="Bytes published in the last hour")
    messages_out_last_minute: int = Field(
        description="Messages delivered to streams or shown by the browser in the last 60 s"
    )
    messages_out_last_hour: int
    bytes_out_last_minute: int
    bytes_out_last_hour: int
    open_streams: int = Field(description="Streams open on this topic in the answering process")
