"""Kafka engine: the broker stops answering (SIGSTOP) during sustained publishing.

- every publish answers within the configured timeout (plus a margin): 200, or 503 with
  ``Retry-After`` and a body saying the outcome is unknown — never a hang, never "not
  stored", never a 500;
- after SIGCONT publishing recovers without a restart, and a stream opened before the
  pause delivers what is published afterwards;
- reading the topic from the earliest offset: every acknowledged message is there at its
  offset, nothing that was never sent; messages whose publish timed out may be there
  (``recovered``, reported) — a timeout is not a "no".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings, running_app
from tests.faults.support import History, as_reads, check, publish_batch
from tests.faults.test_embedded_crash import read_until
from tests.support.factories import create_key, signup
from tests.support.server import SSEStream, serving
from tests.support.tansu import TansuBroker

pytestmark = pytest.mark.kafka

PUBLISH_TIMEOUT_S = 2.0
MARGIN_S = 2.5
PAUSE_S = 5.0
CLIENTS = 3
TOPIC = "/api/v1/topics/events"


@pytest.fixture
async def broker() -> AsyncIterator[TansuBroker]:
    broker = await TansuBroker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.mark.timeout(180)
async def test_a_paused_broker_delays_publishing_and_loses_nothing(
    broker: TansuBroker, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        tmp_path,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        publish_timeout_s=PUBLISH_TIMEOUT_S,
        rate_limit_enabled=False,
    )
    async with running_app(settings) as app, serving(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            account = await signup(client)
            key = await create_key(client, account, ["read", "write"])
        headers = {"X-API-Key": key["key"]}
        history = History()
        durations: list[tuple[float, float, int | None]] = []  # (started, seconds, status)
        stop = asyncio.Event()
        batches = iter(range(10**9))
        live: list[str] = []

        async def publisher(n: int) -> None:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                seq = 0
                while not stop.is_set():
                    values = [f"{run}-{n}-{seq}-{i}" for i in range(1 + seq % 3)]
                    started = time.monotonic()
                    ops = await publish_batch(
                        client, history, f"{TOPIC}/publish", values, next(batches), headers
                    )
                    durations.append((started, time.monotonic() - started, ops[0].status))
                    seq += 1

        async def follower() -> None:
            """A stream opened before the pause, reading from the live end."""
            async with (
                httpx.AsyncClient(base_url=url, timeout=60) as client,
                client.stream("GET", f"{TOPIC}/stream", headers=headers) as response,
            ):
                assert response.status_code == 200
                stream = SSEStream(response)
                while True:
                    event = await stream.next(timeout=120)
                    if event.event is None:
                        live.append(event.json()["value"])

        follow = asyncio.create_task(follower())
        try:
            tasks = [asyncio.create_task(publisher(n)) for n in range(CLIENTS)]
            try:
                await asyncio.sleep(1.5)
                paused_at = time.monotonic()
                broker.pause()
                await asyncio.sleep(PAUSE_S)
                broker.resume()
                resumed_at = time.monotonic()
                after_resume = len(history.ops)
                # Publishing comes back by itself; then keep going a little.
                deadline = resumed_at + 30
                while not any(s >= resumed_at and st == 200 for s, _, st in durations):
                    assert time.monotonic() < deadline, "publishing did not recover"
                    await asyncio.sleep(0.05)
                back = min(s for s, _, st in durations if s >= resumed_at and st == 200)
                await asyncio.sleep(1.5)
            finally:
                broker.resume()
                stop.set()
                await asyncio.gather(*tasks)

            # The stream opened before the pause delivers what was acknowledged after it.
            after = {op.value for op in history.ops[after_resume:] if op.outcome == "ok"}
            assert after
            deadline = time.monotonic() + 20
            while after - set(live):
                assert time.monotonic() < deadline, f"stream missed {len(after - set(live))}"
                await asyncio.sleep(0.1)
        finally:
            # An open stream would hold the server's shutdown.
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await follow

        sentinel = f"{run}-sentinel"
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            response = await client.post(
                f"{TOPIC}/publish", json={"messages": [{"value": sentinel}]}, headers=headers
            )
            assert response.status_code == 200, response.text
            events = await read_until(client, headers, sentinel)

    summary = history.summary()
    verdict = check(history, as_reads(events), atomic_batches=False)
    assert not verdict.lost, verdict
    assert not verdict.unexpected, verdict
    assert not verdict.misplaced, verdict
    assert not verdict.contradicted, f"refused but stored: {verdict}"
    during = [(d, st) for s, d, st in durations if paused_at <= s < resumed_at]
    assert any(st == 503 for _, st in during), f"no 503 while paused: {during[:5]}"
    slow = [(round(d, 2), st) for _, d, st in durations if d > PUBLISH_TIMEOUT_S + MARGIN_S]
    assert not slow, f"publishes took longer than the timeout: {slow}"
    wrong = [op for op in history.ops if op.status is not None and op.status >= 500]
    assert all(op.status == 503 for op in wrong), {op.status for op in wrong}
    outcomes = {json.loads(op.error or "{}")["error"]["details"]["outcome"] for op in wrong}
    assert outcomes <= {"unknown"}, outcomes
    assert all(op.retry_after for op in wrong), "a 503 without Retry-After"
    assert history.by("info") == {op.value for op in wrong}, "only 503s are indeterminate"
    print(f"history {summary}; publishing back {back - resumed_at:.2f}s after SIGCONT; {verdict}")
