from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class OperandsIn(BaseModel):
    """``POST /math/{operation}``: ``a`` and ``b``, or ``n`` for factorial and fibonacci.
    JSON numbers or numeric strings; integers stay exact."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"a": 2, "b": 3}, {"n": 10}]}
    )

    a: Any = None
    b: Any = None
    n: Any = None


class CalculationOut(BaseModel):
    id: uuid.UUID
    operation: str
    inputs: dict[str, Any]
    result: Any
    created_at: datetime


class HistoryPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817",
                            "operation": "add",
                            "inputs": {"a": 2, "b": 3},
                            "result": 5,
                            "created_at": "2026-12-04T09:55:00Z",
                        }
                    ],
                    "limit": 50,
                    "offset": 0,
                    "has_more": False,
                }
            ]
        }
    )

    items: list[CalculationOut]
    limit: int
    offset: int
    has_more: bool
