from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "event_id": "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e",
                            "type": "todo_created",
                            "topic": "todos",
                            "key": "17",
                            "project_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
                            "actor_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
                            "payload": {
                                "id": 17,
                                "title": "write docs",
                                "description": None,
                                "completed": False,
                                "created_at": "2026-12-04T09:50:00Z",
                                "created_by": "ada@example.com",
                            },
                            "occurred_at": "2026-12-04T09:50:00Z",
                            "stored_at": "2026-12-04T09:50:00.350Z",
                        }
                    ],
                    "limit": 50,
                    "offset": 0,
                    "has_more": False,
                }
            ]
        }
    )

    items: list[EventOut]
    limit: int
    offset: int
    has_more: bool
