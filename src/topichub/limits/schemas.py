"""The usage API's request and answer models."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_METERS_EXAMPLE: dict[str, Any] = {
    "date": "2026-12-04",
    "messages_in": {
        "used": 8200,
        "limit": 10000,
        "remaining": 1800,
        "percentage": 82.0,
        "warning": True,
    },
    "bytes_in": {
        "used": 1048576,
        "limit": 104857600,
        "remaining": 103809024,
        "percentage": 1.0,
        "warning": False,
    },
    "messages_out": {
        "used": 120,
        "limit": None,
        "remaining": None,
        "percentage": None,
        "warning": False,
    },
    "bytes_out": {
        "used": 40960,
        "limit": None,
        "remaining": None,
        "percentage": None,
        "warning": False,
    },
    "warnings": ["82% of today's messages in quota used (8200 of 10000)"],
}


class Meter(BaseModel):
    used: int
    limit: int | None
    remaining: int | None
    percentage: float | None
    warning: bool


class ApiUsageOut(BaseModel):
    """Seed 003's billing view of the tenant's day."""

    api_calls: int
    errors: int = Field(description="Answers 5xx: the server's fault.")
    client_errors: int = Field(
        description="Answers 4xx: refused permissions, limits (429), bad input."
    )
    streams: int = Field(description="Streams opened; counted in `api_calls`, not in latency.")
    recommendations_served: int
    items_indexed: int
    average_latency_ms: float = Field(description="Of the calls that are not streams.")


class UsageOut(BaseModel):
    date: date
    messages_in: Meter
    bytes_in: Meter
    messages_out: Meter
    bytes_out: Meter
    warnings: list[str]


class UserUsageOut(UsageOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_METERS_EXAMPLE,
                    "tenant_id": "7d2e4c1a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
                    "api": {
                        "api_calls": 1520,
                        "errors": 0,
                        "client_errors": 12,
                        "streams": 4,
                        "recommendations_served": 30,
                        "items_indexed": 250,
                        "average_latency_ms": 4.8,
                    },
                }
            ]
        }
    )

    tenant_id: str
    api: ApiUsageOut


class ProjectUsageOut(UsageOut):
    project_id: str
    name: str


class ProjectsUsageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date": "2026-12-04",
                    "projects": [
                        {
                            **_METERS_EXAMPLE,
                            "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
                            "name": "checkout",
                        }
                    ],
                }
            ]
        }
    )

    date: date
    projects: list[ProjectUsageOut]


class DayUsageOut(BaseModel):
    date: date
    messages_in: int
    bytes_in: int
    messages_out: int
    bytes_out: int


class DailyLimitsOut(BaseModel):
    """The plan's daily quotas per user; ``None`` means unlimited."""

    messages_in: int | None
    bytes_in: int | None
    messages_out: int | None
    bytes_out: int | None


class UsageHistoryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "days": [
                        {
                            "date": "2026-12-03",
                            "messages_in": 0,
                            "bytes_in": 0,
                            "messages_out": 0,
                            "bytes_out": 0,
                        },
                        {
                            "date": "2026-12-04",
                            "messages_in": 8200,
                            "bytes_in": 1048576,
                            "messages_out": 120,
                            "bytes_out": 40960,
                        },
                    ],
                    "limits": {
                        "messages_in": 10000,
                        "bytes_in": 104857600,
                        "messages_out": None,
                        "bytes_out": None,
                    },
                }
            ]
        }
    )

    days: list[DayUsageOut]
    limits: DailyLimitsOut
