"""Group chat rules. Services never commit: the request does, with the outbox rows.

Access is by group membership, whatever the tenant. Someone who is not a member gets
404 on every group and message route (a group one cannot see does not exist for one);
a member lacking the role for an action gets 403. Roles: ``admin`` (the creator; adds
and removes members), ``moderator`` (deletes anyone's messages), ``member``. Authors edit
and delete their own messages. Anyone may leave a group, except its last admin.

Every change is an event on the acting user's ``chat`` topic, keyed by group id. Message
events and removals also go to the platform topic ``th.sys.chat`` (``FANOUT``), which
every process reads to feed its ``/subscribe/{group_id}`` sockets.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from topichub.bus.port import TopicSpec
from topichub.chat.repository import ChatRepository
from topichub.errors import Conflict, Forbidden, NotFound, RateLimitExceeded
from topichub.events.outbox import AppEvent, Outbox
from topichub.identity.principal import Permission, Principal
from topichub.kit.time import utcnow
from topichub.limits.rate import RateLimiter, RatePolicy
from topichub.metrics import RATE_LIMITED
from topichub.models import (
    ChatGroup,
    ChatInvitation,
    ChatMember,
    ChatMessage,
    ChatRole,
    InvitationStatus,
    User,
)

TOPIC = "chat"
FANOUT = TopicSpec(name="th.sys.chat", partitions=1, retention_ms=24 * 3600 * 1000)
"""The platform topic of live chat delivery, keyed by group id (one partition: the order
of a group's events is the order the relay published them)."""

GROUP_CREATED = "group_created"
MEMBER_ADDED = "member_added"
MEMBER_INVITED = "member_invited"
MEMBER_REMOVED = "member_removed"
MESSAGE_CREATED = "message_created"
MESSAGE_EDITED = "message_edited"
MESSAGE_DELETED = "message_deleted"
MESSAGE_EVENTS = frozenset({MESSAGE_CREATED, MESSAGE_EDITED, MESSAGE_DELETED})


def _user(principal: Principal) -> uuid.UUID:
    if principal.user_id is None:
        raise Forbidden("Chat needs a user; this key has no user")
    return principal.user_id


def display_name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.username or user.email


def _actor(principal: Principal) -> str:
    return principal.username or principal.email or str(principal.user_id)


async def _membership(repo: ChatRepository, group_id: uuid.UUID, user_id: uuid.UUID) -> ChatMember:
    member = await repo.membership(group_id, user_id)
    if member is None:
        raise NotFound("Group not found")
    return member


async def _emit(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    group_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    live: bool,
) -> None:
    await outbox.add(
        session,
        principal.tenant_id,
        AppEvent(
            topic=TOPIC,
            type=event_type,
            key=str(group_id),
            payload={"group_id": group_id, **payload},
            actor_id=principal.user_id,
            fanout=FANOUT.name if live else None,
        ),
    )


def message_payload(message: ChatMessage, author: str | None) -> dict[str, Any]:
    return {
        "id": message.id,
        "message_id": message.id,
        "group_id": message.group_id,
        "user_id": message.author_id,
        "author": author,
        "message": message.body,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
    }


# -- groups -----------------------------------------------------------------------------


async def create_group(
    session: AsyncSession, outbox: Outbox, principal: Principal, name: str
) -> tuple[ChatGroup, ChatMember]:
    principal.require(Permission.write)
    user_id = _user(principal)
    now = utcnow()
    group = ChatGroup(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        name=name,
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )
    member = ChatMember(
        group_id=group.id, user_id=user_id, role=ChatRole.admin.value, created_at=now
    )
    repo = ChatRepository(session)
    await repo.add(group)
    await repo.add(member)
    await _emit(
        session,
        outbox,
        principal,
        group.id,
        GROUP_CREATED,
        {"name": name, "created_by": _actor(principal)},
        live=False,
    )
    return group, member


async def my_groups(session: AsyncSession, principal: Principal) -> Sequence[tuple[ChatGroup, str]]:
    principal.require(Permission.read)
    return await ChatRepository(session).groups_of(_user(principal))


async def group_detail(
    session: AsyncSession, principal: Principal, group_id: uuid.UUID
) -> tuple[ChatGroup, ChatMember, Sequence[tuple[ChatMember, User]]]:
    principal.require(Permission.read)
    repo = ChatRepository(session)
    me = await _membership(repo, group_id, _user(principal))
    group = await repo.group(group_id)
    assert group is not None
    return group, me, await repo.members(group_id)


@dataclass(frozen=True)
class InvitePolicy:
    """How invitations behave: their lifetime and each user's hourly budget."""

    limiter: RateLimiter
    ttl: timedelta
    per_user_per_hour: int | None


async def add_member(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    group_id: uuid.UUID,
    email: str,
    role: ChatRole,
    policy: InvitePolicy,
) -> tuple[ChatMember, User] | ChatInvitation:
    """Group admins add a user of their own tenant at once (the member and user back);
    any other email gets a pending invitation (the invitation back), whether or not
    someone holds it: users of other tenants are never looked up here, so the answer
    and the work done are the same for a stranger's real address and for an unknown one.
    """
    principal.require(Permission.write)
    repo = ChatRepository(session)
    me = await _membership(repo, group_id, _user(principal))
    if me.role != ChatRole.admin:
        raise Forbidden("Only group admins can add members")
    email = email.strip().lower()
    # The admin sees the members' emails anyway: saying so tells nothing new.
    if await repo.member_with_email(group_id, email) is not None:
        raise Conflict("Already a member of this group")
    user = await repo.tenant_user_by_email(principal.tenant_id, email)
    if user is None:
        return await _invite(session, outbox, principal, repo, group_id, email, role, policy)
    member = ChatMember(group_id=group_id, user_id=user.id, role=role.value, created_at=utcnow())
    if not await repo.add_member(member):
        raise Conflict("Already a member of this group")
    await _emit(
        session,
        outbox,
        principal,
        group_id,
        MEMBER_ADDED,
        {"user_id": user.id, "role": role.value, "added_by": _actor(principal)},
        live=False,
    )
    return member, user


async def _invite(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    repo: ChatRepository,
    group_id: uuid.UUID,
    email: str,
    role: ChatRole,
    policy: InvitePolicy,
) -> ChatInvitation:
    if policy.per_user_per_hour is not None:
        decision = await policy.limiter.hit(
            f"chat-invite:user:{principal.user_id}",
            RatePolicy(per_minute=None, per_hour=policy.per_user_per_hour, per_day=None),
        )
        if not decision.allowed:
            RATE_LIMITED.labels("chat_invitation").inc()
            raise RateLimitExceeded(
                f"Too many chat invitations; try again in {decision.retry_after} seconds",
                headers={"Retry-After": str(decision.retry_after)},
            )
    now = utcnow()
    invitation = await repo.pending_invitation(group_id, email)
    if invitation is None:
        invitation = ChatInvitation(
            id=uuid.uuid4(),
            group_id=group_id,
            email=email,
            role=role.value,
            invited_by=principal.user_id,
            status=InvitationStatus.pending.value,
            created_at=now,
            expires_at=now + policy.ttl,
        )
        await repo.add(invitation)
    else:
        # Inviting again renews the pending invitation (and its role): one per address.
        invitation.role = role.value
        invitation.invited_by = principal.user_id
        invitation.expires_at = now + policy.ttl
        await repo.flush()
    await _emit(
        session,
        outbox,
        principal,
        group_id,
        MEMBER_INVITED,
        {
            "invitation_id": invitation.id,
            "email": email,
            "role": role.value,
            "invited_by": _actor(principal),
            "expires_at": invitation.expires_at,
        },
        live=False,
    )
    return invitation


async def _my_email(repo: ChatRepository, principal: Principal) -> str | None:
    user = await repo.user(_user(principal))
    return user.email if user is not None and user.email else None


async def my_invitations(
    session: AsyncSession, principal: Principal
) -> Sequence[tuple[ChatInvitation, ChatGroup, User | None]]:
    """Pending invitations addressed to the caller's account email."""
    principal.require(Permission.read)
    repo = ChatRepository(session)
    email = await _my_email(repo, principal)
    if email is None:
        return []
    return await repo.invitations_to(email, utcnow())


async def _invitation_to_me(
    repo: ChatRepository, principal: Principal, invitation_id: uuid.UUID
) -> ChatInvitation:
    """An invitation addressed to the caller and still pending; 404 for any other (one
    addressed to someone else does not exist for the caller)."""
    email = await _my_email(repo, principal)
    invitation = await repo.invitation(invitation_id)
    if (
        invitation is None
        or email is None
        or invitation.email != email
        or invitation.status != InvitationStatus.pending
    ):
        raise NotFound("Invitation not found")
    return invitation


async def accept_invitation(
    session: AsyncSession, outbox: Outbox, principal: Principal, invitation_id: uuid.UUID
) -> tuple[ChatGroup, ChatMember]:
    """The addressee joins the group with the invited role."""
    principal.require(Permission.write)
    repo = ChatRepository(session)
    user_id = _user(principal)
    invitation = await _invitation_to_me(repo, principal, invitation_id)
    await repo.lock_group(invitation.group_id)
    now = utcnow()
    if invitation.expires_at <= now:
        raise Conflict("This invitation has expired; ask a group admin for a new one")
    group = await repo.group(invitation.group_id)
    assert group is not None
    invitation.status = InvitationStatus.accepted.value
    invitation.responded_at = now
    member = await repo.membership(group.id, user_id)
    if member is not None:
        await repo.flush()
        return group, member
    member = ChatMember(group_id=group.id, user_id=user_id, role=invitation.role, created_at=now)
    if not await repo.add_member(member):
        raise Conflict("Already a member of this group")
    await _emit(
        session,
        outbox,
        principal,
        group.id,
        MEMBER_ADDED,
        {
            "user_id": user_id,
            "role": invitation.role,
            "added_by": _actor(principal),
            "invitation_id": invitation.id,
        },
        live=False,
    )
    return group, member


async def decline_invitation(
    session: AsyncSession, principal: Principal, invitation_id: uuid.UUID
) -> None:
    principal.require(Permission.write)
    repo = ChatRepository(session)
    invitation = await _invitation_to_me(repo, principal, invitation_id)
    invitation.status = InvitationStatus.declined.value
    invitation.responded_at = utcnow()
    await repo.flush()


async def _as_admin(repo: ChatRepository, principal: Principal, group_id: uuid.UUID) -> None:
    me = await _membership(repo, group_id, _user(principal))
    if me.role != ChatRole.admin:
        raise Forbidden("Only group admins can see and revoke invitations")


async def group_invitations(
    session: AsyncSession, principal: Principal, group_id: uuid.UUID
) -> Sequence[tuple[ChatInvitation, User | None]]:
    """A group's pending invitations; group admins only."""
    principal.require(Permission.read)
    repo = ChatRepository(session)
    await _as_admin(repo, principal, group_id)
    return await repo.invitations_of(group_id, utcnow())


async def revoke_invitation(
    session: AsyncSession, principal: Principal, group_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    principal.require(Permission.write)
    repo = ChatRepository(session)
    await _as_admin(repo, principal, group_id)
    invitation = await repo.invitation(invitation_id)
    if (
        invitation is None
        or invitation.group_id != group_id
        or invitation.status != InvitationStatus.pending
    ):
        raise NotFound("Invitation not found")
    invitation.status = InvitationStatus.revoked.value
    invitation.responded_at = utcnow()
    await repo.flush()


async def remove_member(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
) -> None:
    """Admins remove anyone; everyone may remove themselves. The last admin stays."""
    principal.require(Permission.write)
    repo = ChatRepository(session)
    caller = _user(principal)
    # Two admins removing each other at once must not leave the group without one: the
    # group lock orders them on PostgreSQL, and counting after the delete (which holds
    # SQLite's write lock) sees the other's committed removal there.
    await repo.lock_group(group_id)
    me = await _membership(repo, group_id, caller)
    if user_id != caller and me.role != ChatRole.admin:
        raise Forbidden("Only group admins can remove other members")
    target = me if user_id == caller else await repo.membership(group_id, user_id)
    if target is None:
        raise NotFound("Not a member of this group")
    await repo.remove(target)
    if target.role == ChatRole.admin and await repo.count_admins(group_id) == 0:
        raise Conflict("The group's last admin cannot be removed; make someone else admin first")
    # Live: sockets of the removed user, in every process, close on this event.
    await _emit(
        session,
        outbox,
        principal,
        group_id,
        MEMBER_REMOVED,
        {"user_id": user_id, "removed_by": _actor(principal)},
        live=True,
    )


# -- messages ---------------------------------------------------------------------------


async def send(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    group_id: uuid.UUID,
    text: str,
    claimed_user_id: Any = None,
) -> ChatMessage:
    principal.require(Permission.write)
    user_id = _user(principal)
    if claimed_user_id is not None and str(claimed_user_id) != str(user_id):
        raise Forbidden("user_id must be your own id: messages are sent as the signed-in user")
    repo = ChatRepository(session)
    await _membership(repo, group_id, user_id)
    message = ChatMessage(group_id=group_id, author_id=user_id, body=text, created_at=utcnow())
    await repo.add(message)
    await _emit(
        session,
        outbox,
        principal,
        group_id,
        MESSAGE_CREATED,
        message_payload(message, _actor(principal)),
        live=True,
    )
    return message


async def history(
    session: AsyncSession,
    principal: Principal,
    group_id: uuid.UUID,
    *,
    before: int | None,
    limit: int,
) -> Sequence[tuple[ChatMessage, User | None]]:
    principal.require(Permission.read)
    repo = ChatRepository(session)
    await _membership(repo, group_id, _user(principal))
    return await repo.history(group_id, before=before, limit=limit)


async def _message_as_member(
    repo: ChatRepository, principal: Principal, message_id: int
) -> tuple[ChatMessage, ChatMember]:
    message = await repo.message(message_id)
    member = None if message is None else await repo.membership(message.group_id, _user(principal))
    if message is None or member is None:
        raise NotFound("Message not found")
    return message, member


async def edit(
    session: AsyncSession, outbox: Outbox, principal: Principal, message_id: int, text: str
) -> tuple[ChatMessage, User | None]:
    """Only the author edits a message (moderators may delete it, not reword it)."""
    principal.require(Permission.write)
    repo = ChatRepository(session)
    message, _ = await _message_as_member(repo, principal, message_id)
    if message.author_id != principal.user_id:
        raise Forbidden("Only the author can edit this message")
    message.body = text
    message.edited_at = utcnow()
    await repo.flush()
    author = await repo.user(message.author_id) if message.author_id else None
    await _emit(
        session,
        outbox,
        principal,
        message.group_id,
        MESSAGE_EDITED,
        message_payload(message, display_name(author)),
        live=True,
    )
    return message, author


async def delete(
    session: AsyncSession, outbox: Outbox, principal: Principal, message_id: int
) -> ChatMessage:
    """The author, or a moderator or admin of the group, deletes a message."""
    principal.require(Permission.write)
    repo = ChatRepository(session)
    message, member = await _message_as_member(repo, principal, message_id)
    if message.author_id != principal.user_id and member.role not in (
        ChatRole.moderator,
        ChatRole.admin,
    ):
        raise Forbidden("Only the author or a group moderator can delete this message")
    await _emit(
        session,
        outbox,
        principal,
        message.group_id,
        MESSAGE_DELETED,
        {
            "id": message.id,
            "message_id": message.id,
            "user_id": message.author_id,
            "deleted_by": _actor(principal),
            "deleted_at": utcnow(),
        },
        live=True,
    )
    await repo.remove(message)
    return message


async def is_member(session: AsyncSession, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return await ChatRepository(session).membership(group_id, user_id) is not None
