"""Group chat: seed 002's paths (``/send-message/``, ``/messages/{group_id}``,
``/edit-message/{id}``, ``/delete-message/{id}``, ``WS /subscribe/{group_id}``) and the
canonical group routes (``/api/v1/chat/groups…``). Everything is also under ``/api/v1``.

Non-members get 404 on every route; members without the needed role get 403.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, WebSocket, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from topichub.chat import live, service
from topichub.chat.schemas import (
    DeletedOut,
    EditMessageIn,
    GroupCreate,
    GroupDetail,
    GroupList,
    GroupOut,
    InvitationList,
    InvitationOut,
    InvitedOut,
    MemberIn,
    MemberOut,
    MessageOut,
    SendMessageIn,
)
from topichub.dependencies import ResourcesDep, SessionDep, get_resources
from topichub.identity.dependencies import PrincipalDep
from topichub.identity.principal import Principal
from topichub.models import ChatGroup, ChatInvitation, ChatMessage, ChatRole, User
from topichub.resources import Resources

router = APIRouter(tags=["chat"])
live_router = APIRouter(tags=["chat"])
"""The WebSocket, apart: it authenticates and counts its open itself (``live.py``), so it
does not take the HTTP routes' rate-limit dependency."""

MessageId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The message's id")]


def _message_out(message: ChatMessage, author: str | None) -> MessageOut:
    return MessageOut(
        id=message.id,
        group_id=message.group_id,
        user_id=message.author_id,
        author=author,
        message=message.body,
        created_at=message.created_at,
        edited_at=message.edited_at,
    )


def _member_out(user: User, role: str, joined: object) -> MemberOut:
    return MemberOut.model_validate(
        {
            "user_id": user.id,
            "email": user.email,
            "username": user.username,
            "role": role,
            "joined_at": joined,
        }
    )


def _actor(principal: Principal) -> str | None:
    return principal.username or principal.email


@router.post(
    "/chat/groups",
    summary="Create a chat group",
    response_model=GroupOut,
    status_code=status.HTTP_201_CREATED,
)
async def create_group(
    data: GroupCreate, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> GroupOut:
    """Create a group; you are its admin."""
    group, member = await service.create_group(session, resources.outbox, principal, data.name)
    return GroupOut(
        id=group.id, name=group.name, role=ChatRole(member.role), created_at=group.created_at
    )


@router.get("/chat/groups", summary="List my chat groups", response_model=GroupList)
async def list_groups(principal: PrincipalDep, session: SessionDep) -> GroupList:
    """The groups you are a member of, with your role in each."""
    rows = await service.my_groups(session, principal)
    return GroupList(
        groups=[
            GroupOut(id=g.id, name=g.name, role=ChatRole(role), created_at=g.created_at)
            for g, role in rows
        ]
    )


@router.get("/chat/groups/{group_id}", summary="Get a chat group", response_model=GroupDetail)
async def get_group(
    group_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> GroupDetail:
    """A group you are a member of, with your role and every member; 404 otherwise."""
    group, me, members = await service.group_detail(session, principal, group_id)
    return GroupDetail(
        id=group.id,
        name=group.name,
        role=ChatRole(me.role),
        created_at=group.created_at,
        members=[_member_out(user, m.role, m.created_at) for m, user in members],
    )


def _invite_policy(resources: Resources) -> service.InvitePolicy:
    settings = resources.settings
    return service.InvitePolicy(
        limiter=resources.rate_limiter,
        ttl=timedelta(days=settings.chat_invitation_ttl_days),
        per_user_per_hour=settings.chat_invitations_per_user_per_hour,
    )


def _invitation_out(
    invitation: ChatInvitation, group: ChatGroup, inviter: User | None
) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        group_id=group.id,
        group_name=group.name,
        email=invitation.email,
        role=ChatRole(invitation.role),
        invited_by=service.display_name(inviter),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


@router.post(
    "/chat/groups/{group_id}/members",
    summary="Add a group member, or invite one",
    response_model=MemberOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        202: {
            "model": InvitedOut,
            "description": "Not a user of your tenant: an invitation was recorded",
        }
    },
)
async def add_member(
    group_id: uuid.UUID,
    data: MemberIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> MemberOut | JSONResponse:
    """Group admins only. A user of your own tenant is added at once (201). Any other
    email gets a pending invitation (202, the same answer whether or not someone holds
    that address) that its holder accepts with `POST /chat/invitations/{id}/accept`."""
    added = await service.add_member(
        session,
        resources.outbox,
        principal,
        group_id,
        data.email,
        data.role,
        _invite_policy(resources),
    )
    if isinstance(added, ChatInvitation):
        invited = InvitedOut(
            invitation_id=added.id,
            email=added.email,
            role=ChatRole(added.role),
            expires_at=added.expires_at,
        )
        return JSONResponse(jsonable_encoder(invited), status_code=status.HTTP_202_ACCEPTED)
    member, user = added
    return _member_out(user, member.role, member.created_at)


@router.get(
    "/chat/groups/{group_id}/invitations",
    summary="A group's pending invitations",
    response_model=InvitationList,
)
async def list_group_invitations(
    group_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> InvitationList:
    """Invitations of the group not yet answered nor expired; group admins only."""
    rows = await service.group_invitations(session, principal, group_id)
    group, _, _ = await service.group_detail(session, principal, group_id)
    return InvitationList(
        invitations=[_invitation_out(invitation, group, inviter) for invitation, inviter in rows]
    )


@router.delete(
    "/chat/groups/{group_id}/invitations/{invitation_id}",
    summary="Revoke an invitation",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def revoke_invitation(
    group_id: uuid.UUID, invitation_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Withdraw a pending invitation of the group; group admins only."""
    await service.revoke_invitation(session, principal, group_id, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/chat/invitations", summary="My pending chat invitations", response_model=InvitationList
)
async def my_invitations(principal: PrincipalDep, session: SessionDep) -> InvitationList:
    """Invitations addressed to your account's email, not yet answered nor expired."""
    rows = await service.my_invitations(session, principal)
    return InvitationList(
        invitations=[
            _invitation_out(invitation, group, inviter) for invitation, group, inviter in rows
        ]
    )


@router.post(
    "/chat/invitations/{invitation_id}/accept",
    summary="Accept a chat invitation",
    response_model=GroupOut,
)
async def accept_invitation(
    invitation_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> GroupOut:
    """Join the group with the invited role. Only the invitation's addressee can; an
    expired one answers 409."""
    group, member = await service.accept_invitation(
        session, resources.outbox, principal, invitation_id
    )
    return GroupOut(
        id=group.id, name=group.name, role=ChatRole(member.role), created_at=group.created_at
    )


@router.post(
    "/chat/invitations/{invitation_id}/decline",
    summary="Decline a chat invitation",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def decline_invitation(
    invitation_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Refuse the invitation; it disappears from your list and the group's."""
    await service.decline_invitation(session, principal, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/chat/groups/{group_id}/members/{user_id}",
    summary="Remove a member, or leave",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def remove_member(
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    """Remove a member (group admins), or leave (yourself). Their live sockets close."""
    await service.remove_member(session, resources.outbox, principal, group_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/send-message/",
    summary="Send a message",
    response_model=MessageOut,
    status_code=status.HTTP_201_CREATED,
)
async def send_message(
    data: SendMessageIn, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> MessageOut:
    """Send a message to a group you are a member of, as yourself."""
    message = await service.send(
        session, resources.outbox, principal, data.group_id, data.message, data.user_id
    )
    return _message_out(message, _actor(principal))


@router.get("/messages/{group_id}", summary="A group's messages", response_model=list[MessageOut])
async def list_messages(
    group_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Only messages with a smaller id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageOut]:
    """The group's history, newest first. For the next page pass `before=<smallest id>`."""
    rows = await service.history(session, principal, group_id, before=before, limit=limit)
    return [_message_out(message, service.display_name(user)) for message, user in rows]


@router.put("/edit-message/{message_id}", summary="Edit my message", response_model=MessageOut)
async def edit_message(
    message_id: MessageId,
    data: EditMessageIn,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> MessageOut:
    """Change your own message."""
    message, author = await service.edit(
        session, resources.outbox, principal, message_id, data.message
    )
    return _message_out(message, service.display_name(author))


@router.delete(
    "/delete-message/{message_id}", summary="Delete a message", response_model=DeletedOut
)
async def delete_message(
    message_id: MessageId, principal: PrincipalDep, session: SessionDep, resources: ResourcesDep
) -> DeletedOut:
    """Delete your message, or (as a group moderator or admin) anyone's."""
    message = await service.delete(session, resources.outbox, principal, message_id)
    return DeletedOut(message_id=message.id, group_id=message.group_id)


@live_router.websocket("/subscribe/{group_id}")
async def subscribe(
    websocket: WebSocket,
    group_id: str,
    token: Annotated[str | None, Query(max_length=4096)] = None,
    ticket: Annotated[str | None, Query(max_length=2048)] = None,
) -> None:
    """Live messages of a group (members only). Credential: `?token=` (an access token or
    API key), `?ticket=` (a stream ticket), the usual headers, or a first frame
    `{"type": "auth", "token": …}`. See `topichub.chat.live` for frames and close codes."""
    await live.serve(websocket, get_resources(websocket), group_id, token, ticket)
