from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x08\x0b-\x1f]+$"
    ),
]
# No NUL: PostgreSQL text cannot hold it (a 500 otherwise).
Description = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]

_TODO_EXAMPLE: dict[str, Any] = {
    "id": 17,
    "title": "write docs",
    "description": "Every operation gets an example",
    "completed": False,
    "created_at": "2026-12-04T09:50:00Z",
    "updated_at": "2026-12-04T09:50:00Z",
}


class TodoIn(BaseModel):
    """A whole todo: the body of ``POST`` and of ``PUT`` (full replace: what is left out
    gets its default). Unknown fields, such as an ``id`` echoed back, are ignored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"title": "write docs", "description": "Every operation gets an example"},
                {"title": "write docs", "completed": True},
            ]
        }
    )

    title: Title
    description: Description | None = None
    completed: bool = False


class TodoPatch(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"completed": True}, {"description": None}]}
    )

    title: Title | None = None
    description: Description | None = None
    completed: bool | None = None


class TodoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_TODO_EXAMPLE]})

    id: int
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime
