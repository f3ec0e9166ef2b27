"""Helpers for chat tests: groups made through the API, WebSocket subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets

from tests.support.factories import Account


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
    response = await client.post(
        f"/api/v1/chat/groups/{group_id}/members",
        json={"email": account.email, "role": role},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text


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
