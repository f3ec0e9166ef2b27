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
_GROUP_ID = "0e71192c-aaf0-45e6-a7d5-678158feb53d"
_GROUP_EXAMPLE: dict[str, Any] = {
    "id": _GROUP_ID,
    "name": "team",
    "role": "admin",
    "created_at": "2026-12-04T10:00:00Z",
}
_MESSAGE_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "group_id": _GROUP_ID,
    "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
    "author": "ada",
    "message": "hello",
    "created_at": "2026-12-04T10:01:00Z",
    "edited_at": None,
}
_MEMBER_EXAMPLE: dict[str, Any] = {
    "user_id": "0c095392-4c2c-43c7-ad50-e5102a3050f9",
    "email": "grace@example.com",
    "username": None,
    "role": "member",
    "joined_at": "2026-12-04T10:02:00Z",
}

MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000, pattern=r"^[^\x00]+$"),
]


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "team"}]})

    name: GroupName


class GroupOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_GROUP_EXAMPLE]})

    id: uuid.UUID
    name: str
    role: ChatRole
    """The caller's role in the group."""
    created_at: datetime


class GroupList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"groups": [_GROUP_EXAMPLE]}]})

    groups: list[GroupOut]


class MemberIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "grace@example.com", "role": "member"}]},
    )

    email: EmailStr
    role: ChatRole = ChatRole.member


class MemberOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_MEMBER_EXAMPLE]})

    user_id: uuid.UUID
    email: str | None
    username: str | None
    role: ChatRole
    joined_at: datetime


class GroupDetail(GroupOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_GROUP_EXAMPLE,
                    "members": [
                        {
                            **_MEMBER_EXAMPLE,
                            "user_id": "3f1c9b2e-8a4d-4e6f-9b1a-2c3d4e5f6a7b",
                            "email": "ada@example.com",
                            "username": "ada",
                            "role": "admin",
                        },
                        _MEMBER_EXAMPLE,
                    ],
                }
            ]
        }
    )

    members: list[MemberOut]


class SendMessageIn(BaseModel):
    """Seed 002's body. ``user_id`` is optional and, when given, must be the caller's
    own id: messages are always sent as the authenticated user."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"group_id": _GROUP_ID, "message": "hello"}]}
    )

    group_id: uuid.UUID
    message: MessageText
    user_id: Annotated[Any, Field(description="Optional; must be your own user id")] = None


class EditMessageIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"message": "hello!"}]})

    message: MessageText


class MessageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_MESSAGE_EXAMPLE]})

    id: int
    group_id: uuid.UUID
    user_id: uuid.UUID | None
    author: str | None
    message: str
    created_at: datetime
    edited_at: datetime | None


class DeletedOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "deleted", "message_id": 1, "group_id": _GROUP_ID}]
        }
    )

    status: str = "deleted"
    message_id: int
    group_id: uuid.UUID


_INVITATION_ID = "7d0c2f4e-5b1a-4c3d-9e8f-1a2b3c4d5e6f"
_INVITED_EXAMPLE: dict[str, Any] = {
    "status": "invited",
    "invitation_id": _INVITATION_ID,
    "email": "grace@example.org",
    "role": "member",
    "expires_at": "2026-12-11T10:02:00Z",
}


class InvitedOut(BaseModel):
    """The answer (202) to adding an email that is not a user of your tenant: the same
    whether or not someone holds that address."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INVITED_EXAMPLE]})

    status: str = "invited"
    invitation_id: uuid.UUID
    email: str
    role: ChatRole
    expires_at: datetime


_INVITATION_EXAMPLE: dict[str, Any] = {
    "id": _INVITATION_ID,
    "group_id": _GROUP_ID,
    "group_name": "team",
    "email": "grace@example.org",
    "role": "member",
    "invited_by": "ada",
    "created_at": "2026-12-04T10:02:00Z",
    "expires_at": "2026-12-11T10:02:00Z",
}


class InvitationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_INVITATION_EXAMPLE]})

    id: uuid.UUID
    group_id: uuid.UUID
    group_name: str
    email: str
    role: ChatRole
    """The role you get by accepting."""
    invited_by: str | None
    created_at: datetime
    expires_at: datetime


class InvitationList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"invitations": [_INVITATION_EXAMPLE]}]}
    )

    invitations: list[InvitationOut]
