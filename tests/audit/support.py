"""Waiting for app events to reach the event log (the relay and the audit consumer run in
the background, so tests poll the public API)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.support.factories import Account


async def events(
    client: httpx.AsyncClient, account: Account, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def wait_for_events(
    client: httpx.AsyncClient,
    account: Account,
    count: int,
    *,
    timeout: float = 15.0,
    **params: Any,
) -> list[dict[str, Any]]:
    """Poll ``GET /api/v1/events`` until at least ``count`` events match ``params``."""
    deadline = time.monotonic() + timeout
    while True:
        found = await events(client, account, limit=500, **params)
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"only {len(found)} of {count} events arrived"
        await asyncio.sleep(0.05)
