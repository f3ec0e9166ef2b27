"""Authenticating a WebSocket. Browsers cannot set headers on one, so besides the usual
headers a client may present a single-use stream ticket (``?ticket=``) or send
``{"type": "auth", "token" | "ticket": …}`` as its first frame."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from fastapi import WebSocket
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect

from topichub.errors import AuthenticationFailed
from topichub.identity.dependencies import (
    cached_user_principal,
    extract_credential,
    resolve_credential,
)
from topichub.identity.principal import Principal
from topichub.identity.tokens import InvalidToken
from topichub.resources import Resources

AUTH_FRAME_TIMEOUT_S = 5.0
Credential = tuple[str, str]
"""("ticket" | "token", value); a token is a JWT access token or an API key."""


async def ws_credential(
    websocket: WebSocket, *, ticket: str | None = None, token: str | None = None
) -> Credential | None:
    """From the query, the headers, or (waiting briefly) a first auth frame."""
    if ticket:
        return "ticket", ticket
    if token:
        return "token", token
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    bearer = (
        HTTPAuthorizationCredentials(scheme="Bearer", credentials=value.strip())
        if scheme.lower() == "bearer" and value.strip()
        else None
    )
    credential = extract_credential(websocket, bearer, websocket.headers.get("x-api-key"))
    if credential:
        return "token", credential
    try:
        async with asyncio.timeout(AUTH_FRAME_TIMEOUT_S):
            frame = await websocket.receive_text()
        message: Any = json.loads(frame)
    except (TimeoutError, ValueError, KeyError, RuntimeError, WebSocketDisconnect):
        return None
    if not isinstance(message, dict) or message.get("type") != "auth":
        return None
    for kind in ("ticket", "token"):
        candidate = message.get(kind)
        if isinstance(candidate, str) and candidate:
            return kind, candidate
    return None


async def principal_from_ticket(
    session: AsyncSession, resources: Resources, ticket: str, *, stream: str | None = None
) -> Principal:
    """The ticket's user; ``stream`` (``tickets.stream_binding``) makes the ticket
    resumable by that one stream (SSE), None keeps it single-use."""
    try:
        claims = await resources.tickets.redeem(ticket, stream=stream)
    except InvalidToken as exc:
        raise AuthenticationFailed(f"Invalid stream ticket: {exc}") from exc
    principal = await cached_user_principal(
        session, resources, claims.user_id, claims.tenant_id, claims.version
    )
    # A ticket is bought with an access token: what it opens, reopened or not, lives no
    # longer than one would have from the ticket's issue.
    expires = resources.tickets.serves_until(claims)
    return dataclasses.replace(principal, credential_expires_at=expires)


async def ws_principal(
    session: AsyncSession, resources: Resources, credential: Credential
) -> Principal:
    kind, value = credential
    if kind == "ticket":
        return await principal_from_ticket(session, resources, value)
    return await resolve_credential(session, resources, value)
