"""Request and response shapes of consumer groups (docs/groups.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MEMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
MAX_WAIT_MS = 30_000
MAX_BATCH = 500

MemberId = Annotated[str, StringConstraints(pattern=MEMBER_PATTERN)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=4096)]

_GROUP_EXAMPLE: dict[str, Any] = {
    "name": "billing",
    "topic": "orders",
    "lease_s": 30.0,
    "max_attempts": 5,
    "retry_delay_ms": 1000,
    "lag": 3,
    "members": [
        {"member": "worker-1", "last_seen_at": "2026-12-04T10:20:00Z", "partitions": [0, 1]}
    ],
    "partitions": [
        {
            "partition": 0,
            "member": "worker-1",
            "lease_expires_at": "2026-12-04T10:20:30Z",
            "committed_offset": 40,
            "end_offset": 42,
            "lag": 2,
            "paused_until": None,
        },
        {
            "partition": 1,
            "member": "worker-1",
            "lease_expires_at": "2026-12-04T10:20:30Z",
            "committed_offset": 16,
            "end_offset": 17,
            "lag": 1,
            "paused_until": None,
        },
    ],
    "created_at": "2026-12-04T10:00:00Z",
}


class PollIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"member": "worker-1", "max": 100, "wait_ms": 5000}]},
    )

    member: MemberId | None = Field(
        default=None, description="This worker's id; generated (and returned) when absent"
    )
    max: Annotated[int, Field(ge=1, le=MAX_BATCH)] = 100
    wait_ms: Annotated[int, Field(ge=0, le=MAX_WAIT_MS)] = Field(
        default=0, description="Wait up to this long for a record when none is ready"
    )


class CommitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"cursor": "0:42", "member": "worker-1"}]}
    )

    cursor: Cursor = Field(description="A record's or a batch's cursor: handled up to there")
    member: MemberId | None = None


class NackIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"cursor": "0:41", "member": "worker-1", "reason": "payment API timed out"}
            ]
        },
    )

    cursor: Cursor = Field(description="The cursor of the one record to redeliver")
    member: MemberId | None = None
    reason: Annotated[str, Field(max_length=1024)] | None = Field(
        default=None, description="Why; carried in the dead letter's x-dlq-reason header"
    )


class GroupSettingsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lease_s": 30, "max_attempts": 5, "start": "earliest"}]},
    )

    lease_s: Annotated[float, Field(ge=0.5, le=3600)] | None = Field(
        default=None, description="A member's partitions go to others this long after its last poll"
    )
    max_attempts: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="Nacks of one record before it goes to {topic}.dlq"
    )
    retry_delay_ms: Annotated[int, Field(ge=0, le=600_000)] | None = Field(
        default=None, description="First redelivery delay after a nack (doubles per attempt)"
    )
    start: Literal["earliest", "latest"] | None = Field(
        default=None, description="Where a new group starts (ignored for an existing group)"
    )


class ResetIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"to": "earliest"}, {"to": "time", "time": "2026-12-04T09:00:00Z"}]
        },
    )

    to: Literal["earliest", "latest", "time", "cursor"]
    time: datetime | None = Field(default=None, description="For to=time: ISO-8601 with zone")
    cursor: Cursor | None = Field(default=None, description="For to=cursor")


class GroupRecord(BaseModel):
    """A record in the streams' lossless form (docs/streaming.md) with its cursor."""

    partition: int
    offset: int
    timestamp: str | None
    key: str | None
    key_encoding: Literal["base64"] | None = None
    headers: dict[str, Any]
    value: Any
    value_encoding: Literal["text", "base64"] | None = None
    tombstone: bool = False
    undecodable: bool = False
    cursor: str = Field(description="Commit or nack this record with it")
    attempt: int = Field(description="1 on first delivery; n after n-1 nacks")


class PollOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member": "worker-1",
                    "records": [
                        {
                            "partition": 0,
                            "offset": 41,
                            "timestamp": "2026-12-04T09:40:00.120Z",
                            "key": "customer-7",
                            "headers": {},
                            "value": {"order_id": 1043, "status": "paid"},
                            "cursor": "0:42",
                            "attempt": 1,
                        }
                    ],
                    "cursor": "0:42",
                    "partitions": [0, 1],
                    "lease_expires_at": "2026-12-04T10:20:30Z",
                }
            ]
        }
    )

    member: str
    records: list[GroupRecord]
    cursor: str | None = Field(description="Commit it to mark the whole batch handled")
    partitions: list[int] = Field(description="Partitions leased to this member now")
    lease_expires_at: datetime | None


class PartitionOut(BaseModel):
    partition: int
    member: str | None
    lease_expires_at: datetime | None
    committed_offset: int
    end_offset: int
    lag: int
    paused_until: datetime | None


class MemberOut(BaseModel):
    member: str
    last_seen_at: datetime
    partitions: list[int]


class GroupOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_GROUP_EXAMPLE]})

    name: str
    topic: str
    lease_s: float
    max_attempts: int
    retry_delay_ms: int
    lag: int
    members: list[MemberOut]
    partitions: list[PartitionOut]
    created_at: datetime


class GroupList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"groups": [_GROUP_EXAMPLE]}]})

    groups: list[GroupOut]


class Committed(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"committed": {"0": 42}}]})

    committed: dict[str, int] = Field(description="Committed offset per partition")


class Nacked(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partition": 0,
                    "offset": 41,
                    "attempts": 1,
                    "dead_lettered": False,
                    "redeliver_after": "2026-12-04T10:20:01Z",
                    "dead_letter_topic": None,
                },
                {
                    "partition": 0,
                    "offset": 41,
                    "attempts": 5,
                    "dead_lettered": True,
                    "redeliver_after": None,
                    "dead_letter_topic": "orders.dlq",
                },
            ]
        }
    )

    partition: int
    offset: int
    attempts: int
    dead_lettered: bool
    redeliver_after: datetime | None
    dead_letter_topic: str | None
