from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EventOut(BaseModel):
    event_id: uuid.UUID
    type: str
    topic: str
    key: str | None
    project_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    payload: dict[str, Any]
    occurred_at: datetime
    stored_at: datetime


class EventPage(BaseModel):
    items: list[EventOut]
    limit: int
    offset: int
    has_more: bool
