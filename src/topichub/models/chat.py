"""Seed 002's group chat: groups, their members and roles, and messages.

Chat crosses tenants: a group lives in its creator's tenant, but its members may come
from any tenant. Access is decided by membership, never by tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from topichub.kit.db import Base, Timestamps, UUIDPrimaryKey
from topichub.kit.time import utcnow
from topichub.models.outbox import SERIAL


class ChatRole(StrEnum):
    member = "member"
    moderator = "moderator"
    admin = "admin"


class ChatGroup(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "chat_groups"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ChatMember(UUIDPrimaryKey, Base):
    __tablename__ = "chat_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default=ChatRole.member.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatMessage(Base):
    """Integer ids: the seed's paths use them and they order the history (``before``)."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_group_id_id", "group_id", "id"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    revoked = "revoked"


class ChatInvitation(UUIDPrimaryKey, Base):
    """An invitation to a group, addressed to an email that is not a user of the inviter's
    tenant. Whether anyone holds that email is never looked up when it is made (the answer
    must not tell); the addressee sees it when signed in with that email. Rows stay after
    an answer (status) so that revoking cannot refill the inviter's hourly budget."""

    __tablename__ = "chat_invitations"
    __table_args__ = (Index("ix_chat_invitations_email_status", "email", "status"),)

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_groups.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    """Lower-cased, as users' emails are."""
    role: Mapped[str] = mapped_column(String(16), default=ChatRole.member.value)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default=InvitationStatus.pending.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column()
