from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from topichub.models import ChatRole

GroupName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$"
    ),
]
MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=r"^[^\x00]+$"),
]


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GroupName


class GroupOut(BaseModel):
    id: uuid.UUID
    name: str
    role: ChatRole
    """The caller's role in the group."""
    created_at: datetime


class GroupList(BaseModel):
    groups: list[GroupOut]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: ChatRole = ChatRole.member


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str | None
    username: str | None
    role: ChatRole
    joined_at: datetime


class GroupDetail(GroupOut):
    members: list[MemberOut]


class SendMessageIn(BaseModel):
    """Seed 002's body. ``user_id`` is optional and, when given, must be the caller's
    own id: messages are always sent as the authenticated user."""

    group_id: uuid.UUID
    message: MessageText
    user_id: Annotated[Any, Field(description="Optional; must be your own user id")] = None


class EditMessageIn(BaseModel):
    message: MessageText


class MessageOut(BaseModel):
    id: int
    group_id: uuid.UUID
    user_id: uuid.UUID | None
    author: str | None
    message: str
    created_at: datetime
    edited_at: datetime | None


class DeletedOut(BaseModel):
    status: str = "deleted"
    message_id: int
    group_id: uuid.UUID
