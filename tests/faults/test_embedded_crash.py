"""Embedded engine: ``kill -9`` the server during sustained publishing, five rounds; after
restart every acknowledged message is readable exactly once, at the partition and offset
it was acknowledged with, and nothing is read that was never sent.

A real ``topichub serve`` process on SQLite; four clients publish batches of one to three
messages with unique values and record a history (invoke / ok / fail / info). The topic
is then read from the earliest offset over Server-Sent Events, up to a sentinel published
last.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.support import History, ServerProcess, as_reads, check, publish_batch
from tests.support.factories import create_key, signup
from tests.support.server import sse

CLIENTS = 4
ROUNDS = 5
TOPIC = "/api/v1/topics/events"


async def read_until(
    client: httpx.AsyncClient, headers: dict[str, str], sentinel: str
) -> list[dict[str, Any]]:
    """Every event of the topic from the earliest offset up to ``sentinel``."""
    events: list[dict[str, Any]] = []
    async with sse(client, f"{TOPIC}/stream?from=earliest", headers=headers) as stream:
        while True:
            event = await stream.next(timeout=20)
            assert event.event is None, f"unexpected {event.event}: {event.data}"
            data = event.json()
            if data["value"] == sentinel:
                return events
            events.append(data)


@pytest.mark.timeout(240)
async def test_kill_9_during_publishing_loses_no_acknowledged_message(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:6]
    rng = random.Random(run)
    server = ServerProcess(tmp_path / "data")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            account = await signup(client)
            key = await create_key(client, account, ["read", "write"])
        headers = {"X-API-Key": key["key"]}
        history = History()
        stop = asyncio.Event()
        batches = iter(range(10**9))

        async def publisher(n: int) -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
                seq = 0
                while not stop.is_set():
                    size = 1 + seq % 3
                    values = [f"{run}-{n}-{seq}-{i}" for i in range(size)]
                    ops = await publish_batch(
                        client, history, f"{TOPIC}/publish", values, next(batches), headers
                    )
                    seq += 1
                    if ops[0].outcome != "ok":
                        await asyncio.sleep(0.05)  # the server is down: do not spin

        tasks = [asyncio.create_task(publisher(n)) for n in range(CLIENTS)]
        acked_per_round = []
        try:
            for _ in range(ROUNDS):
                before = len(history.by("ok"))
                await asyncio.sleep(rng.uniform(0.4, 1.2))
                acked_per_round.append(len(history.by("ok")) - before)
                await server.crash()
                await server.start()
            await asyncio.sleep(0.5)
        finally:
            stop.set()
            await asyncio.gather(*tasks)

        sentinel = f"{run}-sentinel"
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            response = await client.post(
                f"{TOPIC}/publish", json={"messages": [{"value": sentinel}]}, headers=headers
            )
            assert response.status_code == 200, response.text
            events = await read_until(client, headers, sentinel)
    finally:
        await server.stop()

    verdict = check(history, as_reads(events), atomic_batches=True)
    summary = history.summary()
    assert all(n > 0 for n in acked_per_round), f"a round made no progress: {acked_per_round}"
    assert verdict.valid, f"{verdict}; history {summary}"
    # The read is exactly the acknowledged values plus, possibly, recovered ones.
    read_values = Counter(e["value"] for e in events)
    assert set(read_values) == history.by("ok") | verdict.recovered
    print(
        f"history {summary}, acknowledged per round {acked_per_round}, "
        f"read {len(events)}, recovered (info but stored) {len(verdict.recovered)}"
    )
