"""Request and response shapes of a topic's JSON Schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

SchemaDocument = Annotated[
    dict[str, Any] | bool,
    Field(description="A JSON Schema, draft 2020-12 (an object, or true/false)"),
]


_SCHEMA_EXAMPLE: dict[str, Any] = {
    "type": "object",
    "properties": {"order_id": {"type": "integer"}, "total": {"type": "number", "minimum": 0}},
    "required": ["order_id"],
}
_SCHEMA_OUT_EXAMPLE: dict[str, Any] = {
    "topic": "orders",
    "version": 2,
    "schema": _SCHEMA_EXAMPLE,
    "active": True,
    "forced": False,
    "created_at": "2026-12-04T10:10:00Z",
}


class SchemaIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"schema": _SCHEMA_EXAMPLE}]}
    )

    schema_: SchemaDocument = Field(alias="schema")


class SchemaOut(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra={"examples": [_SCHEMA_OUT_EXAMPLE]}
    )

    topic: str
    version: int = Field(description="Stored messages name it in their topichub-schema-version")
    schema_: SchemaDocument = Field(alias="schema", serialization_alias="schema")
    active: bool = Field(description="Whether publishes are checked against this version now")
    forced: bool = Field(description="Set with ?force=true over a version it may not accept all of")
    created_at: datetime


class SchemaVersions(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "topic": "orders",
                    "active_version": 2,
                    "versions": [
                        _SCHEMA_OUT_EXAMPLE,
                        {
                            **_SCHEMA_OUT_EXAMPLE,
                            "version": 1,
                            "schema": {"type": "object"},
                            "active": False,
                            "created_at": "2026-12-04T10:00:00Z",
                        },
                    ],
                }
            ]
        }
    )

    topic: str
    active_version: int | None
    versions: list[SchemaOut] = Field(description="Newest first")


class SchemaCheckIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"values": [{"order_id": 1042, "total": 25.5}, {"total": -1}]},
                {"values": [{"order_id": 1042}], "schema": _SCHEMA_EXAMPLE},
            ]
        },
    )

    values: Annotated[list[Any], Field(max_length=100)] = Field(
        default_factory=list, description="Message values to check (at most 100)"
    )
    schema_: SchemaDocument | None = Field(
        default=None,
        alias="schema",
        description="A schema to try; the topic's active one when omitted",
    )


class SchemaFailure(BaseModel):
    index: int
    pointer: str = Field(description="JSON pointer into the value")
    schema_pointer: str = Field(description="JSON pointer to the failing keyword in the schema")
    reason: str


class SchemaCheckOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": False,
                    "failures": [
                        {
                            "index": 1,
                            "pointer": "",
                            "schema_pointer": "/required",
                            "reason": '"order_id" is a required property',
                        },
                        {
                            "index": 1,
                            "pointer": "/total",
                            "schema_pointer": "/properties/total/minimum",
                            "reason": "-1 is less than the minimum of 0",
                        },
                    ],
                    "version": 2,
                    "compatible": None,
                    "incompatibilities": [],
                }
            ]
        }
    )

    valid: bool = Field(description="Every value validates")
    failures: list[SchemaFailure]
    version: int | None = Field(description="The version checked against (null for a tried one)")
    compatible: bool | None = Field(
        description="For a tried schema: whether it can replace the active one without "
        "?force=true (null when the topic has no schema)"
    )
    incompatibilities: list[str]
