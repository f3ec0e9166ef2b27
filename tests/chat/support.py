"""Helpers for chat tests: groups made through the API, WebSocket subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets
from fastapi import FastAPI

from tests.support.factories import Account
from topichub.models import Membership, Role


async def make_group(
    client: httpx.AsyncClient, admin: Account, members: dict[str, Account] | None = None
) -> str:
    """A group created by ``admin`` with ``members`` as {role: account}."""
    response = await client.post(
        "/api/v1/chat/groups", json={"name": "team"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    group_id: str = response.json()["id"]
    for role, account in (members or {}).items():
        await add(client, admin, group_id, account, role.rstrip("0123456789"))
    return group_id


async def add(
    client: httpx.AsyncClient, admin: Account, group_id: str, account: Account, role: str
) -> None:
    """Add ``account`` to the group: at once when it is of the admin's tenant, else by an
    invitation that ``account`` accepts."""
    response = await client.post(
        f"/api/v1/chat/groups/{group_id}/members",
        json={"email": account.email, "role": role},
        headers=admin.headers,
    )
    if response.status_code == 201:
        return
    assert response.status_code == 202, response.text
    await accept(client, account, response.json()["invitation_id"])


async def accept(client: httpx.AsyncClient, account: Account, invitation_id: str) -> None:
    accepted = await client.post(
        f"/api/v1/chat/invitations/{invitation_id}/accept", headers=account.headers
    )
    assert accepted.status_code == 200, accepted.text


async def join_tenant(app: FastAPI, account: Account, tenant_id: str) -> None:
    """Make ``account`` a member of another tenant too (no route does this today)."""
    async with app.state.resources.sessionmaker() as session:
        session.add(
            Membership(
                tenant_id=uuid.UUID(tenant_id),
                user_id=uuid.UUID(str(account.user["id"])),
                role=Role.member.value,
            )
        )
        await session.commit()


async def send(
    client: httpx.AsyncClient, account: Account, group_id: str, text: str
) -> dict[str, Any]:
    response = await client.post(
        "/send-message/", json={"group_id": group_id, "message": text}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ws_base(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1)


@contextlib.asynccontextmanager
async def subscriber(
    base_url: str, group_id: str, account: Account
) -> AsyncIterator[websockets.ClientConnection]:
    """A WebSocket subscribed to the group (the token in the query, as the seed does),
    returned once the server says it is live."""
    url = f"{ws_base(base_url)}/subscribe/{group_id}?token={account.token}"
    async with websockets.connect(url) as ws:
        ready = await next_frame(ws)
        assert ready == {"type": "subscribed", "group_id": group_id}
        yield ws


async def next_frame(ws: websockets.ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        frame: dict[str, Any] = json.loads(await ws.recv())
    return frame


async def close_code(ws: websockets.ClientConnection, timeout: float = 10.0) -> int | None:
    """Wait for the server to close the socket; returns its close code."""
    async with asyncio.timeout(timeout):
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.recv()
    return ws.close_code
