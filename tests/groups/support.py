"""Helpers of the consumer-group tests: a 6-partition topic, members that poll and
commit over HTTP (through any of several clients: one app or several processes), and
the Jepsen-style bookkeeping of what was delivered."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.factories import Account

PARTITIONS = 6


async def make_topic(
    client: httpx.AsyncClient, account: Account, partitions: int = PARTITIONS
) -> str:
    name = f"work-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/api/v1/topics", headers=account.headers, json={"name": name, "partitions": partitions}
    )
    assert response.status_code == 201, response.text
    return name


async def publish(
    client: httpx.AsyncClient,
    account: Account,
    topic: str,
    values: Sequence[str],
    partitions: int = PARTITIONS,
) -> None:
    for start in range(0, len(values), 100):
        chunk = values[start : start + 100]
        response = await client.post(
            f"/api/v1/topics/{topic}/publish",
            headers=account.headers,
            json={
                "messages": [
                    {"value": v, "partition": (start + i) % partitions} for i, v in enumerate(chunk)
                ]
            },
        )
        assert response.status_code == 200, response.text


def group_url(topic: str, group: str, action: str = "") -> str:
    return f"/api/v1/topics/{topic}/groups/{group}" + (f"/{action}" if action else "")


async def poll(
    client: httpx.AsyncClient,
    account: Account,
    topic: str,
    group: str,
    member: str | None = None,
    *,
    max_records: int = 100,
    wait_ms: int = 0,
) -> dict[str, Any]:
    body: dict[str, Any] = {"max": max_records, "wait_ms": wait_ms}
    if member is not None:
        body["member"] = member
    response = await client.post(
        group_url(topic, group, "poll"), headers=account.headers, json=body
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def commit(
    client: httpx.AsyncClient, account: Account, topic: str, group: str, cursor: str
) -> dict[str, Any]:
    response = await client.post(
        group_url(topic, group, "commit"), headers=account.headers, json={"cursor": cursor}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def describe(
    client: httpx.AsyncClient, account: Account, topic: str, group: str
) -> dict[str, Any]:
    response = await client.get(group_url(topic, group), headers=account.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@dataclass
class History:
    """What every member received, in order, and when."""

    received: dict[str, list[str]] = field(default_factory=dict)

    def add(self, member: str, values: list[str]) -> None:
        self.received.setdefault(member, []).extend(values)

    @property
    def all(self) -> list[str]:
        return [v for values in self.received.values() for v in values]

    def duplicates(self) -> dict[str, int]:
        return {v: n for v, n in Counter(self.all).items() if n > 1}


async def consume_until(
    clients: Sequence[httpx.AsyncClient],
    account: Account,
    topic: str,
    group: str,
    members: Sequence[str],
    expected: set[str],
    *,
    timeout: float = 60.0,
    max_records: int = 20,
) -> History:
    """Members (member i talks to clients[i % len(clients)]) poll and commit each batch
    until together they received ``expected``."""
    history = History()
    done = asyncio.Event()

    async def member_loop(index: int, member: str) -> None:
        client = clients[index % len(clients)]
        while not done.is_set():
            batch = await poll(
                client, account, topic, group, member, max_records=max_records, wait_ms=200
            )
            if batch["records"]:
                history.add(member, [r["value"] for r in batch["records"]])
                await commit(client, account, topic, group, batch["cursor"])
            if expected <= set(history.all):
                done.set()

    async with asyncio.timeout(timeout):
        await asyncio.gather(*(member_loop(i, m) for i, m in enumerate(members)))
    return history
