from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class OperandsIn(BaseModel):
    """``POST /math/{operation}``: ``a`` and ``b``, or ``n`` for factorial and fibonacci.
    JSON numbers or numeric strings; integers stay exact."""

    model_config = ConfigDict(extra="forbid")

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
    items: list[CalculationOut]
    limit: int
    offset: int
    has_more: bool
