from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from topichub.models import (
    ChatGroup,
    ChatInvitation,
    ChatMember,
    ChatMessage,
    ChatRole,
    InvitationStatus,
    Membership,
    User,
)


class ChatRepository:
    """Chat is scoped by membership, not tenant: every read that returns group data goes
    through a membership row of the caller (see ``chat.service``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: ChatGroup | ChatMember | ChatMessage | ChatInvitation) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def lock_group(self, group_id: uuid.UUID) -> None:
        """Serialize membership changes of one group until the transaction ends: a row
        lock on PostgreSQL (SQLite has a single writer and ignores it)."""
        await self.session.execute(
            select(ChatGroup.id).where(ChatGroup.id == group_id).with_for_update()
        )

    async def add_member(self, member: ChatMember) -> bool:
        """False when the user became a member meanwhile (the unique constraint decides a
        race between two admins); the transaction is then unusable and must end."""
        self.session.add(member)
        try:
            await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def membership(self, group_id: uuid.UUID, user_id: uuid.UUID) -> ChatMember | None:
        return await self.session.scalar(
            select(ChatMember).where(ChatMember.group_id == group_id, ChatMember.user_id == user_id)
        )

    async def group(self, group_id: uuid.UUID) -> ChatGroup | None:
        return await self.session.get(ChatGroup, group_id)

    async def groups_of(self, user_id: uuid.UUID) -> Sequence[tuple[ChatGroup, str]]:
        rows = await self.session.execute(
            select(ChatGroup, ChatMember.role)
            .join(ChatMember, ChatMember.group_id == ChatGroup.id)
            .where(ChatMember.user_id == user_id)
            .order_by(ChatGroup.created_at, ChatGroup.id)
        )
        return [(group, role) for group, role in rows.all()]

    async def members(self, group_id: uuid.UUID) -> Sequence[tuple[ChatMember, User]]:
        rows = await self.session.execute(
            select(ChatMember, User)
            .join(User, User.id == ChatMember.user_id)
            .where(ChatMember.group_id == group_id)
            .order_by(ChatMember.created_at, ChatMember.id)
        )
        return [(member, user) for member, user in rows.all()]

    async def count_admins(self, group_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ChatMember)
            .where(ChatMember.group_id == group_id, ChatMember.role == ChatRole.admin.value)
        )
        return int(count or 0)

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(
            select(User).where(User.email == email.lower(), User.is_active.is_(True))
        )

    async def tenant_user_by_email(self, tenant_id: uuid.UUID, email: str) -> User | None:
        """An active user with this email who is a member of ``tenant_id``; users of other
        tenants are not looked up (chat must not tell who exists elsewhere)."""
        return await self.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.tenant_id == tenant_id,
                User.email == email,
                User.is_active.is_(True),
            )
        )

    async def member_with_email(self, group_id: uuid.UUID, email: str) -> ChatMember | None:
        """A member of the group with this email (the group's admins see its members)."""
        return await self.session.scalar(
            select(ChatMember)
            .join(User, User.id == ChatMember.user_id)
            .where(ChatMember.group_id == group_id, User.email == email)
        )

    async def invitation(self, invitation_id: uuid.UUID) -> ChatInvitation | None:
        return await self.session.get(ChatInvitation, invitation_id)

    async def pending_invitation(self, group_id: uuid.UUID, email: str) -> ChatInvitation | None:
        return await self.session.scalar(
            select(ChatInvitation)
            .where(
                ChatInvitation.group_id == group_id,
                ChatInvitation.email == email,
                ChatInvitation.status == InvitationStatus.pending.value,
            )
            .order_by(ChatInvitation.created_at.desc())
            .limit(1)
        )

    async def invitations_to(
        self, email: str, now: datetime
    ) -> Sequence[tuple[ChatInvitation, ChatGroup, User | None]]:
        """Pending, unexpired invitations addressed to ``email``, oldest first."""
        rows = await self.session.execute(
            select(ChatInvitation, ChatGroup, User)
            .join(ChatGroup, ChatGroup.id == ChatInvitation.group_id)
            .outerjoin(User, User.id == ChatInvitation.invited_by)
            .where(
                ChatInvitation.email == email,
                ChatInvitation.status == InvitationStatus.pending.value,
                ChatInvitation.expires_at > now,
            )
            .order_by(ChatInvitation.created_at, ChatInvitation.id)
        )
        return [(invitation, group, user) for invitation, group, user in rows.all()]

    async def invitations_of(
        self, group_id: uuid.UUID, now: datetime
    ) -> Sequence[tuple[ChatInvitation, User | None]]:
        """The group's pending, unexpired invitations, oldest first."""
        rows = await self.session.execute(
            select(ChatInvitation, User)
            .outerjoin(User, User.id == ChatInvitation.invited_by)
            .where(
                ChatInvitation.group_id == group_id,
                ChatInvitation.status == InvitationStatus.pending.value,
                ChatInvitation.expires_at > now,
            )
            .order_by(ChatInvitation.created_at, ChatInvitation.id)
        )
        return [(invitation, user) for invitation, user in rows.all()]

    async def user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def remove(self, row: ChatMember | ChatMessage) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def message(self, message_id: int) -> ChatMessage | None:
        return await self.session.get(ChatMessage, message_id)

    async def history(
        self, group_id: uuid.UUID, *, before: int | None, limit: int
    ) -> Sequence[tuple[ChatMessage, User | None]]:
        statement = (
            select(ChatMessage, User)
            .outerjoin(User, User.id == ChatMessage.author_id)
            .where(ChatMessage.group_id == group_id)
        )
        if before is not None:
            statement = statement.where(ChatMessage.id < before)
        rows = await self.session.execute(statement.order_by(ChatMessage.id.desc()).limit(limit))
        return [(message, user) for message, user in rows.all()]

    async def flush(self) -> None:
        await self.session.flush()
