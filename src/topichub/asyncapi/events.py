"""The JSON values the built-in apps publish to their topics (``todos``, ``chat``, ``logs``,
``interactions``), as models: the AsyncAPI document's payload schemas come from them and
``tests/asyncapi`` checks each against an event the app really emitted.

Every value is the app's payload with the outbox relay's ``event``, ``event_id`` and
``occurred_at`` beside it (``events/outbox.py``); no field is left out of a model, so a field
an app adds without describing it here fails that test."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AppEventBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID = Field(description="Unique per event: drop a redelivered duplicate")
    occurred_at: datetime


class TodoCreated(AppEventBase):
    """Topic ``todos``, keyed by todo id."""

    event: Literal["todo_created"]
    id: int
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    created_by: str


class TodoUpdated(AppEventBase):
    """Topic ``todos``: after ``PUT`` or ``PATCH``; ``changes`` names the fields given."""

    event: Literal["todo_updated"]
    id: int
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime
    updated_by: str
    changes: list[str]


class TodoDeleted(AppEventBase):
    """Topic ``todos``."""

    event: Literal["todo_deleted"]
    id: int
    title: str
    deleted_at: datetime
    deleted_by: str


class ChatMessageEvent(AppEventBase):
    """Topic ``chat``, keyed by group id: a message sent or edited."""

    event: Literal["message_created", "message_edited"]
    group_id: uuid.UUID
    id: int
    message_id: int
    user_id: uuid.UUID
    author: str | None
    message: str
    created_at: datetime
    edited_at: datetime | None


class ChatMessageDeleted(AppEventBase):
    """Topic ``chat``, keyed by group id."""

    event: Literal["message_deleted"]
    group_id: uuid.UUID
    id: int
    message_id: int
    user_id: uuid.UUID
    deleted_by: str
    deleted_at: datetime


class ChatGroupCreated(AppEventBase):
    """Topic ``chat``, keyed by group id: a group was created (its creator is its admin)."""

    event: Literal["group_created"]
    group_id: uuid.UUID
    name: str
    created_by: str


class ChatMemberAdded(AppEventBase):
    """Topic ``chat``, keyed by group id: a group admin added a user of their tenant, or
    someone accepted an invitation (then on their own topic, with ``invitation_id``, and
    ``added_by`` is themselves)."""

    event: Literal["member_added"]
    group_id: uuid.UUID
    user_id: uuid.UUID
    role: Literal["member", "moderator", "admin"]
    added_by: str
    invitation_id: uuid.UUID | None = None


class ChatMemberInvited(AppEventBase):
    """Topic ``chat``, keyed by group id: a group admin invited an email from outside
    their tenant (whether anyone holds it is not known to the event either)."""

    event: Literal["member_invited"]
    group_id: uuid.UUID
    invitation_id: uuid.UUID
    email: str
    role: Literal["member", "moderator", "admin"]
    invited_by: str
    expires_at: datetime


class ChatMemberRemoved(AppEventBase):
    """Topic ``chat``, keyed by group id: a member was removed, or left (``removed_by`` is
    then the member); their live sockets on the group close."""

    event: Literal["member_removed"]
    group_id: uuid.UUID
    user_id: uuid.UUID
    removed_by: str


class MathOperation(AppEventBase):
    """Topic ``logs``, keyed by user id: one per computed operation."""

    event: Literal["math_operation"]
    operation: str
    inputs: dict[str, int | float]
    result: int | float | str = Field(
        description="A number; a string when it is an integer too long for a JSON number"
    )
    user: str
    user_id: uuid.UUID
    time: datetime


class InteractionTracked(AppEventBase):
    """Topic ``interactions``, keyed by the interaction's user id (seed 003)."""

    event: Literal["interaction_tracked"]
    interaction_id: uuid.UUID
    user_id: str
    item_id: str
    interaction_type: str
    weight: float
    value: float | None
    timestamp: datetime


APP_TOPICS: dict[str, list[type[AppEventBase]]] = {
    "todos": [TodoCreated, TodoUpdated, TodoDeleted],
    "chat": [
        ChatMessageEvent,
        ChatMessageDeleted,
        ChatGroupCreated,
        ChatMemberAdded,
        ChatMemberInvited,
        ChatMemberRemoved,
    ],
    "logs": [MathOperation],
    "interactions": [InteractionTracked],
}
"""Each app topic and every event the app writes to it."""

CHAT_LIVE: list[type[AppEventBase]] = [ChatMessageEvent, ChatMessageDeleted]
"""What a chat group's WebSocket (``/subscribe/{group_id}``) passes on: message events."""
