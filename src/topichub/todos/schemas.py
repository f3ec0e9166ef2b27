from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x08\x0b-\x1f]+$"
    ),
]
# No NUL: PostgreSQL text cannot hold it (a 500 otherwise).
Description = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]


class TodoIn(BaseModel):
    """A whole todo: the body of ``POST`` and of ``PUT`` (full replace: what is left out
    gets its default). Unknown fields, such as an ``id`` echoed back, are ignored."""

    title: Title
    description: Description | None = None
    completed: bool = False


class TodoPatch(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    completed: bool | None = None


class TodoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime
